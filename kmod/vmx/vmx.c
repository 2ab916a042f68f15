// SPDX-License-Identifier: GPL-2.0
/*
 * vmx.c - the Intel VMX backend.
 *
 * Like svm.c, this file only knows the hardware: how to switch VMX on
 * (VMXON), how to fill a VMCS, how to enter the guest, and how to read an
 * exit out of the VMCS into a neutral struct thv_exit.  What an exit
 * *means* is decided once, for both vendors, in exit.c.
 *
 * Three things make VMX more work than SVM, and each has its section:
 *  - The VMCS is not ordinary memory: it is "active" on one CPU at a time
 *    and only reachable through VMREAD/VMWRITE after VMPTRLD on that CPU
 *    (SDM 25.1).  See "Which CPU holds the VMCS".
 *  - A VM exit restores little host state by itself: GDTR/IDTR/TR limits,
 *    DS/ES and several MSRs come back wrong or not at all (SDM 29.5).
 *    See vmx_run().
 *  - Some control-register bits must keep fixed values in VMX operation
 *    (SDM 24.8, A.7, A.8): the hypervisor owns them, shows the guest its
 *    own idea through "read shadows", and emulates guest writes.  See
 *    "Control registers".
 *
 * References are to the Intel 64 and IA-32 Architectures Software
 * Developer's Manual Vol. 3C (order no. 326019-080), written "SDM".
 */
#define pr_fmt(fmt) "thv: vmx: " fmt

#include <linux/bitmap.h>
#include <linux/cpu.h>
#include <linux/dmi.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/nospec.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/msr.h>
#include <asm/processor-flags.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/trapnr.h>
#include <asm/tsc.h>
#include <trace/events/ipi.h>	/* smp_send_reschedule() traces, 6.12 */
#include "../thv.h"
#include "vmx.h"

#define VMX_DEFAULT_PAT		0x0007040600070406ULL
#define VMX_NR_VPIDS		(1 << 16)	/* VPIDs are 16 bits wide */

/* What hardware_setup() found out, for all CPUs. */
static struct {
	u32 revision;
	u32 vmcs_size;
	bool phys32;			/* VMX regions below 4 GiB */
	u32 pin, proc, proc2, exit, entry;	/* the controls we use */
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	u64 ept_vpid_cap;
	bool ept_ad, vpid, invept_single, invvpid_single;
	bool mtf;			/* single-step with the monitor trap flag */
	u32 preempt_ticks;		/* 0: no VMX-preemption timer */
} vmx_conf;

/*
 * How long the guest may run before the VMX-preemption timer makes it
 * exit (SDM 26.5.1), whatever it does.  Host interrupts already make it
 * exit, but Bochs 2.7 misses them while a guest spins with EFLAGS.IF=0
 * (it decides whether interrupts are masked from the IF bit before it
 * marks the CPU as being in the guest).  The timer is a backstop on any
 * CPU: a guest never holds the CPU longer than this.
 */
#define VMX_PREEMPT_US		1000

/*
 * thv.mtf: single-step with the monitor trap flag?  -1 (default): where
 * the CPU has it and it is not known to be broken; 0: never (RFLAGS.TF,
 * as on SVM); 1: wherever the CPU advertises it.
 */
static int mtf = -1;
module_param(mtf, int, 0444);
MODULE_PARM_DESC(mtf, "VMX single-step: -1 monitor trap flag where it works (default), 0 never, 1 wherever advertised");

/*
 * Bochs 2.7's tigerlake model advertises the monitor trap flag, but no
 * MTF exit ever comes (a stepped guest ran on to its next CPUID or OUT;
 * haswell and skylake_x do not offer MTF).  Its BIOS says who it is.
 */
static const struct dmi_system_id vmx_mtf_broken[] = {
	{
		.ident = "Bochs",
		.matches = { DMI_MATCH(DMI_BIOS_VERSION, "Bochs") },
	},
	{ }
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu_data);
static DECLARE_BITMAP(vmx_vpid_used, VMX_NR_VPIDS);
static DEFINE_SPINLOCK(vmx_vpid_lock);

void vmx_vmcs_error(unsigned long field, bool write, unsigned long value)
{
	unsigned long err = 0;

	/* Only valid when a VMCS is current; 0 otherwise (SDM 31.4). */
	asm volatile("vmread %[f], %[v]\n\t"
		     "jnbe 1f\n\t"
		     "xor %k[v], %k[v]\n"
		     "1:"
		     : [v] "=r" (err) : [f] "r" ((unsigned long)VM_INSTRUCTION_ERROR)
		     : "cc");
	if (write)
		pr_err_ratelimited("VMWRITE field 0x%lx value 0x%lx failed, VM-instruction error %lu\n",
				   field, value, err);
	else
		pr_err_ratelimited("VMREAD field 0x%lx failed, VM-instruction error %lu\n",
				   field, err);
}

/* ---- the VMX instructions, SDM 31.3 -------------------------------- */

static int vmx_vmxon(u64 pa)
{
	bool fail;

	asm volatile("vmxon %[pa]\n\tsetna %[fail]"
		     : [fail] "=qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	return fail ? -EIO : 0;
}

static void vmx_vmxoff(void)
{
	asm volatile("vmxoff" ::: "cc", "memory");
}

static int vmx_vmclear(void *vmcs)
{
	u64 pa = __pa(vmcs);
	bool fail;

	asm volatile("vmclear %[pa]\n\tsetna %[fail]"
		     : [fail] "=qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	return fail ? -EIO : 0;
}

static int vmx_vmptrld(void *vmcs)
{
	u64 pa = __pa(vmcs);
	bool fail;

	asm volatile("vmptrld %[pa]\n\tsetna %[fail]"
		     : [fail] "=qm" (fail) : [pa] "m" (pa) : "cc", "memory");
	return fail ? -EIO : 0;
}

static void vmx_invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };

	asm volatile("invept %[desc], %[type]"
		     :: [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static void vmx_invvpid(unsigned long type, u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };

	asm volatile("invvpid %[desc], %[type]"
		     :: [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

/* ---- what the CPU offers ------------------------------------------- */

/*
 * SDM A.3-A.5: a control MSR's low half has the bits that must be 1, its
 * high half the bits that may be 1.  Take what we need and, of what we
 * would like, what the CPU allows; fail if something needed is missing.
 */
static int vmx_adjust(u32 msr, u32 need, u32 want, u32 *out, const char *what)
{
	u64 v;
	u32 ctl;

	rdmsrl(msr, v);
	ctl = ((need | want) & (u32)(v >> 32)) | (u32)v;
	if ((ctl & need) != need) {
		pr_err("the CPU lacks %s controls 0x%x (needed by thv)\n",
		       what, need & ~ctl);
		return -ENODEV;
	}
	*out = ctl;
	return 0;
}

static int vmx_setup_controls(u64 basic)
{
	bool tru = basic & VMXB_TRUE_CTLS;
	u32 proc2_allowed;
	int ret;

	/*
	 * Pin-based (SDM 25.6.1): host interrupts and NMIs always leave
	 * the guest, so a guest can never keep the CPU from the host.
	 */
	ret = vmx_adjust(tru ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
			       MSR_IA32_VMX_PINBASED_CTLS,
			 PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING,
			 PIN_BASED_VMX_PREEMPTION_TIMER,
			 &vmx_conf.pin, "pin-based");
	if (ret)
		return ret;
	if (vmx_conf.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
		u64 misc, ticks;

		/* SDM A.6: the timer counts TSC ticks >> IA32_VMX_MISC[4:0]. */
		rdmsrl(MSR_IA32_VMX_MISC, misc);
		ticks = ((u64)tsc_khz * VMX_PREEMPT_US / 1000) >>
			(misc & VMXMISC_TIMER_RATE_MASK);
		vmx_conf.preempt_ticks = clamp_t(u64, ticks, 1, U32_MAX);
	}

	/*
	 * Primary processor-based (SDM 25.6.2): every port access and every
	 * MSR access exits (no bitmaps), so do HLT, MOV DR, MWAIT, MONITOR,
	 * RDPMC and MOV CR8 (the TPR is the host's APIC otherwise).  CR3
	 * loads and stores need no exit with EPT: we clear them when the
	 * TRUE controls allow it.
	 */
	ret = vmx_adjust(tru ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
			       MSR_IA32_VMX_PROCBASED_CTLS,
			 CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING |
			 CPU_BASED_RDPMC_EXITING | CPU_BASED_CR8_LOAD_EXITING |
			 CPU_BASED_CR8_STORE_EXITING |
			 CPU_BASED_MOV_DR_EXITING |
			 CPU_BASED_UNCOND_IO_EXITING |
			 CPU_BASED_MONITOR_EXITING | CPU_BASED_PAUSE_EXITING |
			 CPU_BASED_USE_TSC_OFFSETTING |
			 CPU_BASED_INTR_WINDOW_EXITING |
			 CPU_BASED_ACTIVATE_SECONDARY_CONTROLS,
			 CPU_BASED_MONITOR_TRAP_FLAG,
			 &vmx_conf.proc, "processor-based");
	if (ret)
		return ret;
	/*
	 * Interrupt-window exiting (SDM 26.7.5) must exist, but is on only
	 * while an interrupt waits for the guest to set IF (events.c).  The
	 * monitor trap flag (bit 27, SDM 25.6.2 Table 25-6) may exist: it
	 * is on only while single-stepping (vmx_set_single_step).
	 */
	vmx_conf.proc &= ~CPU_BASED_INTR_WINDOW_EXITING;
	vmx_conf.mtf = vmx_conf.proc & CPU_BASED_MONITOR_TRAP_FLAG;
	vmx_conf.proc &= ~CPU_BASED_MONITOR_TRAP_FLAG;
	if (vmx_conf.mtf &&
	    (!mtf || (mtf < 0 && dmi_check_system(vmx_mtf_broken)))) {
		pr_info("the monitor trap flag is not used%s: single-stepping with RFLAGS.TF\n",
			mtf ? " (Bochs makes no MTF exit)" : " (thv.mtf=0)");
		vmx_conf.mtf = false;
	}

	/* Secondary (SDM 25.6.2): EPT and unrestricted guest are a must. */
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, basic);
	proc2_allowed = basic >> 32;
	if (!(proc2_allowed & SECONDARY_EXEC_ENABLE_EPT)) {
		pr_err("this CPU has VMX but no EPT (extended page tables); thv needs EPT\n");
		return -ENODEV;
	}
	if (!(proc2_allowed & SECONDARY_EXEC_UNRESTRICTED_GUEST)) {
		pr_err("this CPU has VMX and EPT but no unrestricted guest; thv needs it to run real-mode guests\n");
		return -ENODEV;
	}
	ret = vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
			 SECONDARY_EXEC_ENABLE_EPT |
			 SECONDARY_EXEC_UNRESTRICTED_GUEST,
			 SECONDARY_EXEC_ENABLE_VPID |
			 SECONDARY_EXEC_WBINVD_EXITING |
			 SECONDARY_EXEC_ENABLE_INVPCID,
			 &vmx_conf.proc2, "secondary processor-based");
	if (ret)
		return ret;

	/*
	 * VM-exit (SDM 25.7.1): a 64-bit host; EFER and PAT switched by
	 * the CPU.  Interrupts are NOT acknowledged on exit: they stay
	 * pending in the APIC and the host takes them when it sets IF.
	 */
	ret = vmx_adjust(tru ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
			       MSR_IA32_VMX_EXIT_CTLS,
			 VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER |
			 VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_IA32_PAT |
			 VM_EXIT_LOAD_IA32_PAT, 0,
			 &vmx_conf.exit, "VM-exit");
	if (ret)
		return ret;

	/* VM-entry (SDM 25.8.1): load the guest's EFER and PAT. */
	return vmx_adjust(tru ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
				MSR_IA32_VMX_ENTRY_CTLS,
			  VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT, 0,
			  &vmx_conf.entry, "VM-entry");
}

static int vmx_setup_ept(void)
{
	u64 cap;

	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, cap);
	vmx_conf.ept_vpid_cap = cap;
	if (!(cap & EPTCAP_WALK4) || !(cap & EPTCAP_WB)) {
		pr_err("EPT lacks 4-level tables or write-back memory (cap 0x%llx)\n",
		       cap);
		return -ENODEV;
	}
	if (!(cap & EPTCAP_INVEPT) ||
	    !(cap & (EPTCAP_INVEPT_SINGLE | EPTCAP_INVEPT_ALL))) {
		pr_err("the CPU has no INVEPT; thv cannot flush stale EPT translations\n");
		return -ENODEV;
	}
	vmx_conf.invept_single = cap & EPTCAP_INVEPT_SINGLE;
	vmx_conf.ept_ad = cap & EPTCAP_AD;

	/* VPIDs need INVVPID to be safe to reuse (SDM 29.3.3.3). */
	if ((vmx_conf.proc2 & SECONDARY_EXEC_ENABLE_VPID) &&
	    (cap & VPIDCAP_INVVPID) &&
	    (cap & (VPIDCAP_INVVPID_SINGLE | VPIDCAP_INVVPID_ALL))) {
		vmx_conf.vpid = true;
		vmx_conf.invvpid_single = cap & VPIDCAP_INVVPID_SINGLE;
	} else {
		vmx_conf.proc2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	}
	return 0;
}

static int vmx_hardware_setup(struct thv_caps *caps)
{
	u64 basic, fc;
	int ret;

	/* SDM 24.6 "Discovering Support for VMX": CPUID.1:ECX.VMX[bit 5]. */
	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("this CPU has no VMX (VT-x); under Bochs use a cpu model with VMX, e.g. corei7_haswell_4770\n");
		return -ENODEV;
	}
	/* SDM 24.7: firmware may lock VMX off in IA32_FEATURE_CONTROL. */
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if ((fc & FC_LOCKED) && !(fc & FC_VMXON_OUTSIDE_SMX)) {
		pr_err("VMX is disabled by the firmware (IA32_FEATURE_CONTROL=0x%llx); enable VT-x in the BIOS\n",
		       fc);
		return -EPERM;
	}

	/* SDM A.1: the VMCS revision, region size and memory type. */
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_conf.revision = basic & VMXB_REVISION_MASK;
	vmx_conf.vmcs_size = (basic >> VMXB_SIZE_SHIFT) & VMXB_SIZE_MASK;
	vmx_conf.phys32 = basic & VMXB_32BIT_PA;
	if (vmx_conf.vmcs_size > PAGE_SIZE ||
	    ((basic >> VMXB_MEMTYPE_SHIFT) & 0xf) != VMXB_MEMTYPE_WB) {
		pr_err("unusual VMX_BASIC 0x%llx (VMCS size or memory type)\n",
		       basic);
		return -ENODEV;
	}

	ret = vmx_setup_controls(basic);
	if (ret)
		return ret;
	ret = vmx_setup_ept();
	if (ret)
		return ret;

	/* SDM A.7, A.8: bits fixed in CR0 and CR4 during VMX operation. */
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_conf.cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_conf.cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_conf.cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_conf.cr4_fixed1);

	bitmap_zero(vmx_vpid_used, VMX_NR_VPIDS);
	__set_bit(0, vmx_vpid_used);	/* VPID 0 is the host's */

	caps->flags = THV_CAP_NESTED_PAGING | THV_CAP_UNRESTRICTED;
	if (vmx_conf.vpid)
		caps->flags |= THV_CAP_VPID;
	if (vmx_conf.mtf)
		caps->flags |= THV_CAP_MTF;
	caps->nr_asids = vmx_conf.vpid ? VMX_NR_VPIDS - 1 : 0;
	caps->npt_levels = 4;		/* 4-level EPT: 48-bit guest-physical */
	caps->max_gpa = 1ULL << min_t(u32, boot_cpu_data.x86_phys_bits, 48);
	pr_info("VMCS revision 0x%x, EPT%s, VPID %s, single-step by %s\n",
		vmx_conf.revision, vmx_conf.ept_ad ? " with A/D bits" : "",
		vmx_conf.vpid ? "on" : "off",
		vmx_conf.mtf ? "MTF" : "RFLAGS.TF");
	return 0;
}

