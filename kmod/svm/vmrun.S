/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmrun.S - the world switch for AMD SVM.
 *
 * TOUR(6 thv_svm_vmrun): Into ring -1's guest and back.  VMRUN (APM Vol. 2
 * 15.5) saves a small part of the host state (RSP, RIP, RAX, segment and
 * control registers) in the host save area named by MSR VM_HSAVE_PA, loads the
 * guest's from the VMCB and starts the guest.  When an intercepted event
 * happens the CPU performs #VMEXIT: it writes the guest state back into the
 * VMCB, reloads the host state, and continues at the instruction after VMRUN,
 * as if VMRUN had been a call.
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
 *	%rdx: physical address of this CPU's host VMSAVE area, which the
 *	      caller filled with VMSAVE
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include "../guest_regs.h"

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

	/*
	 * The host's hidden state (FS, GS, TR, syscall MSRs) is already in
	 * its save area: svm_run() VMSAVEs it once, before the entries of
	 * one THV_RUN (they do not change in between).
	 */

	/* Guest GPRs; RAX and RSP come from the VMCB. */
	mov	%rsi, %rax
	THV_LOAD_GUEST_GPRS %rax

	mov	F_VMCB(%rsp), %rax
	vmload	%rax			/* guest hidden state */
	vmrun	%rax			/* ... the guest runs ... */
	vmsave	%rax			/* #VMEXIT: RAX, RSP are the host's again */

	mov	F_REGS(%rsp), %rax
	THV_SAVE_GUEST_GPRS %rax

	/* Host hidden state back: from here GS.base is the kernel's. */
	mov	F_HOST_SAVE(%rsp), %rax
	vmload	%rax

	/* Leave no guest values in registers the caller may not clobber. */
	THV_CLEAR_CALLER_SAVED

	add	$24, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(thv_svm_vmrun)
