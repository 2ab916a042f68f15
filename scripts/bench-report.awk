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

# steady(l, r): did the host run at the same speed in both halves of
# round r of loop l?  thv-bench times a host reference next to every
# repetition (its "host=": the compute loop run in L1, no hypervisor);
# the two halves' references must agree within host_tol.  Under QEMU's
# TCG the host's speed changes by half or more for a second or so now
# and then, and a round that straddles such a change compares the host
# with itself, not thv with KVM.  Logs without references count as
# steady.
function steady(l, r,    a, b) {
	if (!(("thv", l, r) in rhost) || !(("kvm", l, r) in rhost))
		return 1
	a = rhost["thv", l, r]; b = rhost["kvm", l, r]
	if (a <= 0 || b <= 0)
		return 1
	return a / b >= 1 - host_tol && a / b <= 1 + host_tol
}

# Wall time with rounds: the median of each round's own thv/KVM ratio,
# over the steady rounds (all rounds, and unsteady[l] set, if none was).
# The two runs of a round are seconds apart, so a host that changes speed
# between rounds moves both; "" without rounds (then the ratio of the
# medians is all there is).
# Also sets rlo[l] and rhi[l], the lowest and highest round ratio kept:
# how far one round can be off shows how much the host moved under us;
# rused[l] and rall[l] count the rounds kept and the rounds there were.
function round_ratio(l,    i, r, k, x, pass) {
	k = "rratio" SUBSEP l
	rall[l] = 0
	for (pass = 1; pass <= 2; pass++) {
		for (i = 1; i <= nr[l]; i++) {
			r = rlist[l, i]
			if (!(("thv", l, r) in rwall && ("kvm", l, r) in rwall &&
			      rwall["kvm", l, r] > 0))
				continue
			if (pass == 1)
				rall[l]++
			if (pass == 1 && !steady(l, r))
				continue
			x = rwall["thv", l, r] / rwall["kvm", l, r]
			keep(k, x)
			if (!(l in rlo) || x < rlo[l]) rlo[l] = x
			if (!(l in rhi) || x > rhi[l]) rhi[l] = x
		}
		rused[l] = nvals[k]
		if (nvals[k] || !rall[l])
			break
		unsteady[l] = 1		# no steady round: take them all
	}
	if (unsteady[l])
		rused[l] = 0
	return nvals[k] ? med(k) : ""
}

# The time ratio as the table shows it: "0.46 (0.34-0.52)" with rounds,
# and "0.46 (0.34-0.52) 3/5" when only 3 of 5 rounds were steady.
function fmtrr(l,    s) {
	if (!(l in rlo) || rall[l] < 2)
		return fmtr(rns[l])
	s = sprintf("%s (%.2f-%.2f)", fmtr(rns[l]), rlo[l], rhi[l])
	if (rused[l] < rall[l])
		s = s " " rused[l] "/" rall[l]
	return s
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
		if ("host" in f) {
			keep("host" SUBSEP hv SUBSEP l, num(f["host"]))
			host[hv, l] = med("host" SUBSEP hv SUBSEP l)
		}
		if (FILENAME in round) {
			r = round[FILENAME]
			rwall[hv, l, r] = num(f["ns"])
			if ("host" in f)
				rhost[hv, l, r] = num(f["host"])
			if (!((l, r) in rseen)) {
				rseen[l, r] = 1
				rlist[l, ++nr[l]] = r
			}
		}
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
		tw = ("thv", l) in wall ? wall["thv", l] : ""
		kw = ("kvm", l) in wall ? wall["kvm", l] : ""
		ti = ("thv", l) in ins ? ins["thv", l] : ""
		ki = ("kvm", l) in ins ? ins["kvm", l] : ""
		tr = ("thv", l) in root ? root["thv", l] : ""
		rns[l] = round_ratio(l)
		if (rns[l] == "")
			rns[l] = ratio(tw, kw)
		rins[l] = ratio(ti, ki)
		verdict[l] = ""
		if (check) {
			ok = judge(l)
			# A wall-time target with no steady round is not judged.
			if (ok >= 0 && unsteady[l] && target[l] ~ /time|within/)
				ok = -2
			if (ok == -2) {
				verdict[l] = target[l] ": NOT JUDGED, the host " \
					"changed speed in every round"
				missed++
			} else if (ok == 1)
				verdict[l] = target[l] ": met"
			else if (ok == 0) {
				verdict[l] = target[l] ": MISSED"
				missed++
			}
		}
		if (wallfile != "")
			printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				l, what[l], fmt(tw), fmt(kw), fmtrr(l),
				fmt(ti), fmt(tr), fmt(ki), fmtr(rins[l]),
				verdict[l] > md
		else
			printf "| %s | %s | %s | %s | %s | %s |\n", l, what[l],
				fmt(ti), fmt(tr), fmt(ki), fmtr(rins[l]) > md
		tw_[l] = tw; kw_[l] = kw; ti_[l] = ti; ki_[l] = ki; tr_[l] = tr
	}
	print "" > md
	printf "Commit %s.  ns: wall-clock nanoseconds per iteration; " \
		"insns: instructions per iteration (%s); thv root: the " \
		"instructions of one exit that thv counts in root mode, from " \
		"the VM exit to the next VM entry (THV_GET_EXIT_STATS).  " \
		"Medians%s.\n", commit,
		(wallfile != "" ? "QEMU -icount shift=0" : "Bochs clock"),
		(nrounds_ > 1 ? sprintf("; ns of %d rounds, and the time " \
		 "ratio is the median of each round's own ratio, so it " \
		 "need not be the quotient of the two ns; a round counts " \
		 "only if the host ran at the same speed (within %d%%) in " \
		 "both halves, by thv-bench's host reference, and \"3/5\" " \
		 "after a ratio says 3 of 5 rounds did", nrounds_,
		 host_tol * 100) : "") > md
	close(md)

	# The same, on the terminal.
	print ""
	print title
	if (wallfile != "")
		printf "  %-10s %10s %10s %20s %10s %9s %10s %6s  %s\n", "loop",
			"thv ns", "KVM ns", "ratio (rounds)", "thv insns", "thv root",
			"KVM insns", "ratio", "target"
	else
		printf "  %-10s %10s %9s %10s %6s\n", "loop", "thv insns",
			"thv root", "KVM insns", "ratio"
	for (n = 1; n <= nloops; n++) {
		l = order[n]
		if (wallfile != "")
			printf "  %-10s %10s %10s %20s %10s %9s %10s %6s  %s\n", l,
				fmt(tw_[l]), fmt(kw_[l]), fmtrr(l),
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
		printf "      \"thv\": { \"ns\": %s, \"host_ns\": %s, " \
			"\"insns\": %s, \"root_insns\": %s },\n",
			jv(tw_[l]), jv(host["thv", l]), jv(ti_[l]),
			jv(tr_[l]) > json
		printf "      \"kvm\": { \"ns\": %s, \"host_ns\": %s, " \
			"\"insns\": %s },\n", jv(kw_[l]), jv(host["kvm", l]),
			jv(ki_[l]) > json
		printf "      \"ratio_ns\": %s, \"ratio_insns\": %s,\n",
			jv(rns[l]), jv(rins[l]) > json
		if (l in rlo)
			printf "      \"ratio_ns_rounds_lo\": %s, " \
				"\"ratio_ns_rounds_hi\": %s, " \
				"\"ratio_ns_rounds_used\": %d, " \
				"\"ratio_ns_rounds\": %d,\n",
				jv(rlo[l]), jv(rhi[l]), rused[l], rall[l] > json
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

function jv(x) { return x == "" ? "null" : sprintf("%.6g", x) }