static void vmx_hardware_unsetup(void)
{
}

static void *vmx_alloc_region(int cpu)
{
	gfp_t gfp = GFP_KERNEL | __GFP_ZERO;
	struct page *page;

	if (vmx_conf.phys32)
		gfp |= GFP_DMA32;
	page = cpu >= 0 ? alloc_pages_node(cpu_to_node(cpu), gfp, 0) :
			  alloc_page(gfp | __GFP_ACCOUNT);
	if (!page)
		return NULL;
	/* SDM 25.2: the first 31 bits of a VMCS/VMXON region: revision. */
	*(u32 *)page_address(page) = vmx_conf.revision;
	return page_address(page);
}

/* ---- switching VMX on and off, per CPU -------------------------------- */

static void vmx_clear_all_on_cpu(struct vmx_cpu *vc);

/*
 * TOUR(2v): Switching VMX on, on one CPU.  Three steps (SDM 24.7):
 * make sure the firmware allows it (IA32_FEATURE_CONTROL, locked), set
 * CR4.VMXE, and execute VMXON with a region of memory the CPU keeps for
 * itself.  From then on this CPU is in "VMX root operation": ring -1's
 * landlord, able to run guests.
 */
static int vmx_cpu_enable(unsigned int cpu)
{
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu_data, cpu);
	u64 fc;
	int ret;

	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("CPU %u: VMX is already on: another hypervisor (kvm_intel?) is loaded\n",
		       cpu);
		return -EBUSY;
	}

	/* Lock VMX on if the firmware left the MSR unlocked (SDM 24.7). */
	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	if (!(fc & FC_LOCKED)) {
		fc |= FC_LOCKED | FC_VMXON_OUTSIDE_SMX;
		wrmsrl(MSR_IA32_FEAT_CTL, fc);
	} else if (!(fc & FC_VMXON_OUTSIDE_SMX)) {
		pr_err("CPU %u: VMX disabled by the firmware\n", cpu);
		return -EPERM;
	}

	if (!vc->vmxon_region) {
		vc->vmxon_region = vmx_alloc_region(cpu);
		if (!vc->vmxon_region)
			return -ENOMEM;
	}
	INIT_LIST_HEAD(&vc->loaded);
	vc->current_vmcs = NULL;

	cr4_set_bits(X86_CR4_VMXE);
	ret = vmx_vmxon(__pa(vc->vmxon_region));
	if (ret) {
		cr4_clear_bits(X86_CR4_VMXE);
		pr_err("CPU %u: VMXON failed\n", cpu);
		return ret;
	}
	vc->on = true;
	return 0;
}

static int vmx_cpu_disable(unsigned int cpu)
{
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu_data, cpu);

	if (vc->on) {
		vmx_clear_all_on_cpu(vc);
		vmx_vmxoff();
		cr4_clear_bits(X86_CR4_VMXE);
		vc->on = false;
	}
	if (vc->vmxon_region) {
		free_page((unsigned long)vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
	return 0;
}

/* ---- Which CPU holds the VMCS ----------------------------------------- */

/*
 * A VMCS is "active" on the CPU that last ran VMPTRLD on it, which may
 * cache parts of it inside the processor; it must be VMCLEARed there
 * before any other CPU may load it (SDM 25.1, 25.11.1).  thv does what KVM
 * does: the VMCS stays loaded on its CPU between exits, and when the
 * vCPU's thread wakes up on another CPU, an IPI asks the old CPU to
 * VMCLEAR it first.  Each CPU lists the VMCSs active on it, so that
 * taking the CPU offline can clear them all before VMXOFF.
 */
static void __vmx_clear(void *arg)
{
	struct vmx_vcpu *vmx = arg;
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu_data);

	/* Already cleared, e.g. by the CPU going offline: nothing to do. */
	if (vmx->cpu != smp_processor_id())
		return;
	vmx_vmclear(vmx->vmcs);
	if (vc->current_vmcs == vmx->vmcs)
		vc->current_vmcs = NULL;
	list_del(&vmx->loaded_link);
	/* The list update must be seen before cpu = -1 (KVM does the same). */
	smp_wmb();
	vmx->cpu = -1;
	vmx->launched = false;
}

static void vmx_clear_all_on_cpu(struct vmx_cpu *vc)
{
	struct vmx_vcpu *vmx, *tmp;
	unsigned long flags;

	local_irq_save(flags);
	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded_link)
		__vmx_clear(vmx);
	local_irq_restore(flags);
}

/* Make sure the VMCS is active on no CPU.  Callable with preemption on. */
static void vmx_clear_remote(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, __vmx_clear, vmx, 1);
}

