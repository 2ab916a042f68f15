#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh - boot one guest kernel with the thv initramfs under QEMU and
# capture its serial console in BUILD/logs/<kver>-<mode>.log.
#
# thv.ko needs AMD SVM in the guest.  The host normally has none, so the
# guest CPU is emulated by QEMU TCG with "-cpu qemu64,+svm,+npt" (qemu64
# has svm but not npt, and thv always uses nested paging: APM Vol. 2 15.25).
# KVM (-cpu host) is used only when the host really could run thv: the
# svm flag in /proc/cpuinfo, a /dev/kvm that opens, and a probe boot that
# reaches /init and sees svm there (some hosts' /dev/kvm hangs stock
# kernels).  Mode vmx is the VMX lane on an Intel host with nested KVM:
# the same checks for the vmx flag; scripts/run-bochs.sh tries it first
# and falls back to Bochs when it exits with status 3.
#
# The whole boot runs under a host timeout so that a hung guest fails the
# run instead of blocking CI.  Exit status: 0 when the guest reached the
# end of /init (in demo mode: and the demo succeeded), 1 otherwise.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/run-vm.sh KVER MODE [BUILD_DIR]
Boot /boot/vmlinuz-KVER with BUILD_DIR/KVER/initramfs.cpio.gz.
  MODE       check | la57 | demo | shell | nosvm | nonpt | vmx |
             bench | bench-icount
             (la57: the check suite on a CPU with 5-level paging, so
             the host kernel and thv's nested page tables use 5 levels)
             (vmx: the check suite under nested KVM on a VMX host;
             exit status 3 when this host cannot do that)
             (bench: thv-bench on thv and on KVM in one boot;
             bench-icount: the same under TCG with -icount shift=0,
             so that guest time counts instructions: scripts/bench.sh)
             (see scripts/initramfs-init.sh)
  BUILD_DIR  default <repo>/build; the log goes to BUILD_DIR/logs/
Environment:
  THV_ACCEL=auto|tcg|kvm   accelerator (default auto: TCG unless KVM can run thv)
  THV_VM_TIMEOUT=600       seconds the whole boot may take
  THV_TEST_TIMEOUT=300     seconds one test executable may take in the guest
  THV_LIVE=1               show the console live (default in demo/shell mode)
  THV_KMOD_ARGS="mtf=0"    parameters for insmod thv.ko in the guest
  THV_TESTS="survival_test"   check modes run only these test executables
  THV_REPEAT=N             ...N times over, in order (to chase a flake)
  THV_BENCH_ARGS           more kernel arguments in bench modes, e.g.
                           "thv.bench_iters=300 thv.bench_reps=5"
  THV_KERNEL_ARGS          more guest kernel arguments in every mode,
                           e.g. "nokaslr"
  THV_HOST_CPUINFO, THV_HOST_KVM   what is read instead of /proc/cpuinfo and
                           /dev/kvm to judge the host (scripts/test-lanes.sh)
USAGE
}

