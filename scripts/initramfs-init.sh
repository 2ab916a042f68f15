#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the thv test VM (busybox sh, PID 1).  scripts/mkinitramfs.sh
# copies this file into the initramfs; scripts/run-vm.sh boots it.
#
# The mode comes from the kernel command line:
#   thv.mode=check   insmod thv.ko, run every executable in /thv/tests
#                    (sorted), rmmod, dump dmesg, power off
#   thv.mode=demo    insmod, run the hello payload with --trace, rmmod
#   thv.mode=nosvm / nonpt   the CPU lacks SVM / NPT: insmod must fail
#                    with one clear dmesg line (TAP, like a test)
#   thv.mode=novmx / noept / noug   the same for an Intel CPU without
#                    VMX / EPT / unrestricted guest (Bochs CPU models)
#   thv.mode=probe   print one line and power off (run-vm.sh uses it to
#                    see whether a KVM-accelerated boot works at all)
#   thv.mode=shell   an interactive shell with thv.ko loaded (make shell:
#                    the lessons, debugging by hand)
#   thv.mode=bench   the benchmark (make bench, scripts/bench.sh):
#                    thv-bench on thv.ko, rmmod thv, insmod kvm_amd or
#                    kvm_intel, the same on /dev/kvm; dump dmesg.
#                    thv.bench_iters=N, thv.bench_reps=N,
#                    thv.bench_clock=NAME and thv.bench_loops=LIST are
#                    passed to thv-bench.  thv.bench_syms=1 prints the
#                    code symbols first (scripts/bench-profile.sh).
#                    thv.bench_rounds=N: thv and KVM take turns N times.
#   thv.timeout=N    seconds one test executable may run (default 300)
#   thv.kmod_args=A,B  parameters for insmod thv.ko ("mtf=0"), commas
#                    for spaces (THV_KMOD_ARGS of run-vm.sh, run-bochs.sh)
#   thv.tests=A,B    check mode runs only these executables of /thv/tests
#                    (THV_TESTS of run-vm.sh, run-bochs.sh)
#   thv.repeat=N     check mode runs its tests N times over, in the same
#                    order: to chase a test that fails now and then,
#                    maybe only after the others (THV_REPEAT)
#
# Every line meant for scripts/check.sh starts with "==thv== " so it can be
# told apart from test output and from kernel messages on the console.

# /usr/bin: tmux (scripts/mkinitramfs.sh); /thv/bin: thv and lessons.sh,
# so that commands in docs/lessons work as typed.
PATH=/bin:/usr/bin:/thv/bin
export PATH

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
# debugfs (/sys/kernel/debug/thv) and the tracing filesystem (the thv:*
# tracepoints), for tests/stats_test.c and for looking around by hand.
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
# Pseudo-terminals (/dev/ptmx, /dev/pts/N): tmux gives each pane one, so
# that tests can drive a program through a real terminal.
mkdir -p /dev/pts
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
exec </dev/console >/dev/console 2>&1

