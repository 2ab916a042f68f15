#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - turn the console logs of check-mode VM runs into one TAP
# stream on stdout, ending with the line "N passed, N failed, N skipped".
#
# Each log is read as scripts/initramfs-init.sh writes it: "==thv== ..."
# marker lines, each test executable's own TAP between its test-begin and
# test-end markers, kernel messages ("[   1.234] ...") anywhere, and the
# guest's dmesg between dmesg-begin and dmesg-end.  Failures:
#   - a "not ok" reported by a test executable
#   - a test executable that exited non-zero (other than 4, kselftest's
#     SKIP), timed out, did not finish, reported nothing, or fewer results
#     than its plan announced
#   - insmod thv.ko, /dev/thv or rmmod thv failing
#   - a guest kernel line with WARNING, BUG, Oops, "general protection",
#     "Kernel panic" or a hung-task/RCU-stall report
#   - no "==thv== dmesg-end" marker: the guest crashed or hung
# Exit status: 0 only when nothing failed and at least one test ran.
set -euo pipefail

if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
	cat <<'USAGE'
Usage: scripts/check.sh LOG...
Merge the TAP results in check-mode console logs into one TAP stream with a
summary line.  The log name gives the lane, which tags each result:
  BUILD/logs/<kver>-check.log              QEMU, AMD SVM (scripts/run-vm.sh)
  BUILD/logs/<kver>-{la57,nosvm,nonpt}.log QEMU lanes, tagged [la57] etc.
  BUILD/logs/<kver>-{novmx,noept,noug}.log Bochs refusal lanes, likewise
  BUILD/logs/<kver>-mkshell.log            make shell's boot, typed into
                                           (scripts/test-shell.sh), tagged [mkshell]
  BUILD/logs/<kver>-vmx.log                Bochs, Intel VMX (scripts/run-bochs.sh),
                                           tagged [vmx]
  BUILD/logs/host-check.log                host-side tests (scripts/test-lanes.sh)
  BUILD/logs/host-docs.log                 host-side docs checks
                                           (scripts/test-docs.sh), tagged [docs]