case "${1:-}" in -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;; esac
[ $# -ge 2 ] || { usage >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
mode=$2
build=$(cd "${3:-$repo/build}" && pwd)
kernel=/boot/vmlinuz-$kver
initrd=$build/$kver/initramfs.cpio.gz
logdir=$build/logs
log=$logdir/$kver-$mode.log
vm_timeout=${THV_VM_TIMEOUT:-600}
test_timeout=${THV_TEST_TIMEOUT:-300}

case "$mode" in
check|la57|nosvm|nonpt|vmx|bench|bench-icount) live=${THV_LIVE:-0} ;;
demo|shell) live=${THV_LIVE:-1} ;;
*) echo "run-vm: unknown mode '$mode' (check, la57, demo, shell, nosvm, nonpt, vmx, bench or bench-icount)" >&2; exit 2 ;;
esac
[ -r "$kernel" ] || { echo "run-vm: no kernel $kernel" >&2; exit 1; }
[ -r "$initrd" ] || { echo "run-vm: no $initrd (run scripts/mkinitramfs.sh)" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
	{ echo "run-vm: qemu-system-x86_64 not found (run 'make deps')" >&2; exit 1; }
mkdir -p "$logdir"

append="console=ttyS0 panic=-1 quiet loglevel=3 thv.timeout=$test_timeout"
append="$append ${THV_KERNEL_ARGS:-}"
# Module parameters, the tests to run: scripts/init-args.sh.
. "$repo/scripts/init-args.sh"
init_args=$(thv_init_args run-vm) || exit 2
append="$append$init_args"

# qemu_cmd ACCEL_ARGS... : the QEMU command line, one word per line.
# "-display none -serial stdio -monitor none" is -nographic without the
# monitor multiplexed onto stdio; -nodefaults drops the emulated NIC, VGA
# and drives that the guest does not need.
qemu_cmd() {
	qemu=(qemu-system-x86_64 -nodefaults -no-user-config "$@"
	      -m 512 -smp 2 -display none -serial stdio -monitor none
	      -no-reboot -kernel "$kernel" -initrd "$initrd")
}

# kvm_usable svm|vmx: true when KVM could run thv's backend for that
# feature here: see the comment at the top.
kvm_usable() {
	grep -qw "$1" "${THV_HOST_CPUINFO:-/proc/cpuinfo}" || return 1
	# <> opens for reading and writing, as QEMU does; -e first, as <>
	# would create a missing file.
	[ -e "${THV_HOST_KVM:-/dev/kvm}" ] || return 1
	(: <>"${THV_HOST_KVM:-/dev/kvm}") 2>/dev/null || return 1
	qemu_cmd -accel kvm -cpu host
	timeout -k 5 60 "${qemu[@]}" -append "$append thv.mode=probe" \
		</dev/null 2>/dev/null | grep -q "==thv== probe ok .*$1=1"
}

if [ "$mode" = vmx ]; then
	kvm_usable vmx || {
		echo "run-vm: no nested KVM with VMX on this host" >&2
		exit 3
	}
fi

# The la57 and refusal modes need a CPU that KVM cannot offer (one that
# lacks SVM or NPT, or has 5-level paging whatever the host has): they
# are always emulated.
case "${THV_ACCEL:-auto}" in
tcg|kvm|auto) accel=${THV_ACCEL:-auto} ;;
*) echo "run-vm: THV_ACCEL must be auto, tcg or kvm" >&2; exit 2 ;;
esac
case "$mode" in
vmx) accel=kvm ;;
la57|nosvm|nonpt|bench-icount) accel=tcg ;;
*) if [ "$accel" = auto ]; then
	if kvm_usable svm; then accel=kvm; else accel=tcg; fi
   fi ;;
esac
guest_mode=$mode
case "$mode" in bench*) append="$append ${THV_BENCH_ARGS:-}" ;; esac
if [ "$mode" = la57 ]; then
	guest_mode=check
	qemu_cmd -accel tcg -cpu qemu64,+svm,+npt,+la57
elif [ "$mode" = vmx ]; then
	guest_mode=check
	qemu_cmd -accel kvm -cpu host	# nested VMX: the VMX backend
elif [ "$mode" = nosvm ]; then
	qemu_cmd -accel tcg -cpu qemu64,-svm	# a CPU without SVM at all
elif [ "$mode" = nonpt ]; then
	qemu_cmd -accel tcg -cpu qemu64,+svm	# SVM, but no nested paging
elif [ "$mode" = bench-icount ]; then
	# -icount shift=0: every guest instruction advances the virtual
	# clock by 2^0 = 1 ns; sleep=off: an idle guest does not wait for
	# real time.  So CLOCK_MONOTONIC in the guest counts instructions,
	# nearly the same from run to run.
	guest_mode=bench
	append="$append thv.bench_clock=icount"
	qemu_cmd -accel tcg -icount shift=0,sleep=off \
		-cpu "${THV_CPU:-qemu64,+svm,+npt,+xsave,+xsaveopt}"