/* Per-CPU host state the VMCS must carry (SDM 25.5, 27.2.3). */
static void vmx_set_host_cpu_state(void)
{
	struct desc_ptr gdt, idt;
	struct desc_struct *d;
	u64 tr_base, v;
	u16 tr;

	native_store_gdt(&gdt);
	store_idt(&idt);
	vmcs_writel(HOST_GDTR_BASE, gdt.address);
	vmcs_writel(HOST_IDTR_BASE, idt.address);

	/* TR's base, read from its 16-byte descriptor in the GDT. */
	asm volatile("str %0" : "=r" (tr));
	d = (struct desc_struct *)(gdt.address + (tr & ~7));
	tr_base = get_desc_base(d) | ((u64)((u32 *)d)[2] << 32);
	vmcs_writel(HOST_TR_BASE, tr_base);

	rdmsrl(MSR_GS_BASE, v);		/* this CPU's per-CPU area */
	vmcs_writel(HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_writel(HOST_IA32_SYSENTER_ESP, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_writel(HOST_IA32_SYSENTER_EIP, v);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write32(HOST_IA32_SYSENTER_CS, v);
}

/*
 * Make the vCPU's VMCS current on this CPU.  Preemption must be off
 * until vmx_put(): we may not migrate while the VMCS is in use.
 */
static int vmx_load(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu_data);
	int cpu = smp_processor_id();
	unsigned long flags;

	if (vmx->cpu != cpu) {
		vmx_clear_remote(vmx);
		smp_rmb();
		local_irq_save(flags);
		list_add(&vmx->loaded_link, &vc->loaded);
		vmx->cpu = cpu;
		local_irq_restore(flags);
		vmx->launched = false;
		/* This CPU may hold stale translations for our tags. */
		vmx->flush = true;
		vc->current_vmcs = NULL;
	}
	if (vc->current_vmcs != vmx->vmcs) {
		if (vmx_vmptrld(vmx->vmcs)) {
			pr_err_ratelimited("VMPTRLD failed on CPU %d\n", cpu);
			return -EIO;
		}
		vc->current_vmcs = vmx->vmcs;
		if (vmx->flush)
			vmx_set_host_cpu_state();
	}
	return 0;
}

/*
 * Load the VMCS for an ioctl outside THV_RUN (GET_SREGS and friends):
 * preemption stays off until vmx_put().
 */
static int vmx_with_vmcs(struct vmx_vcpu *vmx)
{
	preempt_disable();
	if (vmx_load(vmx)) {
		preempt_enable();
		return -EIO;
	}
	return 0;
}

static void vmx_put(void)
{
	preempt_enable();
}

/* Set or clear bits of the primary processor-based controls (loaded VMCS). */
static void vmx_proc_bits(u32 bits, bool on)
{
	u32 proc = vmcs_read32(CPU_BASED_VM_EXEC_CONTROL);

	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL,
		     on ? proc | bits : proc & ~bits);
}

/* ---- Control registers ------------------------------------------------ */

/*
 * In VMX operation some CR0/CR4 bits must stay fixed (SDM A.7, A.8): CR0.NE
 * and CR4.VMXE must be 1, for instance, even in a real-mode guest.  The
 * hypervisor owns them through the guest/host masks: for an owned bit the
 * guest reads the "read shadow", and a MOV to CR that would change an
 * owned bit's shadow value exits (SDM 26.3, 25.6.6).  thv owns CR0.PE and
 * CR0.PG too, so that it sees every switch to long mode (it must set
 * EFER.LMA and the "IA-32e mode guest" entry control, SDM 25.8.1), and all
 * of CR4.
 */
static u64 vmx_cr0_must1(void)
{
	/* With unrestricted guest PE and PG may be 0 (SDM 27.3.1.1). */
	return vmx_conf.cr0_fixed0 & ~(u64)(X86_CR0_PE | X86_CR0_PG);
}

static u64 vmx_cr0_mask(void)
{
	return vmx_cr0_must1() | ~vmx_conf.cr0_fixed1 |
	       X86_CR0_PE | X86_CR0_PG;
}

#define VMX_CR4_GUEST_OK (X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | \
			  X86_CR4_DE | X86_CR4_PSE | X86_CR4_PAE | \
			  X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | \
			  X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)

static void vmx_write_cr0(u64 val)
{
	vmcs_writel(CR0_READ_SHADOW, val);
	vmcs_writel(GUEST_CR0, (val | vmx_cr0_must1()) & vmx_conf.cr0_fixed1);
}

static void vmx_write_cr4(u64 val)
{
	vmcs_writel(CR4_READ_SHADOW, val);
	vmcs_writel(GUEST_CR4, val | vmx_conf.cr4_fixed0);
}

static u64 vmx_read_cr0(void)
{
	u64 mask = vmx_cr0_mask();

	return (vmcs_readl(GUEST_CR0) & ~mask) |
	       (vmcs_readl(CR0_READ_SHADOW) & mask);
}

static u64 vmx_read_cr4(void)
{
	return vmcs_readl(CR4_READ_SHADOW);
}

/* EFER.LMA and the "IA-32e mode guest" entry control go together. */
static void vmx_write_efer(u64 efer)
{
	u32 entry = vmcs_read32(VM_ENTRY_CONTROLS);

	vmcs_write64(GUEST_IA32_EFER, efer);
	if (efer & EFER_LMA)
		entry |= VM_ENTRY_IA32E_MODE;
	else
		entry &= ~VM_ENTRY_IA32E_MODE;
	vmcs_write32(VM_ENTRY_CONTROLS, entry);
}

/* A guest MOV to CR0, with the checks of SDM Vol. 2B "MOV to CR0". */
static int vmx_guest_set_cr0(u64 val)
{
	u64 old = vmx_read_cr0();
	u64 efer = vmcs_read64(GUEST_IA32_EFER);

	if (val >> 32)
		return -EINVAL;
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return -EINVAL;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return -EINVAL;
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (efer & EFER_LME)) {
		/* Turning paging on with LME: the switch into long mode. */
		if (!(vmx_read_cr4() & X86_CR4_PAE))
			return -EINVAL;
		vmx_write_efer(efer | EFER_LMA);
	} else if ((old & X86_CR0_PG) && !(val & X86_CR0_PG) &&
		   (efer & EFER_LMA)) {
		vmx_write_efer(efer & ~EFER_LMA);
	}
	vmx_write_cr0(val);
	return 0;
}

static int vmx_guest_set_cr4(u64 val)
{
	u64 ok = VMX_CR4_GUEST_OK | (thv_xfeatures ? X86_CR4_OSXSAVE : 0);
	u64 efer = vmcs_read64(GUEST_IA32_EFER);

	if (val & ~(ok & vmx_conf.cr4_fixed1))
		return -EINVAL;
	if ((efer & EFER_LMA) && !(val & X86_CR4_PAE))
		return -EINVAL;
	vmx_write_cr4(val);
	return 0;
}

/*
 * PAE paging's four PDPTEs (emulate.c: thv_pae_pdptes_reload()).  With
 * EPT, a VM entry does not read them from guest memory: it takes them
 * from the VMCS guest-state fields PDPTE0-3 (SDM 27.3.2.4), and a VM exit
 * saves them there (28.3.4).  So when thv emulates a MOV that reloads
 * them (CR0.PG and all of CR4 are thv's, above), or userspace sets the
 * registers, thv loads them as the CPU would: else the guest's first
 * access after turning PAE paging on would walk from four empty entries.
 */
static void vmx_write_pdptes(const u64 pdpte[4])
{
	vmcs_write64(GUEST_PDPTR0, pdpte[0]);
	vmcs_write64(GUEST_PDPTR1, pdpte[1]);
	vmcs_write64(GUEST_PDPTR2, pdpte[2]);
	vmcs_write64(GUEST_PDPTR3, pdpte[3]);
}

static u64 vmx_get_cr(struct thv_vcpu *vcpu, int nr)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 val = 0;

	if (vmx_with_vmcs(vmx))
		return 0;
	switch (nr) {
	case 0:
		val = vmx_read_cr0();
		break;
	case 3:
		val = vmcs_readl(GUEST_CR3);
		break;
	case 4:
		val = vmx_read_cr4();
		break;
	case 8:
		val = vmx->cr8;
		break;
	}
	vmx_put();
	return val;
}

static int vmx_set_cr(struct thv_vcpu *vcpu, int nr, u64 val)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 cr0, cr3, cr4, efer, pdpte[4];
	bool load;
	int ret = 0;

	/* First the PDPTEs this write loads, if any: reading may sleep. */
	if (vmx_with_vmcs(vmx))
		return -EIO;
	cr0 = vmx_read_cr0();
	cr3 = vmcs_readl(GUEST_CR3);
	cr4 = vmx_read_cr4();
	efer = vmcs_read64(GUEST_IA32_EFER);
	vmx_put();
	load = thv_pae_pdptes_reload(nr, val, cr0, cr4, efer);
	if (load && thv_read_pae_pdptes(vcpu->vm, nr == 3 ? val : cr3, pdpte))
		return -EINVAL;

	if (vmx_with_vmcs(vmx))
		return -EIO;
	switch (nr) {
	case 0:
		ret = vmx_guest_set_cr0(val);
		break;
	case 3:
		vmcs_writel(GUEST_CR3, val);
		break;
	case 4:
		ret = vmx_guest_set_cr4(val);
		break;
	case 8:
		if (val & ~0xfULL)
			ret = -EINVAL;
		else
			vmx->cr8 = val;
		break;
	default:
		ret = -EINVAL;
	}
	if (!ret && load)
		vmx_write_pdptes(pdpte);
	vmx_put();
	return ret;
}

/* ---- the VMCS ---------------------------------------------------------- */

static void vmx_write_seg(unsigned long sel, unsigned long base,
			  unsigned long limit, unsigned long ar, u16 s,
			  u64 b, u32 l, u32 a)
{
	vmcs_write16(sel, s);
	vmcs_writel(base, b);
	vmcs_write32(limit, l);
	vmcs_write32(ar, a);
}

#define VMX_SEG(name) GUEST_##name##_SELECTOR, GUEST_##name##_BASE, \
		      GUEST_##name##_LIMIT, GUEST_##name##_AR_BYTES

/*
 * TOUR(3v): Filling the VMCS.  Controls (computed in hardware_setup from
 * what this CPU allows) say what exits; the host-state area is where a VM
 * exit lands; the guest-state area starts as an x86 CPU after RESET
 * (SDM Vol. 3A 9.1.1), in real mode, which unrestricted guest runs as is.
 */
