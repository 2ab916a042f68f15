#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-bochs.sh - boot one guest kernel with the thv initramfs under Bochs,
# an emulated Intel CPU with VMX, and capture its serial console in
# BUILD/logs/<kver>-vmx.log (check mode) or <kver>-vmx-demo.log (demo).
#
# This is the VMX lane; scripts/run-vm.sh is the SVM lane.  QEMU's TCG
# does not emulate VMX, Bochs does (Debian's bochs 2.7 is built with
# --enable-vmx=2: EPT, VPID, unrestricted guest, ...).  Bochs is far slower
# than QEMU (one boot is a minute or more) and differs from it in ways this
# script has to work around, each explained where it happens:
#   - no "-kernel": it boots a disk image, made by scripts/mkdisk.sh
#   - Debian's bochs has no "nogui" display: the VNC server display
#     ("rfb") is used, told not to wait for a viewer
#   - the built-in debugger stops before the first instruction: a
#     command file answers it with "c" (continue)
#   - guest power-off is a Bochs "panic": it exits with status 1, so the
#     console is judged, not the exit status
#   - its serial port cannot simply be this terminal: in shell mode it is
#     a TCP socket on 127.0.0.1 that socat joins to the terminal
#
# On a host with VMX and a working /dev/kvm the check suite runs under
# nested KVM instead (see below).
#
# The whole boot runs under a host timeout so that a hung guest fails the
# run instead of blocking CI.  Exit status: 0 when the guest reached the
# end of /init (in demo mode: and the demo succeeded), 1 otherwise.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/run-bochs.sh KVER MODE [BUILD_DIR]
Boot /boot/vmlinuz-KVER with BUILD_DIR/KVER/initramfs.cpio.gz under Bochs
(Intel VMX).
  MODE       check | demo | bench | shell | novmx | noept | noug
             (see scripts/initramfs-init.sh; shell: the test VM's shell
             on this terminal, Ctrl-] leaves; bench: scripts/bench.sh,
             THV_BENCH_ARGS are more kernel arguments); novmx, noept and noug boot
             a CPU model without VMX (p4_prescott_celeron_336), without
             EPT (core2_penryn_t9600) or without unrestricted guest
             (corei5_lynnfield_750), and check that thv.ko refuses to load
  BUILD_DIR  default <repo>/build; logs go to BUILD_DIR/logs/:
             KVER-vmx.log (check), KVER-vmx-demo.log (demo),
             KVER-vmx-bench.log (bench) or
             KVER-MODE.log, the console; the same name with .bochs.log,
             Bochs's own log
Environment:
  THV_BOCHS_CPU=corei7_haswell_4770   Bochs CPU model (bochs-bin --help cpu)
                           for check and demo
  THV_BOCHS_CPUS=2         emulated CPUs (cores of one package)
  THV_BOCHS_IPS=N          emulated instructions per guest second and CPU
                           (default 80000000 / THV_BOCHS_CPUS)
  THV_VM_TIMEOUT=2400      seconds the whole boot may take (host time)
  THV_TEST_TIMEOUT=300     seconds one test executable may take (guest time)
  THV_LIVE=1               show the console live (default in demo mode)
  THV_KMOD_ARGS="mtf=1"    parameters for insmod thv.ko in the guest
  THV_TESTS="survival_test"   check mode runs only these test executables
  THV_REPEAT=N             ...N times over, in order (to chase a flake)
  THV_KERNEL_ARGS="nokaslr"   more guest kernel arguments
  THV_ACCEL=tcg            never try nested KVM (see below)
  THV_HOST_CPUINFO, THV_HOST_KVM   what is read instead of /proc/cpuinfo and
                           /dev/kvm to judge the host (scripts/test-lanes.sh)
USAGE
}

case "${1:-}" in -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;; esac
[ $# -ge 2 ] || { usage >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
mode=$2
build=$(cd "${3:-$repo/build}" 2>/dev/null && pwd) ||
	{ echo "run-bochs: no build directory ${3:-$repo/build} (run make)" >&2; exit 1; }
kernel=/boot/vmlinuz-$kver
initrd=$build/$kver/initramfs.cpio.gz
logdir=$build/logs
vm_timeout=${THV_VM_TIMEOUT:-2400}
ncpus=${THV_BOCHS_CPUS:-2}
case "$ncpus" in
[1-8]) ;;
*) echo "run-bochs: THV_BOCHS_CPUS must be 1 to 8" >&2; exit 2 ;;
esac
ips=${THV_BOCHS_IPS:-$((80000000 / ncpus))}
case "$ips" in
''|*[!0-9]*) echo "run-bochs: THV_BOCHS_IPS must be a number" >&2; exit 2 ;;
esac

