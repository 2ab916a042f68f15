/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmenter.S - the world switch for Intel VMX.
 *
 * TOUR(6v thv_vmx_vmenter): Into the guest and back, Intel's way.  VMLAUNCH
 * (first entry with a clear VMCS) or VMRESUME (every later one) loads the
 * guest state from the current VMCS and starts the guest in VMX non-root
 * operation (SDM Vol. 3C 27, "VM Entries").  On a VM exit the CPU saves the
 * guest state into the VMCS and loads the host state from it: RSP from
 * HOST_RSP and RIP from HOST_RIP (SDM 29.5, "Loading Host State").  So unlike
 * AMD's VMRUN, a VM exit does not return to the instruction after VMLAUNCH: it
 * jumps to thv_vmx_vmexit below, with the stack pointer we wrote into HOST_RSP
 * just before entering.
 *
 * Neither VMLAUNCH nor a VM exit touches the general-purpose registers
 * other than RSP (and RIP): we load the guest's before entry and save
 * them after the exit, here, where the compiler cannot get in the way.
 *
 * int thv_vmx_vmenter(u64 *guest_regs, bool launched)
 *	%rdi: the vCPU's register array, indexed like enum thv_reg
 *	%sil: 0 for VMLAUNCH, 1 for VMRESUME
 *	returns 0 after a VM exit (including a failed entry reported as an
 *	exit), 1 when VMLAUNCH/VMRESUME failed as an instruction (VMfail,
 *	SDM 31.2: the VM-instruction error field says why)
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/unwind_hints.h>
#include "../guest_regs.h"

/* The VMCS encoding of HOST_RSP (SDM Vol. 3D B.4.4). */
#define VMCS_HOST_RSP	0x6c14

/* Our frame at HOST_RSP: the launched flag, then the register array. */
#define F_LAUNCHED	0
#define F_REGS		8

	.text
SYM_FUNC_START(thv_vmx_vmenter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdi			/* F_REGS */
	movzbl	%sil, %esi
	push	%rsi			/* F_LAUNCHED */

	/* The VM exit will land on this very stack pointer. */
	mov	$VMCS_HOST_RSP, %eax
	vmwrite	%rsp, %rax
	jbe	.Lvmfail_early		/* CF or ZF: VMWRITE failed */

	/* Load the guest's GPRs; RAX last, it points at the array. */
	mov	%rdi, %rax
	THV_LOAD_GUEST_GPRS %rax
	/* MOV leaves the flags alone: test first, load RAX, then branch. */
	testb	$1, F_LAUNCHED(%rsp)
	mov	G_RAX(%rax), %rax
	jz	.Lvmlaunch

	UNWIND_HINT_SAVE
	vmresume
	jmp	.Lvmfail
.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail

	/* HOST_RIP: every VM exit continues here, RSP = HOST_RSP. */
SYM_INNER_LABEL(thv_vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rax			/* the guest's RAX */
	mov	8 + F_REGS(%rsp), %rax
	THV_SAVE_GUEST_GPRS %rax
	popq	G_RAX(%rax)
	xor	%eax, %eax
	jmp	.Lout

	/*
	 * VMLAUNCH/VMRESUME failed as an instruction: no guest ran, and we
	 * are still here with the guest's values in our registers.
	 */
.Lvmfail:
.Lvmfail_early:
	mov	$1, %eax

.Lout:
	/* Leave no guest values in registers the caller may not clobber. */
	THV_CLEAR_CALLER_SAVED

	add	$16, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(thv_vmx_vmenter)
