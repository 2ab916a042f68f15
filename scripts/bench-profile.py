#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-profile.py - instructions per loop iteration, by kernel function.

Reads what scripts/bench-profile.sh collected: QEMU's in_asm/exec log,
the line numbers where each hypervisor's logging window ended, and the
guest console with its kallsyms dumps.  For each window it takes the
vCPU that ran the guest (the one executing low, guest-physical
addresses), counts the instructions of every block it executed, and
divides by the loop's iterations (how often the guest's busiest block
ran).  A REP-prefixed instruction counts once per iteration, as
-icount counts it: QEMU executes its block again for each.

--check turns the profile into the issue's hot-path rule: on thv's
side, no memory allocation, no printk and no lock's slow path (a waiter
that sleeps or spins) may cost even one instruction per iteration, and
neither may the tracepoints, which are disabled in the benchmark (a
disabled tracepoint is a NOP in its caller, never a call).
Exit status 3 names the functions that broke it.  (Timer interrupts on
the same vCPU cost far less than that per iteration of a fast loop.)
"""
import argparse
import bisect
import collections
import re
import sys

TRACE = re.compile(r'^Trace (\d+): \S+ \[[0-9a-f]+/([0-9a-f]+)/')
GUEST_TOP = 0x400000		# bench.S lives in the guest's first MiB
USER_TOP = 0x800000000000
# Allocation, printk, and the slow paths of sleeping and spinning locks.
HOT_PATH_FORBIDDEN = (r'^(__?kmalloc|kmalloc|kmem_cache_alloc|__kmem_cache_alloc'
                      r'|kzalloc|__alloc_pages|alloc_pages|__vmalloc|vmalloc'
                      r'|_printk|printk|vprintk|__mutex_lock|mutex_lock_slowpath'
                      r'|__mutex_lock_slowpath|rwsem_down_|__down_read_common'
                      r'|native_queued_spin_lock_slowpath|__schedule|schedule$'
                      r'|__traceiter_|trace_event_raw_event_|perf_trace_'
                      r'|trace_event_buffer_)')


def read_syms(serial):
    """The kallsyms dumps, in order: [(addr, name), ...] per dump."""
    dumps, cur = [], None
    for line in open(serial, errors='replace'):
        if line.startswith('==thv== syms-begin'):
            cur = []
            dumps.append(cur)
        elif line.startswith('==thv== syms-end'):
            cur = None
        elif cur is not None:
            f = line.split()
            if len(f) >= 3:
                try:
                    mod = ' ' + f[3] if len(f) > 3 else ''
                    cur.append((int(f[0], 16), f[2] + mod))
                except ValueError:
                    pass
    return dumps


class Symbols:
    def __init__(self, syms):
        self.syms = sorted(syms)
        self.addrs = [a for a, _ in self.syms]

    def name(self, pc):
        if pc < GUEST_TOP:
            return '(guest)'
        if pc < USER_TOP:
            return '(user space)'
        i = bisect.bisect_right(self.addrs, pc) - 1
        return self.syms[i][1] if i >= 0 else '?'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('log')
    ap.add_argument('marks')
    ap.add_argument('serial')
    ap.add_argument('--min', type=float, default=2.0,
                    help='leave out functions below this many (default 2)')
    ap.add_argument('--check', action='store_true',
                    help="thv's hot path: no allocation, printk or lock "
                         'slow path (exit status 3 otherwise)')
    a = ap.parse_args()

    dumps = read_syms(a.serial)
    if len(dumps) < 2:
        sys.exit('bench-profile: no kallsyms dumps in the console log')
    kernel = [s for s in dumps[0] if '[' not in s[1]]
    marks = [(l.split()[0], int(l.split()[1])) for l in open(a.marks)]
    # Window 1 (thv): kernel + thv.ko; window 2 (KVM): kernel + kvm.ko's.
    tables = [Symbols(dumps[0]), Symbols(kernel + dumps[1])]

    size = {}
    start, n = None, 0
    cost = [collections.Counter() for _ in marks]
    blocks = [collections.Counter() for _ in marks]
    w = 0
    with open(a.log, errors='replace') as f:
        for ln, line in enumerate(f, 1):
            while w < len(marks) and ln > marks[w][1]:
                w += 1
            if w >= len(marks):
                break
            if line.startswith('IN:'):
                start, n = None, 0
            elif line.startswith('0x') and ':' in line[:20]:
                pc = int(line.split(':')[0], 16)
                start = pc if start is None else start
                n += 1
                size[start] = n
            else:
                m = TRACE.match(line)
                if m:
                    cpu, pc = m.group(1), int(m.group(2), 16)
                    blocks[w][(cpu, pc)] += 1
                    cost[w][(cpu, tables[min(w, 1)].name(pc))] += \
                        size.get(pc, 1)

    broken = []
    for w, (hv, _) in enumerate(marks):
        guest = collections.Counter()
        for (cpu, pc), v in blocks[w].items():
            if pc < GUEST_TOP:
                guest[cpu] += v
        if not guest:
            print('%s: the guest did not run in the window' % hv)
            continue
        cpu = guest.most_common(1)[0][0]
        iters = max(v for (c, pc), v in blocks[w].items()
                    if c == cpu and pc < GUEST_TOP)
        mine = {s: v for (c, s), v in cost[w].items() if c == cpu}
        total = sum(mine.values())
        print('%s: %.0f instructions per iteration (%d iterations, vCPU %s)'
              % (hv, total / iters, iters, cpu))
        for s, v in sorted(mine.items(), key=lambda x: -x[1]):
            if v / iters >= a.min:
                print('  %7.1f  %s' % (v / iters, s))
            if hv == 'thv' and v / iters >= 1 and \
               re.match(HOT_PATH_FORBIDDEN, s.split()[0]):
                broken.append('%s (%.1f per iteration)' % (s, v / iters))
        print()
    if a.check:
        if broken:
            print('hot path: MISSED: ' + ', '.join(broken))
            sys.exit(3)
        print('hot path: met (no allocation, printk, lock slow path '
              'or tracepoint)')


if __name__ == '__main__':
    main()
