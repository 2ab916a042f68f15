/* SPDX-License-Identifier: GPL-2.0 */
/*
 * isr64.S - the 256 exception/interrupt entry stubs of a 64-bit guest.
 *
 * In long mode the CPU enters a handler with RSP aligned down to 16 and
 * this on the stack (APM Vol. 2 8.9.3, SDM Vol. 3A 6.14.2):
 *
 *	SS, RSP, RFLAGS, CS, RIP	(RIP lowest, at [rsp])
 *	error code			(only vectors 8, 10-14, 17, 21, 29, 30)
 *
 * Every stub makes it the same shape: it pushes a dummy error code 0 for
 * the vectors without one, then the vector number, and jumps to
 * isr_common, which saves all general-purpose registers, calls
 * ex_dispatch(struct ex_regs *) (idt.c) and undoes it all with IRETQ.
 * Stub N is at isr_stubs + 16 * N; idt_init() writes those addresses
 * into the gates.
 */
	.intel_syntax noprefix
	.code64
	.text

/* Vectors for which the CPU pushes an error code. */
#define HAS_ERROR_CODE(v) ((v) == 8 || ((v) >= 10 && (v) <= 14) || \
			   (v) == 17 || (v) == 21 || (v) == 29 || (v) == 30)

	.balign	16
	.globl	isr_stubs
isr_stubs:
	.set	.Lvec, 0
	.rept	256
0:
	.if	HAS_ERROR_CODE(.Lvec) == 0
	push	0			/* dummy error code */
	.endif
	push	.Lvec			/* imm8 or imm32, sign-extended */
	jmp	isr_common
	/* Pad with INT3 to 16 bytes ("moves .org backwards" if longer). */
	.org	0b + 16, 0xcc
	.set	.Lvec, .Lvec + 1
	.endr

/*
 * Here: [rsp] = vector, [rsp+8] = error code, [rsp+16] = the CPU's frame.
 * Push the registers in the reverse order of struct ex_regs, so that RSP
 * then points at a complete struct ex_regs.
 */
isr_common:
	push	r15
	push	r14
	push	r13
	push	r12
	push	r11
	push	r10
	push	r9
	push	r8
	push	rdi
	push	rsi
	push	rbp
	push	rbx
	push	rdx
	push	rcx
	push	rax

	cld				/* the C ABI wants DF = 0 */
	mov	rdi, rsp		/* 1st argument: struct ex_regs * */
	mov	rbx, rsp		/* callee-saved: survives the call */
	and	rsp, -16		/* the ABI's stack alignment for CALL */
	call	ex_dispatch
	mov	rsp, rbx

	/* Load back what the handler may have changed. */
	pop	rax
	pop	rcx
	pop	rdx
	pop	rbx
	pop	rbp
	pop	rsi
	pop	rdi
	pop	r8
	pop	r9
	pop	r10
	pop	r11
	pop	r12
	pop	r13
	pop	r14
	pop	r15
	add	rsp, 16			/* drop vector and error code */
	iretq				/* RIP, CS, RFLAGS, RSP, SS */

	.section .note.GNU-stack, "", @progbits