static void vmx_init_vmcs(struct vmx_vcpu *vmx)
{
	u64 v;

	/* Controls: SDM 25.6-25.8. */
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmx_conf.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmx_conf.proc);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmx_conf.proc2);
	vmcs_write32(VM_EXIT_CONTROLS, vmx_conf.exit);
	vmcs_write32(VM_ENTRY_CONTROLS, vmx_conf.entry);
	/*
	 * #DB and #AC: a guest could otherwise make the CPU loop on them
	 * without ever exiting.  #UD: to see VMMCALL, AMD's hypercall.
	 */
	vmcs_write32(EXCEPTION_BITMAP, VMX_EXC_INTERCEPTS);
	/*
	 * RDTSC runs natively, plus this (SDM 26.6).  RDTSCP is not
	 * enabled, so it raises #UD, which we intercept and emulate:
	 * natively its ECX would be the host's IA32_TSC_AUX.
	 */
	vmcs_write64(TSC_OFFSET, vmx->vcpu->tsc_offset);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_writel(CR0_GUEST_HOST_MASK, vmx_cr0_mask());
	vmcs_writel(CR4_GUEST_HOST_MASK, ~0UL);
	vmcs_write64(EPT_POINTER, vmx->eptp);
	if (vmx->vpid)
		vmcs_write16(VIRTUAL_PROCESSOR_ID, vmx->vpid);

	/* Host state: SDM 25.5; checked at entry by SDM 27.2.3. */
	vmcs_writel(HOST_CR0, read_cr0());
	vmcs_write16(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(HOST_DS_SELECTOR, 0);
	vmcs_write16(HOST_ES_SELECTOR, 0);
	vmcs_write16(HOST_FS_SELECTOR, 0);
	vmcs_write16(HOST_GS_SELECTOR, 0);
	vmcs_write16(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_writel(HOST_RIP, (unsigned long)thv_vmx_vmexit);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write64(HOST_IA32_PAT, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write64(HOST_IA32_EFER, v);

	/* Guest state after RESET. */
	vmx_write_seg(VMX_SEG(CS), 0xf000, 0xffff0000, 0xffff, 0x9b);
	vmx_write_seg(VMX_SEG(DS), 0, 0, 0xffff, 0x93);
	vmx_write_seg(VMX_SEG(ES), 0, 0, 0xffff, 0x93);
	vmx_write_seg(VMX_SEG(SS), 0, 0, 0xffff, 0x93);
	vmx_write_seg(VMX_SEG(FS), 0, 0, 0xffff, 0x93);
	vmx_write_seg(VMX_SEG(GS), 0, 0, 0xffff, 0x93);
	vmx_write_seg(VMX_SEG(LDTR), 0, 0, 0xffff, 0x82);
	vmx_write_seg(VMX_SEG(TR), 0, 0, 0xffff, 0x8b);
	vmcs_writel(GUEST_GDTR_BASE, 0);
	vmcs_write32(GUEST_GDTR_LIMIT, 0xffff);
	vmcs_writel(GUEST_IDTR_BASE, 0);
	vmcs_write32(GUEST_IDTR_LIMIT, 0xffff);
	vmx_write_cr0(X86_CR0_ET | X86_CR0_CD | X86_CR0_NW);
	vmx_write_cr4(0);
	vmcs_writel(GUEST_CR3, 0);
	vmcs_writel(GUEST_DR7, 0x400);
	vmcs_write64(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(GUEST_IA32_PAT, VMX_DEFAULT_PAT);
	vmx_write_efer(0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);	/* active */
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	/* No shadow VMCS: the link pointer must be all ones (SDM 27.3.1.5). */
	vmcs_write64(VMCS_LINK_POINTER, ~0ULL);
}

/* SDM 25.6.11: 4 levels, write-back, A/D bits when there are any. */
static u64 vmx_eptp(struct thv_vm *vm)
{
	return thv_mmu_root_pa(&vm->mmu) | EPTP_WB | EPTP_WALK4 |
	       (vmx_conf.ept_ad ? EPTP_AD : 0);
}

static u16 vmx_alloc_vpid(void)
{
	unsigned long vpid;

	if (!vmx_conf.vpid)
		return 0;
	spin_lock(&vmx_vpid_lock);
	vpid = find_first_zero_bit(vmx_vpid_used, VMX_NR_VPIDS);
	if (vpid < VMX_NR_VPIDS)
		__set_bit(vpid, vmx_vpid_used);
	else
		vpid = 0;
	spin_unlock(&vmx_vpid_lock);
	return vpid;
}

static void vmx_free_vpid(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vmx_vpid_lock);
	__clear_bit(vpid, vmx_vpid_used);
	spin_unlock(&vmx_vpid_lock);
}

static int vmx_vcpu_create(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx;
	int ret;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->vmcs = vmx_alloc_region(-1);
	if (!vmx->vmcs) {
		kfree(vmx);
		return -ENOMEM;
	}
	vmx->vcpu = vcpu;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	vmx->vpid = vmx_alloc_vpid();
	if (vmx_conf.vpid && !vmx->vpid) {
		ret = -ENOSPC;		/* 65535 vCPUs exist at once */
		goto undo;
	}
	vmx->eptp = vmx_eptp(vcpu->vm);

	/* A new VMCS is VMCLEARed once, then filled (SDM 25.11.3). */
	preempt_disable();
	ret = vmx_vmclear(vmx->vmcs);
	preempt_enable();
	if (ret)
		goto undo;
	ret = vmx_with_vmcs(vmx);
	if (ret)
		goto undo;
	vmx_init_vmcs(vmx);
	vmx_put();
	vcpu->arch = vmx;
	return 0;

undo:
	vmx_clear_remote(vmx);
	vmx_free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	return ret;
}

static void vmx_vcpu_free(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	/* Hotplug may not take the CPU away while we IPI it. */
	cpus_read_lock();
	vmx_clear_remote(vmx);
	cpus_read_unlock();
	vmx_free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	kfree(vmx);
	vcpu->arch = NULL;
}

/* ---- decoding exits ---------------------------------------------------- */

typedef void (*vmx_decode_fn)(struct vmx_vcpu *vmx, struct thv_exit *exit);

static void vmx_decode_host_event(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_HOST_INTR;
}

static void vmx_decode_nothing(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_NOTHING;
}

/*
 * SDM 26.5.2: with the monitor trap flag the guest exits (reason 37)
 * after one instruction, or after delivering an event, with RIP at the
 * next instruction to run.
 */
static void vmx_decode_step(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_STEP;
	exit->step.dr6 = 0;
}

/* SDM 28.2.2: exception or NMI; the interruption info says which. */
static void vmx_decode_exception(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	u32 info = vmcs_read32(VM_EXIT_INTR_INFO);

	if (INTR_TYPE(info) == INTR_TYPE_NMI) {
		exit->kind = THV_X_HOST_INTR;	/* vmx_run() hands it on */
		return;
	}
	exit->kind = THV_X_EXCEPTION;
	exit->exc.vector = INTR_VECTOR(info);
	exit->exc.has_error_code = info & INTR_HAS_ERROR;
	if (exit->exc.has_error_code)
		exit->exc.error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
	/* #PF: the exit qualification is the faulting address (28.2.1). */
	if (exit->exc.vector == X86_TRAP_PF)
		exit->exc.cr2 = vmcs_readl(EXIT_QUALIFICATION);
}

static void vmx_decode_shutdown(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_SHUTDOWN;
}

static void vmx_decode_cpuid(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_CPUID;
}

static void vmx_decode_hlt(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_HLT;
}

/*
 * INVD (which always exits on VMX, SDM 26.1.2) would throw away dirty
 * cache lines, the host's included: it is never run.  WBINVD only costs
 * time.  Guest memory is write-back RAM: both are skipped.
 */
static void vmx_decode_skip(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_SKIP_INSN;
}

static void vmx_decode_xsetbv(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_XSETBV;
}

/* SDM 26.7.5: the guest can take an interrupt now. */
static void vmx_decode_irq_window(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_IRQ_WINDOW;
}

static void vmx_decode_pause(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_PAUSE;
}

/* SDM Table 28-4: DR number, direction (1 = MOV from DR) and GPR. */
static void vmx_decode_dr(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_DR;
	exit->dr.nr = exit->info1 & 7;
	exit->dr.write = !(exit->info1 & BIT(4));
	exit->dr.gpr = (exit->info1 >> 8) & 15;
}

static void vmx_decode_vmcall(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_HYPERCALL;
	exit->hc_insn = THV_HC_INSN_VMCALL;
}

/* VMX instructions, MONITOR/MWAIT...: #UD in the guest. */
static void vmx_decode_denied(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_DENIED_INSN;
	exit->exc.vector = X86_TRAP_UD;
}

/* RDPMC: no performance counters are exposed; #GP(0) as for a bad ECX. */
static void vmx_decode_rdpmc(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_DENIED_INSN;
	exit->exc.vector = X86_TRAP_GP;
	exit->exc.has_error_code = true;
	exit->exc.error_code = 0;
}

/* SDM Table 28-3. */
static void vmx_decode_cr(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	u64 q = exit->info1;
	u64 cr0;

	exit->kind = THV_X_CR;
	exit->cr.nr = CRQ_NR(q);
	exit->cr.gpr = CRQ_GPR(q);
	switch (CRQ_TYPE(q)) {
	case CRQ_TYPE_MOV_TO:
		exit->cr.write = true;
		break;
	case CRQ_TYPE_MOV_FROM:
		exit->cr.write = false;
		break;
	case CRQ_TYPE_CLTS:
		exit->cr.write = true;
		exit->cr.has_value = true;
		exit->cr.value = vmx_read_cr0() & ~(u64)X86_CR0_TS;
		break;
	case CRQ_TYPE_LMSW:
		/* LMSW loads CR0[3:0] but can set PE, never clear it. */
		cr0 = vmx_read_cr0();
		exit->cr.write = true;
		exit->cr.has_value = true;
		exit->cr.value = (cr0 & ~0xfULL) | (CRQ_LMSW_DATA(q) & 0xe) |
				 ((cr0 | CRQ_LMSW_DATA(q)) & 1);
		break;
	}
}

/*
 * TOUR(8v): The same OUT on Intel.  The "I/O instruction" exit (basic
 * reason 30) puts port, size, direction and string/REP in the exit
 * qualification (SDM Vol. 3C Table 28-5); the instruction length, to skip
 * it later, is in its own VMCS field.
 */
static void vmx_decode_io(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	u64 q = exit->info1;

	exit->kind = THV_X_IO;
	exit->io.port = IOQ_PORT(q);
	exit->io.size = IOQ_SIZE(q);
	exit->io.in = q & IOQ_IN;
	exit->io.string = q & IOQ_STRING;
	exit->io.rep = q & IOQ_REP;
}

static void vmx_decode_msr_read(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_MSR;
	exit->msr.write = false;
}

static void vmx_decode_msr_write(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	exit->kind = THV_X_MSR;
	exit->msr.write = true;
}

/* SDM 28.2.1 Table 28-7: an EPT violation, the GPA in its own field. */
static void vmx_decode_ept_violation(struct vmx_vcpu *vmx,
				     struct thv_exit *exit)
{
	u64 q = exit->info1;

	exit->kind = THV_X_NPF;
	exit->info2 = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	exit->npf.gpa = exit->info2;
	exit->npf.write = q & EPTQ_WRITE;
	exit->npf.fetch = q & EPTQ_FETCH;
	exit->npf.present = q & EPTQ_PRESENT;
}

/* SDM Appendix C: basic exit reasons thv expects. */
static const vmx_decode_fn vmx_decoders[] = {
	[EXIT_REASON_EXCEPTION_NMI]	= vmx_decode_exception,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = vmx_decode_host_event,
	[EXIT_REASON_TRIPLE_FAULT]	= vmx_decode_shutdown,
	[EXIT_REASON_INIT_SIGNAL]	= vmx_decode_nothing,
	[EXIT_REASON_SIPI_SIGNAL]	= vmx_decode_nothing,
	[EXIT_REASON_INTERRUPT_WINDOW]	= vmx_decode_irq_window,
	[EXIT_REASON_PAUSE_INSTRUCTION]	= vmx_decode_pause,
	[EXIT_REASON_CPUID]		= vmx_decode_cpuid,
	[EXIT_REASON_GETSEC]		= vmx_decode_denied,
	[EXIT_REASON_HLT]		= vmx_decode_hlt,
	[EXIT_REASON_INVD]		= vmx_decode_skip,
	[EXIT_REASON_RDPMC]		= vmx_decode_rdpmc,
	[EXIT_REASON_VMCALL]		= vmx_decode_vmcall,
	[EXIT_REASON_VMCLEAR]		= vmx_decode_denied,
	[EXIT_REASON_VMLAUNCH]		= vmx_decode_denied,
	[EXIT_REASON_VMPTRLD]		= vmx_decode_denied,
	[EXIT_REASON_VMPTRST]		= vmx_decode_denied,
	[EXIT_REASON_VMREAD]		= vmx_decode_denied,
	[EXIT_REASON_VMRESUME]		= vmx_decode_denied,
	[EXIT_REASON_VMWRITE]		= vmx_decode_denied,
	[EXIT_REASON_VMOFF]		= vmx_decode_denied,
	[EXIT_REASON_VMON]		= vmx_decode_denied,
	[EXIT_REASON_CR_ACCESS]		= vmx_decode_cr,
	[EXIT_REASON_DR_ACCESS]		= vmx_decode_dr,
	[EXIT_REASON_IO_INSTRUCTION]	= vmx_decode_io,
	[EXIT_REASON_MSR_READ]		= vmx_decode_msr_read,
	[EXIT_REASON_MSR_WRITE]		= vmx_decode_msr_write,
	[EXIT_REASON_MWAIT_INSTRUCTION]	= vmx_decode_denied,
	[EXIT_REASON_MONITOR_INSTRUCTION] = vmx_decode_denied,
	[EXIT_REASON_EPT_VIOLATION]	= vmx_decode_ept_violation,
	[EXIT_REASON_INVEPT]		= vmx_decode_denied,
	[EXIT_REASON_INVVPID]		= vmx_decode_denied,
	[EXIT_REASON_WBINVD]		= vmx_decode_skip,
	[EXIT_REASON_XSETBV]		= vmx_decode_xsetbv,
	[EXIT_REASON_PREEMPTION_TIMER]	= vmx_decode_host_event,
	[EXIT_REASON_MONITOR_TRAP_FLAG]	= vmx_decode_step,
};

/*
 * An entry failure "due to invalid guest state" (exit reason 33, SDM
 * 27.8) does not say which check failed.  Name the likely culprit from
 * the state userspace last set, as svm.c does, so userspace gets more than
 * a number.  THV_FAIL_GUEST_STATE when nothing obvious is wrong.
 */
static u32 vmx_explain_invalid(const struct vmx_vcpu *vmx)
{
	const struct thv_sregs *r = &vmx->user_sregs;

	if (!vmx->has_user_sregs)
		return THV_FAIL_GUEST_STATE;
	if ((r->cr0 >> 32) || ((r->cr0 & X86_CR0_PG) && !(r->cr0 & X86_CR0_PE)))
		return THV_FAIL_CR0;
	if (r->cr3 >> boot_cpu_data.x86_phys_bits)
		return THV_FAIL_CR3;
	if (r->cr4 & ~vmx_conf.cr4_fixed1)
		return THV_FAIL_CR4;
	if (r->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX))
		return THV_FAIL_EFER;
	if ((r->cr0 & X86_CR0_PG) &&
	    !!(r->efer & EFER_LMA) != !!(r->efer & EFER_LME))
		return THV_FAIL_EFER;
	if ((r->efer & EFER_LMA) && (!(r->cr4 & X86_CR4_PAE) ||
				     (r->cs.l && r->cs.db)))
		return (r->cs.l && r->cs.db) ? THV_FAIL_SEGMENT :
					       THV_FAIL_CR4;
	if (r->tr.unusable || r->cs.unusable || !r->cs.present)
		return THV_FAIL_SEGMENT;
	return THV_FAIL_GUEST_STATE;
}

/*
 * TOUR(7v): Decoding an exit, Intel's way.  The VMCS exit-information
 * fields say why the guest stopped: the basic exit reason, the exit
 * qualification, the instruction length (SDM Vol. 3C 28.2, Appendix C).
 * They are read with VMREAD, one field at a time, and turned into the
 * same vendor-neutral struct thv_exit the SVM backend fills.
 */
static void vmx_decode_exit(struct vmx_vcpu *vmx, struct thv_exit *exit)
{
	u32 reason = vmcs_read32(VM_EXIT_REASON);
	u32 basic = EXIT_REASON_BASIC(reason);

	memset(exit, 0, sizeof(*exit));
	exit->raw_reason = reason;
	exit->info1 = vmcs_readl(EXIT_QUALIFICATION);
	exit->kind = THV_X_UNHANDLED;

	if (reason & EXIT_REASON_FAILED_ENTRY) {
		/* SDM 27.8: invalid guest state, MSR loading, machine check. */
		exit->kind = THV_X_FAIL_ENTRY;
		exit->fail.reason = basic == EXIT_REASON_INVALID_STATE ?
				    vmx_explain_invalid(vmx) :
				    THV_FAIL_UNKNOWN;
		return;
	}

	/* SDM 25.9.4: the length of the instruction that exited. */
	exit->insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	if (basic < ARRAY_SIZE(vmx_decoders)) {
		vmx_decode_fn fn;

		basic = array_index_nospec(basic, ARRAY_SIZE(vmx_decoders));
		fn = vmx_decoders[basic];
		if (fn)
			fn(vmx, exit);
	}
}

/* ---- running the guest ------------------------------------------------- */

/*
 * A VM exit in the middle of delivering an event (e.g. an EPT violation
 * on the guest's IDT or stack) must not lose the event: re-inject it on
 * the next entry (SDM 28.2.4 "Information for VM Exits During Event
 * Delivery", 27.6 "Event Injection").
 */
static void vmx_reinject(void)
{
	u32 info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
	u32 type = INTR_TYPE(info);

	if (!(info & INTR_VALID))
		return;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_NMI_UNBLOCK);
	if (info & INTR_HAS_ERROR)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE,
			     vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SW_INT || type == INTR_TYPE_PRIV_SW_EXC ||
	    type == INTR_TYPE_SW_EXC)
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN,
			     vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
}