# The lane name "vmx" in the log name is what scripts/check.sh turns into
# the " [vmx]" tag of every result.
# The refusal modes name their lane after the feature the CPU model
# lacks: " [novmx]" etc.
cpu_model=${THV_BOCHS_CPU:-corei7_haswell_4770}
case "$mode" in
check) live=${THV_LIVE:-0}; log=$logdir/$kver-vmx.log ;;
demo) live=${THV_LIVE:-1}; log=$logdir/$kver-vmx-demo.log ;;
bench) live=${THV_LIVE:-0}; log=$logdir/$kver-vmx-bench.log ;;
shell) live=0; log=$logdir/$kver-vmx-shell.log ;;
novmx) cpu_model=p4_prescott_celeron_336 ;;
noept) cpu_model=core2_penryn_t9600 ;;
noug) cpu_model=corei5_lynnfield_750 ;;
*) echo "run-bochs: unknown mode '$mode' (check, demo, bench, shell, novmx, noept or noug)" >&2; exit 2 ;;
esac
case "$mode" in
no*) live=${THV_LIVE:-0}; log=$logdir/$kver-$mode.log ;;
esac
bochs_log=${log%.log}.bochs.log

# On a real Intel host with nested KVM there is no need to emulate: the
# check suite runs under QEMU/KVM with -cpu host (scripts/run-vm.sh mode
# vmx, the same log name).  Status 3 from it means "not here": fall back
# to Bochs.  THV_ACCEL=tcg forces Bochs.
if [ "$mode" = check ] && [ "${THV_ACCEL:-auto}" != tcg ] &&
   grep -qw vmx "${THV_HOST_CPUINFO:-/proc/cpuinfo}" &&
   [ -e "${THV_HOST_KVM:-/dev/kvm}" ] &&
   (: <>"${THV_HOST_KVM:-/dev/kvm}") 2>/dev/null; then
	rc=0
	"$repo/scripts/run-vm.sh" "$kver" vmx "$build" || rc=$?
	[ "$rc" -ne 3 ] && exit "$rc"
	echo "run-bochs: nested KVM cannot run the VMX lane here; using Bochs" >&2
fi
[ -r "$kernel" ] || { echo "run-bochs: no kernel $kernel" >&2; exit 1; }
[ -r "$initrd" ] || { echo "run-bochs: no $initrd (run scripts/mkinitramfs.sh)" >&2; exit 1; }
command -v bochs-bin >/dev/null ||
	{ echo "run-bochs: bochs-bin not found (run 'make deps')" >&2; exit 1; }
for f in /usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin; do
	[ -r "$f" ] || { echo "run-bochs: no $f (install bochsbios and vgabios)" >&2; exit 1; }
done
mkdir -p "$logdir"

# Files of this run, next to the initramfs.
img=$build/$kver/bochs-$mode.img
rc_file=$build/$kver/bochs-$mode.rc
bochsrc=$build/$kver/bochsrc-$mode
com1=$build/$kver/bochs-$mode.com1
lock=$build/$kver/bochs-$mode.lock

# One run per kernel and mode at a time: a second one would rebuild the
# disk image under the first, and Bochs itself refuses an image that is
# in use (it keeps IMAGE.lock next to it).  Two runs do not collide on
# the VNC port: Bochs tries 5900, 5901, ... until one is free.  (It
# listens on all interfaces, without a password: a firewalled CI host
# is fine, a shared machine shows its guest consoles to anyone.)
exec 9>"$lock"
if ! flock -n 9; then
	echo "run-bochs: another run-bochs.sh is booting $kver in $mode mode" \
	     "(lock $lock); wait for it to finish" >&2
	exit 1
fi
# Bochs removes IMAGE.lock when it exits normally, but not when it is
# killed (host timeout, ^C).  Holding our lock, we know that no Bochs
# uses this image now, so a leftover IMAGE.lock is stale.
rm -f "$img.lock"

"$repo/scripts/mkdisk.sh" "$kver" "$mode" "$build" >/dev/null

# The debugger is compiled into Debian's Bochs and stops before the first
# instruction; "c" lets the machine run.
echo c >"$rc_file"

# The machine.  Notes on the choices:
#   display_library  rfb (a VNC server) is the only display without a
#                    window; timeout=0: do not wait for a viewer.
#   cpu              count=1:N:1, one package of N cores: Debian's Bochs
#                    is built with SMP support, and a test moves the
#                    vCPU thread between CPUs.  Cores, not packages
#                    (count=N): only then does Bochs's CPUID leaf 0xB
#                    describe the topology.  Without it Linux 6.12 falls
#                    back to leaves 1 and 4, which disagree (leaf 4 of
#                    the Haswell model says 8 cores), and logs a WARNING
#                    in parse_legacy(); with one CPU that is unavoidable.
#                    ips: instructions per CPU and emulated second.
#                    With "clock: sync=none" guest time is instruction
#                    count divided by ips, whatever the host speed, so
#                    test timeouts and RCU stall detection mean the same
#                    on every host.  Bochs runs one emulated CPU at about
#                    80 million instructions per host second; N CPUs
#                    share that, so 80M / N keeps guest time near host
#                    time (with 2 CPUs measured 30M to 55M, depending on
#                    the load).
#                    reset_on_triple_fault=0: a triple fault of the guest
#                    kernel stops Bochs (a panic) instead of rebooting it
#                    in a loop; the kernel's reboot=t (scripts/mkdisk.sh)
#                    makes every reboot, as after a panic, a triple
#                    fault.  A guest that triple-faults under thv's VMX
#                    is a VM exit, not affected.
#   sound            driver=dummy: with ALSA and no sound card, Debian's
#                    Bochs 2.7 aborts at start-up ("buffer overflow
#                    detected").
#   panic            fatal: stop at once (ACPI power-off is a panic).
#   log              "-": Bochs's log goes to stderr, which is the
#                    .bochs.log file together with its other messages.
# Shell mode: the guest's console is a TCP server on the loopback
# interface (Bochs waits for one client before it starts the machine),
# which socat connects to this terminal.  A free port, found by binding.
com1_line="com1: enabled=1, mode=file, dev=\"$com1\""
if [ "$mode" = shell ]; then
	command -v socat >/dev/null ||
		{ echo "run-bochs: socat not found (run 'make deps')" >&2; exit 1; }
	[ -t 0 ] || { echo "run-bochs: shell mode needs a terminal" >&2; exit 1; }
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	com1_line="com1: enabled=1, mode=socket-server, dev=127.0.0.1:$port"
fi

