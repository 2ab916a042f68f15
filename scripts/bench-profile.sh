#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench-profile.sh - where do the instructions of one bench loop go?
#
# Boots the SVM test VM once under QEMU TCG with -icount (so timer ticks
# come per instruction, as in make bench's count boot), runs one
# thv-bench loop on thv and then on KVM, and for a few seconds of each
# has QEMU log every translation block it executes (HMP "log
# exec,nochain"; "in_asm" from the start gives each block's length).
# scripts/bench-profile.py adds the blocks up per kernel function, from
# the guest's /proc/kallsyms (thv.bench_syms=1), and prints the
# instructions per loop iteration that each function costs.
#
# A developer's tool: slow (minutes) and its log is large (~300 MB, in
# the output directory).  The numbers match make bench's count to within
# a few instructions; lesson 8 quotes them.
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: scripts/bench-profile.sh [--loop NAME] [--iters N] [--window S]
                                [--kver KVER] [--out DIR] [--check] [BUILD]
  --loop NAME   the thv-bench loop to profile: cpuid, hypercall, io or
                mmio (default io)
  --iters N     iterations of the loop (default 100000: long enough to
                outlast the logging window)
  --window S    seconds of logging per hypervisor (default 3)
  --kver KVER   guest kernel (default 6.12.117+deb12-amd64)
  --out DIR     where the QEMU log and the report go (default
                BUILD/bench/profile)
  --check       thv's hot path: no allocation, printk, lock slow path
                or (disabled) tracepoint may cost an instruction per
                iteration (exit status 3)
  BUILD         the build directory (default build)
USAGE
}

loop=io iters=100000 window=3 kver=6.12.117+deb12-amd64 out= build=build
check=
while [ $# -gt 0 ]; do
	case "$1" in
	--loop) loop=$2; shift 2 ;;
	--iters) iters=$2; shift 2 ;;
	--window) window=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--check) check=--check; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "bench-profile: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) build=$1; shift ;;
	esac
done
case "$loop" in cpuid|hypercall|io|mmio) ;;
*) echo "bench-profile: --loop must be cpuid, hypercall, io or mmio" >&2
   exit 2 ;;
esac
out=${out:-$build/bench/profile}
initrd=$build/$kver/initramfs.cpio.gz
[ -f "$initrd" ] || { echo "bench-profile: no $initrd (run make initramfs)" >&2; exit 1; }
for t in qemu-system-x86_64 socat python3 objdump; do
	command -v $t >/dev/null ||
		{ echo "bench-profile: $t not found (run make deps)" >&2; exit 1; }
done
mkdir -p "$out"
log=$out/qemu.log serial=$out/serial.log mon=$out/mon.sock marks=$out/marks
rm -f "$log" "$serial" "$mon" "$marks"

qemu-system-x86_64 -nodefaults -no-user-config -accel tcg \
	-icount shift=0,sleep=off -cpu qemu64,+svm,+npt,+xsave,+xsaveopt \
	-m 512 -smp 2 -display none -serial "file:$serial" \
	-monitor "unix:$mon,server=on,wait=off" -no-reboot \
	-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 quiet loglevel=3 nokaslr thv.timeout=300 thv.mode=bench thv.bench_iters=$iters thv.bench_reps=1 thv.bench_loops=$loop thv.bench_syms=1" \
	-d in_asm -D "$log" &
qemu=$!
trap 'kill $qemu 2>/dev/null || true' EXIT
hmp() { echo "$1" | socat - "UNIX-CONNECT:$mon" >/dev/null; }
for hv in thv kvm; do
	until grep -q "bench-begin $hv" "$serial" 2>/dev/null; do
		kill -0 $qemu 2>/dev/null ||
			{ echo "bench-profile: the VM stopped before $hv ran" >&2; exit 1; }
		sleep 0.2
	done
	sleep 1
	hmp "log in_asm,exec,nochain"
	sleep "$window"
	hmp "log in_asm"
	echo "$hv $(wc -l < "$log")" >> "$marks"
done
wait $qemu || true
trap - EXIT
status=0
python3 "$(dirname "$0")/bench-profile.py" $check \
	"$log" "$marks" "$serial" >"$out/report.txt" || status=$?
cat "$out/report.txt"
exit $status
