/* SPDX-License-Identifier: GPL-2.0 */
/*
 * start32.S - _start of a 32-bit C guest: from the runner's CPU state to
 * main().
 *
 * The state we are in (the runner sets it up for an ELF32 payload):
 *   - flat 32-bit protected mode: CR0.PE = 1, paging off, so an address
 *     is a guest-physical address;
 *   - CS = 0x08 (32-bit code), DS = ES = SS = FS = GS = 0x10 (data), all
 *     base 0, limit 4 GiB.  Only the hidden parts of the segment
 *     registers hold this: the runner loads no GDT (GDTR limit 0);
 *   - EFLAGS.IF = 0 and no IDT (IDTR limit 0);
 *   - ESP points at some valid memory, but nothing reserved it for us.
 *   - .text/.data are loaded at their p_paddr (1 MiB, see guest32.ld);
 *     .bss has no bytes in the file and may hold anything.
 *
 * C needs a stack it owns, zeroed static variables and DF = 0.  We also
 * need a GDT in memory: an exception through an IDT gate loads CS from
 * the gate's selector, and IRET loads it again; with GDTR limit 0 both
 * would fault.
 */
	.intel_syntax noprefix
	.code32

#define GDT_CODE	0x08	/* the same selectors the runner used */
#define GDT_DATA	0x10
#define STACK_SIZE	(16 * 1024)

	/* .text.entry goes first in .text (guest32.ld): _start = 0x100000 */
	.section .text.entry, "ax"
	.globl	_start
_start:
	cli				/* no interrupts: no handlers yet */
	cld				/* string ops count up: C's DF = 0 */

	/* Our own stack: 16 KiB in .bss, growing down, 16-byte aligned. */
	mov	esp, offset stack_top
	xor	ebp, ebp		/* end of the frame-pointer chain */

	/*
	 * Load our GDT, then reload every segment register from it.  CS
	 * cannot be the target of a MOV: a far return pops EIP and CS.
	 */
	lgdt	[gdt_desc]
	push	GDT_CODE
	push	offset 1f
	retf				/* EIP = 1f, CS = GDT_CODE */
1:	mov	eax, GDT_DATA
	mov	ds, eax
	mov	es, eax
	mov	ss, eax
	mov	fs, eax
	mov	gs, eax

	/*
	 * Zero .bss: C promises that static variables without an
	 * initialiser start at 0.  __bss_start/__bss_end come from
	 * guest32.ld.  This zeroes our stack too, which is empty now.
	 */
	mov	edi, offset __bss_start
	mov	ecx, offset __bss_end
	sub	ecx, edi		/* ECX = byte count */
	xor	eax, eax		/* AL = the byte to store */
	rep stosb			/* while (ecx--) *edi++ = al */

	call	guest_init		/* runtime.c: loads the IDT */
	call	main

	/* main() returned EAX: 0 is a pass (ucall DONE), else exit status. */
	test	eax, eax
	jnz	2f
	call	guest_done		/* does not return */
2:	movzx	eax, al
	sub	esp, 12			/* keep the CALL 16-byte aligned */
	push	eax			/* cdecl: the argument on the stack */
	call	guest_exit		/* does not return */
3:	cli
	hlt
	jmp	3b

	.data
	/*
	 * Flat segments, base 0, limit 4 GiB (G = 1), DPL 0.  The accessed
	 * bit (in 0x9b / 0x93) is already set so the CPU never writes here.
	 *   0x08: code, D = 1: 32-bit
	 *   0x10: data, read/write
	 */
	.balign	8
gdt:
	.quad	0
	.quad	0x00cf9b000000ffff
	.quad	0x00cf93000000ffff
gdt_end:

	/* What LGDT reads in 32-bit mode: 2-byte limit, 4-byte base. */
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

	.bss
	.balign	16
stack_bottom:
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