/* Host state VMX does not restore, saved before entry (SDM 29.5). */
static void vmx_save_host(struct vmx_vcpu *vmx)
{
	savesegment(ds, vmx->host_ds);
	savesegment(es, vmx->host_es);
	savesegment(fs, vmx->host_fs);
	savesegment(gs, vmx->host_gs);
	rdmsrl(MSR_FS_BASE, vmx->host_fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->host_kernel_gs_base);
	rdmsrl(MSR_IA32_DEBUGCTLMSR, vmx->host_debugctl);
	store_idt(&vmx->host_idt);
	vmcs_writel(HOST_FS_BASE, vmx->host_fs_base);
	/* The process's page tables, and CR4 may change between entries. */
	vmcs_writel(HOST_CR3, __read_cr3());
	vmcs_writel(HOST_CR4, __read_cr4());
	/* SWAPGS in the guest swaps with this MSR: give it the guest's. */
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->guest_kernel_gs_base);
}

/*
 * The SYSCALL MSRs have no guest field in the VMCS and are not among
 * those VM entry and exit load (SDM 25.7, 25.8): the CPU would run the
 * guest with the host's, and a 64-bit guest's first SYSCALL would jump
 * to the host kernel's entry address.  So they are swapped by hand,
 * with interrupts off right around the entry, and only those whose
 * values differ.  Nothing on this CPU can make a system call before the
 * host's are back.  (KVM swaps them lazily, restoring the host's only on
 * the way back to userspace, with "user return notifiers".)  CSTAR is
 * not here: Intel CPUs never use it (SYSCALL from compatibility mode is
 * #UD), so the guest's value only needs to read back.
 */
static const u32 vmx_syscall_msrs[VMX_NR_SYSCALL_MSRS] = {
	MSR_STAR, MSR_LSTAR, MSR_SYSCALL_MASK,
};

static void vmx_syscall_msrs_enter(struct vmx_vcpu *vmx)
{
	int i;

	for (i = 0; i < VMX_NR_SYSCALL_MSRS; i++) {
		rdmsrl(vmx_syscall_msrs[i], vmx->host_syscall[i]);
		if (vmx->guest_syscall[i] != vmx->host_syscall[i])
			wrmsrl(vmx_syscall_msrs[i], vmx->guest_syscall[i]);
	}
}

static void vmx_syscall_msrs_exit(struct vmx_vcpu *vmx)
{
	int i;

	for (i = 0; i < VMX_NR_SYSCALL_MSRS; i++)
		if (vmx->guest_syscall[i] != vmx->host_syscall[i])
			wrmsrl(vmx_syscall_msrs[i], vmx->host_syscall[i]);
}

/*
 * After a VM exit (SDM 29.5.2): DS, ES, FS, GS hold the null selectors we
 * put in the host-state area, the GDTR and IDTR limits are 0xffff, the TR
 * limit is 0x67, DEBUGCTL and DR7 are cleared.  Put back what the kernel
 * and the current task rely on.
 */
static void vmx_restore_host(struct vmx_vcpu *vmx)
{
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->guest_kernel_gs_base);

	load_fixmap_gdt(raw_smp_processor_id());
	native_load_idt(&vmx->host_idt);
	invalidate_tss_limit();
	if (vmx->host_ds)
		loadsegment(ds, vmx->host_ds);
	if (vmx->host_es)
		loadsegment(es, vmx->host_es);
	if (vmx->host_fs) {
		loadsegment(fs, vmx->host_fs);
		wrmsrl(MSR_FS_BASE, vmx->host_fs_base);
	}
	if (vmx->host_gs)
		load_gs_index(vmx->host_gs);
	wrmsrl(MSR_KERNEL_GS_BASE, vmx->host_kernel_gs_base);
	if (vmx->host_debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, vmx->host_debugctl);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
}

/*
 * Tagged translations (SDM 29.4): guest-physical mappings are tagged with
 * the EPTP, combined ones with the EPTP and the VPID.  Flush ours when the
 * VMCS first lands on a CPU (it may hold stale entries for these tags
 * from an earlier VM) and when the EPT lost mappings (a region replaced).
 */
static void vmx_flush(struct vmx_vcpu *vmx)
{
	if (vmx_conf.invept_single)
		vmx_invept(INVEPT_SINGLE, vmx->eptp);
	else
		vmx_invept(INVEPT_ALL, 0);
	if (vmx->vpid) {
		if (vmx_conf.invvpid_single)
			vmx_invvpid(INVVPID_SINGLE, vmx->vpid);
		else
			vmx_invvpid(INVVPID_ALL, 0);
	}
	vmx->flush = false;
}

static bool vmx_event_in_flight(struct thv_vcpu *vcpu);

/* ---- Single-stepping without the monitor trap flag --------------------- */

