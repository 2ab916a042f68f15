# SPDX-License-Identifier: GPL-2.0
#
# bench-report.awk - the tables and JSON of `make bench`, from the
# "bench:" lines thv-bench printed in the test VM's console logs
# (scripts/bench.sh runs this; see user/tools/bench.c for the lines).
#
# Variables: lane, title, kver, commit; wallfile (the log whose times are
# wall-clock ns, "" if none); scale (instructions per guest ns in the
# other log); check (1: judge the targets); json, md (output files).
# scripts/bench-chart.awk draws the chart from the JSON.
# Exit status 3 when check=1 and a target is missed.

BEGIN { host_tol = 0.05 }

function num(s) { return s + 0 }

function fmt(x) {
	if (x == "")
		return "-"
	if (x >= 100)
		return sprintf("%.0f", x)
	if (x < 10)	# compute: 1.85 and 1.9 are 3% apart
		return sprintf("%.2f", x)
	return sprintf("%.1f", x)
}

function ratio(a, b) {
	if (a == "" || b == "" || b <= 0)
		return ""
	return a / b
}

function fmtr(r) { return r == "" ? "-" : sprintf("%.2f", r) }

# Keep value v of key k (one per round); med(k) is the median of them.
function keep(k, v) { vals[k, ++nvals[k]] = v }
function med(k,    n, i, j, a, t) {
	n = nvals[k]
	for (i = 1; i <= n; i++)
		a[i] = vals[k, i]
	for (i = 2; i <= n; i++)	# insertion sort: a few rounds
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	i = int((n + 1) / 2)
	if (n % 2)
		return a[i]
	return (a[i] + a[i + 1]) / 2
}

# Wall time: each hypervisor's fastest repetition.  The guest runs the
# same instructions in every repetition; the host under the emulator can
# slow one down (by half or twice, for a few ms to seconds: see "When the
# host changes speed" in docs/performance.md) but never speed it up.  So
# the fastest of the 49 (7 rounds of 7) is the one the host disturbed
# least, on both sides, and their ratio is thv's cost against KVM's; the
# medians move with the host's load.  That holds only if the host ran at
# its full speed at some point on both sides: thv-bench's host reference
# (the compute loop in L1, timed before and after every repetition) must
# have reached the same speed within host_tol in both, or
# unjudged[l] says whose side it never did.  Then the side whose host
# stayed slower may have had its time stretched by as much as its
# reference was (slow[l], the quotient of the two): the true ratio lies
# between the measured one and the measured one corrected by slow[l],
# rlo[l] to rhi[l], and a time target is judged only if both ends agree
# (judge_range).  "" without times.
function fastest_ratio(l,    a, b, r) {
	if (!(("thv", l) in wmin) || !(("kvm", l) in wmin) ||
	    wmin["kvm", l] <= 0)
		return ""
	r = wmin["thv", l] / wmin["kvm", l]
	rlo[l] = rhi[l] = r
	a = refmin["thv", l]; b = refmin["kvm", l]
	if (a > 0 && b > 0 && a / b > 1 + host_tol) {
		unjudged[l] = "thv's"
		slow[l] = a / b
		rlo[l] = r / slow[l]
	} else if (a > 0 && b > 0 && b / a > 1 + host_tol) {
		unjudged[l] = "KVM's"
		slow[l] = b / a
		rhi[l] = r * slow[l]
	}
	return r
}

# A time target where the two sides' hosts differed (unjudged[l]):
# 1 met at both ends of rlo[l]..rhi[l], 0 missed at both, -2 it depends
# on how much of the slower host's reference its repetitions really saw.
function judge_range(l,    r, lo, hi) {
	r = rns[l]
	rns[l] = rlo[l]; lo = judge(l)
	rns[l] = rhi[l]; hi = judge(l)
	rns[l] = r
	return lo == hi ? lo : -2
}

# The targets of docs/performance.md (the issue's "Targets").  Sets
# target[l] (in words) and returns 1 met, 0 missed, -1 no target.
function judge(l,    ri, rw) {
	ri = rins[l]; rw = rns[l]
	if (l == "cpuid") {
		target[l] = "insns <= 0.15x, time <= 0.6x"
		if (ri == "" || rw == "") return 0
		return ri <= 0.15 && rw <= 0.6
	}
	if (l == "io") {
		target[l] = "insns <= 0.5x"
		if (ri == "") return 0
		return ri <= 0.5
	}
	if (l == "compute") {
		target[l] = "within 5%"
		if (ri == "" || rw == "") return 0
		return ri >= 0.95 && ri <= 1.05 && rw >= 0.95 && rw <= 1.05
	}
	if (l == "create") {
		target[l] = "time <= 1x"
		if (rw == "") return 0
		return rw <= 1.0
	}
	target[l] = ""
	return -1
}

