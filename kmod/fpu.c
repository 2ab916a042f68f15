// SPDX-License-Identifier: GPL-2.0
/*
 * fpu.c - the guest's x87/SSE registers.
 *
 * Neither VMRUN nor VMLAUNCH switches FPU or SSE registers: a guest that
 * runs floating-point code writes straight into the CPU's registers, which
 * at that moment hold the host's (the runner's) values.  So around every
 * entry we let the kernel save the task's state (kernel_fpu_begin), load
 * the guest's own copy, and save it again after the exit.  FXSAVE's
 * 512-byte format is enough because guests cannot enable XSAVE here
 * (CPUID hides it and XSETBV is refused), SDM Vol. 1 10.5.
 */
#include <linux/slab.h>
#include <asm/fpu/api.h>
#include "thv.h"

#define THV_FXSAVE_SIZE		512
#define THV_FX_FCW		0	/* x87 control word */
#define THV_FX_MXCSR		24	/* SSE control/status */

int thv_guest_fpu_alloc(struct thv_vcpu *vcpu)
{
	u8 *fx;

	/* kmalloc of a power of two is naturally aligned: FXSAVE needs 16. */
	fx = kzalloc(THV_FXSAVE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!fx)
		return -ENOMEM;
	/* The state after FNINIT and reset (SDM Vol. 1 Table 8-1, 10.2.3). */
	*(u16 *)(fx + THV_FX_FCW) = 0x37f;
	*(u32 *)(fx + THV_FX_MXCSR) = 0x1f80;
	vcpu->fpu = fx;
	return 0;
}

void thv_guest_fpu_free(struct thv_vcpu *vcpu)
{
	kfree(vcpu->fpu);
	vcpu->fpu = NULL;
}

/* Disables preemption until thv_guest_fpu_leave(). */
void thv_guest_fpu_enter(struct thv_vcpu *vcpu)
{
	kernel_fpu_begin_mask(0);
	asm volatile("fxrstor64 %0" : : "m" (*(u8 (*)[THV_FXSAVE_SIZE])vcpu->fpu));
}

void thv_guest_fpu_leave(struct thv_vcpu *vcpu)
{
	asm volatile("fxsave64 %0" : "=m" (*(u8 (*)[THV_FXSAVE_SIZE])vcpu->fpu));
	kernel_fpu_end();
}
