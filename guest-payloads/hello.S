/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hello.S - the smallest useful guest: print a line, then halt.
 *
 * Concept: port I/O exits.  The guest runs natively on the CPU until it
 * executes IN or OUT.  thv.ko intercepts every port (the SVM I/O
 * permission map, APM Vol. 2 15.10), the CPU leaves the guest with
 * #VMEXIT IOIO, and thv.ko hands the access to the runner as THV_EXIT_IO.
 * The runner's UART device turns each OUT to 0x3f8 into a byte on stdout.
 * HLT ("nothing to do until an interrupt") exits too: the runner ends the
 * run with status 0.
 *
 * Run:      thv run hello.bin      (16-bit real mode at 0x1000)
 * Prints:   "Hello from a thv guest!\n"
 * Status:   0 (HLT); try --trace to see every exit.
 */
	.code16
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	mov	si, offset msg
	call	puts
	hlt				/* THV_EXIT_HLT: the run ends, status 0 */
	jmp	_start			/* not reached */

msg:	.asciz	"Hello from a thv guest!\n"

#include "lib16.S"
