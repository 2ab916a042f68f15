/* SPDX-License-Identifier: GPL-2.0 */
/*
 * triple.S - crash the guest on purpose, and watch the host survive.
 *
 * Concept: a triple fault.  When the CPU cannot deliver an exception it
 * raises #GP; failing to deliver that gives a double fault (#DF); failing
 * #DF too means the CPU gives up and shuts down (APM Vol. 2 8.2.9
 * "Double-Fault Exception").  On bare metal the machine resets.  Inside a
 * VM the SHUTDOWN intercept (APM Vol. 2 15.12) turns it into a #VMEXIT
 * instead: only the guest dies, and the runner reports
 * THV_EXIT_SHUTDOWN.
 *
 * How: load an IDT (in real mode, the interrupt vector table) with limit
 * 0, so no vector can be found, then execute UD2 (#UD, vector 6).  Vector
 * 6 lies past the limit -> #GP -> past the limit -> #DF -> past the
 * limit -> shutdown.
 *
 * Run:      thv run triple.bin
 * Prints:   "triple: loading an empty IDT, then UD2...\n"
 * Status:   75 (the runner's "guest triple-faulted"); 1 and a FAIL line
 *           if the guest somehow survives.
 */
	.code16
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	mov	si, offset msg
	call	puts
	lidt	[empty_idt]
	ud2				/* #UD -> #GP -> #DF -> shutdown */

	mov	si, offset s_alive	/* must not get here */
	call	puts
	mov	al, 1
	call	exit

msg:	.asciz	"triple: loading an empty IDT, then UD2...\n"
s_alive:.asciz	"triple: FAIL: still alive after UD2\n"
	.balign	8
empty_idt:
	.word	0			/* limit: not even one vector */
	.long	0			/* base */

#include "lib16.S"
