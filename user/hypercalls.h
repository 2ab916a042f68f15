/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hypercalls.h - the runner's hypercall table.
 *
 * A hypercall is a guest's deliberate call into the hypervisor, like a
 * system call one level down: VMMCALL (AMD, 0f 01 d9) or VMCALL (Intel,
 * 0f 01 c1) causes a VM exit (APM Vol. 2 15.9, SDM Vol. 3C 26.1.3) and
 * thv.ko passes it to userspace as THV_EXIT_HYPERCALL.  The convention is
 * KVM's: number in RAX, arguments in RBX, RCX, RDX, RSI, result in RAX.
 * An unknown number returns -1 (all ones) in RAX.
 *
 * This file holds only #defines so the guest payloads (GNU as, through
 * cpp) include it too: one table for both sides.
 */
#ifndef THV_HYPERCALLS_H
#define THV_HYPERCALLS_H

/* RBX = guest-physical address of a NUL-terminated string (at most
 * 4096 bytes): print it on stdout.  Returns the bytes printed, or -1 if
 * the string is not inside guest RAM. */
#define THV_HC_PUTS		0
/* Returns RBX + RCX + RDX + RSI: shows the arguments arriving. */
#define THV_HC_ADD		1
/* End the run now with exit status RBX & 0xff (like port 0xf4). */
#define THV_HC_EXIT		2
/* Returns THV_HC_ABI_VERSION. */
#define THV_HC_VERSION		3

#define THV_HC_ABI_VERSION	1
#define THV_HC_PUTS_MAX		4096

#endif /* THV_HYPERCALLS_H */