elif [ "$accel" = kvm ]; then
	qemu_cmd -accel kvm -cpu host
else
	# THV_CPU overrides the emulated CPU, e.g. qemu64,+svm,+npt,+la57
	# for a host kernel with 5-level paging (and so 5-level NPT).
	# +xsave: guests get XSAVE/XSETBV here, while the la57 lane (no
	# XSAVE) keeps thv's FXSAVE path tested.  +xsaveopt too: with
	# XSAVE alone the 6.12 kernel hangs in its FPU setup under TCG.
	qemu_cmd -accel tcg -cpu "${THV_CPU:-qemu64,+svm,+npt,+xsave,+xsaveopt}"
fi

echo "run-vm: booting $kver in $mode mode ($accel), log: $log" >&2
start=$(date +%s)
set +e
if [ "$mode" = shell ]; then
	# Interactive: the console is the terminal (exit the shell to stop).
	"${qemu[@]}" -append "$append thv.mode=shell" | tee "$log"
	exit 0
fi
# boot_once: the boot itself; sets rc to QEMU's exit status (124 or 137
# when the host timeout killed it).
# --foreground keeps QEMU in the terminal's process group so that ^C
# still stops it; stdin is /dev/null so QEMU never touches the terminal.
boot_once() {
	timeout --foreground -k 10 "$vm_timeout" "${qemu[@]}" \
		-append "$append thv.mode=$guest_mode" </dev/null 2>&1 |
		sed -u 's/\r$//' |
		if [ "$live" != 1 ]; then
			cat >"$log"
		elif [ "$guest_mode" = check ]; then
			tee "$log" >&2	# stdout is for check.sh's TAP
		else
			tee "$log"
		fi
	rc=${PIPESTATUS[0]}
}

# early_live_patch_oops: the guest kernel died of an "Oops: int3" before
# thv.ko was ever loaded (no "==thv== insmod" line from the init, and thv
# not among the Oops's "Modules linked in").  Seen rarely under QEMU TCG
# (one boot of a whole CI run, now and then): a CPU traps on the
# temporary INT3 of the kernel's own live code patching (text_poke_bp()
# on a static key) after the patch is done.  It is QEMU's, not thv's, so
# one more boot is fair; the conditions stay this strict so that no
# crash of thv's is retried away.
early_live_patch_oops() {
	! grep -q '^==thv== end$' "$log" &&
		grep -q 'Oops: int3' "$log" &&
		! grep -q '^==thv== insmod' "$log" &&
		! grep -Eq 'Modules linked in:.*\<thv\>' "$log"
}

rm -f "$log.oops"
boot_once
if [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] && early_live_patch_oops; then
	echo "run-vm: $kver: the test VM's kernel crashed on a live-patching" \
	     "INT3 before thv.ko was loaded (QEMU TCG, not thv): booting once" \
	     "more; the dead boot's log: $log.oops" >&2
	cp "$log" "$log.oops"
	boot_once
fi
set -e
secs=$(($(date +%s) - start))

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run-vm: $kver: VM killed after ${vm_timeout}s (hung guest?), log: $log" >&2
	exit 1
fi
if ! grep -q '^==thv== end$' "$log"; then
	echo "run-vm: $kver: VM stopped before /init finished (qemu rc=$rc;" \
	     "kernel crash?), log: $log" >&2
	exit 1
fi
echo "run-vm: $kver: $mode done in ${secs}s" >&2
if [ "$mode" = demo ]; then
	grep -q '^==thv== insmod ok' "$log" ||
		{ echo "run-vm: demo: insmod thv.ko failed, log: $log" >&2; exit 1; }
	grep -q '^==thv== demo-end rc=0$' "$log" ||
		{ echo "run-vm: demo: the runner failed, log: $log" >&2; exit 1; }
fi
exit 0
