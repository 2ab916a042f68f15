// SPDX-License-Identifier: GPL-2.0
/*
 * cpuid.c - what CPU the guest believes it runs on.
 *
 * TOUR(9 thv_cpuid_hypervisor thv_cpuid): Am I virtualized?  CPUID always
 * exits to the hypervisor (it is one of the instructions SVM and VMX can be
 * told to intercept, and thv always does).  So the hypervisor can tell the
 * guest the truth: leaf 1 ECX bit 31, reserved on real CPUs, says "a
 * hypervisor is present", and leaves 0x40000000 and up carry the hypervisor's
 * signature, the way "KVMKVMKVM" announces KVM.  We also hide the CPU features
 * thv does not virtualize, so that a guest never tries to use them.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <asm/fpu/types.h>
#include <asm/processor.h>
#include "thv.h"

#define THV_CPUID_SIGNATURE	0x40000000
#define THV_CPUID_FEATURES	0x40000001
#define THV_SIGNATURE		"thvthvthv\0\0\0"

/* CPUID.1:ECX bits (SDM Vol. 2A, Table 3-10) */
#define C1_ECX_MONITOR		BIT(3)
#define C1_ECX_DS_CPL		BIT(4)
#define C1_ECX_VMX		BIT(5)
#define C1_ECX_SMX		BIT(6)
#define C1_ECX_EST		BIT(7)
#define C1_ECX_TM2		BIT(8)
#define C1_ECX_PDCM		BIT(15)
#define C1_ECX_FMA		BIT(12)
#define C1_ECX_X2APIC		BIT(21)
#define C1_ECX_TSC_DEADLINE	BIT(24)
#define C1_ECX_XSAVE		BIT(26)
#define C1_ECX_OSXSAVE		BIT(27)
#define C1_ECX_AVX		BIT(28)
#define C1_ECX_F16C		BIT(29)
#define C1_ECX_HYPERVISOR	BIT(31)
/* CPUID.1:EDX bits (SDM Vol. 2A, Table 3-11) */
#define C1_EDX_MCE		BIT(7)
#define C1_EDX_APIC		BIT(9)
#define C1_EDX_MCA		BIT(14)
#define C1_EDX_DS		BIT(21)
#define C1_EDX_ACPI		BIT(22)
#define C1_EDX_TM		BIT(29)
#define C1_EDX_PBE		BIT(31)
/*
 * CPUID.7.0 bits of features whose state XCR0 bits 5-7 hold (AVX-512):
 * thv switches only x87/SSE/AVX state (fpu.c), so they stay hidden
 * (SDM Vol. 2A, Table 3-8).
 */
#define C7_EBX_AVX2		BIT(5)
#define C7_EBX_AVX512		(BIT(16) | BIT(17) | BIT(21) | BIT(26) | \
				 BIT(27) | BIT(28) | BIT(30) | BIT(31))
#define C7_ECX_AVX512		(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14))
#define C7_EDX_AVX512		(BIT(2) | BIT(3) | BIT(8) | BIT(23))
/* CPUID.80000001h:ECX bits (APM Vol. 3, E.4.2) */
#define C81_ECX_SVM		BIT(2)
#define C81_ECX_SKINIT		BIT(12)
#define C81_ECX_WDT		BIT(13)

/* Features whose MSRs or instructions thv does not virtualize (yet). */
#define C1_ECX_HIDDEN	(C1_ECX_MONITOR | C1_ECX_DS_CPL | C1_ECX_VMX | \
			 C1_ECX_SMX | C1_ECX_EST | C1_ECX_TM2 | C1_ECX_PDCM | \
			 C1_ECX_X2APIC | C1_ECX_TSC_DEADLINE)
#define C1_EDX_HIDDEN	(C1_EDX_MCE | C1_EDX_APIC | C1_EDX_MCA | C1_EDX_DS | \
			 C1_EDX_ACPI | C1_EDX_TM | C1_EDX_PBE)
#define C81_ECX_HIDDEN	(C81_ECX_SVM | C81_ECX_SKINIT | C81_ECX_WDT)

static void thv_cpuid_hypervisor(u32 leaf, u32 *eax, u32 *ebx, u32 *ecx,
				 u32 *edx)
{
	u32 sig[3];

	*eax = *ebx = *ecx = *edx = 0;
	if (leaf == THV_CPUID_SIGNATURE) {
		memcpy(sig, THV_SIGNATURE, sizeof(sig));
		*eax = THV_CPUID_FEATURES;	/* highest leaf we answer */
		*ebx = sig[0];
		*ecx = sig[1];
		*edx = sig[2];
	}
	/* THV_CPUID_FEATURES: no paravirtual features yet, all zero. */
}

