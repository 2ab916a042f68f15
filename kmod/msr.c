// SPDX-License-Identifier: GPL-2.0
/*
 * msr.c - RDMSR and WRMSR of the guest, for both vendors.
 *
 * TOUR(10 thv_handle_msr): Model-specific registers.  Both backends make every
 * RDMSR and WRMSR exit (an MSR permission map of all ones on AMD, APM Vol. 2
 * 15.11; no MSR bitmaps on Intel, SDM Vol. 3C 25.6.9), so no guest access ever
 * reaches a real MSR of the host.  Here the access is emulated:
 *
 *  - The MSRs a 64-bit kernel cannot live without are the guest's own:
 *    EFER, the SYSCALL MSRs (STAR, LSTAR, CSTAR, SFMASK), the segment
 *    bases (FS, GS, KERNEL_GS), SYSENTER_*, PAT.  Their values live in
 *    the VMCB/VMCS or are swapped by the backend around VM entry
 *    (ops->get_msr/set_msr); a guest's LSTAR must never be the host's,
 *    or its first SYSCALL jumps into the host kernel's address.
 *  - TSC, APIC_BASE and MISC_ENABLE are answered from the vCPU here.
 *  - A write the real CPU would refuse raises #GP, with the manual's
 *    rules: non-canonical addresses, reserved bits, bad memory types.
 *  - Every other MSR goes to userspace as THV_EXIT_MSR, which answers
 *    with a value or with "fault" (#GP), as KVM's KVM_EXIT_X86_RDMSR.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "thv.h"

#define THV_EFER_GUEST_WRITABLE	(EFER_SCE | EFER_LME | EFER_NX)

/* APIC_BASE (SDM Vol. 3A 11.4.4): BSP bit 8, x2APIC enable 10, EN 11. */
#define THV_APIC_BASE_BSP	BIT_ULL(8)
#define THV_APIC_BASE_EXTD	BIT_ULL(10)
#define THV_APIC_BASE_EN	BIT_ULL(11)
#define THV_APIC_BASE_DEFAULT	(0xfee00000ULL | THV_APIC_BASE_EN)

/* What a real CPU reports in MISC_ENABLE when it has no BTS or PEBS. */
#define THV_MISC_ENABLE_DEFAULT	(MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

void thv_msr_vcpu_init(struct thv_vcpu *vcpu)
{
	vcpu->apic_base = THV_APIC_BASE_DEFAULT |
			  (vcpu->id == 0 ? THV_APIC_BASE_BSP : 0);
	vcpu->misc_enable = THV_MISC_ENABLE_DEFAULT;
	/* The guest's TSC counts from 0 at vCPU creation, as on reset. */
	vcpu->tsc_offset = -rdtsc();
	vcpu->dr6 = 0xffff0ff0;		/* SDM 18.2.3: reset values */
	vcpu->dr7 = 0x400;
}

/* 48-bit canonical: bits 63:47 all equal (SDM Vol. 1 3.3.7.1). */
static bool thv_is_canonical(u64 v)
{
	return (u64)((s64)(v << 16) >> 16) == v;
}

/* PAT: eight memory types; 2 and 3 are reserved, as is bit 3 and up. */
static bool thv_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = pat >> (8 * i);

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

/*
 * Would the CPU accept val in msr?  Returns false for #GP.  *val may be
 * narrowed to what the register keeps.
 */
static bool thv_msr_write_ok(u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		return thv_is_canonical(*val);
	case MSR_SYSCALL_MASK:		/* the RFLAGS bits: 63:32 reserved */
		return !(*val >> 32);
	case MSR_IA32_SYSENTER_CS:	/* a 32-bit field on Intel */
		*val = (u32)*val;
		return true;
	case MSR_IA32_CR_PAT:
		return thv_pat_valid(*val);
	}
	return true;			/* STAR: any value */
}

/* The MSRs whose values the backend keeps (VMCB/VMCS or swapped). */
static bool thv_msr_is_backends(u32 msr)
{
	switch (msr) {
	case MSR_STAR:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_SYSCALL_MASK:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_IA32_SYSENTER_CS:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_IA32_CR_PAT:
		return true;
	}
	return false;
}

/*
 * Handle msr in the kernel if it is one of ours.  Returns 0 (done, *val
 * read), -EINVAL (#GP) or -ENOENT (not ours: userspace's).
 */
