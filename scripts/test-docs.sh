#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-docs.sh - host-side checks of the documentation that must not rot,
# in seconds and without a VM:
#   - docs/tour.md is what scripts/tour.sh extracts from the TOUR(n)
#     comments today (a code change that moves a tour stop makes it
#     stale: run scripts/tour.sh and commit the result)
#   - every lesson in docs/lessons/ parses (scripts/lessons.sh --list)
#     and has at least one checked console block
#   - every link from a lesson to a tour stop (tour.md#stop-N) names a
#     stop that exists
#   - the lesson checker's matcher accepts what it should and refuses
#     what it should (its own wildcards, against fixed text)
#   - the benchmark report (scripts/bench-report.awk, which writes the
#     tables of docs/performance.md) judges the targets right, on fixed
#     "bench:" lines, and docs/performance.md has its places for them
#   - the exit profiler (scripts/bench-profile.py) adds up a fixed QEMU
#     log right and its hot-path check fails on an allocation
# The commands in the lessons themselves run in the test VM
# (tests/lessons_test.sh).
#
# Output: a console log in the format of the test VM's (==thv== markers
# around TAP), BUILD/logs/host-docs.log, which scripts/check.sh merges
# with the others.  Exit status 0 when every check passed.
set -uo pipefail

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	cat <<'USAGE'
Usage: scripts/test-docs.sh [BUILD_DIR]
Check docs/tour.md and docs/lessons/ on the host; write the TAP to
BUILD_DIR/logs/host-docs.log (default BUILD_DIR: <repo>/build).
USAGE
	exit 0
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
mkdir -p "$build/logs"
out=$(cd "$build/logs" && pwd)/host-docs.log
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$repo" || exit 2

# shellcheck source=tests/lib/tap.sh
. "$repo/tests/lib/tap.sh"
tap() {		# tap STATUS NAME [DIAG-FILE]: STATUS 0 is a pass
	# Diagnostics first: check.sh shows what precedes a failure.
	[ "$1" = 0 ] || [ -z "${3:-}" ] || sed 's/^/# /' "$3" | head -n 60
	tap_result "$1" "$2"
}

lessons=$(ls docs/lessons/[0-9]*.md 2>/dev/null)

# matcher EXPECTED-TEXT ACTUAL-TEXT: the status of lessons.sh --match.
matcher() {
	printf '%s\n' "$1" >"$work/exp"
	printf '%s\n' "$2" >"$work/act"
	scripts/lessons.sh --match "$work/exp" "$work/act"
}

