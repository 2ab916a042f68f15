/* SPDX-License-Identifier: GPL-2.0 */
/*
 * isr32.S - the 256 exception/interrupt entry stubs of a 32-bit guest.
 *
 * In 32-bit protected mode, for an exception at the same privilege
 * level (we always run at CPL 0), the CPU pushes only (SDM Vol. 3A
 * 6.12.1, APM Vol. 2 8.7):
 *
 *	EFLAGS, CS, EIP			(EIP lowest, at [esp])
 *	error code			(only vectors 8, 10-14, 17, 21, 29, 30)
 *
 * No SS:ESP: the stack does not change.  The stubs work as in isr64.S:
 * dummy error code where the CPU pushed none, the vector, then
 * isr_common saves the registers with PUSHAD (its order is struct
 * ex_regs for 32-bit in guest.h), calls ex_dispatch(regs) with the
 * argument on the stack (cdecl) and returns with IRETD.
 */
	.intel_syntax noprefix
	.code32
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
	push	.Lvec
	jmp	isr_common
	/* Pad with INT3 to 16 bytes ("moves .org backwards" if longer). */
	.org	0b + 16, 0xcc
	.set	.Lvec, .Lvec + 1
	.endr

/* Here: [esp] = vector, [esp+4] = error code, [esp+8] = the CPU's frame. */
isr_common:
	pushad				/* EAX ECX EDX EBX ESP EBP ESI EDI */

	cld				/* the C ABI wants DF = 0 */
	mov	ebx, esp		/* struct ex_regs *, callee-saved */
	and	esp, -16		/* keep CALL sites 16-byte aligned */
	sub	esp, 12
	push	ebx			/* the argument */
	call	ex_dispatch
	mov	esp, ebx

	popad				/* skips the saved ESP */
	add	esp, 8			/* drop vector and error code */
	iretd				/* EIP, CS, EFLAGS */

	.section .note.GNU-stack, "", @progbits