/*
 * THV_SET_CPUID: userspace describes the CPU it wants the guest to see,
 * as QEMU does for KVM with -cpu.  The table is checked whole and then
 * replaces the old one; the filtering happens when the guest asks.
 */
int thv_set_cpuid(struct thv_vcpu *vcpu, const struct thv_cpuid __user *arg)
{
	struct thv_cpuid *t;
	u32 i, j, nent;

	if (get_user(nent, &arg->nent))
		return -EFAULT;
	if (nent > THV_CPUID_MAX)
		return -E2BIG;
	if (!nent) {
		kfree(vcpu->cpuid);
		vcpu->cpuid = NULL;
		return 0;
	}
	t = memdup_user(arg, sizeof(*t));
	if (IS_ERR(t))
		return PTR_ERR(t);
	t->nent = nent;		/* as read first: no second look */
	for (i = 0; i < nent; i++) {
		struct thv_cpuid_entry *e = &t->entries[i];

		if ((e->flags & ~THV_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		    e->padding)
			goto bad;
		if (!(e->flags & THV_CPUID_FLAG_SIGNIFICANT_INDEX))
			e->index = 0;
		for (j = 0; j < i; j++)
			if (t->entries[j].function == e->function &&
			    t->entries[j].index == e->index)
				goto bad;
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = t;
	return 0;
bad:
	kfree(t);
	return -EINVAL;
}

static const struct thv_cpuid_entry *thv_cpuid_find(struct thv_vcpu *vcpu,
						    u32 leaf, u32 subleaf)
{
	const struct thv_cpuid *t = vcpu->cpuid;
	u32 i;

	for (i = 0; t && i < t->nent; i++) {
		const struct thv_cpuid_entry *e = &t->entries[i];

		if (e->function == leaf &&
		    (!(e->flags & THV_CPUID_FLAG_SIGNIFICANT_INDEX) ||
		     e->index == subleaf))
			return e;
	}
	return NULL;
}

/*
 * A table entry replaces the default, but in the leaves that list
 * features only the bits thv's default has set may stay: a table cannot
 * offer the guest what thv does not virtualize.
 */
static void thv_cpuid_apply(const struct thv_cpuid_entry *e, u32 leaf,
			    u32 subleaf, u32 *eax, u32 *ebx, u32 *ecx,
			    u32 *edx)
{
	switch (leaf) {
	case 0x1:
		*ecx &= e->ecx;
		*edx &= e->edx;
		/*
		 * APIC and x2APIC are the exception: thv.ko has no local
		 * APIC, so a table that sets them says "userspace emulates
		 * one" (the xAPIC page as MMIO, x2APIC MSRs as MSR exits).
		 */
		*ecx |= e->ecx & C1_ECX_X2APIC;
		*edx |= e->edx & C1_EDX_APIC;
		*eax = e->eax;
		/* EBX[31:24] is this vCPU's APIC ID: not the table's. */
		*ebx = (e->ebx & 0x00ffffff) | (*ebx & 0xff000000);
		*ecx |= C1_ECX_HYPERVISOR;
		return;
	case 0x7:
		if (subleaf == 0) {
			*eax = e->eax;
			*ebx &= e->ebx;
			*ecx &= e->ecx;
			*edx &= e->edx;
			return;
		}
		break;
	case 0x80000001:
		*eax = e->eax;
		*ebx = e->ebx;
		*ecx &= e->ecx;
		*edx &= e->edx;
		return;
	}
	*eax = e->eax;
	*ebx = e->ebx;
	*ecx = e->ecx;
	*edx = e->edx;
}

/* thv's answer without a table: the real CPU's, with changes. */
static __always_inline void thv_cpuid_default(struct thv_vcpu *vcpu, u32 leaf, u32 subleaf,
			      u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	/*
	 * Start from what the real CPU says (the instruction itself: the
	 * kernel's paravirt hook for it serves Xen PV guests, where there
	 * is no SVM or VMX for thv to use)...
	 */
	*eax = leaf;
	*ecx = subleaf;
	native_cpuid(eax, ebx, ecx, edx);

	/* ...and change what a guest of thv must see differently. */
	switch (leaf) {
	case 0x1:
		*ecx &= ~C1_ECX_HIDDEN;
		*ecx |= C1_ECX_HYPERVISOR;
		/*
		 * XSAVE if fpu.c can switch it; AVX and its relatives
		 * only with AVX state.  OSXSAVE is set at the end.
		 */
		if (!thv_xfeatures)
			*ecx &= ~C1_ECX_XSAVE;
		if (!(thv_xfeatures & XFEATURE_MASK_YMM))
			*ecx &= ~(C1_ECX_AVX | C1_ECX_FMA | C1_ECX_F16C);
		*edx &= ~C1_EDX_HIDDEN;
		/* EBX[31:24]: initial APIC ID = the vCPU id */
		*ebx = (*ebx & 0x00ffffff) | (vcpu->id << 24);
		break;
	case 0x7:
		if (subleaf != 0)
			break;
		if (!(thv_xfeatures & XFEATURE_MASK_YMM))
			*ebx &= ~C7_EBX_AVX2;
		*ebx &= ~C7_EBX_AVX512;
		*ecx &= ~C7_ECX_AVX512;
		*edx &= ~C7_EDX_AVX512;
		break;
	case 0xd:
		/*
		 * XSAVE (SDM Vol. 1 13.2): 0.EAX/EDX the XCR0 bits the guest
		 * may set, EBX the area for its XCR0 now, ECX for all of
		 * them; sub-leaf 1 offers none of XSAVEOPT/XSAVEC/XGETBV1/
		 * XSAVES; sub-leaf 2 (AVX) where and how big, as the CPU says.
		 */
		if (subleaf == 0 && thv_xfeatures) {
			*eax = thv_xfeatures;
			*edx = thv_xfeatures >> 32;
			*ebx = thv_xsave_size_for(vcpu->xcr0);
			*ecx = thv_xsave_size_for(thv_xfeatures);
		} else if (!(subleaf == 2 &&
			     (thv_xfeatures & XFEATURE_MASK_YMM))) {
			*eax = *ebx = *ecx = *edx = 0;
		}
		break;
	case 0x6:	/* thermal and power management */
	case 0x8000000a: /* SVM features: no nested virtualization */
		*eax = *ebx = *ecx = *edx = 0;
		break;
	case 0x80000001:
		*ecx &= ~C81_ECX_HIDDEN;
		break;
	}
}

static __always_inline void __thv_cpuid(struct thv_vcpu *vcpu, u32 leaf,
					u32 subleaf, u32 *eax, u32 *ebx,
					u32 *ecx, u32 *edx)
{
	const struct thv_cpuid_entry *e;

	if ((leaf & 0xffffff00) == THV_CPUID_SIGNATURE) {
		thv_cpuid_hypervisor(leaf, eax, ebx, ecx, edx);
		return;
	}
	thv_cpuid_default(vcpu, leaf, subleaf, eax, ebx, ecx, edx);
	e = thv_cpuid_find(vcpu, leaf, subleaf);
	if (e)
		thv_cpuid_apply(e, leaf, subleaf, eax, ebx, ecx, edx);
	/* OSXSAVE mirrors the guest's CR4.OSXSAVE (SDM Vol. 2A CPUID). */
	if (leaf == 1) {
		*ecx &= ~C1_ECX_OSXSAVE;
		if ((*ecx & C1_ECX_XSAVE) && thv_guest_osxsave(vcpu))
			*ecx |= C1_ECX_OSXSAVE;
	}
}

void thv_cpuid(struct thv_vcpu *vcpu, u32 leaf, u32 subleaf,
	       u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	__thv_cpuid(vcpu, leaf, subleaf, eax, ebx, ecx, edx);
}

/*
 * The guest ran CPUID: the leaf in EAX, the sub-leaf in ECX, the answer
 * in EAX, EBX, ECX and EDX, their upper halves cleared (SDM Vol. 2A
 * CPUID).  One function with the lookup inlined: this runs on every
 * CPUID exit, on the fast path (exit.c, thv_exit_fastpath).
 */
void thv_cpuid_guest(struct thv_vcpu *vcpu)
{
	u64 *r = vcpu->regs;
	u32 a, b, c, d;

	__thv_cpuid(vcpu, r[THV_RAX], r[THV_RCX], &a, &b, &c, &d);
	r[THV_RAX] = a;
	r[THV_RBX] = b;
	r[THV_RCX] = c;
	r[THV_RDX] = d;
}

/* Does the guest see x2APIC?  Then IA32_APIC_BASE.EXTD is writable. */
bool thv_cpuid_has_x2apic(struct thv_vcpu *vcpu)
{
	u32 a, b, c, d;

	thv_cpuid(vcpu, 1, 0, &a, &b, &c, &d);
	return c & C1_ECX_X2APIC;
}

/* The guest's CR4.OSXSAVE: cheap where the backend keeps CR4 handy. */
bool thv_guest_osxsave(struct thv_vcpu *vcpu)
{
	struct thv_sregs s;

	if (!thv_xfeatures)
		return false;
	if (thv_ops->get_cr)
		return thv_ops->get_cr(vcpu, 4) & X86_CR4_OSXSAVE;
	thv_ops->get_sregs(vcpu, &s);
	return s.cr4 & X86_CR4_OSXSAVE;
}