{
echo "==thv== begin mode=docs kernel=host"
echo "==thv== nohw docs"
echo "==thv== test-begin docs"
tap_header
tap_plan 9

scripts/tour.sh --check >"$work/tour" 2>&1
tap $? "docs/tour.md is up to date (scripts/tour.sh --check)" "$work/tour"

bad=0
: >"$work/parse"
for f in $lessons; do
	if ! scripts/lessons.sh --list "$f" >"$work/list" 2>>"$work/parse"; then
		bad=1
	elif [ ! -s "$work/list" ]; then
		echo "$f: no console block with a command" >>"$work/parse"
		bad=1
	fi
done
[ -n "$lessons" ] || { echo "no docs/lessons/[0-9]*.md" >>"$work/parse"; bad=1; }
tap $bad "every lesson parses and has commands to check" "$work/parse"

# The stops tour.md has, then every tour.md#stop-N a lesson links to.
grep -o '<a id="stop-[^"]*"' docs/tour.md | sed 's/.*"stop-//; s/"$//' |
	sort -u >"$work/stops"
: >"$work/links"
for f in $lessons; do
	grep -o 'tour\.md#stop-[0-9.v]*[0-9v]' "$f" | sed 's/.*#stop-//' |
		sort -u | while read -r s; do
		grep -qx -- "$s" "$work/stops" ||
			echo "$f: links to tour.md#stop-$s, which does not exist" \
				>>"$work/links"
	done
done
[ ! -s "$work/links" ]
tap $? "lessons link only to tour stops that exist" "$work/links"

: >"$work/match"
# Each case is "EXPECTED => ACTUAL".
for c in 'hello => hello' 'x {N} y => x 42 y' 'v {X} => v 0x1f' \
	 'v {X} => v beef' '{svm|vmx} on => vmx on' \
	 'a {*} z => a anything at all z' \
	 'lit {b} (.*) [x] $ => lit {b} (.*) [x] $'; do
	matcher "${c%% => *}" "${c#* => }" ||
		echo "'${c%% => *}' should match '${c#* => }'" >>"$work/match"
done
matcher "$(printf 'a\n...\nz')" "$(printf 'a\nb\nc\nz')" ||
	echo "'...' should match two lines" >>"$work/match"
matcher "$(printf 'a\n...\nz')" "$(printf 'a\nz')" ||
	echo "'...' should match no line" >>"$work/match"
[ ! -s "$work/match" ]
tap $? "the lesson matcher accepts what its wildcards allow" "$work/match"

: >"$work/nomatch"
for c in 'hello => hello!' 'x {N} y => x 4a y' '{svm|vmx} on => kvm on' \
	 'a.c => abc' 'x* => xx' '(a) => a' 'v {X} => v 0xg'; do
	matcher "${c%% => *}" "${c#* => }" &&
		echo "'${c%% => *}' must not match '${c#* => }'" >>"$work/nomatch"
done
matcher "$(printf 'a\n...\nz')" "$(printf 'a\nb')" &&
	echo "'a ... z' must not match a text without z" >>"$work/nomatch"
matcher "$(printf 'a\nb')" "$(printf 'a\nb\nc')" &&
	echo "an extra line must not match" >>"$work/nomatch"
[ ! -s "$work/nomatch" ]
tap $? "the lesson matcher refuses what its wildcards do not allow" \
	"$work/nomatch"

# bench_logs CPUID_KVM_INSNS: fixed thv-bench output, thv against KVM;
# thv's CPUID costs 100 instructions and 20 us, KVM's as given and 50 us.
bench_logs() {
	local kc=$1
	for c in wall icount; do
		for l in "cpuid 20000 100 50000 $kc" "io 40000 400 90000 1000" \
			 "compute 10 7 10 7" "create 900 900 1000 1000"; do
			set -- $l
			if [ "$c" = wall ]; then t=$2 k=$4; else t=$3 k=$5; fi
			echo "bench: hv=thv vendor=svm clock=$c loop=$1 iters=10 reps=3 ns=$t min=$t max=$t"
			echo "bench: hv=kvm vendor=svm clock=$c loop=$1 iters=10 reps=3 ns=$k min=$k max=$k"
		done >"$work/$c.log"
	done
}
# bench_round N HV CPUID_NS HOST CPUID_MIN: one half of round N
# (thv.bench_rounds), as the init marks it; the other loops as in
# bench_logs.  HOST: thv-bench's host reference (its median), the same
# for every loop; CPUID_MIN: the round's fastest CPUID repetition.
bench_round() {
	local r=$1 hv=$2 k h=" host=$4"
	echo "==thv== bench-begin $hv round=$r"
	echo "bench: hv=$hv vendor=svm clock=wall loop=cpuid iters=10 reps=3 ns=$3 min=$5 max=$3$h"
	for l in "io 40000 90000" "compute 10 10" "create 900 1000"; do
		set -- $l
		[ "$hv" = thv ] && k=$2 || k=$3
		echo "bench: hv=$hv vendor=svm clock=wall loop=$1 iters=10 reps=3 ns=$k min=$k max=$k$h"
	done
	echo "==thv== bench-end $hv rc=0 round=$r"
}
bench_report() {
	awk -v lane=svm -v title=T -v scale=1 -v check=1 -v commit=c \
	    -v kver=k -v json="$work/b.json" -v md="$work/b.md" \
	    -v wallfile="$work/wall.log" \
	    -f scripts/bench-report.awk "$work/wall.log" "$work/icount.log"
}
: >"$work/bench"
bench_logs 2500
bench_report >"$work/out" 2>&1
rc=$?
{ [ $rc = 0 ] && grep -q 'targets: all met' "$work/out" &&
  grep -q '^| cpuid | [^|]* | 20000 | 50000 | 0.40 | 100 | ' "$work/b.md" &&
  grep -q '^| cpuid | .* | - | 2500 | 0.04 | insns <= 0.15x, time <= 0.6x: met |$' "$work/b.md" &&
  grep -q '"met": true' "$work/b.json" &&
  awk -f scripts/bench-chart.awk "$work/b.json" >"$work/b.svg" &&
  grep -q '>thv 100<' "$work/b.svg" && grep -q '>KVM 2500<' "$work/b.svg"; } ||
	{ echo "all targets met: rc=$rc (want 0)"; cat "$work/out"; } >>"$work/bench"
# Two rounds, the second one KVM first.  The times are each side's
# fastest repetition (20 and 50 us: 0.40), not the medians (35 and 80:
# 0.44, which the JSON keeps), and the references agree: judged, met.
two_rounds() {
	bench_round 1 thv 30000 4.0 20000; bench_round 1 kvm 100000 4.0 50000
	bench_round 2 kvm 60000 4.1 55000; bench_round 2 thv 40000 4.0 25000
}
two_rounds >"$work/wall.log"
bench_report >"$work/out" 2>&1
rc=$?
{ [ $rc = 0 ] &&
  grep -q '^| cpuid | [^|]* | 20000 | 50000 | 0.40 | 100 | ' "$work/b.md" &&
  grep -q '^| io | [^|]* | 40000 | 90000 | 0.44 | ' "$work/b.md" &&
  grep -q '"thv": { "ns": 20000, "ns_median": 35000, "reps": 6, "host_ns": 4, "insns": 100, "root_insns": null },' "$work/b.json" &&
  grep -q '"kvm": { "ns": 50000, "ns_median": 80000, "reps": 6, "host_ns": 4, "insns": 2500 },' "$work/b.json" &&
  grep -q 'the fastest of 6 repetitions (2 rounds) on each side' "$work/b.md"; } ||
	{ echo "fastest of the rounds: rc=$rc (want 0)"; cat "$work/out" "$work/b.md" "$work/b.json"; } >>"$work/bench"
# The same, but thv-bench's every-repetition line shows the host at 3.0
# before one of thv's CPUID repetitions, and never below 4.0 on KVM's
# side: KVM's fastest may be stretched by up to 4.0/3.0, so CPUID's
# time ratio lies between 0.40 and 0.53, under 0.6 either way: met, and
# the report says at what; io, judged by instructions, is met.
# slow_reps THV_REF KVM_REF THV_NS: the CPUID repetitions with these
# host references (KVM's fastest 50000 ns, thv's THV_NS).
slow_reps() {
	echo "bench-reps: hv=thv loop=cpuid ns=$3,$3,$3 host=$1,$1,$1,$1"
	echo "bench-reps: hv=kvm loop=cpuid ns=60000,50000,70000 host=$2,$2,$2,$2"
}
{ two_rounds; slow_reps 3.0 4.0 20000; } >"$work/wall.log"
bench_report >"$work/out" 2>&1
rc=$?
{ [ $rc = 0 ] &&
  grep -q "cpuid .* 0.40 .*time <= 0.6x: met (also at 0.53: KVM's host 1.33x slower)" "$work/out" &&
  grep -q 'io .*insns <= 0.5x: met' "$work/out" &&
  grep -q 'compute .*within 5%: met' "$work/out"; } ||
	{ echo "host slow on KVM's side, met at both ends: rc=$rc (want 0)"; cat "$work/out"; } >>"$work/bench"
# KVM's side 1.6x slower: 0.40 to 0.64, the target (0.6) in between: it
# depends on what the slow host really cost KVM, so NOT JUDGED (exit 3).
# report_says WHAT PATTERN: the report of wall.log exits 3 (a target
# missed or not judged) and prints PATTERN; else WHAT goes on the list.
report_says() {
	bench_report >"$work/out" 2>&1
	rc=$?
	{ [ $rc = 3 ] && grep -q "$2" "$work/out"; } ||
		{ echo "$1: rc=$rc (want 3)"; cat "$work/out"; } >>"$work/bench"
}
{ two_rounds; slow_reps 2.5 4.0 20000; } >"$work/wall.log"
report_says "host slow on KVM's side, the target in between" \
	"cpuid .* 0.40 .*NOT JUDGED, the host never ran at full speed in KVM's repetitions (also at 0.64: KVM's host 1.60x slower)"
# thv's side slower (its references 4.4, KVM's 4.0) and thv's CPUID at
# 0.70: even with all of the 1.1x taken off it is 0.64, so MISSED; at
# 1.4x (references 5.6 and 4.0) it might be 0.50: NOT JUDGED.
# thv_slow THV_REF KVM_REF: two rounds, thv's fastest CPUID 35000 ns.
thv_slow() {
	bench_round 1 thv 40000 "$1" 35000; bench_round 1 kvm 100000 "$2" 50000
	bench_round 2 kvm 60000 "$2" 55000; bench_round 2 thv 40000 "$1" 36000
	slow_reps "$1" "$2" 35000
}
thv_slow 4.4 4.0 >"$work/wall.log"
report_says "host slow on thv's side, missed at both ends" \
	"cpuid .* 0.70 .*time <= 0.6x: MISSED (also at 0.64: thv's host 1.10x slower)"
thv_slow 5.6 4.0 >"$work/wall.log"
report_says "host slow on thv's side, the target in between" \
	"cpuid .* 0.70 .*NOT JUDGED, the host never ran at full speed in thv's repetitions (also at 0.50: thv's host 1.40x slower)"
bench_logs 500		# thv's 100 instructions are 0.2x KVM's: too many
bench_report >"$work/out" 2>&1
rc=$?
{ [ $rc = 3 ] && grep -q 'cpuid .*: MISSED' "$work/out" &&
  grep -q '"met": false' "$work/b.json" && grep -q '"targets_missed": 1' "$work/b.json"; } ||
	{ echo "cpuid at 0.2x: rc=$rc (want 3)"; cat "$work/out"; } >>"$work/bench"
[ ! -s "$work/bench" ]
tap $? "the benchmark report judges its targets (met, then missed); time: the fastest repetitions, and where one side's host never reached full speed, judged only if the target holds however much that cost" "$work/bench"

# The chart is drawn from the JSON alone: one written here, with two exit
# loops (compute is not an exit: no bars), bar lengths in proportion.
: >"$work/chart"
cat >"$work/c.json" <<'JSON'
{
  "lane": "vmx",
  "title": "T",
  "kernel": "6.99-test",
  "commit": "abc1234",
  "loops": {
    "cpuid": {
      "what": "CPUID, handled in the kernel", "iters": 100,
      "thv": { "ns": 415, "host_ns": null, "insns": 240, "root_insns": 90 },
      "kvm": { "ns": 1231, "host_ns": null, "insns": 480 },
      "target": "", "met": null
    },
    "io": {
      "what": "OUT, emulated in userspace", "iters": 100,
      "thv": { "ns": 2035, "insns": 960.4, "root_insns": 800 },
      "kvm": { "ns": 8025, "insns": 1.2e+03 },
      "target": "", "met": null
    },
    "compute": {
      "what": "compute loop, no exits (per iteration)", "iters": 100000,
      "thv": { "ns": 6.25, "insns": 6.01, "root_insns": null },
      "kvm": { "ns": 6.06, "insns": 6.01 },
      "target": "", "met": null
    }
  },
  "targets_missed": 0
}
JSON
awk -f scripts/bench-chart.awk "$work/c.json" >"$work/c.svg" 2>&1
rc=$?
# io's KVM bar is the longest (1200 = 480 px): cpuid's thv bar is 96 px.
{ [ $rc = 0 ] && [ "$(grep -c '<rect x=' "$work/c.svg")" = 4 ] &&
  grep -q 'width="96.0" height="18" fill="#1f77b4"' "$work/c.svg" &&
  grep -q 'width="480.0" height="18" fill="#999999"' "$work/c.svg" &&
  grep -q '>thv 960<' "$work/c.svg" && grep -q '>KVM 1200<' "$work/c.svg" &&
  grep -q 'VMX, Bochs' "$work/c.svg" &&
  grep -q 'commit abc1234, Linux 6.99-test' "$work/c.svg"; } ||
	{ echo "chart: rc=$rc"; cat "$work/c.svg"; } >>"$work/chart"
echo '{ "not": "a bench run" }' >"$work/n.json"
awk -f scripts/bench-chart.awk "$work/n.json" >"$work/n.svg" 2>"$work/n.err"
rc=$?
{ [ $rc = 1 ] && grep -q 'no loops in it' "$work/n.err"; } ||
	{ echo "not a bench JSON: rc=$rc (want 1)"; cat "$work/n.err"; } >>"$work/chart"
[ ! -s "$work/chart" ]
tap $? "the benchmark chart is drawn from the JSON alone" "$work/chart"

: >"$work/perf"
for l in svm vmx; do
	for m in begin end; do
		grep -qx "<!-- bench:$l:$m -->" docs/performance.md ||
			echo "docs/performance.md has no <!-- bench:$l:$m -->" >>"$work/perf"
	done
done
[ ! -s "$work/perf" ]
tap $? "docs/performance.md has a place for each lane's table" "$work/perf"

# profile_logs KMALLOC_RUNS: a QEMU log of 10 loop iterations on thv
# (guest 3 instructions, thv_run 5) and 4 on KVM (guest 3, kvm_run 7);
# thv's window also runs a 3-instruction __kmalloc block that often.
profile_logs() {	# profile_logs N [SYMBOL]: N blocks of SYMBOL (__kmalloc)
	cat >"$work/p.serial" <<SYMS
==thv== syms-begin
ffffffff81000000 T ${2:-__kmalloc}
ffffffff81000100 T do_syscall_64
ffffffffc0000000 t thv_run	[thv]
==thv== syms-end
==thv== syms-begin
ffffffffc0000000 t kvm_run	[kvm]
==thv== syms-end
SYMS
	{
		printf 'IN: \n0x00001000:  e6 10  outb %%al, $0x10\n'
		printf '0x00001002:  4e  decl %%esi\n0x00001003:  75 fb  jne 0x1000\n\n'
		printf 'IN: \n'
		for i in 0 4 8 12 16; do
			printf '0xffffffffc00000%02x:  90  nop\n' $i
		done
		printf '\nIN: \n'
		for i in 0 4 8; do
			printf '0xffffffff810000%02x:  90  nop\n' $i
		done
		for i in $(seq 10); do
			echo "Trace 1: 0x7f00 [0000000000000000/0000000000001000/00000000/00000000] "
			echo "Trace 1: 0x7f00 [0000000000000000/ffffffffc0000000/00000000/00000000] "
		done
		for i in $(seq "$1"); do
			echo "Trace 1: 0x7f00 [0000000000000000/ffffffff81000000/00000000/00000000] "
		done
	} >"$work/p.log"
	echo "thv $(wc -l <"$work/p.log")" >"$work/p.marks"
	{
		printf 'IN: \n'
		for i in 0 4 8 12 16 20 24; do
			printf '0xffffffffc00000%02x:  90  nop\n' $i
		done
		for i in $(seq 4); do
			echo "Trace 0: 0x7f00 [0000000000000000/0000000000001000/00000000/00000000] "
			echo "Trace 0: 0x7f00 [0000000000000000/ffffffffc0000000/00000000/00000000] "
		done
	} >>"$work/p.log"
	echo "kvm $(wc -l <"$work/p.log")" >>"$work/p.marks"
}
: >"$work/prof"
profile_logs 2		# 0.2 kmalloc instructions per iteration: noise
python3 scripts/bench-profile.py --check --min 0 "$work/p.log" \
	"$work/p.marks" "$work/p.serial" >"$work/out" 2>&1
rc=$?
{ [ $rc = 0 ] &&
  grep -q '^thv: 9 instructions per iteration (10 iterations, vCPU 1)' "$work/out" &&
  grep -q '^  *5.0  thv_run \[thv\]' "$work/out" &&
  grep -q '^kvm: 10 instructions per iteration (4 iterations, vCPU 0)' "$work/out" &&
  grep -q '^  *7.0  kvm_run \[kvm\]' "$work/out" &&
  grep -q '^hot path: met' "$work/out"; } ||
	{ echo "profile: rc=$rc (want 0)"; cat "$work/out"; } >>"$work/prof"
profile_logs 10		# 3 instructions of __kmalloc per iteration
python3 scripts/bench-profile.py --check "$work/p.log" "$work/p.marks" \
	"$work/p.serial" >"$work/out" 2>&1
rc=$?
{ [ $rc = 3 ] && grep -q '^hot path: MISSED: __kmalloc (3.0 per iteration)' "$work/out"; } ||
	{ echo "profile with kmalloc: rc=$rc (want 3)"; cat "$work/out"; } >>"$work/prof"
profile_logs 10 trace_event_raw_event_thv_exit	# an enabled tracepoint
python3 scripts/bench-profile.py --check "$work/p.log" "$work/p.marks" \
	"$work/p.serial" >"$work/out" 2>&1
rc=$?
{ [ $rc = 3 ] && grep -q '^hot path: MISSED: trace_event_raw_event_thv_exit (3.0' "$work/out"; } ||
	{ echo "profile with a tracepoint: rc=$rc (want 3)"; cat "$work/out"; } >>"$work/prof"
[ ! -s "$work/prof" ]
tap $? "the exit profiler adds up blocks per function and checks the hot path" "$work/prof"

echo "==thv== test-end docs rc=$((tap_fails > 0)) secs=0 timeout=0"
echo "==thv== dmesg-begin"
echo "==thv== dmesg-end"
echo "==thv== end"
} >"$out"
tap_done