/*
 * Bochs's VMX CPUs have no working monitor trap flag (vmx_mtf_broken),
 * so there thv steps as on SVM, with the guest's RFLAGS.TF and the #DB
 * intercept (debug.c, "stepping with RFLAGS.TF"); #DB is always in our
 * exception bitmap (SDM 25.6.3).  A #DB exit says in its exit
 * qualification which debug conditions were met, as DR6 would: BS (bit
 * 14) is the single-step trap (SDM 28.2.1, Table 28-1).  Such a #DB
 * leaves the guest's DR6 alone.
 * What is VMX's own:
 *
 *  - Events.  The event goes in through the VM-entry interruption-
 *    information field, without our TF.  To stop before the handler's
 *    first instruction, that entry starts the VMX-preemption timer at 0:
 *    "a VM exit occurs before execution of any instruction following VM
 *    entry ... after any event injection" (SDM 27.7.4).  A CPU without
 *    the timer gets an IPI to itself instead, held pending by IF = 0
 *    until the guest runs: external-interrupt exiting makes it an exit
 *    as soon as the event is delivered.  INT n never exits on VMX, so
 *    it is injected too, as a software interrupt (type 4, SDM 27.6.1.1)
 *    whose return address is RIP plus the VM-entry instruction length.
 *
 *  - STI and MOV SS.  An entry with RFLAGS.TF = 1 and blocking by STI or
 *    MOV SS must have BS set in the pending debug exceptions field (SDM
 *    27.3.1.5), and that pending #DB would be delivered before the next
 *    instruction (27.7.3): a step that never moves.  So the blocking is
 *    lifted for the entry: our TF traps after the next instruction
 *    anyway, and no interrupt is injected meanwhile (interrupt-window
 *    exiting is held back for that one entry).  If the instruction did
 *    not run, the blocking is put back.
 *
 *  - Stale traps.  When an instruction exits (CPUID, OUT), Bochs saves
 *    the trap our TF would raise after it as BS in the pending debug
 *    exceptions field.  thv then finishes the instruction itself, and
 *    that BS would end the next step before it ran anything: every
 *    stepping entry clears it.
 *
 *  - Bochs forgets the STI shadow at a #DB exit (a real CPU saves it):
 *    after a stepped STI that set IF we record blocking by STI ourselves,
 *    so that a queued interrupt still waits one more instruction (SDM
 *    Vol. 3A 6.8.3, Vol. 2B STI).
 */
struct vmx_step {
	struct thv_step_entry st;	/* the instruction at RIP, debug.c */
	u32 injected;		/* the event this entry delivers, if valid */
	u64 rflags;		/* the guest's, before the step */
	u32 shadow;		/* blocking by STI/MOV SS lifted for it */
	bool window;		/* interrupt-window exiting held back */
	bool ipi;		/* no timer: stop after the event with an IPI */
	bool trap;		/* our TF's #DB came: the instruction ran */
	u64 dr6;		/* what DR6 would say about it */
};

/* The VMCS is current; RIP, RSP and RFLAGS are written already. */
static void vmx_tf_step_enter(struct thv_vcpu *vcpu, struct vmx_step *s)
{
	u32 intr = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	unsigned long pend = vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS);

	s->rflags = vcpu->rflags;
	s->injected = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);
	if (!(s->injected & INTR_VALID) && s->st.insn == THV_STEP_INT_N) {
		s->injected = s->st.vector | (INTR_TYPE_SW_INT << 8) |
			      INTR_VALID;
		vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, s->injected);
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, s->st.len);
	}
	if (s->injected & INTR_VALID) {
		if (vmx_conf.preempt_ticks)
			vmcs_write32(VMX_PREEMPTION_TIMER_VALUE, 0);
		else
			s->ipi = true;
	} else {
		vmcs_writel(GUEST_RFLAGS, vcpu->rflags | X86_EFLAGS_TF);
	}

	if (pend & DR_STEP)
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, pend & ~DR_STEP);
	s->shadow = intr & (INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS);
	if (!s->shadow)
		return;
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, intr & ~s->shadow);
	if (vmcs_read32(CPU_BASED_VM_EXEC_CONTROL) &
	    CPU_BASED_INTR_WINDOW_EXITING) {
		vmx_proc_bits(CPU_BASED_INTR_WINDOW_EXITING, false);
		s->window = true;
	}
}

/* Undo what vmx_tf_step_enter() lifted; ran: the instruction finished. */
static void vmx_tf_step_restore(struct vmx_step *s, bool ran)
{
	if (s->window)
		vmx_proc_bits(CPU_BASED_INTR_WINDOW_EXITING, true);
	if (s->shadow && !ran)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) |
			     s->shadow);
}

/*
 * After the exit, the VMCS still current: did our TF trap?  Either as
 * the #DB exit itself, or, if another exit (a host interrupt, the
 * preemption timer) came at the same instruction boundary, as BS in the
 * pending debug exceptions field (SDM 28.3.4).  debug.c then does the
 * rest (thv_tf_step_done), once the VMCS is no longer needed.
 */
static void vmx_tf_step_exit(struct thv_vcpu *vcpu, struct thv_exit *exit,
			     struct vmx_step *s, bool delivered)
{
	unsigned long pend = vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS);
	u64 bits = 0;

	if (!(s->injected & INTR_VALID)) {
		if (exit->kind == THV_X_EXCEPTION &&
		    exit->exc.vector == X86_TRAP_DB && (exit->info1 & DR_STEP))
			bits = exit->info1;
		else if ((pend & DR_STEP) &&
			 (exit->kind == THV_X_HOST_INTR ||
			  exit->kind == THV_X_NOTHING))
			bits = pend;
	}
	if (pend & DR_STEP)
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, pend & ~DR_STEP);
	s->trap = bits & DR_STEP;
	s->dr6 = DR6_RESERVED | (bits & (DR_TRAP_BITS | DR_STEP));
	vmx_tf_step_restore(s, s->trap || delivered);

	/* A stepped STI that set IF: the shadow Bochs forgot. */
	if (s->trap && s->st.insn == THV_STEP_STI &&
	    !(s->rflags & X86_EFLAGS_IF) && (vcpu->rflags & X86_EFLAGS_IF))
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) |
			     INTERRUPTIBILITY_STI);
}

/* The registers the VMCS holds for us, to it before entry. */
static void vmx_regs_to_vmcs(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	vmcs_writel(GUEST_RIP, vcpu->rip);
	vmcs_writel(GUEST_RSP, vcpu->regs[THV_RSP]);
	vmcs_writel(GUEST_RFLAGS, vcpu->rflags);
	/* We moved RIP past an instruction: STI/MOV SS blocking is over. */
	if (vcpu->rip != vmx->exit_rip)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO,
			     vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
			     ~(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS));
}

/*
 * Right after the VM exit, interrupts still off and the guest's XCR0,
 * CR2 and SYSCALL MSRs still loaded (none of them matters to the code
 * below): decode the exit, and let exit.c handle it on the spot if it
 * can (thv_exit_fastpath).  True: enter the guest again at once, with
 * VMRESUME.  The host state VM exit loaded (SDM 28.5) is enough for
 * that; the rest comes back after the loop (vmx_restore_host).
 */
static bool vmx_exit_irqoff(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	vmx_decode_exit(vmx, exit);
	if (exit->kind == THV_X_FAIL_ENTRY)
		return false;
	vmx->launched = true;
	vcpu->rip = vmcs_readl(GUEST_RIP);
	vcpu->regs[THV_RSP] = vmcs_readl(GUEST_RSP);
	vcpu->rflags = vmcs_readl(GUEST_RFLAGS);
	vmx->exit_rip = vcpu->rip;
	/* Stepping, or an event half delivered: the slow way. */
	if (vmx->single_step ||
	    (vmcs_read32(IDT_VECTORING_INFO_FIELD) & INTR_VALID) ||
	    !thv_exit_fastpath(vcpu, exit))
		return false;
	vmx_regs_to_vmcs(vcpu);
	return true;
}

/*
 * A monitor trap flag that does not fire.  With MTF on and no event
 * injected, the MTF exit comes right after the first instruction (SDM
 * 26.5.2), before anything the next instruction could cause.  So an
 * instruction's exit at another RIP than the one we entered at means
 * the guest ran on: MTF does not work here (an emulator; see
 * vmx_mtf_broken).  This step is lost; from now on thv steps with
 * RFLAGS.TF, on every vCPU (vmx_run switches this one over when it is
 * done with the exit).  The VMCS is loaded.
 */
static bool vmx_mtf_failed(struct thv_vcpu *vcpu, const struct thv_exit *exit,
			   u64 entry_rip, u32 injected)
{
	if ((injected & INTR_VALID) || vcpu->rip == entry_rip)
		return false;
	switch (exit->kind) {
	case THV_X_IO:
	case THV_X_NPF:
	case THV_X_CPUID:
	case THV_X_HLT:
	case THV_X_HYPERCALL:
	case THV_X_MSR:
	case THV_X_DENIED_INSN:
	case THV_X_SKIP_INSN:
	case THV_X_CR:
	case THV_X_RDTSCP:
	case THV_X_PAUSE:
	case THV_X_DR:
	case THV_X_XSETBV:
		break;
	default:
		return false;
	}
	pr_warn_once("no MTF exit after one instruction (entered at 0x%llx, exit %u at 0x%llx): single-stepping with RFLAGS.TF from now on\n",
		     entry_rip, vmcs_read32(VM_EXIT_REASON) & 0xffff,
		     vcpu->rip);
	WRITE_ONCE(vmx_conf.mtf, false);
	WRITE_ONCE(thv_caps.flags, thv_caps.flags & ~THV_CAP_MTF);
	vmx_proc_bits(CPU_BASED_MONITOR_TRAP_FLAG, false);
	return true;
}

