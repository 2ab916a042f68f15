/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.h - what the benchmark guest (guest-payloads/bench.S) and its two
 * drivers (user/tools/bench.c on /dev/thv and on /dev/kvm) agree on.
 * Included from assembly too: only #defines here.
 *
 * The guest is a flat 32-bit protected-mode program loaded at
 * BENCH_LOAD_ADDR.  It first turns paging on (PAE, 2 MiB pages, the low
 * 4 GiB mapped one to one, tables at BENCH_PDPT), then loops forever:
 *
 *   OUT to BENCH_PORT_READY         "ready for the next loop" (an exit)
 *   read the mailbox                 the host wrote cmd, count, arg there
 *   run <count> iterations of <cmd>
 *
 * So each loop the host asks for costs exactly one extra exit (the next
 * READY), which the host measures on its own (BENCH_CMD_NOP, count 0)
 * and subtracts.
 */
#ifndef THV_BENCH_H
#define THV_BENCH_H

#define BENCH_LOAD_ADDR		0x1000
#define BENCH_STACK		0x8000		/* grows down from here */
#define BENCH_MBOX		0x0800		/* mailbox: three u32 */
#define BENCH_MBOX_CMD		(BENCH_MBOX + 0)
#define BENCH_MBOX_COUNT	(BENCH_MBOX + 4)
#define BENCH_MBOX_ARG		(BENCH_MBOX + 8)
#define BENCH_BUF		0x100000	/* compute loop's 256 KiB */
#define BENCH_BUF_MASK		0x3ffc0		/* one u32 every 64 bytes */
#define BENCH_MEM_SIZE		0x200000	/* guest RAM: 2 MiB */
#define BENCH_MMIO_GPA		0xd0000000	/* no memory slot: MMIO */
#define BENCH_PDPT		0x10000		/* PAE page tables: the PDPT, */
#define BENCH_PD		0x11000		/* then four page directories */

#define BENCH_PORT_READY	0x510
#define BENCH_PORT_IO		0x511

/* Hypercall: RAX = number, RBX/RCX/RDX = arguments (the KVM convention). */
#define BENCH_HC_NR		12		/* KVM_HC_MAP_GPA_RANGE */
#define BENCH_HC_GPA		0x100000	/* page aligned, one page */

/* mailbox cmd */
#define BENCH_CMD_NOP		0	/* nothing: the cost of READY alone */
#define BENCH_CMD_CPUID		1	/* CPUID leaf 0: handled in the kernel */
#define BENCH_CMD_HYPERCALL	2	/* arg: 1 VMMCALL (AMD), 2 VMCALL (Intel) */
#define BENCH_CMD_IO		3	/* OUT to BENCH_PORT_IO: to userspace */
#define BENCH_CMD_MMIO		4	/* 32-bit read of BENCH_MMIO_GPA */
#define BENCH_CMD_COMPUTE	5	/* no exits: arithmetic and loads */
#define BENCH_CMD_MAX		6

#define BENCH_HC_VMMCALL	1
#define BENCH_HC_VMCALL		2

#endif /* THV_BENCH_H */