USAGE
	[ $# -gt 0 ]
	exit $?
fi

# Logs that are missing or empty (the VM never started) are reported apart.
logs=()
broken=""
for f in "$@"; do
	if [ -s "$f" ]; then
		logs+=("$f")
	else
		broken="$broken $f"
	fi
done

# With no readable log at all, awk must still not wait on stdin.
[ ${#logs[@]} -gt 0 ] || logs=(/dev/null)

awk -v broken="$broken" '
function result(ok, name, directive,    line) {
	ntest++
	line = (ok ? "ok " : "not ok ") ntest " - " kver lane " " name
	if (directive != "")
		line = line " # " directive
	print line
	if (directive ~ /^[Ss][Kk][Ii][Pp]/)
		nskip++
	else if (ok)
		npass++
	else
		nfail++
}

function diag(text) {
	print "#   " text
}

# Kernel log lines carry a "[ seconds.micros]" timestamp.
function is_kernel_line(s) {
	return s ~ /^<[0-9]+>\[ *[0-9]+\.[0-9]+\]/ || s ~ /^\[ *[0-9]+\.[0-9]+\]/
}

function is_bad_kernel_line(s) {
	return s ~ /WARNING|Oops|general protection|Kernel panic/ ||
	       s ~ /blocked for more than|detected stall/ ||
	       s ~ /(^|[^A-Za-z_])BUG([^A-Za-z_]|$)/
}

# The value of "key=..." in a marker line, "" if absent.
function field(s, key,    n, i, parts) {
	n = split(s, parts, " ")
	for (i = 1; i <= n; i++)
		if (index(parts[i], key "=") == 1)
			return substr(parts[i], length(key) + 2)
	return ""
}

# The rest of a marker line after its first n words.
function rest(s, n,    i) {
	for (i = 0; i < n; i++)
		sub(/^[^ ]* */, "", s)
	return s
}

function start_log(path) {
	kver = path
	sub(/.*\//, "", kver)
	sub(/-(check|la57|nosvm|nonpt|vmx|novmx|noept|noug|mkshell)\.log$/, "", kver)
	# The lane ("check" is the default one) tags the names of results;
	# "vmx" is the whole suite under Bochs (scripts/run-bochs.sh).
	lane = path
	sub(/\.log$/, "", lane)
	sub(/.*-/, "", lane)
	lane = (lane ~ /^(la57|nosvm|nonpt|vmx|novmx|noept|noug|mkshell)$/) ? " [" lane "]" : ""
	# host-NAME.log: host-side checks, no VM (host-check.log: the lane
	# tests of scripts/test-lanes.sh; host-docs.log: scripts/test-docs.sh).
	if (kver ~ /^host-[a-z0-9]+\.log$/) {
		lane = kver
		sub(/^host-/, "", lane)
		sub(/\.log$/, "", lane)
		lane = " [" lane "]"
		kver = "host"
	}
	began = insmod = devnode = rmmod = dmesg_end = nohw = 0
	in_test = in_dmesg = 0
	nbad = 0
	delete bad
	delete seen_bad
}

function begin_test(name) {
	in_test = 1
	tname = name
	t_results = t_fail = t_plan = 0
	t_plan_skip = ""
	last_run = ""
	ncomment = 0
}

# One TAP line of the running test executable.
function test_line(s,    ok, name, directive, pos, i) {
	if (s ~ /^#/) {
		if (ncomment < 30)
			comment[++ncomment] = s
		if (s ~ /^# +RUN +[^ ]/) {
			last_run = s
			sub(/^# +RUN +/, "", last_run)
			sub(/ .*/, "", last_run)
		}
		return
	}
	if (s ~ /^1\.\.[0-9]+/) {
		t_plan = substr(s, 4) + 0
		if (t_plan == 0 && s ~ /# *[Ss][Kk][Ii][Pp]/) {
			t_plan_skip = s
			sub(/^[^#]*# *[Ss][Kk][Ii][Pp] */, "", t_plan_skip)
		}
		return
	}
	if (s !~ /^(not )?ok( |$)/)
		return
	ok = (s !~ /^not /)
	name = s
	sub(/^(not )?ok *[0-9]* *(- *)?/, "", name)
	directive = ""
	pos = index(name, "#")
	if (pos > 0) {
		directive = substr(name, pos + 1)
		sub(/^ */, "", directive)
		name = substr(name, 1, pos - 1)
	}
	sub(/ *$/, "", name)
	if (name == "")
		name = (last_run != "") ? last_run : "test " (t_results + 1)
	if (!ok && directive !~ /^[Ss][Kk][Ii][Pp]/)
		t_fail++
	t_results++
	ntests_run++
	result(ok, tname ": " name, directive)
	# Show what the test said before it failed (assert messages).
	if (!ok && directive !~ /^[Ss][Kk][Ii][Pp]/)
		for (i = 1; i <= ncomment; i++)
			if (comment[i] !~ /^# +(RUN|OK|FAIL|SKIP|Starting) /)
				diag(comment[i])
	ncomment = 0
}

function end_test(s,    rc, secs) {
	in_test = 0
	rc = field(s, "rc") + 0
	secs = field(s, "secs")
	if (field(s, "timeout") == "1") {
		result(0, tname ": finished in time", "")
		diag("killed after " secs " s (thv.timeout)")
		return
	}
	if (t_results == 0) {
		if (t_plan_skip != "" || rc == 4) {
			ntests_run++
			result(1, tname, "SKIP " (t_plan_skip != "" ? t_plan_skip : "exit status 4 (KSFT_SKIP)"))
		} else
			result(0, tname ": reported results", "")
		if (t_plan_skip == "" && rc != 4)
			diag("no TAP result lines; exit status " rc)
		return
	}
	if (t_plan > 0 && t_results < t_plan) {
		result(0, tname ": all " t_plan " planned results reported", "")
		diag("only " t_results " results")
	}
	if (rc != 0 && rc != 4 && t_fail == 0) {
		result(0, tname ": exit status 0", "")
		diag("exit status " rc (rc > 128 ? " (signal " rc - 128 ")" : ""))
	}
}

# A test executable cut off by a crash or hang: report it once.
function unfinished_test() {
	if (!in_test)
		return
	in_test = 0
	result(0, tname ": finished", "")
	diag("no test-end marker: the guest crashed or hung while it ran")
}

function end_log(    i) {
	unfinished_test()
	if (!began) {
		result(0, "booted to /init", "")
		diag("no ==thv== begin marker in " FILENAME_PREV)
	}
	if (!insmod && !nohw) {
		result(0, "insmod thv.ko", "")
		diag("not reached")
	}
	if (!rmmod && !nohw) {
		result(0, "rmmod thv", "")
		diag("not reached")
	}
	# host-*.log (scripts/test-lanes.sh, test-docs.sh) ran on the host:
	# no VM.
	if (kver == "host") {
		result(dmesg_end, "host tests ran to the end", "")
		logs = logs "# log host: " FILENAME_PREV "\n"
		return
	}
	result(nbad == 0, "guest kernel log free of WARNING/BUG/Oops/panic", "")
	for (i = 1; i <= nbad && i <= 40; i++)
		diag(bad[i])
	if (nbad > 40)
		diag("... " nbad - 40 " more")
	result(dmesg_end, "VM ran to the end (dmesg end marker)", "")
	if (!dmesg_end)
		diag("the guest crashed, hung or was killed; see " FILENAME_PREV)
	logs = logs "# log " kver ": " FILENAME_PREV "\n"
}

BEGIN {
	print "TAP version 13"
}

FNR == 1 {
	if (NR > 1)
		end_log()
	FILENAME_PREV = FILENAME
	start_log(FILENAME)
}

{
	sub(/\r$/, "")
	line = $0

	if (is_kernel_line(line) && is_bad_kernel_line(line) && !(line in seen_bad)) {
		seen_bad[line] = 1
		bad[++nbad] = line
	}

	if (line !~ /^==thv== /) {
		if (in_test && !is_kernel_line(line))
			test_line(line)
		next
	}
	split(line, w, " ")
	if (w[2] == "begin") {
		began = 1
		if (field(line, "kernel") != "")
			kver = field(line, "kernel")
	} else if (w[2] == "nohw") {
		nohw = 1	# insmod is expected to fail: refusal_* tests
	} else if (w[2] == "insmod") {
		insmod = 1
		result(w[3] == "ok", "insmod thv.ko", "")
		if (w[3] != "ok")
			diag(rest(line, 3))
	} else if (w[2] == "devnode") {
		result(w[3] == "ok", "/dev/thv exists after insmod", "")
		if (w[3] != "ok")
			diag(rest(line, 3))
	} else if (w[2] == "test-begin") {
		unfinished_test()
		begin_test(w[3])
	} else if (w[2] == "test-end") {
		if (in_test)
			end_test(line)
	} else if (w[2] == "rmmod") {
		unfinished_test()
		rmmod = 1
		result(w[3] == "ok", "rmmod thv", "")
		if (w[3] != "ok")
			diag(rest(line, 3))
	} else if (w[2] == "error") {
		# /init refused an argument (thv.mode, thv.tests, thv.repeat)
		result(0, "test VM /init: " rest(line, 2), "")
	} else if (w[2] == "dmesg-end") {
		dmesg_end = 1
	}
}

END {
	if (NR > 0)
		end_log()
	n = split(broken, files, " ")
	for (i = 1; i <= n; i++) {
		kver = files[i]
		sub(/.*\//, "", kver)
		sub(/-(check|la57|nosvm|nonpt|vmx|novmx|noept|noug|mkshell)\.log$/, "", kver)
		result(0, "console log written", "")
		diag("missing or empty: " files[i])
	}
	if (ntests_run == 0) {
		kver = "all kernels:"
		result(0, "at least one test ran", "")
	}
	printf "1..%d\n", ntest
	printf "%s", logs
	printf "%d passed, %d failed, %d skipped\n", npass, nfail, nskip
	exit (nfail > 0 || ntests_run == 0) ? 1 : 0
}
' "${logs[@]}"