# The round the next lines belong to (scripts/initramfs-init.sh marks it).
/^==thv== bench-begin [a-z]+ round=[0-9]+/ {
	split($NF, kv, "=")
	round[FILENAME] = kv[2]
}

# Every repetition of a loop (bench.c): ns=N0,... and host=H0,...,Hn,
# the host reference before the first and after each.
/^bench-reps: hv=/ && FILENAME == wallfile {
	delete f
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	n = split(f["host"], v, ",")
	for (i = 1; i <= n; i++)
		minref(f["hv"], f["loop"], num(v[i]))
	next
}

function minref(hv, l, x) {
	if (x > 0 && (!((hv, l) in refmin) || x < refmin[hv, l]))
		refmin[hv, l] = x
}

/^bench: hv=/ {
	delete f
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		f[kv[1]] = kv[2]
	}
	hv = f["hv"]; l = f["loop"]
	if (!(l in seen)) {
		seen[l] = 1
		order[++nloops] = l
	}
	if ("skip" in f || $NF == "skip") {
		skipped[hv, l] = 1
		next
	}
	iters[l] = f["iters"]
	# With thv.bench_rounds=N a log has N lines per loop and hypervisor:
	# the table shows the median of them.
	if (FILENAME == wallfile) {
		if (FILENAME in round && round[FILENAME] > nrounds_)
			nrounds_ = round[FILENAME]
		keep("wall" SUBSEP hv SUBSEP l, num(f["ns"]))
		wall[hv, l] = med("wall" SUBSEP hv SUBSEP l)
		# min=: the round's fastest repetition; host=: the median
		# host reference (bench-reps: lines give every one).
		x = ("min" in f) ? num(f["min"]) : num(f["ns"])
		if (!((hv, l) in wmin) || x < wmin[hv, l])
			wmin[hv, l] = x
		nreps[hv, l] += ("reps" in f) ? num(f["reps"]) : 1
		if ("host" in f)
			minref(hv, l, num(f["host"]))
	} else {
		keep("ins" SUBSEP hv SUBSEP l, num(f["ns"]) * scale)
		ins[hv, l] = med("ins" SUBSEP hv SUBSEP l)
		# thv's exit counters: root-mode share of one exit
		if (("root" in f) && num(f["root"]) >= 0) {
			keep("root" SUBSEP hv SUBSEP l, num(f["root"]) * scale)
			root[hv, l] = med("root" SUBSEP hv SUBSEP l)
		}
	}
}

