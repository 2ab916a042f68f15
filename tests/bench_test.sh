#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench_test.sh - thv-bench (user/tools/bench.c, `make bench`) in the test
# VM, on thv: every loop runs and gives a number, and bad input gets a
# one-line error instead of a hang.  The numbers themselves are judged by
# scripts/bench.sh, not here: a timed test would flake.
#
# What makes this fail: thv-bench checks each loop against thv's own exit
# counters (THV_GET_EXIT_STATS): a CPUID loop of N iterations must add
# exactly N CPUID exits, an OUT loop N+1 IO exits, and so on.  A loop that
# measured something else, or a counter that lies, stops it with status 1.
# TAP on stdout.

bench=${THV_BENCH:-/thv/bin/thv-bench}
payloads=${THV_PAYLOADS:-/thv/payloads}
out=/tmp/bench_test.$$
trap 'rm -f "$out" "$out.json"' EXIT

# The TAP library comes from $THV_LIB, else /thv/lib (the test VM), else
# tests/lib next to this script (a host checkout).
lib=${THV_LIB:-/thv/lib}
[ -f "$lib/tap.sh" ] || lib=$(dirname "$0")/lib
# shellcheck source=tests/lib/tap.sh
. "$lib/tap.sh"

tap_header
[ -x "$bench" ] || tap_skip_all "no $bench"
[ -c /dev/thv ] || tap_skip_all "no /dev/thv (thv.ko not loaded)"

tap() {		# tap STATUS NAME: thv-bench's output shown on a failure
	[ "$1" = 0 ] || sed 's/^/# /' "$out" | head -n 20
	tap_result "$1" "$2"
}

# bad_input NAME PATTERN ARGS...: thv-bench fails with status 1 and one
# line, which matches PATTERN (grep -E).
bad_input() {
	name=$1 pattern=$2
	shift 2
	"$bench" "$@" >"$out" 2>&1
	rc=$?
	lines=$(wc -l <"$out")
	[ "$rc" = 1 ] && [ "$lines" = 1 ] && grep -q '^thv-bench: ' "$out" &&
		grep -Eq "$pattern" "$out"
	tap $? "$name: status 1 and one line (rc=$rc, $lines lines)"
}

tap_plan 18

# Few iterations: this checks that the loops work, not what they cost.
"$bench" --hv thv --script --iters 20 --reps 3 --json "$out.json" \
	--payload "$payloads/bench.bin" >"$out" 2>&1
tap $? "thv-bench runs every loop on thv, each checked against the exit counters"

for loop in cpuid hypercall io mmio compute create; do
	grep -Eq "^bench: hv=thv vendor=(svm|vmx) clock=wall loop=$loop iters=[0-9]+ reps=3 ns=[0-9]+\.[0-9]{3} .* host=[0-9]+\.[0-9]{3}$" "$out" &&
		! grep -Eq "^bench: .*loop=$loop .*(ns|host)=(0\.0+( |$)|-)" "$out"
	tap $? "loop $loop: a bench: line with a positive time and host reference"
done

# bench-reps: every repetition of every loop, with the host reference
# before the first and after each: 3 times and 4 references, all
# positive (scripts/bench-report.awk takes each side's fastest).
for loop in cpuid hypercall io mmio compute create; do
	grep -Eq "^bench-reps: hv=thv loop=$loop ns=([0-9]+\.[0-9]{3},){2}[0-9]+\.[0-9]{3} host=([0-9]+\.[0-9]{3},){3}[0-9]+\.[0-9]{3}$" "$out" &&
		! grep -Eq "^bench-reps: .*loop=$loop .*[=,](0\.0+|-[0-9.]*)( |,|$)" "$out"
	tap $? "loop $loop: a bench-reps: line with 3 positive times and 4 host references"
done

grep -q '"cpuid": { "iters": 20, "ns": ' "$out.json" &&
	grep -q '"create": { "iters": 1, "ns": ' "$out.json" &&
	[ "$(tail -n 1 "$out.json")" = "}" ]
tap $? "the JSON file has every loop"

bad_input "an unknown loop" "nosuch" --loops cpuid,nosuch
bad_input "zero iterations" "must be a number" --iters 0
# cpuid.bin, started where the benchmark starts, soon loads from an
# address without RAM: an exit the benchmark does not expect, reported
# at once (hello.bin, run that way, loops without exiting: see below).
bad_input "a guest that is not the benchmark" "unexpected exit MMIO" \
	--payload "$payloads/cpuid.bin" --loops cpuid --timeout 60
# A loop far longer than --timeout (99 x 10^9 iterations without an
# exit): the alarm ends it, with one line, after 1 s.
bad_input "a loop that outlasts --timeout" "timed out" \
	--loops compute --iters 1000000 --reps 99 --timeout 1

tap_done
