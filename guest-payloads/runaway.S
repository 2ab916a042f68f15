/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runaway.S - a guest that never stops by itself.
 *
 * Concept: the host stays in charge.  `jmp $` makes no exit of its own,
 * yet the host must be able to take the CPU back.  Host interrupts (the
 * timer, an IPI) are intercepted while the guest runs (APM Vol. 2 15.13,
 * "INTR intercept"): each one makes a #VMEXIT, the host kernel handles
 * it, and thv.ko checks for a pending signal before re-entering the
 * guest.  So Ctrl-C (SIGINT), kill (SIGTERM) or the runner's --timeout
 * (SIGALRM) make THV_RUN return -EINTR.
 *
 * Run:      thv run --timeout 1 runaway.bin
 * Prints:   "runaway: spinning in 'jmp $'; stop me with Ctrl-C or --timeout\n"
 * Status:   124 with --timeout, 130 on Ctrl-C, 143 on SIGTERM
 */
	.code16
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	mov	si, offset msg
	call	puts
spin:
	jmp	spin			/* "jmp $": forever */

msg:	.asciz	"runaway: spinning in 'jmp $'; stop me with Ctrl-C or --timeout\n"

#include "lib16.S"
