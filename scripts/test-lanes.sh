#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-lanes.sh - check, on the host and in seconds, that the test runners
# pick the right machine for each lane: nested KVM when the host really
# has VMX or SVM and a /dev/kvm that works, the emulators otherwise.
#
# Only a host with VMX or SVM could exercise the KVM branches for real;
# CI hosts have neither.  So the decision is tested with stand-ins: the
# runners read THV_HOST_CPUINFO and THV_HOST_KVM instead of /proc/cpuinfo
# and /dev/kvm, and find fake qemu-system-x86_64 and bochs-bin first in
# PATH.  The fakes log their command lines and print what the real ones
# would (the probe line, the end marker), so run-vm.sh and run-bochs.sh
# run unchanged from argument parsing to the judgement of the log.
#
# Output: a console log in the format of the test VM's (==thv== markers
# around TAP), BUILD/logs/host-check.log, which scripts/check.sh merges
# with the others.  Exit status 0 when every case passed.
set -euo pipefail

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	cat <<'USAGE'
Usage: scripts/test-lanes.sh [BUILD_DIR]
Test the lane choice of scripts/run-vm.sh and scripts/run-bochs.sh with a
fake host (CPU flags, /dev/kvm) and fake emulators; write the TAP to
BUILD_DIR/logs/host-check.log (default BUILD_DIR: <repo>/build).
USAGE
	exit 0
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$repo/build}
mkdir -p "$build/logs"
build=$(cd "$build" && pwd)
out=$build/logs/host-check.log

kver=$("$repo/scripts/kvers.sh" | head -n 1) || true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A build directory of its own: the runners write their logs there and
# must not touch the real ones.
fake_build=$work/build
mkdir -p "$fake_build/$kver" "$work/bin"
echo "not a real initramfs" | gzip >"$fake_build/$kver/initramfs.cpio.gz"
calls=$work/calls

# Fake QEMU: the probe boot answers with the flags in FAKE_PROBE (empty:
# the probe hangs, as on hosts whose /dev/kvm cannot boot a kernel); a
# real boot prints the markers of a run that reached the end of /init.
# FAKE_OOPS: the first real boot (no file FAKE_OOPS names yet) dies
# instead of the kernel's live-patching "Oops: int3"; "early" before
# the init loaded thv.ko, "late" after.
cat >"$work/bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
echo "qemu $*" >>"$FAKE_CALLS"
case "$*" in
*thv.mode=probe*)
	[ -n "$FAKE_PROBE" ] && echo "==thv== probe ok $FAKE_PROBE"
	exit 0 ;;
esac
echo "==thv== begin mode=fake"
if [ -n "${FAKE_OOPS:-}" ] && [ ! -e "$FAKE_OOPS.done" ]; then
	: >"$FAKE_OOPS.done"
	[ "${FAKE_OOPS##*/}" = late ] && echo "==thv== insmod ok"
	echo "[    2.438837] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI"
	echo "[    2.440139] RIP: 0010:sched_clock_cpu+0x9/0x190"
	echo "[    2.445691] Modules linked in:"
	echo "[    2.446493] Kernel panic - not syncing: Fatal exception in interrupt"
	exit 0
