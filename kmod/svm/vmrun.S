/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmrun.S - the world switch for AMD SVM.
 *
 * TOUR(8): Into ring -1's guest and back.  VMRUN (APM Vol. 2 15.5) saves
 * a small part of the host state (RSP, RIP, RAX, segment and control
 * registers) in the host save area named by MSR VM_HSAVE_PA, loads the
 * guest's from the VMCB and starts the guest.  When an intercepted event
 * happens the CPU performs #VMEXIT: it writes the guest state back into the
 * VMCB, reloads the host state, and continues at the instruction after
 * VMRUN, as if VMRUN had been a call.
 *
 * What VMRUN does NOT switch, we must: the general-purpose registers other
 * than RAX and RSP, and the "hidden" state that VMSAVE/VMLOAD move (FS, GS,
 * TR and LDTR with their hidden parts, KernelGSBase, STAR, LSTAR, CSTAR,
 * SFMASK, SYSENTER_*; APM Vol. 2 15.5.2).  Between #VMEXIT and the host
 * VMLOAD below, GS.base is still the guest's, so no per-CPU data may be
 * touched there: this is why it all lives in one assembly function.
 * Interrupts cannot arrive in between either: #VMEXIT leaves GIF = 0.
 *
 * void thv_svm_vmrun(u64 vmcb_pa, u64 *guest_regs, u64 host_save_pa)
 *	%rdi: physical address of the guest VMCB
 *	%rsi: the vCPU's register array, indexed like enum thv_reg
 *	%rdx: physical address of this CPU's host VMSAVE area
 */
#include <linux/linkage.h>
#include <asm/asm.h>

/* Offsets in the register array, enum thv_reg in thv.h. */
#define G_RCX	(1 * 8)
#define G_RDX	(2 * 8)
#define G_RBX	(3 * 8)
#define G_RBP	(5 * 8)
#define G_RSI	(6 * 8)
#define G_RDI	(7 * 8)
#define G_R8	(8 * 8)
#define G_R9	(9 * 8)
#define G_R10	(10 * 8)
#define G_R11	(11 * 8)
#define G_R12	(12 * 8)
#define G_R13	(13 * 8)
#define G_R14	(14 * 8)
#define G_R15	(15 * 8)

/* Our frame, after the pushes below. */
#define F_HOST_SAVE	0
#define F_VMCB		8
#define F_REGS		16

	.text
SYM_FUNC_START(thv_svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rsi			/* F_REGS */
	push	%rdi			/* F_VMCB */
	push	%rdx			/* F_HOST_SAVE */

	/* Host hidden state (FS, GS, TR, syscall MSRs) to the save area. */
	mov	%rdx, %rax
	vmsave	%rax

	/* Guest GPRs; RAX and RSP come from the VMCB. */
	mov	%rsi, %rax
	mov	G_RCX(%rax), %rcx
	mov	G_RDX(%rax), %rdx
	mov	G_RBX(%rax), %rbx
	mov	G_RBP(%rax), %rbp
	mov	G_RSI(%rax), %rsi
	mov	G_RDI(%rax), %rdi
	mov	G_R8(%rax), %r8
	mov	G_R9(%rax), %r9
	mov	G_R10(%rax), %r10
	mov	G_R11(%rax), %r11
	mov	G_R12(%rax), %r12
	mov	G_R13(%rax), %r13
	mov	G_R14(%rax), %r14
	mov	G_R15(%rax), %r15

	mov	F_VMCB(%rsp), %rax
	vmload	%rax			/* guest hidden state */
	vmrun	%rax			/* ... the guest runs ... */
	vmsave	%rax			/* #VMEXIT: RAX, RSP are the host's again */

	mov	F_REGS(%rsp), %rax
	mov	%rcx, G_RCX(%rax)
	mov	%rdx, G_RDX(%rax)
	mov	%rbx, G_RBX(%rax)
	mov	%rbp, G_RBP(%rax)
	mov	%rsi, G_RSI(%rax)
	mov	%rdi, G_RDI(%rax)
	mov	%r8, G_R8(%rax)
	mov	%r9, G_R9(%rax)
	mov	%r10, G_R10(%rax)
	mov	%r11, G_R11(%rax)
	mov	%r12, G_R12(%rax)
	mov	%r13, G_R13(%rax)
	mov	%r14, G_R14(%rax)
	mov	%r15, G_R15(%rax)

	/* Host hidden state back: from here GS.base is the kernel's. */
	mov	F_HOST_SAVE(%rsp), %rax
	vmload	%rax

	/* Leave no guest values in registers the caller may not clobber. */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(thv_svm_vmrun)