END {
	what["cpuid"] = "CPUID, handled in the kernel"
	what["hypercall"] = "hypercall, answered in userspace"
	what["io"] = "OUT, emulated in userspace"
	what["mmio"] = "MMIO read, emulated in userspace"
	what["compute"] = "compute loop, no exits (per iteration)"
	what["create"] = "create VM + load + run to 1st exit"

	if (nloops == 0) {
		print "bench: no results in the logs" > "/dev/stderr"
		exit 1
	}
	missed = 0
	print "## " title > md
	print "" > md
	if (wallfile != "") {
		print "| loop | what | thv ns | KVM ns | thv/KVM | thv insns | thv root | KVM insns | thv/KVM | target |" > md
		print "|---|---|---:|---:|---:|---:|---:|---:|---:|---|" > md
	} else {
		print "| loop | what | thv insns | thv root | KVM insns | thv/KVM |" > md
		print "|---|---|---:|---:|---:|---:|" > md
	}
	for (n = 1; n <= nloops; n++) {
		l = order[n]
		tw = ("thv", l) in wmin ? wmin["thv", l] : ""
		kw = ("kvm", l) in wmin ? wmin["kvm", l] : ""
		ti = ("thv", l) in ins ? ins["thv", l] : ""
		ki = ("kvm", l) in ins ? ins["kvm", l] : ""
		tr = ("thv", l) in root ? root["thv", l] : ""
		rns[l] = fastest_ratio(l)
		rins[l] = ratio(ti, ki)
		verdict[l] = ""
		if (check) {
			ok = judge(l)
			# The host never ran at full speed on one side: a
			# wall-time target holds only if it holds however
			# much that slowed the side (fastest_ratio).
			note = ""
			if (ok >= 0 && (l in unjudged) && target[l] ~ /time|within/) {
				ok = judge_range(l)
				other = unjudged[l] == "KVM's" ? rhi[l] : rlo[l]
				note = sprintf(" (also at %s: %s host %.2fx slower)",
					       fmtr(other), unjudged[l], slow[l])
			}
			if (ok == -2) {
				verdict[l] = target[l] ": NOT JUDGED, the host " \
					"never ran at full speed in " \
					unjudged[l] " repetitions" note
				missed++
			} else if (ok == 1)
				verdict[l] = target[l] ": met" note
			else if (ok == 0) {
				verdict[l] = target[l] ": MISSED" note
				missed++
			}
		}
		if (wallfile != "")
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				l, what[l], fmt(tw), fmt(kw), fmtr(rns[l]),
				fmt(ti), fmt(tr), fmt(ki), fmtr(rins[l]),
				verdict[l] > md
		else
			printf "| %s | %s | %s | %s | %s | %s |\n", l, what[l],
				fmt(ti), fmt(tr), fmt(ki), fmtr(rins[l]) > md
		tw_[l] = tw; kw_[l] = kw; ti_[l] = ti; ki_[l] = ki; tr_[l] = tr
	}
	print "" > md
	printf "Commit %s.  insns: instructions per iteration (%s), " \
		"medians; thv root: the instructions of one exit that thv " \
		"counts in root mode, from the VM exit to the next VM entry " \
		"(THV_GET_EXIT_STATS).%s\n", commit,
		(wallfile != "" ? "QEMU -icount shift=0" : "Bochs clock"),
		(wallfile != "" ? sprintf("  ns: wall-clock nanoseconds per " \
		 "iteration, the fastest of %s repetitions%s on each side, " \
		 "and the time ratio is theirs: the host can slow a " \
		 "repetition down, never speed it up.  A time target is " \
		 "judged only if thv-bench's host reference reached the " \
		 "same speed (within %d%%) on both sides.", reps_text(),
		 (nrounds_ > 1 ? " (" nrounds_ " rounds)" : ""),
		 host_tol * 100) : "") > md
	close(md)

	# The same, on the terminal.
	print ""
	print title
	if (wallfile != "")
		printf "  %-10s %10s %10s %6s %10s %9s %10s %6s  %s\n", "loop",
			"thv ns", "KVM ns", "ratio", "thv insns", "thv root",
			"KVM insns", "ratio", "target"
	else
		printf "  %-10s %10s %9s %10s %6s\n", "loop", "thv insns",
			"thv root", "KVM insns", "ratio"
	for (n = 1; n <= nloops; n++) {
		l = order[n]
		if (wallfile != "")
			printf "  %-10s %10s %10s %6s %10s %9s %10s %6s  %s\n", l,
				fmt(tw_[l]), fmt(kw_[l]), fmtr(rns[l]),
				fmt(ti_[l]), fmt(tr_[l]), fmt(ki_[l]),
				fmtr(rins[l]), verdict[l]
		else
			printf "  %-10s %10s %9s %10s %6s\n", l, fmt(ti_[l]),
				fmt(tr_[l]), fmt(ki_[l]), fmtr(rins[l])
	}
	if (check)
		printf "  targets: %s\n", missed ? missed " MISSED" : "all met"

	# JSON, for tracking across commits.
	printf "{\n  \"lane\": \"%s\",\n  \"title\": \"%s\",\n", lane, title > json
	printf "  \"kernel\": \"%s\",\n  \"commit\": \"%s\",\n", kver, commit > json
	src = wallfile != "" ? "qemu -icount shift=0" : "bochs clock sync=none"
	printf "  \"insns_from\": \"%s\",\n", src > json
	printf "  \"wall_rounds\": %d,\n", nrounds_ > json
	printf "  \"loops\": {\n" > json
	for (n = 1; n <= nloops; n++) {
		l = order[n]
		printf "    \"%s\": {\n      \"what\": \"%s\", \"iters\": %d,\n",
			l, what[l], iters[l] > json
		for (h = 1; h <= 2; h++) {
			hv = h == 1 ? "thv" : "kvm"
			printf "      \"%s\": { \"ns\": %s, \"ns_median\": %s, " \
				"\"reps\": %d, \"host_ns\": %s, \"insns\": %s",
				hv, jv(wmin[hv, l]), jv(wall[hv, l]),
				nreps[hv, l], jv(refmin[hv, l]),
				jv(ins[hv, l]) > json
			if (hv == "thv")
				printf ", \"root_insns\": %s", jv(tr_[l]) > json
			printf " },\n" > json
		}
		printf "      \"ratio_ns\": %s, \"ratio_insns\": %s,\n",
			jv(rns[l]), jv(rins[l]) > json
		met = verdict[l] ~ /met$/ ? "true" : "false"
		if (!check || target[l] == "")
			met = "null"
		printf "      \"target\": \"%s\", \"met\": %s\n    }%s\n",
			(check ? target[l] : ""), met,
			(n < nloops ? "," : "") > json
	}
	printf "  },\n  \"targets_missed\": %d\n}\n", missed > json
	close(json)

	exit(check && missed ? 3 : 0)
}

# "49", or "42 to 49" when the loops or sides had different numbers.
function reps_text(    k, lo, hi) {
	for (k in nreps) {
		if (lo == "" || nreps[k] < lo) lo = nreps[k]
		if (hi == "" || nreps[k] > hi) hi = nreps[k]
	}
	return lo == hi ? lo : lo " to " hi
}
function jv(x) { return x == "" ? "null" : sprintf("%.6g", x) }
