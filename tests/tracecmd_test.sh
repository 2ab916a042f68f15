#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tracecmd_test.sh - thv's tracepoints, recorded the way a student (or a
# KVM developer) would: `trace-cmd start -e thv`, a run of the runner,
# `trace-cmd extract`, then `trace-cmd report`.  thv.ko defines two events
# (kmod/trace.h), like KVM's kvm_entry and kvm_exit:
#
#   thv_entry: vcpu N rip 0x...                    before each VM entry
#   thv_exit:  vcpu N KIND reason 0x.. rip 0x...   after each VM exit
#                      (KIND: cpuid, io, npf...; reason: the hardware's)
#
# The run's own summary line says how many VM exits there were in all
# ("N VM exits in all"); the recording must hold exactly that many
# thv_exit events, as many thv_entry events (each exit follows an
# entry), and the kinds the cpuid payload is made of.  TAP on stdout
# (tests/lib/tap.sh: $THV_LIB, else /thv/lib, else tests/lib).

lib=${THV_LIB:-/thv/lib}
[ -f "$lib/tap.sh" ] || lib=$(dirname "$0")/lib
[ -f "$lib/tap.sh" ] || {
	printf 'TAP version 13\n1..0 # SKIP no tap.sh in %s\n' "$lib"
	exit 4
}
# shellcheck source=tests/lib/tap.sh
. "$lib/tap.sh"
tap_header
command -v trace-cmd >/dev/null 2>&1 ||
	tap_skip_all "no trace-cmd (scripts/install-deps.sh installs it)"
[ -c /dev/thv ] || tap_skip_all "no /dev/thv"
thv=${THV_BIN:-/thv/bin/thv}
payload=${THV_PAYLOADS:-/thv/payloads}/cpuid.bin
dat=/tmp/thv-trace.dat

# trace-cmd start/stop/extract: the events go to the kernel's ring
# buffer while the guest runs, and extract saves them into a trace.dat
# afterwards.  Under Bochs trace-cmd record hung and even trace-cmd start
# did not finish in 60 s (it walks every event and function of the
# kernel); that is the emulator's speed, not thv, so it is a SKIP with
# the reason.  stats.tracepoints checks the same events through tracefs
# on every lane.
timeout 30 trace-cmd reset >/dev/null 2>&1
if ! out=$(timeout 60 trace-cmd start -e thv:thv_entry -e thv:thv_exit 2>&1); then
	tap_skip_plan "trace-cmd start did not finish in 60 s on this \
(emulated) CPU; stats.tracepoints checks the thv events through tracefs"
	echo "$out" | tail -n 3 | sed 's/^/# /'
	timeout 30 trace-cmd reset >/dev/null 2>&1
	exit 4
fi
rm -f "$dat"
out=$(trace-cmd clear 2>&1 && timeout 120 "$thv" run "$payload" 2>&1)
rc=$?
timeout 30 trace-cmd stop >/dev/null 2>&1
(cd /tmp && timeout 90 trace-cmd extract -o "$dat" >/dev/null 2>&1)
xrc=$?
if [ $xrc = 124 ] || [ $xrc = 143 ]; then
	# Seen on the 6.12 Bochs lane: start finished, extract did not.
	tap_skip_plan "trace-cmd extract did not finish in 90 s on this \
(emulated) CPU; stats.tracepoints checks the thv events through tracefs"
	timeout 30 trace-cmd reset >/dev/null 2>&1
	exit 4
fi
tap_plan 5

[ $rc = 0 ] && [ -s "$dat" ]
tap $? "trace-cmd start -e thv, a run, trace-cmd extract (status $rc, extract $xrc)"
[ $rc = 0 ] || echo "$out" | sed 's/^/# /'

report=$(timeout 60 trace-cmd report -i "$dat" 2>/dev/null)
exits=$(echo "$report" | grep -c 'thv_exit:')
entries=$(echo "$report" | grep -c 'thv_entry:')
# "...; 360 VM exits in all, 7 of them handled inside thv.ko"
all=$(echo "$out" | sed -n 's/.*; \([0-9][0-9]*\) VM exits in all.*/\1/p')
[ -n "$all" ] && [ "$exits" = "$all" ]
tap $? "one thv_exit event per VM exit (recorded $exits, the run says '$all')"
[ "$entries" = "$exits" ]
tap $? "one thv_entry before each exit ($entries entries, $exits exits)"
echo "$report" | grep -q 'thv_exit: *vcpu [0-9]* cpuid reason' &&
	echo "$report" | grep -q 'thv_exit: *vcpu [0-9]* io reason'
tap $? "the exits carry their kind by name (CPUID and IO seen)"
# The first CPUID exit's RIP, then the entry right after it: RIP + 2,
# CPUID (0f a2) done in the kernel without user space.
cpuid_rip=$(echo "$report" | grep -m1 'thv_exit: *vcpu [0-9]* cpuid reason' |
	sed -n 's/.* rip \(0x[0-9a-f]*\).*/\1/p')
next_rip=$(echo "$report" | grep -A1 'thv_exit: *vcpu [0-9]* cpuid reason' |
	grep -m1 'thv_entry:' |
	sed -n 's/.* rip \(0x[0-9a-f]*\).*/\1/p')
[ -n "$cpuid_rip" ] && [ -n "$next_rip" ] &&
	[ $((next_rip)) = $((cpuid_rip + 2)) ]
tap $? "after a CPUID exit the next entry is 2 bytes on ($cpuid_rip -> $next_rip)"
if ! tap_done; then
	echo "# the run said:"
	echo "$out" | tail -n 3 | sed 's/^/#   /'
	echo "# the first lines of the report:"
	echo "$report" | head -n 12 | sed 's/^/#   /'
fi
rm -f "$dat"
timeout 30 trace-cmd reset >/dev/null 2>&1
tap_done
