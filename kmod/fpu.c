// SPDX-License-Identifier: GPL-2.0
/*
 * fpu.c - the guest's x87/SSE/AVX registers, and its XCR0.
 *
 * Neither VMRUN nor VMLAUNCH switches FPU, SSE or AVX registers: a guest
 * that runs floating-point code writes straight into the CPU's
 * registers, which at that moment hold the host's (the runner's) values.
 * So around every entry we let the kernel save the task's state
 * (kernel_fpu_begin), load the guest's own copy, and save it again after
 * the exit.
 *
 * Where the CPU has XSAVE (SDM Vol. 1 13), the guest may have it too, for
 * x87 and SSE state (XCR0 bits 0-1; AVX is prepared but not offered yet,
 * see thv_fpu_setup; nothing larger such as AVX-512):
 * its registers then move with XSAVE/XRSTOR in the standard format, and
 * its XCR0, set with XSETBV (an exit on both vendors), is loaded around
 * the entry by the backends with interrupts off: thv_xcr0_guest() right
 * before, thv_xcr0_host() right after.  Without XSAVE, 512 bytes of
 * FXSAVE are all there is (SDM Vol. 1 10.5).
 */
#include <linux/log2.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include "thv.h"

#define THV_FXSAVE_SIZE		512
#define THV_FX_FCW		0	/* x87 control word */
#define THV_FX_MXCSR		24	/* SSE control/status */

/* XCR0 bits (SDM Vol. 1 13.3) a guest may set; 0 without XSAVE. */
u64 thv_xfeatures;
static u64 thv_host_xcr0;
/* Bytes of the standard-format XSAVE area for thv_xfeatures. */
static unsigned int thv_xsave_size = THV_FXSAVE_SIZE;

/* Called once at module load. */
void thv_fpu_setup(void)
{
	u32 eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE) ||
	    !boot_cpu_has(X86_FEATURE_OSXSAVE))
		return;
	thv_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	/*
	 * x87 and SSE state only, for now.  The AVX path (YMM, below) is
	 * written but not offered: in the Bochs VMX lane a guest with
	 * XCR0 = 7 and CR4.OSXSAVE = 1 still gets #UD on VEX instructions,
	 * and AVX stays hidden until that is understood and tested.
	 */
	thv_xfeatures = thv_host_xcr0 & (XFEATURE_MASK_FP | XFEATURE_MASK_SSE);
	/* 512 legacy + 64 header; AVX's YMM_Hi128 where leaf 0xd.2 says. */
	thv_xsave_size = THV_FXSAVE_SIZE + 64;
	if (thv_xfeatures & XFEATURE_MASK_YMM) {
		cpuid_count(0xd, 2, &eax, &ebx, &ecx, &edx);
		thv_xsave_size = max(thv_xsave_size, ebx + eax);
	}
}

/* The standard-format size for the features in xcr0 (CPUID 0xd.0 EBX). */
unsigned int thv_xsave_size_for(u64 xcr0)
{
	u32 eax, ebx, ecx, edx;

	if (!(xcr0 & XFEATURE_MASK_YMM))
		return THV_FXSAVE_SIZE + 64;
	cpuid_count(0xd, 2, &eax, &ebx, &ecx, &edx);
	return ebx + eax;
}

int thv_guest_fpu_alloc(struct thv_vcpu *vcpu)
{
	u8 *fx;

	/*
	 * kmalloc of a power of two is naturally aligned: FXSAVE needs 16,
	 * XSAVE 64.  A zeroed XSAVE header says "all in the initial state"
	 * except MXCSR, which XRSTOR always loads from the legacy area.
	 */
	fx = kzalloc(roundup_pow_of_two(thv_xsave_size), GFP_KERNEL_ACCOUNT);
	if (!fx)
		return -ENOMEM;
	/* The state after FNINIT and reset (SDM Vol. 1 Table 8-1, 10.2.3). */
	*(u16 *)(fx + THV_FX_FCW) = 0x37f;
	*(u32 *)(fx + THV_FX_MXCSR) = 0x1f80;
	vcpu->fpu = fx;
	vcpu->xcr0 = XFEATURE_MASK_FP;	/* XCR0 at reset (SDM Vol. 1 13.3) */
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
	if (thv_xfeatures)
		asm volatile("xrstor64 %0"
			     : : "m" (*(u8 *)vcpu->fpu),
			       "a" ((u32)thv_xfeatures),
			       "d" ((u32)(thv_xfeatures >> 32))
			     : "memory");
	else
		asm volatile("fxrstor64 %0"
			     : : "m" (*(u8 (*)[THV_FXSAVE_SIZE])vcpu->fpu));
}

void thv_guest_fpu_leave(struct thv_vcpu *vcpu)
{
	if (thv_xfeatures)
		asm volatile("xsave64 %0"
			     : "+m" (*(u8 *)vcpu->fpu)
			     : "a" ((u32)thv_xfeatures),
			       "d" ((u32)(thv_xfeatures >> 32))
			     : "memory");
	else
		asm volatile("fxsave64 %0"
			     : "=m" (*(u8 (*)[THV_FXSAVE_SIZE])vcpu->fpu));
	kernel_fpu_end();
}

/*
 * The guest's XCR0 while it runs; interrupts are off and the host's
 * registers are saved (we are between thv_guest_fpu_enter and _leave).
 */
void thv_xcr0_guest(struct thv_vcpu *vcpu)
{
	if (thv_xfeatures && vcpu->xcr0 != thv_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
}

void thv_xcr0_host(struct thv_vcpu *vcpu)
{
	u64 now;

	if (!thv_xfeatures)
		return;
	/*
	 * XSETBV always exits on VMX (SDM Vol. 3C 26.1.2) and exits on SVM
	 * with its intercept set (APM Vol. 2 15.9), so XCR0 cannot change
	 * while the guest runs.  But QEMU 7.2's TCG does not intercept
	 * XSETBV in an SVM guest: the guest's XSETBV writes the CPU's XCR0
	 * directly, and the next entry would load the stale value again
	 * (make check saw XGETBV read 1 after XSETBV set 3, whenever a host
	 * interrupt came in between).  One XGETBV keeps us honest: what
	 * the CPU holds is the guest's XCR0.  The CPU checked the value.
	 */
	now = xgetbv(XCR_XFEATURE_ENABLED_MASK);
	if (now != vcpu->xcr0 && !(now & ~thv_xfeatures))
		vcpu->xcr0 = now;
	if (now != thv_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, thv_host_xcr0);
}
