/* SPDX-License-Identifier: GPL-2.0 */
/*
 * start64.S - _start of a 64-bit C guest: from the runner's CPU state to
 * main().
 *
 * The state we are in (the runner sets it up for an ELF64 payload):
 *   - long mode: CR0.PE|PG, CR4.PAE, EFER.LME|LMA; CS = 0x08 is 64-bit
 *     code, DS = ES = SS = FS = GS = 0x10 flat data;
 *   - paging on, all guest RAM identity-mapped with 2 MiB pages by tables
 *     near the top of RAM: a pointer's value is a guest-physical address;
 *   - RFLAGS.IF = 0 and no IDT (IDTR limit 0): an exception now would be a
 *     triple fault;
 *   - RSP points at some valid memory, but nothing reserved it for us.
 *   - .text/.data are loaded at their p_paddr (1 MiB, see guest64.ld);
 *     .bss has no bytes in the file and may hold anything.
 *
 * C needs a stack it owns, zeroed static variables and DF = 0.  We also
 * load our own GDT: the CPU reads descriptors from memory whenever a
 * selector is loaded (by an exception through an IDT gate, by IRET), and
 * the runner's GDT lives in memory we know nothing about.
 */
	.intel_syntax noprefix
	.code64

#define GDT_CODE	0x08	/* the same selectors the runner used */
#define GDT_DATA	0x10
#define STACK_SIZE	(16 * 1024)

	/* .text.entry goes first in .text (guest64.ld): _start = 0x100000 */
	.section .text.entry, "ax"
	.globl	_start
_start:
	cli				/* no interrupts: no handlers yet */
	cld				/* string ops count up: C's DF = 0 */

	/*
	 * Our own stack: 16 KiB in .bss.  RIP-relative LEA, so the code
	 * does not care where it was linked.  The stack grows down and the
	 * x86-64 ABI wants RSP 16-byte aligned before a CALL.
	 */
	lea	rsp, [rip + stack_top]
	xor	ebp, ebp		/* end of the frame-pointer chain */

	/*
	 * Load our GDT, then reload every segment register from it.  CS
	 * cannot be the target of a MOV: a far return pops RIP and CS.
	 */
	lgdt	[rip + gdt_desc]
	push	GDT_CODE
	lea	rax, [rip + 1f]
	push	rax
	retfq				/* RIP = 1f, CS = GDT_CODE */
1:	mov	eax, GDT_DATA
	mov	ds, eax
	mov	es, eax
	mov	ss, eax
	mov	fs, eax
	mov	gs, eax

	/*
	 * Zero .bss: C promises that static variables without an
	 * initialiser start at 0.  __bss_start/__bss_end come from
	 * guest64.ld.  This zeroes our stack too, which is empty now.
	 */
	lea	rdi, [rip + __bss_start]
	lea	rcx, [rip + __bss_end]
	sub	rcx, rdi		/* RCX = byte count */
	xor	eax, eax		/* AL = the byte to store */
	rep stosb			/* while (rcx--) *rdi++ = al */

	call	guest_init		/* runtime.c: loads the IDT */
	call	main

	/* main() returned EAX: 0 is a pass (ucall DONE), else exit status. */
	test	eax, eax
	jnz	2f
	call	guest_done		/* does not return */
2:	movzx	edi, al			/* 1st argument: ret & 0xff */
	call	guest_exit		/* does not return */
3:	cli
	hlt
	jmp	3b

	.data
	/*
	 * Flat segments, base 0, limit 4 GiB (G = 1), DPL 0.  The accessed
	 * bit (in 0x9b / 0x93) is already set so the CPU never writes here.
	 *   0x08: code, L = 1: 64-bit
	 *   0x10: data, read/write
	 */
	.balign	8
gdt:
	.quad	0
	.quad	0x00af9b000000ffff
	.quad	0x00cf93000000ffff
gdt_end:

	/* What LGDT reads in long mode: 2-byte limit, 8-byte base. */
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt

	.bss
	.balign	16
stack_bottom:
	.skip	STACK_SIZE
stack_top:

	.section .note.GNU-stack, "", @progbits