static int thv_msr_read(struct thv_vcpu *vcpu, u32 msr, u64 *val)
{
	switch (msr) {
	case MSR_EFER:
		*val = thv_ops->get_efer(vcpu);
		return 0;
	case MSR_IA32_TSC:
		/* What RDTSC gives the guest: the host TSC plus its offset. */
		*val = rdtsc_ordered() + vcpu->tsc_offset;
		return 0;
	case MSR_TSC_AUX:
		*val = vcpu->tsc_aux;
		return 0;
	case MSR_IA32_APICBASE:
		*val = vcpu->apic_base;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*val = vcpu->misc_enable;
		return 0;
	}
	if (thv_msr_is_backends(msr))
		return thv_ops->get_msr(vcpu, msr, val);
	return -ENOENT;
}

static int thv_msr_write(struct thv_vcpu *vcpu, u32 msr, u64 val)
{
	u64 keep;

	switch (msr) {
	case MSR_EFER:
		if (val & ~(THV_EFER_GUEST_WRITABLE | EFER_LMA))
			return -EINVAL;
		thv_ops->set_efer(vcpu, val);
		return 0;
	case MSR_IA32_TSC:
		/*
		 * Writing the TSC moves the offset, not the host's TSC
		 * (SDM Vol. 3B 18.17; VMX "TSC offsetting", SDM 26.6,
		 * APM 15.30.5).
		 */
		vcpu->tsc_offset = val - rdtsc_ordered();
		thv_ops->set_tsc_offset(vcpu, vcpu->tsc_offset);
		return 0;
	case MSR_TSC_AUX:
		/* Bits 63:32 are reserved (SDM Vol. 4 table 2-2). */
		if (val >> 32)
			return -EINVAL;
		vcpu->tsc_aux = val;
		return 0;
	case MSR_IA32_APICBASE:
		/*
		 * Only EN, the base and, when CPUID offers x2APIC (the
		 * runner emulates a local APIC and said so), EXTD may
		 * change; BSP is the CPU's; bits 0-7 and 9 and those above
		 * the physical-address width are reserved.
		 */
		keep = THV_APIC_BASE_EN |
		       (GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 12));
		if (thv_cpuid_has_x2apic(vcpu))
			keep |= THV_APIC_BASE_EXTD;
		if ((val & ~(keep | THV_APIC_BASE_BSP)) ||
		    (val & THV_APIC_BASE_BSP) !=
		    (vcpu->apic_base & THV_APIC_BASE_BSP))
			return -EINVAL;
		/*
		 * SDM 11.12.5: EXTD without EN is invalid, and x2APIC mode
		 * may only be left by disabling the APIC.
		 */
		if ((val & THV_APIC_BASE_EXTD) && !(val & THV_APIC_BASE_EN))
			return -EINVAL;
		if ((vcpu->apic_base & THV_APIC_BASE_EXTD) &&
		    (val & THV_APIC_BASE_EN) && !(val & THV_APIC_BASE_EXTD))
			return -EINVAL;
		vcpu->apic_base = val;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		vcpu->misc_enable = val;
		return 0;
	}
	if (!thv_msr_is_backends(msr))
		return -ENOENT;
	if (!thv_msr_write_ok(msr, &val))
		return -EINVAL;
	return thv_ops->set_msr(vcpu, msr, val);
}

/* Finish an MSR access that userspace answered (thv_complete_pending). */
void thv_msr_complete(struct thv_vcpu *vcpu)
{
	struct thv_run *run = vcpu->run;

	if (run->msr.error) {
		thv_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return;
	}
	if (!vcpu->pending_msr_write) {
		vcpu->regs[THV_RAX] = (u32)run->msr.data;
		vcpu->regs[THV_RDX] = run->msr.data >> 32;
	}
	vcpu->rip = vcpu->pending_next_rip;
}

int thv_handle_msr(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;
	u64 *r = vcpu->regs;
	u32 msr = r[THV_RCX];
	u64 val = (r[THV_RDX] << 32) | (u32)r[THV_RAX];
	int ret;

	if (exit->msr.write)
		ret = thv_msr_write(vcpu, msr, val);
	else
		ret = thv_msr_read(vcpu, msr, &val);

	if (ret == -ENOENT) {
		memset(&run->msr, 0, sizeof(run->msr));
		run->exit_reason = THV_EXIT_MSR;
		run->msr.index = msr;
		run->msr.is_write = exit->msr.write;
		run->msr.data = exit->msr.write ? val : 0;
		vcpu->pending_msr_write = exit->msr.write;
		thv_set_pending(vcpu, THV_PENDING_MSR, exit);
		return 0;
	}
	if (ret) {
		/* #GP: RIP stays on the instruction (a fault). */
		thv_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	if (!exit->msr.write) {
		r[THV_RAX] = (u32)val;
		r[THV_RDX] = val >> 32;
	}
	thv_skip_insn(vcpu, exit);
	return 1;
}