static int vmx_run(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	struct thv_vm *vm = vcpu->vm;
	struct vmx_step step = { 0 };
	u64 entry_rip = vcpu->rip;
	bool mtf_failed = false;
	unsigned long flags;
	bool delivered;
	bool nmi = false;
	u64 eptp;
	int fail;

	/*
	 * Single-stepping: what is the instruction at RIP (debug.c)?  An
	 * INT n cannot be intercepted on VMX: with MTF the CPU delivers it
	 * and the MTF exit comes at the handler (SDM 26.5.2); with TF we
	 * inject it ourselves (vmx_tf_step_enter).  Either way the step
	 * reports the event.
	 */
	if (vmx->single_step && !vmx_event_in_flight(vcpu))
		thv_step_prepare(vcpu, &step.st);

	thv_guest_fpu_enter(vcpu);	/* from here on, no preemption */
	if (vmx_load(vmx)) {
		thv_guest_fpu_leave(vcpu);
		return -EIO;
	}
	eptp = vmx_eptp(vm);
	if (eptp != vmx->eptp) {
		vmcs_write64(EPT_POINTER, eptp);
		vmx->eptp = eptp;
		vmx->flush = true;
	}
	if (vcpu->mmu_generation != vm->mmu_generation) {
		vmx->flush = true;
		vcpu->mmu_generation = vm->mmu_generation;
	}
	if (vmx->flush)
		vmx_flush(vmx);

	if (vmx_conf.preempt_ticks)
		vmcs_write32(VMX_PREEMPTION_TIMER_VALUE,
			     vmx_conf.preempt_ticks);
	vmx_regs_to_vmcs(vcpu);
	/* Stepping: which event this entry delivers (VM exit clears it). */
	if (vmx->step_tf)
		vmx_tf_step_enter(vcpu, &step);
	else if (vmx->single_step)
		step.injected = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD);

	vmx_save_host(vmx);
	/*
	 * Interrupts stay off from here to right after the exit: an
	 * interrupt arriving while the guest runs makes it exit (external-
	 * interrupt exiting), stays pending, and the host takes it at
	 * local_irq_enable() below.
	 */
	local_irq_disable();
	/* No timer to stop right after an event: an IPI (vmx_tf_step_enter). */
	if (step.ipi)
		smp_send_reschedule(smp_processor_id());
	vmx_syscall_msrs_enter(vmx);
	/* CR2 is not in the VMCS: the guest's goes in by hand (SDM 28.3). */
	if (native_read_cr2() != vmx->guest_cr2)
		native_write_cr2(vmx->guest_cr2);
	thv_xcr0_guest(vcpu);
	while (!(fail = thv_vmx_vmenter(vcpu->regs, vmx->launched)) &&
	       vmx_exit_irqoff(vcpu, exit))
		;
	thv_xcr0_host(vcpu);
	vmx->guest_cr2 = native_read_cr2();
	vmx_syscall_msrs_exit(vmx);
	vmx_restore_host(vmx);
	if (!fail) {
		u32 reason = vmcs_read32(VM_EXIT_REASON);

		/* An NMI exit: the host's NMI, hand it to the host's handler. */
		if (reason == EXIT_REASON_EXCEPTION_NMI &&
		    INTR_TYPE(vmcs_read32(VM_EXIT_INTR_INFO)) == INTR_TYPE_NMI)
			nmi = true;
	}
	if (nmi)
		asm volatile("int $2");
	local_irq_enable();

	if (fail) {
		/* VMfail (SDM 31.2): the instruction itself was refused. */
		u32 err = vmcs_read32(VM_INSTRUCTION_ERROR);

		memset(exit, 0, sizeof(*exit));
		exit->kind = THV_X_FAIL_ENTRY;
		exit->fail.vm_insn_error = err;
		exit->fail.reason = err == VMXERR_ENTRY_INVALID_CONTROL_FIELD ?
				    THV_FAIL_VMCS_CONTROL : THV_FAIL_UNKNOWN;
		if (err == VMXERR_ENTRY_INVALID_HOST_STATE_FIELD)
			pr_err_ratelimited("VM entry refused the host state: a thv bug\n");
	}

	if (exit->kind == THV_X_FAIL_ENTRY) {
		if (vmx->step_tf)
			vmx_tf_step_restore(&step, false);
		/* Start over with VMLAUNCH from a clear VMCS next time. */
		local_irq_save(flags);
		__vmx_clear(vmx);
		local_irq_restore(flags);
		thv_guest_fpu_leave(vcpu);
		return 0;
	}
	/*
	 * An event injected while stepping and not left half delivered
	 * (IDT-vectoring information invalid, SDM 28.2.4): the step ends at
	 * its handler: an entry that injects a vectored event makes an MTF
	 * exit pending before the first instruction after it (SDM 26.5.2),
	 * or, without MTF, the preemption timer or our IPI exits there
	 * (vmx_tf_step_enter), unless another exit comes first (debug.c
	 * handles both).
	 */
	if (vmx->single_step && !vmx->step_tf && exit->kind != THV_X_STEP)
		mtf_failed = vmx_mtf_failed(vcpu, exit, entry_rip,
					    step.injected);
	delivered = (step.injected & INTR_VALID) &&
		    !(vmcs_read32(IDT_VECTORING_INFO_FIELD) & INTR_VALID);
	if (vmx->step_tf)
		vmx_tf_step_exit(vcpu, exit, &step, delivered);
	if (delivered)
		thv_step_event_done(vcpu, exit, INTR_VECTOR(step.injected));
	else if (step.st.insn == THV_STEP_INT_N && exit->kind == THV_X_STEP)
		thv_step_event_done(vcpu, exit, step.st.vector); /* MTF */
	vmx_reinject();
	thv_guest_fpu_leave(vcpu);
	/* Our TF out of RFLAGS and PUSHF images (reads guest memory). */
	if (vmx->step_tf && !(step.injected & INTR_VALID))
		thv_tf_step_done(vcpu, exit, &step.st, step.trap, step.dr6);
	if (mtf_failed)
		vmx->step_tf = true;
	return 0;
}

/* ---- state for userspace ----------------------------------------------- */

static void vmx_seg_to_user(unsigned long sel, unsigned long base,
			    unsigned long limit, unsigned long ar,
			    struct thv_segment *u)
{
	u32 a = vmcs_read32(ar);

	u->base = vmcs_readl(base);
	u->limit = vmcs_read32(limit);
	u->selector = vmcs_read16(sel);
	u->type = a & VMXAR_TYPE_MASK;
	u->s = !!(a & VMXAR_S);
	u->dpl = (a >> VMXAR_DPL_SHIFT) & 3;
	u->present = !!(a & VMXAR_P);
	u->avl = !!(a & VMXAR_AVL);
	u->l = !!(a & VMXAR_L);
	u->db = !!(a & VMXAR_DB);
	u->g = !!(a & VMXAR_G);
	u->unusable = !!(a & VMXAR_UNUSABLE);
	u->padding = 0;
}

static void vmx_seg_from_user(unsigned long sel, unsigned long base,
			      unsigned long limit, unsigned long ar,
			      const struct thv_segment *u)
{
	u32 a;

	if (u->unusable)
		a = VMXAR_UNUSABLE;
	else
		a = (u->type & VMXAR_TYPE_MASK) | (u->s ? VMXAR_S : 0) |
		    ((u->dpl & 3) << VMXAR_DPL_SHIFT) |
		    (u->present ? VMXAR_P : 0) | (u->avl ? VMXAR_AVL : 0) |
		    (u->l ? VMXAR_L : 0) | (u->db ? VMXAR_DB : 0) |
		    (u->g ? VMXAR_G : 0);
	vmx_write_seg(sel, base, limit, ar, u->selector, u->base, u->limit, a);
}

static void vmx_get_sregs(struct thv_vcpu *vcpu, struct thv_sregs *r)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (vmx_with_vmcs(vmx))
		return;
	vmx_seg_to_user(VMX_SEG(CS), &r->cs);
	vmx_seg_to_user(VMX_SEG(DS), &r->ds);
	vmx_seg_to_user(VMX_SEG(ES), &r->es);
	vmx_seg_to_user(VMX_SEG(FS), &r->fs);
	vmx_seg_to_user(VMX_SEG(GS), &r->gs);
	vmx_seg_to_user(VMX_SEG(SS), &r->ss);
	vmx_seg_to_user(VMX_SEG(TR), &r->tr);
	vmx_seg_to_user(VMX_SEG(LDTR), &r->ldt);
	r->gdt.base = vmcs_readl(GUEST_GDTR_BASE);
	r->gdt.limit = vmcs_read32(GUEST_GDTR_LIMIT);
	r->idt.base = vmcs_readl(GUEST_IDTR_BASE);
	r->idt.limit = vmcs_read32(GUEST_IDTR_LIMIT);
	r->cr0 = vmx_read_cr0();
	r->cr2 = vmx->guest_cr2;
	r->cr3 = vmcs_readl(GUEST_CR3);
	r->cr4 = vmx_read_cr4();
	r->cr8 = vmx->cr8;
	r->efer = vmcs_read64(GUEST_IA32_EFER);
	vmx_put();
}

/*
 * Userspace may set any state; VM entry's own checks (SDM 27.3.1) decide
 * whether it is runnable, and a refused one ends in THV_EXIT_FAIL_ENTRY.
 * Only the bits VMX operation fixes are ours, as for a guest MOV to CR.
 */
static int vmx_set_sregs(struct thv_vcpu *vcpu, const struct thv_sregs *r)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	bool pae = (r->cr0 & X86_CR0_PG) && (r->cr4 & X86_CR4_PAE) &&
		   !(r->efer & EFER_LMA);
	u64 pdpte[4];
	int ret;

	/* PAE paging: its PDPTEs come with it, as KVM_SET_SREGS does. */
	if (pae) {
		down_read(&vcpu->vm->run_lock);	/* the slots stay put */
		ret = thv_read_pae_pdptes(vcpu->vm, r->cr3, pdpte);
		up_read(&vcpu->vm->run_lock);
		if (ret)
			return ret;
	}
	ret = vmx_with_vmcs(vmx);
	if (ret)
		return ret;
	vmx_seg_from_user(VMX_SEG(CS), &r->cs);
	vmx_seg_from_user(VMX_SEG(DS), &r->ds);
	vmx_seg_from_user(VMX_SEG(ES), &r->es);
	vmx_seg_from_user(VMX_SEG(FS), &r->fs);
	vmx_seg_from_user(VMX_SEG(GS), &r->gs);
	vmx_seg_from_user(VMX_SEG(SS), &r->ss);
	vmx_seg_from_user(VMX_SEG(TR), &r->tr);
	vmx_seg_from_user(VMX_SEG(LDTR), &r->ldt);
	vmcs_writel(GUEST_GDTR_BASE, r->gdt.base);
	vmcs_write32(GUEST_GDTR_LIMIT, r->gdt.limit);
	vmcs_writel(GUEST_IDTR_BASE, r->idt.base);
	vmcs_write32(GUEST_IDTR_LIMIT, r->idt.limit);
	/* Upper CR0 bits go through: entry refuses them (SDM 27.3.1.1). */
	vmcs_writel(CR0_READ_SHADOW, r->cr0);
	vmcs_writel(GUEST_CR0, (r->cr0 | vmx_cr0_must1()) &
			       (vmx_conf.cr0_fixed1 | ~0xffffffffULL));
	vmx_write_cr4(r->cr4);
	vmcs_writel(GUEST_CR3, r->cr3);
	if (pae)
		vmx_write_pdptes(pdpte);
	vmx->cr8 = r->cr8 & 0xf;
	vmx->guest_cr2 = r->cr2;
	vmx_write_efer(r->efer);
	/* A new state: no half-delivered event, no interrupt shadow. */
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmx_put();
	vmx->user_sregs = *r;
	vmx->has_user_sregs = true;
	return 0;
}

static u64 vmx_get_efer(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 efer;

	if (vmx_with_vmcs(vmx))
		return 0;
	efer = vmcs_read64(GUEST_IA32_EFER);
	vmx_put();
	return efer;
}

