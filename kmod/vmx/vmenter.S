/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmenter.S - the world switch for Intel VMX.
 *
 * TOUR(8v): Into the guest and back, Intel's way.  VMLAUNCH (first entry
 * with a clear VMCS) or VMRESUME (every later one) loads the guest state
 * from the current VMCS and starts the guest in VMX non-root operation
 * (SDM Vol. 3C 27, "VM Entries").  On a VM exit the CPU saves the guest
 * state into the VMCS and loads the host state from it: RSP from HOST_RSP
 * and RIP from HOST_RIP (SDM 29.5, "Loading Host State").  So unlike
 * AMD's VMRUN, a VM exit does not return to the instruction after
 * VMLAUNCH: it jumps to thv_vmx_vmexit below, with the stack pointer we
 * wrote into HOST_RSP just before entering.
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

/* Offsets in the register array, enum thv_reg in thv.h. */
#define G_RAX	(0 * 8)
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
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d

	add	$16, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET
SYM_FUNC_END(thv_vmx_vmenter)
