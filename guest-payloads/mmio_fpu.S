/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio_fpu.S - an MMIO instruction nobody emulates.
 *
 * Concept: the limits of instruction emulation.  thv.ko decodes MOVs to
 * MMIO, and the runner emulates the integer instructions a driver uses
 * on device registers (user/lib/thv_mmio_emul.c).  An x87 load from a
 * device register is not one of them: no driver does that, and
 * emulating it would mean emulating the FPU.  The runner must then stop
 * the guest cleanly, with a message that names the instruction, rather
 * than crash, hang or let the guest fault on it forever.
 *
 * Run:      thv run --entry 32 mmio_fpu.bin
 * Prints:   "mmio_fpu: FLD from the MMIO demo device\n"
 *           and on stderr "thv: MMIO: cannot emulate 'fld' at rip 0x...".
 * Status:   70 (the runner's internal-error status); 1 and a FAIL line
 *           if the FLD went through.
 */
	.code32
	.intel_syntax noprefix
	.text
	.globl	_start

_start:
	cld
	mov	esi, offset s_hello
	call	puts
	/* D9 /0: x87 FLD m32fp.  CR0.EM = 0, so the CPU does the access. */
	fld	dword ptr ds:[0xd0000008]
	mov	esi, offset s_fail
	call	puts
	mov	al, 1
	call	exit

s_hello:	.asciz	"mmio_fpu: FLD from the MMIO demo device\n"
s_fail:		.asciz	"mmio_fpu: FAIL: the FLD was emulated\n"

#include "lib32.S"