cat >"$bochsrc" <<EOF
# Written by scripts/run-bochs.sh; rewritten at every run.
display_library: rfb, options="timeout=0"
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
megs: 512
cpu: model=$cpu_model, count=1:$ncpus:1, ips=$ips, reset_on_triple_fault=0
clock: sync=none
ata0-master: type=disk, path="$img", mode=flat
boot: disk
$com1_line
sound: driver=dummy
log: -
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF

echo "run-bochs: booting $kver in $mode mode (Bochs, $cpu_model x$ncpus," \
     "ips=$ips), log: $log" >&2

# The console as Bochs wrote it, with the UART's \r\n line ends, becomes
# the log with \n line ends (as scripts/run-vm.sh writes it).
save_log() {
	if [ -f "$com1" ]; then
		sed 's/\r$//' "$com1" >"$log"
		rm -f "$com1"
	fi
}

# Bochs runs in the background so that its console can be followed while
# it runs; it must never outlive this script (^C, an error here).  What
# the guest printed until then is still saved.
bochs_pid=
tail_pid=
# shellcheck disable=SC2317  # called only from the EXIT trap
cleanup() {
	[ -z "$tail_pid" ] || kill "$tail_pid" 2>/dev/null || true
	[ -z "$bochs_pid" ] || kill "$bochs_pid" 2>/dev/null || true
	save_log
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

: >"$com1"
start=$(date +%s)
timeout -k 10 "$vm_timeout" bochs-bin -q -f "$bochsrc" -rc "$rc_file" \
	</dev/null >"$bochs_log" 2>&1 &
bochs_pid=$!
if [ "$mode" = shell ]; then
	# raw, echo=0: keys go to the guest as typed (Ctrl-C included);
	# escape=0x1d: Ctrl-] ends socat, and this script then stops Bochs.
	echo "run-bochs: the guest's console follows once Linux is up" \
	     "(a minute or two); Ctrl-] leaves" >&2
	socat -,raw,echo=0,escape=0x1d \
		"TCP:127.0.0.1:$port,retry=100,interval=0.2" || true
	echo >&2
	echo "run-bochs: left the console; Bochs stopped" >&2
	kill "$bochs_pid" 2>/dev/null || true
	wait "$bochs_pid" 2>/dev/null || true
	bochs_pid=
	exit 0
fi
if [ "$live" = 1 ]; then
	# --pid: tail stops by itself once Bochs (timeout) has exited.
	if [ "$mode" = check ]; then
		tail -n +1 -f --pid="$bochs_pid" "$com1" | sed -u 's/\r$//' >&2 &
	else
		tail -n +1 -f --pid="$bochs_pid" "$com1" | sed -u 's/\r$//' &
	fi
	tail_pid=$!
fi
set +e
wait "$bochs_pid"
rc=$?
set -e
bochs_pid=
if [ -n "$tail_pid" ]; then
	wait "$tail_pid" 2>/dev/null || true
	tail_pid=
fi
secs=$(($(date +%s) - start))
save_log

# On a failure, the end of Bochs's own log usually says why (a panic,
# an image it could not open, an unknown bochsrc option).
bochs_tail() {
	echo "run-bochs: last lines of $bochs_log:" >&2
	tail -n 15 "$bochs_log" | sed 's/^/  /' >&2
}

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "run-bochs: $kver: VM killed after ${vm_timeout}s (hung guest?), log: $log" >&2
	bochs_tail
	exit 1
fi
if ! grep -q '^==thv== end$' "$log"; then
	echo "run-bochs: $kver: VM stopped before /init finished (bochs rc=$rc;" \
	     "kernel crash?), log: $log" >&2
	bochs_tail
	exit 1
fi
echo "run-bochs: $kver: $mode done in ${secs}s" >&2
if [ "$mode" = demo ]; then
	grep -q '^==thv== insmod ok' "$log" ||
		{ echo "run-bochs: demo: insmod thv.ko failed, log: $log" >&2; exit 1; }
	grep -q '^==thv== demo-end rc=0$' "$log" ||
		{ echo "run-bochs: demo: the runner failed, log: $log" >&2; exit 1; }
fi
exit 0