mode=check
test_timeout=300
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	thv.mode=*) mode=${arg#thv.mode=} ;;
	thv.timeout=*) test_timeout=${arg#thv.timeout=} ;;
	thv.bench_iters=*) bench_iters=${arg#thv.bench_iters=} ;;
	thv.bench_reps=*) bench_reps=${arg#thv.bench_reps=} ;;
	thv.bench_clock=*) bench_clock=${arg#thv.bench_clock=} ;;
	thv.bench_loops=*) bench_loops=${arg#thv.bench_loops=} ;;
	thv.bench_syms=*) bench_syms=${arg#thv.bench_syms=} ;;
	thv.bench_rounds=*) bench_rounds=${arg#thv.bench_rounds=} ;;
	thv.kmod_args=*) kmod_args=$(echo "${arg#thv.kmod_args=}" | tr , ' ') ;;
	thv.tests=*) only_tests=$(echo "${arg#thv.tests=}" | tr , ' ') ;;
	thv.repeat=*) repeat=${arg#thv.repeat=} ;;
	esac
done

THV_BIN=/thv/bin/thv
THV_PAYLOADS=/thv/payloads
export THV_BIN THV_PAYLOADS

mark() {
	echo "==thv== $*"
}

power_off() {
	mark "end"
	# Wait until the console has really sent what was written to it.
	# Writes to a serial console return once the bytes are in the tty's
	# 4 KiB transmit buffer, and "poweroff -f" does not wait for it: on
	# a UART that keeps real time (Bochs: 87 us a byte at 115200 baud)
	# the last lines, this "end" marker included, were lost.  stty sets
	# the console's current settings again, with tcsetattr(TCSADRAIN),
	# which first waits for the output to drain.
	stty "$(stty -g)" 2>/dev/null
	sync
	poweroff -f
}

load_module() {
	# shellcheck disable=SC2086 # thv.kmod_args: words, on purpose
	if out=$(insmod /thv/thv.ko ${kmod_args:-} 2>&1); then
		mark "insmod ok"
	else
		mark "insmod fail $out"
	fi
	if [ -c /dev/thv ]; then
		mark "devnode ok"
	else
		mark "devnode fail /dev/thv missing after insmod"
	fi
}

unload_module() {
	if out=$(rmmod thv 2>&1); then
		mark "rmmod ok"
	else
		mark "rmmod fail $out"
	fi
}

# The processes in state D: stuck in the kernel, SIGKILL cannot end them.
stuck_tasks() {
	for s in /proc/[0-9]*/stat; do
		# shellcheck disable=SC2034 # pid and the rest: read past
		read -r pid comm state rest <"$s" 2>/dev/null || continue
		[ "$state" = D ] && printf '%s ' "$comm"
	done
}

# Run one test executable under busybox timeout.  Output goes straight to
# the console so a crash still shows how far the test got.  Afterwards
# kill every process but this one: a forked test child (the kselftest
# harness forks one per test) must not outlive its binary.  One that
# cannot be killed hangs in the kernel: the kernel log says where
# (sysrq w, the blocked tasks; l, what every CPU is running).
run_test() {
	t=$1
	name=${t##*/}
	mark "test-begin $name"
	start=$(date +%s)
	timeout -s KILL "$test_timeout" "$t"
	rc=$?
	secs=$(($(date +%s) - start))
	kill -9 -1 2>/dev/null
	# A killed process may pass through D on its way out: ask twice.
	stuck=$(stuck_tasks)
	[ -n "$stuck" ] && sleep 2 && stuck=$(stuck_tasks)
	if [ -n "$stuck" ]; then
		echo "# $name: stuck in the kernel: $stuck(sysrq w and l follow)"
		echo w >/proc/sysrq-trigger
		echo l >/proc/sysrq-trigger
	fi
	timed_out=0
	[ $rc -ge 128 ] && [ $secs -ge "$test_timeout" ] && timed_out=1
	mark "test-end $name rc=$rc secs=$secs timeout=$timed_out"
}

# thv.tests: is this executable one of those asked for (all if none)?
wanted_test() {
	[ -z "${only_tests:-}" ] && return 0
	for w in $only_tests; do
		[ "$w" = "${1##*/}" ] && return 0
	done
	return 1
}

run_check() {
	load_module
	case "${repeat:-1}" in
	''|*[!0-9]*|0) mark "error thv.repeat=$repeat is not a count"; repeat=1 ;;
	esac
	for w in ${only_tests:-}; do
		[ -x "/thv/tests/$w" ] || mark "error thv.tests: no test executable $w"
	done
	i=0
	while [ $i -lt "${repeat:-1}" ]; do
		for t in /thv/tests/*; do
			[ -f "$t" ] && [ -x "$t" ] || continue
			wanted_test "$t" || continue
			run_test "$t"
		done
		i=$((i + 1))
	done
	unload_module
	mark "dmesg-begin"
	dmesg
	mark "dmesg-end"
}

run_demo() {
	load_module
	mark "demo-begin"
	"$THV_BIN" run --trace "$THV_PAYLOADS/hello.bin"
	rc=$?
	mark "demo-end rc=$rc"
	unload_module
	mark "dmesg-begin"
	dmesg | grep -E '\] thv|WARNING|BUG|Oops|general protection|Kernel panic'
	mark "dmesg-end"
}

# The same guest loops on thv and then on KVM, in this one boot, so both
# run on exactly the same emulated CPU.  The two cannot be loaded
# together: each turns on SVM/VMX for itself (EFER.SVME, VMXON).  With
# thv.bench_rounds=N the pair runs N times, thv and KVM taking turns, so
# that a slow stretch of the host's (TCG wall time) hits both alike; the
# report compares each round's pair (scripts/bench-report.awk).
run_bench() {
	args="--script --iters ${bench_iters:-1000} --reps ${bench_reps:-7}"
	args="$args --clock ${bench_clock:-wall} --timeout $test_timeout"
	[ -z "${bench_loops:-}" ] || args="$args --loops $bench_loops"
	if grep -qw svm /proc/cpuinfo; then
		kvm_mods="irqbypass kvm ccp kvm-amd"
	else
		kvm_mods="irqbypass kvm kvm-intel"
	fi
	# What CLOCK_MONOTONIC (and thv's exit timestamps) read.
	mark "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
	round=1
	while [ "$round" -le "${bench_rounds:-1}" ]; do
		bench_round "$round"
		round=$((round + 1))
	done
	mark "dmesg-begin"
	dmesg
	mark "dmesg-end"
}

# bench_round N: thv-bench on thv.ko and on KVM (loaded and unloaded).
# Odd rounds start with thv, even ones with KVM (A B, B A, ...), so that
# a host that speeds up or slows down during the boot favours neither.
bench_round() {
	if [ $(($1 % 2)) = 1 ]; then
		bench_thv "$1"
		bench_kvm "$1"
	else
		bench_kvm "$1"
		bench_thv "$1"
	fi
}

bench_thv() {
	load_module
	if [ "${bench_syms:-0}" = 1 ] && [ "$1" = 1 ]; then
		mark "syms-begin"
		grep -i ' t ' /proc/kallsyms
		mark "syms-end"
	fi
	mark "bench-begin thv round=$1"
	thv-bench --hv thv $args
	mark "bench-end thv rc=$? round=$1"
	unload_module
}

bench_kvm() {
	for m in $kvm_mods; do
		out=$(insmod "/thv/kvm/$m.ko" 2>&1) ||
			mark "kvm-insmod fail $m $out"
	done
	if [ "${bench_syms:-0}" = 1 ] && [ "$1" = 1 ]; then
		mark "syms-begin"
		grep -i ' t .*\[kvm' /proc/kallsyms
		mark "syms-end"
	fi
	if [ -c /dev/kvm ]; then
		mark "bench-begin kvm round=$1"
		thv-bench --hv kvm $args
		mark "bench-end kvm rc=$? round=$1"
	else
		mark "bench-skip kvm: no /dev/kvm after insmod $kvm_mods"
	fi
	# Unloaded in reverse, so that thv.ko can have SVM/VMX next.
	rev=
	for m in $kvm_mods; do
		rev="$m $rev"
	done
	for m in $rev; do
		out=$(rmmod "$(echo "$m" | tr - _)" 2>&1) ||
			mark "kvm-rmmod fail $m $out"
	done
}

# nosvm / nonpt / novmx / noept / noug: the VM's CPU lacks a feature
# thv needs, on purpose.  thv.ko must refuse to load, create no /dev/thv,
# and say in exactly one dmesg line (from the backend, "thv: svm: " or
# "thv: vmx: ") what is missing.  Reported as TAP like any test binary.
refusal_tap() {
	what=$1 pattern=$2 prefix="thv: $3: "
	echo "TAP version 13"
	echo "1..3"
	if insmod /thv/thv.ko 2>/dev/null; then
		echo "not ok 1 insmod refused on a CPU without $what"
		rmmod thv
	else
		echo "ok 1 insmod refused on a CPU without $what"
	fi
	if [ -e /dev/thv ]; then
		echo "not ok 2 no /dev/thv without $what"
	else
		echo "ok 2 no /dev/thv without $what"
	fi
	# busybox insmod tries finit_module and then init_module, so the
	# module's init runs twice: count distinct messages, not lines.
	lines=$(dmesg | grep "$prefix" | sed 's/^\[[^]]*\] //' |
		sort -u | wc -l)
	if [ "$lines" -eq 1 ] && dmesg | grep "$prefix" | grep -q "$pattern"; then
		echo "ok 3 one dmesg line names the missing $what"
	else
		echo "not ok 3 one dmesg line names the missing $what"
		echo "# expected 1 distinct line matching '$pattern', got $lines:"
		dmesg | grep 'thv: ' | sed 's/^/# /'
	fi
	dmesg | grep "$prefix" | sed 's/^\[[^]]*\] /# /' | sort -u
}

# The lessons' shell (make shell): thv.ko loaded, as docs/lessons/ say.
run_shell() {
	load_module
	echo "thv test VM: thv.ko is loaded, thv is in the PATH, payloads in"
	echo "/thv/payloads; docs/lessons/ has the commands.  'exit' powers off."
	setsid cttyhack sh
}

run_refusal() {
	mark "nohw $1"
	mark "test-begin refusal_$1"
	refusal_tap "$@"
	mark "test-end refusal_$1 rc=0 secs=0 timeout=0"
	mark "dmesg-begin"
	dmesg
	mark "dmesg-end"
}

mark "begin mode=$mode kernel=$(uname -r) timeout=$test_timeout"
case "$mode" in
check) run_check ;;
nosvm) run_refusal SVM 'has no SVM' svm ;;
nonpt) run_refusal NPT 'no nested paging (NPT)' svm ;;
novmx) run_refusal VMX 'has no VMX' vmx ;;
noept) run_refusal EPT 'no EPT' vmx ;;
noug) run_refusal UG 'no unrestricted guest' vmx ;;
demo) run_demo ;;
bench) run_bench ;;
probe) mark "probe ok svm=$(grep -qw svm /proc/cpuinfo && echo 1 || echo 0)" \
		"vmx=$(grep -qw vmx /proc/cpuinfo && echo 1 || echo 0)" ;;
shell) run_shell ;;
*) mark "error unknown thv.mode=$mode" ;;
esac
power_off