fi
echo "==thv== end"
EOF
# Fake Bochs: writes the end marker to the com1 file of its bochsrc.
cat >"$work/bin/bochs-bin" <<'EOF'
#!/bin/bash
echo "bochs $*" >>"$FAKE_CALLS"
rc=
while [ $# -gt 0 ]; do
	[ "$1" = -f ] && rc=$2
	shift
done
grep '^cpu:' "$rc" >>"$FAKE_CALLS"
# Shell mode: the console is a socket; run until stopped, as a VM would.
if grep -q '^com1:.*mode=socket-server' "$rc"; then
	grep '^com1:' "$rc" >>"$FAKE_CALLS"
	exec sleep 60
fi
com1=$(sed -n 's/^com1:.*dev="\(.*\)"$/\1/p' "$rc")
printf '==thv== begin mode=fake\r\n==thv== end\r\n' >"$com1"
exit 1	# like Bochs after the guest's power-off
EOF
# Fake socat: waits until Bochs listens (as its retry= does), then the
# user's session at the guest's console ends at once.
cat >"$work/bin/socat" <<'EOF'
#!/bin/bash
for i in $(seq 100); do
	grep -q '^com1:' "$FAKE_CALLS" && break
	sleep 0.1
done
echo "socat $*" >>"$FAKE_CALLS"
EOF
chmod +x "$work/bin/"*

# shellcheck source=tests/lib/tap.sh
. "$repo/tests/lib/tap.sh"
tap() {		# tap STATUS NAME [DIAG]: STATUS 0 is a pass
	tap_result "$1" "$2" && return 0
	[ -z "${3:-}" ] || echo "# $3"
	sed 's/^/#   call: /' "$calls"
	sed 's/^/#   runner: /' "$work/stderr"
}

# host FLAGS KVM PROBE: the fake host for the next run.  FLAGS go into
# the fake cpuinfo; KVM is "yes" (a /dev/kvm that opens) or "no"; PROBE
# is what the probe boot prints after "probe ok".
host() {
	printf 'processor\t: 0\nflags\t\t: fpu pae %s\n' "$1" >"$work/cpuinfo"
	rm -f "$work/kvm"
	[ "$2" = no ] || : >"$work/kvm"
	export FAKE_PROBE=$3
}

# run SCRIPT MODE [ENV...]: one runner with the fake host; status in $rc.
run() {
	local script=$1 mode=$2
	shift 2
	: >"$calls"
	rc=0
	env PATH="$work/bin:$PATH" FAKE_CALLS="$calls" \
	    THV_HOST_CPUINFO="$work/cpuinfo" THV_HOST_KVM="$work/kvm" \
	    THV_LIVE=0 "$@" \
	    "$repo/scripts/$script" "$kver" "$mode" "$fake_build" \
	    >/dev/null 2>"$work/stderr" || rc=$?
}

called() {	# called PATTERN: a fake was run with matching arguments
	grep -q -- "$1" "$calls"
}

# Each case is a list of conditions: set -e must not end the script
# when one is false.
set +e
{
echo "==thv== begin mode=lanes kernel=host"
echo "==thv== nohw lanes"
echo "==thv== test-begin lane_pick"
tap_header
if [ -z "$kver" ]; then
	tap_skip_plan "no guest kernel with headers installed (make deps)"
	echo "==thv== test-end lane_pick rc=4 secs=0 timeout=0"
	echo "==thv== dmesg-end"
	echo "==thv== end"
	exit 0
fi
tap_plan 17

host "svm" yes "svm=1 vmx=0"
run run-vm.sh check
called 'qemu .*-accel kvm -cpu host.*thv.mode=check' && [ "$rc" = 0 ]
tap $? "svm host, /dev/kvm boots: the SVM lane runs under KVM -cpu host"

host "svm" yes ""
run run-vm.sh check
called 'qemu .*-accel tcg -cpu qemu64,+svm,+npt.*thv.mode=check' &&
	[ "$rc" = 0 ]
tap $? "svm host whose /dev/kvm cannot boot the probe: TCG"

host "svm" no ""
run run-vm.sh check
! called 'thv.mode=probe' && called '-accel tcg' && [ "$rc" = 0 ]
tap $? "svm flag without /dev/kvm: TCG, no probe boot"

host "" yes "svm=0 vmx=0"
run run-vm.sh check
! called 'thv.mode=probe' && called '-accel tcg -cpu qemu64,+svm,+npt'
tap $? "no svm flag: TCG with an emulated SVM CPU"

host "svm" yes "svm=1 vmx=0"
run run-vm.sh nonpt
! called 'thv.mode=probe' &&
	called '-accel tcg -cpu qemu64,+svm .*thv.mode=nonpt' &&
	grep -q 'nonpt mode (tcg)' "$work/stderr"
tap $? "refusal lanes stay emulated on a KVM host (the CPU must lack NPT), no probe"

host "vmx" yes "svm=0 vmx=1"
run run-bochs.sh check
called 'qemu .*-accel kvm -cpu host.*thv.mode=check' && ! called '^bochs' &&
	[ "$rc" = 0 ] && [ -s "$fake_build/logs/$kver-vmx.log" ]
tap $? "vmx host, /dev/kvm boots: the VMX lane runs under nested KVM, log $kver-vmx.log"

host "vmx" yes ""
run run-bochs.sh check
called 'thv.mode=probe' && called '^bochs' && ! called 'thv.mode=check' &&
	[ "$rc" = 0 ] && grep -q 'using Bochs' "$work/stderr"
tap $? "vmx host whose /dev/kvm cannot boot the probe: falls back to Bochs"

host "vmx" no ""
run run-bochs.sh check
! called '^qemu' && called '^bochs' && [ "$rc" = 0 ]
tap $? "vmx flag without /dev/kvm: Bochs, no QEMU"

host "vmx" yes "svm=0 vmx=1"
run run-bochs.sh check THV_ACCEL=tcg
! called '^qemu' && called '^bochs' && [ "$rc" = 0 ]
tap $? "THV_ACCEL=tcg: Bochs even on a nested-KVM host"

host "svm" no ""
run run-vm.sh check THV_KMOD_ARGS=" mtf=0  foo=1 "
called 'qemu .*thv.kmod_args=mtf=0,foo=1 ' && [ "$rc" = 0 ]
tap $? "THV_KMOD_ARGS reaches the guest's init as one argument, thv.kmod_args=mtf=0,foo=1"

host "vmx" no ""
run run-bochs.sh check THV_KMOD_ARGS="mtf=1"
# The disk image holds syslinux.cfg as plain text (FAT, scripts/mkdisk.sh).
grep -aq 'APPEND .* thv.kmod_args=mtf=1$' "$fake_build/$kver/bochs-check.img" &&
	[ "$rc" = 0 ]
tap $? "THV_KMOD_ARGS in the Bochs lane: on the syslinux APPEND line"

host "vmx" yes "svm=0 vmx=1"
run run-bochs.sh noept
! called '^qemu' && called 'cpu: model=core2_penryn_t9600'
tap $? "VMX refusal lanes stay in Bochs, with a CPU model that lacks the feature"

# make shell LANE=vmx: needs a terminal, which script(1) provides.
host "vmx" no ""
: >"$calls"
rc=0
start=$(date +%s)
env PATH="$work/bin:$PATH" FAKE_CALLS="$calls" THV_HOST_CPUINFO="$work/cpuinfo" \
    THV_HOST_KVM="$work/kvm" script -qec \
    "'$repo/scripts/run-bochs.sh' '$kver' shell '$fake_build' 2>'$work/stderr'" \
    /dev/null >/dev/null </dev/null || rc=$?
port=$(sed -n 's/^com1: enabled=1, mode=socket-server, dev=127\.0\.0\.1:\([0-9]*\)$/\1/p' "$calls")
[ -n "$port" ] && called "^socat -,raw,echo=0,escape=0x1d TCP:127.0.0.1:$port," &&
	called '^bochs' && [ "$rc" = 0 ] && [ $(($(date +%s) - start)) -lt 30 ]
tap $? "shell LANE=vmx: Bochs's console is a loopback socket joined to the terminal by socat; Bochs stops when socat ends"

host "vmx" no ""
run run-bochs.sh shell
[ "$rc" = 1 ] && grep -q 'shell mode needs a terminal' "$work/stderr" &&
	! called '^bochs'
tap $? "shell LANE=vmx without a terminal: one line, no Bochs"

# The kernel's own live-patching INT3 (QEMU TCG) before thv.ko: one
# more boot; after thv.ko was loaded: a failure, never retried away.
host "svm" no ""
run run-vm.sh check FAKE_OOPS="$work/early"
[ "$rc" = 0 ] && [ "$(grep -c 'thv.mode=check' "$calls")" = 2 ] &&
	grep -q 'Oops: int3' "$fake_build/logs/$kver-check.log.oops" &&
	grep -q '^==thv== end$' "$fake_build/logs/$kver-check.log" &&
	grep -q 'live-patching INT3 before thv.ko was loaded' "$work/stderr"
tap $? "Oops: int3 before thv.ko was loaded: booted once more, the dead log kept as .oops"

host "svm" no ""
run run-vm.sh check FAKE_OOPS="$work/late"
[ "$rc" = 1 ] && [ "$(grep -c 'thv.mode=check' "$calls")" = 1 ] &&
	[ ! -e "$fake_build/logs/$kver-check.log.oops" ] &&
	grep -q 'VM stopped before /init finished' "$work/stderr"
tap $? "Oops: int3 after insmod thv.ko: a failure, not booted again"

host "" no ""
run run-vm.sh vmx
[ "$rc" = 3 ] && ! called '^qemu'
tap $? "run-vm.sh vmx on a host without VMX: status 3 (not here)"

echo "==thv== test-end lane_pick rc=$((tap_fails > 0)) secs=0 timeout=0"
echo "==thv== dmesg-begin"
echo "==thv== dmesg-end"
echo "==thv== end"
} >"$out"
echo "test-lanes: $tap_n cases, $tap_fails failed, log: $out" >&2
tap_done
