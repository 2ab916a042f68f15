/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pm32.S - a guest that starts in 32-bit protected mode.
 *
 * Concept: the hypervisor chooses the CPU state a guest starts in.  A
 * real PC starts in 16-bit real mode and its firmware builds a GDT and
 * sets CR0.PE to reach protected mode (APM Vol. 2 14.4).  With
 * `--entry 32` the runner skips all that: THV_SET_SREGS writes CR0 = PE|ET
 * and the hidden parts of the segment registers (base 0, limit 4 GiB,
 * 32-bit) straight into the VMCB save area, so the very first instruction
 * already runs in flat 32-bit mode, with no GDT in memory at all.  (The
 * selectors are 0x08/0x10 but are never reloaded here.)  Paging is off:
 * linear addresses are guest-physical addresses, and the nested page
 * tables map those to host memory.
 *
 * Proof that we are in 32-bit mode: read CR0, and use memory above 1 MiB,
 * which real mode cannot address.
 *
 * Run:      thv run --entry 32 pm32.bin       (load address 0x1000)
 * Prints:   "pm32: hello from 32-bit protected mode\n"
 *           "pm32: CR0 = 0x00000011 (PE=1, PG=0)\n"
 *           "pm32: CS = 0x00000008\n"
 *           "pm32: wrote 0x600dcafe at 0x00100000 and read it back\n"
 * Status:   0; 1 and a FAIL line if CR0.PE is clear or the memory test
 *           fails.  Needs at least 2 MiB of RAM (the default).
 */
	.code32
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	mov	esi, offset s_hello
	call	puts

	mov	esi, offset s_cr0
	call	puts
	mov	eax, cr0
	call	puthex32
	mov	esi, offset s_cr0_bits
	call	puts
	test	eax, 1			/* CR0.PE */
	jz	fail

	mov	esi, offset s_cs
	call	puts
	xor	eax, eax
	mov	ax, cs
	call	puthex32
	mov	al, '\n'
	call	putc

	mov	edi, 0x100000		/* 1 MiB: beyond real mode's reach */
	mov	dword ptr [edi], 0x600dcafe
	cmp	dword ptr [edi], 0x600dcafe
	jne	fail
	mov	esi, offset s_mem
	call	puts

	xor	al, al
	call	exit

fail:
	mov	esi, offset s_fail
	call	puts
	mov	al, 1
	call	exit

s_hello:	.asciz	"pm32: hello from 32-bit protected mode\n"
s_cr0:		.asciz	"pm32: CR0 = "
s_cr0_bits:	.asciz	" (PE=1, PG=0)\n"
s_cs:		.asciz	"pm32: CS = "
s_mem:		.asciz	"pm32: wrote 0x600dcafe at 0x00100000 and read it back\n"
s_fail:		.asciz	"pm32: FAIL\n"

#include "lib32.S"