static void vmx_set_efer(struct thv_vcpu *vcpu, u64 efer)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 lma;

	if (vmx_with_vmcs(vmx))
		return;
	/* LMA is the CPU's to set (on CR0.PG with LME), not the guest's. */
	lma = vmcs_read64(GUEST_IA32_EFER) & EFER_LMA;
	vmcs_write64(GUEST_IA32_EFER, (efer & ~EFER_LMA) | lma);
	vmx_put();
}

/*
 * The guest's own MSRs (msr.c has checked the value): the segment bases,
 * SYSENTER and PAT are guest-state fields of the VMCS (SDM 25.4.1-2),
 * KERNEL_GS_BASE and the SYSCALL MSRs are swapped by hand.
 */
static u64 *vmx_msr_slot(struct vmx_vcpu *vmx, u32 msr)
{
	int i;

	for (i = 0; i < VMX_NR_SYSCALL_MSRS; i++)
		if (vmx_syscall_msrs[i] == msr)
			return &vmx->guest_syscall[i];
	if (msr == MSR_CSTAR)
		return &vmx->guest_cstar;
	if (msr == MSR_KERNEL_GS_BASE)
		return &vmx->guest_kernel_gs_base;
	return NULL;
}

static int vmx_get_msr(struct thv_vcpu *vcpu, u32 msr, u64 *val)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 *slot = vmx_msr_slot(vmx, msr);
	int ret = 0;

	if (slot) {
		*val = *slot;
		return 0;
	}
	if (vmx_with_vmcs(vmx))
		return -EIO;
	switch (msr) {
	case MSR_FS_BASE:
		*val = vmcs_readl(GUEST_FS_BASE);
		break;
	case MSR_GS_BASE:
		*val = vmcs_readl(GUEST_GS_BASE);
		break;
	case MSR_IA32_SYSENTER_CS:
		*val = vmcs_read32(GUEST_SYSENTER_CS);
		break;
	case MSR_IA32_SYSENTER_ESP:
		*val = vmcs_readl(GUEST_SYSENTER_ESP);
		break;
	case MSR_IA32_SYSENTER_EIP:
		*val = vmcs_readl(GUEST_SYSENTER_EIP);
		break;
	case MSR_IA32_CR_PAT:
		*val = vmcs_read64(GUEST_IA32_PAT);
		break;
	default:
		ret = -ENOENT;
	}
	vmx_put();
	return ret;
}

static int vmx_set_msr(struct thv_vcpu *vcpu, u32 msr, u64 val)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u64 *slot = vmx_msr_slot(vmx, msr);
	int ret = 0;

	if (slot) {
		*slot = val;
		return 0;
	}
	if (vmx_with_vmcs(vmx))
		return -EIO;
	switch (msr) {
	case MSR_FS_BASE:
		vmcs_writel(GUEST_FS_BASE, val);
		break;
	case MSR_GS_BASE:
		vmcs_writel(GUEST_GS_BASE, val);
		break;
	case MSR_IA32_SYSENTER_CS:
		vmcs_write32(GUEST_SYSENTER_CS, val);
		break;
	case MSR_IA32_SYSENTER_ESP:
		vmcs_writel(GUEST_SYSENTER_ESP, val);
		break;
	case MSR_IA32_SYSENTER_EIP:
		vmcs_writel(GUEST_SYSENTER_EIP, val);
		break;
	case MSR_IA32_CR_PAT:
		vmcs_write64(GUEST_IA32_PAT, val);
		break;
	default:
		ret = -ENOENT;
	}
	vmx_put();
	return ret;
}

static void vmx_set_exception_intercepts(struct thv_vcpu *vcpu, u32 vectors)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (vmx_with_vmcs(vmx))
		return;
	/* With the #PF bit, PFEC mask = match = 0: every #PF (25.6.3). */
	vmcs_write32(EXCEPTION_BITMAP, VMX_EXC_INTERCEPTS | vectors);
	vmx_put();
}

/*
 * THV_DEBUG_SINGLESTEP: the monitor trap flag, primary processor-based
 * control bit 27 (SDM 25.6.2, 26.5.2), where the CPU has it.  The
 * guest's own TF is left alone: a guest stepping itself gets its #DB
 * (intercepted, then delivered by exit.c) before our MTF exit, which has
 * lower priority.  Without MTF (or with thv.mtf=0, or once MTF was seen
 * not to fire, vmx_mtf_failed), RFLAGS.TF as on SVM: vmx_run() does the
 * work, see "Single-stepping without the monitor trap flag".
 */
static int vmx_set_single_step(struct thv_vcpu *vcpu, bool on)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	/* Turning it off: the way this vCPU was stepping. */
	bool use_mtf = on ? READ_ONCE(vmx_conf.mtf) : !vmx->step_tf;

	if (use_mtf) {
		if (vmx_with_vmcs(vmx))
			return -EIO;
		vmx_proc_bits(CPU_BASED_MONITOR_TRAP_FLAG, on);
		vmx_put();
	}
	vmx->single_step = on;
	vmx->step_tf = on && !use_mtf;
	return 0;
}

/* CR2 is not in the VMCS: vmx_run() loads this value by hand. */
static void vmx_set_cr2(struct thv_vcpu *vcpu, u64 cr2)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	vmx->guest_cr2 = cr2;
}

/* SDM 25.4.1: CPL is SS.DPL (real mode: 0). */
static int vmx_get_cpl(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	int cpl;

	if (vmx_with_vmcs(vmx))
		return 3;
	if (!(vmx_read_cr0() & X86_CR0_PE))
		cpl = 0;
	else
		cpl = (vmcs_read32(GUEST_SS_AR_BYTES) >> VMXAR_DPL_SHIFT) & 3;
	vmx_put();
	return cpl;
}

/* SDM 27.6: event injection through the VM-entry interruption info. */
static void vmx_inject_exception(struct thv_vcpu *vcpu, u8 vector,
				 bool has_error_code, u32 error_code)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	u32 info = vector | (INTR_TYPE_HW_EXC << 8) | INTR_VALID;

	if (vmx_with_vmcs(vmx))
		return;
	/* Real mode pushes no error code; the CPU refuses one (27.2.1.3). */
	if (has_error_code && (vmx_read_cr0() & X86_CR0_PE)) {
		info |= INTR_HAS_ERROR;
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
	vmx_put();
}

static bool vmx_event_in_flight(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	bool busy;

	if (vmx_with_vmcs(vmx))
		return true;
	busy = vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_VALID;
	vmx_put();
	return busy;
}

/*
 * SDM 26.3.1.5 and 6.8.3: IF = 1, no blocking by STI or MOV SS (gone
 * once we moved RIP past the instruction that exited), slot free.
 */
static bool vmx_interrupt_allowed(struct thv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	bool ok;

	if (!(vcpu->rflags & X86_EFLAGS_IF))
		return false;
	if (vmx_with_vmcs(vmx))
		return false;
	ok = !(vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_VALID) &&
	     !((vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		(INTERRUPTIBILITY_STI | INTERRUPTIBILITY_MOVSS)) &&
	       vcpu->rip == vmx->exit_rip);
	vmx_put();
	return ok;
}

/* SDM 27.6: an external interrupt, type 0. */
static void vmx_inject_irq(struct thv_vcpu *vcpu, u8 vector)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (vmx_with_vmcs(vmx))
		return;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD,
		     vector | INTR_TYPE_EXT_INTR | INTR_VALID);
	vmx_put();
}

static void vmx_set_irq_window(struct thv_vcpu *vcpu, bool on)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (vmx_with_vmcs(vmx))
		return;
	vmx_proc_bits(CPU_BASED_INTR_WINDOW_EXITING, on);
	vmx_put();
}

static void vmx_set_tsc_offset(struct thv_vcpu *vcpu, u64 offset)
{
	struct vmx_vcpu *vmx = vcpu->arch;

	if (vmx_with_vmcs(vmx))
		return;
	vmcs_write64(TSC_OFFSET, offset);
	vmx_put();
}

/*
 * THV_GET_HW_FIELDS: VMREAD works only on the current VMCS, so load the
 * vCPU's on this CPU first, as get_sregs does, with preemption off until
 * vmx_put() (fields.c reads the table).
 */
static int vmx_get_hw_fields(struct thv_vcpu *vcpu, struct thv_hw_field *out)
{
	struct vmx_vcpu *vmx = vcpu->arch;
	int n;

	if (vmx_with_vmcs(vmx))
		return -EIO;
	n = vmx_read_hw_fields(out);
	vmx_put();
	return n;
}

/*
 * EPT entries (SDM 29.3.2): read/write/execute instead of present, and a
 * memory type in every leaf.  Guest RAM is write-back whatever the guest's
 * PAT says (IPAT); accessed and dirty are preset so the CPU never has to
 * write them.
 */
static const struct thv_mmu_fmt vmx_ept_fmt = {
	.name		= "EPT",
	.levels		= 4,
	.table_bits	= EPT_R | EPT_W | EPT_X | EPT_A,
	.leaf_bits	= EPT_R | EPT_W | EPT_X | EPT_MT_WB | EPT_IPAT |
			  EPT_A | EPT_D,
	.present_mask	= EPT_R | EPT_W | EPT_X,
	.read_mask	= EPT_R,
	.write_mask	= EPT_W,
	.exec_mask	= EPT_X,
};

static const struct thv_mmu_fmt *vmx_mmu_fmt(void)
{
	return &vmx_ept_fmt;
}

const struct thv_backend_ops thv_vmx_ops = {
	.name			= "Intel VMX",
	.backend		= THV_BACKEND_VMX,
	.hardware_setup		= vmx_hardware_setup,
	.hardware_unsetup	= vmx_hardware_unsetup,
	.cpu_enable		= vmx_cpu_enable,
	.cpu_disable		= vmx_cpu_disable,
	.vcpu_create		= vmx_vcpu_create,
	.vcpu_free		= vmx_vcpu_free,
	.run			= vmx_run,
	.get_sregs		= vmx_get_sregs,
	.set_sregs		= vmx_set_sregs,
	.get_efer		= vmx_get_efer,
	.set_exception_intercepts = vmx_set_exception_intercepts,
	.set_cr2		= vmx_set_cr2,
	.get_msr		= vmx_get_msr,
	.set_msr		= vmx_set_msr,
	.set_efer		= vmx_set_efer,
	.get_cpl		= vmx_get_cpl,
	.inject_exception	= vmx_inject_exception,
	.event_in_flight	= vmx_event_in_flight,
	.interrupt_allowed	= vmx_interrupt_allowed,
	.inject_irq		= vmx_inject_irq,
	.set_irq_window		= vmx_set_irq_window,
	.set_tsc_offset		= vmx_set_tsc_offset,
	.get_cr			= vmx_get_cr,
	.set_cr			= vmx_set_cr,
	.mmu_fmt		= vmx_mmu_fmt,
	.get_hw_fields		= vmx_get_hw_fields,
	.set_single_step	= vmx_set_single_step,
};
