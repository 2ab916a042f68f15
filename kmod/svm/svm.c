// SPDX-License-Identifier: GPL-2.0
/*
 * svm.c - the AMD SVM backend.
 *
 * This file only knows the hardware: how to switch SVM on, how to fill a
 * VMCB, how to enter the guest, and how to read an exit out of the VMCB
 * into a neutral struct thv_exit.  What an exit *means* is decided once,
 * for both vendors, in exit.c.
 *
 * References are to the AMD64 Architecture Programmer's Manual Vol. 2
 * (24593 rev. 3.41), chapter 15, written "APM 15.x".
 */
#define pr_fmt(fmt) "thv: svm: " fmt

#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/io.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/stddef.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/pgtable.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include <trace/events/ipi.h>	/* smp_send_reschedule() traces, 6.12 */
#include "../thv.h"
#include "svm.h"

/* Pin the hardware layout: the CPU reads these offsets, not our names. */
static_assert(sizeof(struct vmcb_seg) == 16);
static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040);
static_assert(offsetof(struct vmcb_control, asid) == 0x058);
static_assert(offsetof(struct vmcb_control, int_ctl) == 0x060);
static_assert(offsetof(struct vmcb_control, exit_code) == 0x070);
static_assert(offsetof(struct vmcb_control, exit_int_info) == 0x088);
static_assert(offsetof(struct vmcb_control, nested_ctl) == 0x090);
static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8);
static_assert(offsetof(struct vmcb_control, nested_cr3) == 0x0b0);
static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8);
static_assert(offsetof(struct vmcb_control, insn_len) == 0x0d0);
static_assert(sizeof(struct vmcb_control) == 0x400);
static_assert(offsetof(struct vmcb_save, tr) == 0x090);
static_assert(offsetof(struct vmcb_save, cpl) == 0x0cb);
static_assert(offsetof(struct vmcb_save, efer) == 0x0d0);
static_assert(offsetof(struct vmcb_save, cr4) == 0x148);
static_assert(offsetof(struct vmcb_save, rip) == 0x178);
static_assert(offsetof(struct vmcb_save, rsp) == 0x1d8);
static_assert(offsetof(struct vmcb_save, rax) == 0x1f8);
static_assert(offsetof(struct vmcb_save, cr2) == 0x240);
static_assert(offsetof(struct vmcb_save, g_pat) == 0x268);
static_assert(sizeof(struct vmcb) <= PAGE_SIZE);

#define SVM_IOPM_ORDER		2	/* 12 KiB used, APM 15.10.1 */
#define SVM_MSRPM_ORDER		1	/* 8 KiB, APM 15.11 */
#define SVM_DEFAULT_PAT		0x0007040600070406ULL

/* Per physical CPU: APM 15.30.4 host save area, and our ASID pool. */
struct svm_cpu {
	struct page *hsave;		/* VM_HSAVE_PA: used by VMRUN itself */
	struct page *host_vmsave;	/* our VMSAVE/VMLOAD of host state */
	u64 host_vmsave_pa;
	u64 asid_generation;
	u32 next_asid;
	u32 max_asid;
};

#define SVM_EXC_ERROR_CODES	(BIT(X86_TRAP_DF) | BIT(X86_TRAP_TS) | \
				 BIT(X86_TRAP_NP) | BIT(X86_TRAP_SS) | \
				 BIT(X86_TRAP_GP) | BIT(X86_TRAP_PF) | \
				 BIT(X86_TRAP_AC) | BIT(X86_TRAP_CP) | \
				 BIT(29) | BIT(30))
/* thv's own exception intercepts, see svm_init_vmcb(). */
#define SVM_EXC_INTERCEPTS	(BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | \
				 BIT(X86_TRAP_UD))

struct svm_vcpu {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	int cpu;			/* where it last ran, -1: never */
	u64 asid_generation;
	struct thv_sregs user_sregs;	/* last SET_SREGS, see svm_run() */
	bool has_user_sregs;
	/* Bits 63:32 of SYSENTER_ESP/EIP, which VMLOAD drops. */
	u32 sysenter_esp_hi, sysenter_eip_hi;
	u64 exit_rip;			/* guest RIP at the last exit */
	bool single_step;		/* THV_DEBUG_SINGLESTEP, see svm_run() */
};

static DEFINE_PER_CPU(struct svm_cpu *, svm_cpu_data);
static atomic64_t svm_asid_generation_seed;
static struct page *svm_iopm, *svm_msrpm;
static bool svm_nrips, svm_decode_assists;
static u32 svm_nr_asids;

/* ---- switching SVM on and off ------------------------------------- */

static int svm_hardware_setup(struct thv_caps *caps)
{
	u32 edx;
	u64 vm_cr;

	/* APM 15.4 "Enabling SVM": CPUID Fn8000_0001_ECX[SVM], VM_CR.SVMDIS */
	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("this CPU has no SVM (AMD-V); under QEMU use -cpu qemu64,+svm,+npt\n");
		return -ENODEV;
	}
	rdmsrl(SVM_MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVMDIS) {
		pr_err("SVM is disabled by the firmware (VM_CR.SVMDIS); enable it in the BIOS\n");
		return -EPERM;
	}
	edx = cpuid_edx(0x8000000a);
	if (!(edx & SVM_CPUID_NPT)) {
		pr_err("this CPU has SVM but no nested paging (NPT); under QEMU add +npt\n");
		return -ENODEV;
	}
	svm_nrips = edx & SVM_CPUID_NRIPS;
	svm_decode_assists = edx & SVM_CPUID_DECODEASSISTS;
	svm_nr_asids = cpuid_ebx(0x8000000a);
	if (svm_nr_asids < 2) {
		pr_err("SVM reports %u ASIDs; at least 2 are needed\n",
		       svm_nr_asids);
		return -ENODEV;
	}

	/*
	 * One I/O and one MSR permission map for all guests, every bit set:
	 * every port and every MSR access exits (APM 15.10, 15.11).
	 */
	svm_iopm = alloc_pages(GFP_KERNEL, SVM_IOPM_ORDER);
	if (!svm_iopm)
		return -ENOMEM;
	memset(page_address(svm_iopm), 0xff, PAGE_SIZE << SVM_IOPM_ORDER);
	svm_msrpm = alloc_pages(GFP_KERNEL, SVM_MSRPM_ORDER);
	if (!svm_msrpm) {
		__free_pages(svm_iopm, SVM_IOPM_ORDER);
		return -ENOMEM;
	}
	memset(page_address(svm_msrpm), 0xff, PAGE_SIZE << SVM_MSRPM_ORDER);

	caps->flags = THV_CAP_NESTED_PAGING;
	if (svm_nrips)
		caps->flags |= THV_CAP_NRIPS;
	if (svm_decode_assists)
		caps->flags |= THV_CAP_DECODE_ASSISTS;
	if (edx & SVM_CPUID_FLUSHBYASID)
		caps->flags |= THV_CAP_FLUSH_BY_ASID;
	caps->nr_asids = svm_nr_asids;
	caps->npt_levels = pgtable_l5_enabled() ? 5 : 4;
	caps->max_gpa = 1ULL << min_t(u32, boot_cpu_data.x86_phys_bits,
				      caps->npt_levels == 5 ? 52 : 48);
	return 0;
}

static void svm_hardware_unsetup(void)
{
	__free_pages(svm_msrpm, SVM_MSRPM_ORDER);
	__free_pages(svm_iopm, SVM_IOPM_ORDER);
}

/*
 * TOUR(2): Switching SVM on, on one CPU.  Two MSR writes are all it
 * takes: EFER.SVME makes VMRUN and the other SVM instructions (VMLOAD,
 * VMSAVE, CLGI...) legal; without it they raise #UD (APM Vol. 2 15.4).
 * VM_HSAVE_PA names the page where VMRUN saves the host's state (APM
 * 15.30.4).  The CPU hotplug machinery runs this on every CPU, including
 * CPUs that come online later.  A CPU whose EFER.SVME is already set
 * belongs to another hypervisor (kvm_amd): two cannot share a CPU.
 */
static int svm_cpu_enable(unsigned int cpu)
{
	struct svm_cpu *sd;
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("CPU %u: SVM is already on: another hypervisor (kvm_amd?) is loaded\n",
		       cpu);
		return -EBUSY;
	}

	sd = kzalloc_node(sizeof(*sd), GFP_KERNEL, cpu_to_node(cpu));
	if (!sd)
		return -ENOMEM;
	sd->hsave = alloc_pages_node(cpu_to_node(cpu),
				     GFP_KERNEL | __GFP_ZERO, 0);
	sd->host_vmsave = alloc_pages_node(cpu_to_node(cpu),
					   GFP_KERNEL | __GFP_ZERO, 0);
	if (!sd->hsave || !sd->host_vmsave)
		goto undo_alloc;
	sd->host_vmsave_pa = page_to_phys(sd->host_vmsave);
	/* A fresh generation: no vCPU may believe its old ASID valid here. */
	sd->asid_generation = atomic64_inc_return(&svm_asid_generation_seed);
	sd->max_asid = svm_nr_asids - 1;
	sd->next_asid = sd->max_asid + 1;	/* first use flushes the TLB */

	/* APM 15.4: EFER.SVME makes VMRUN and friends legal. */
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	/* APM 15.30.4: where VMRUN keeps the host state. */
	wrmsrl(SVM_MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	per_cpu(svm_cpu_data, cpu) = sd;
	return 0;

undo_alloc:
	if (sd->host_vmsave)
		__free_page(sd->host_vmsave);
	if (sd->hsave)
		__free_page(sd->hsave);
	kfree(sd);
	return -ENOMEM;
}

static int svm_cpu_disable(unsigned int cpu)
{
	struct svm_cpu *sd = per_cpu(svm_cpu_data, cpu);
	u64 efer;

	if (!sd)
		return 0;
	wrmsrl(SVM_MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	per_cpu(svm_cpu_data, cpu) = NULL;
	__free_page(sd->host_vmsave);
	__free_page(sd->hsave);
	kfree(sd);
	return 0;
}

/* ---- the VMCB ------------------------------------------------------ */

static void svm_set_seg(struct vmcb_seg *s, u16 sel, u64 base, u32 limit,
			u16 attrib)
{
	s->selector = sel;
	s->base = base;
	s->limit = limit;
	s->attrib = attrib;
}

/*
 * TOUR(3): Filling the VMCB.  The control area says what we intercept
 * (which guest actions cause a #VMEXIT); the save area is the guest's
 * CPU state, here the one an x86 CPU has after RESET (SDM Vol. 3A 9.1.1).
 */
static void svm_init_vmcb(struct thv_vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_control *c = &vmcb->control;
	struct vmcb_save *s = &vmcb->save;

	/* Every DR access: exit.c keeps the guest's DRs (not loaded). */
	c->intercept_dr = 0xffffffff;
	/*
	 * #DB and #AC: a guest could otherwise make the CPU loop on them
	 * without ever exiting.  #UD: to see VMCALL, Intel's hypercall.
	 */
	c->intercept_exceptions = SVM_EXC_INTERCEPTS;
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI |
			     SVM_INTERCEPT_SMI | SVM_INTERCEPT_INIT |
			     SVM_INTERCEPT_CPUID | SVM_INTERCEPT_INVD |
			     SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA |
			     SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR |
			     SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_PAUSE;
	/* Every PAUSE exits: the pause filter count stays 0 (APM 15.14.4). */
	/* The VMRUN intercept is mandatory (APM 15.5.1). */
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL |
			     SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE |
			     SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_RDTSCP |
			     SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_MONITOR |
			     SVM_INTERCEPT_MWAIT | SVM_INTERCEPT_MWAIT_C |
			     SVM_INTERCEPT_XSETBV;
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	/*
	 * V_INTR_MASKING: the guest's EFLAGS.IF only masks virtual
	 * interrupts; physical ones still reach the host (APM 15.21.1).
	 */
	c->int_ctl = SVM_V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_CTL_NP;	/* APM 15.25.3 */
	/* RDTSC runs natively, plus this (APM 15.30.5). */
	c->tsc_offset = vcpu->tsc_offset;
	vcpu->irq_window = false;

	svm_set_seg(&s->cs, 0xf000, 0xffff0000, 0xffff, 0x9b);
	svm_set_seg(&s->ds, 0, 0, 0xffff, 0x93);
	svm_set_seg(&s->es, 0, 0, 0xffff, 0x93);
	svm_set_seg(&s->ss, 0, 0, 0xffff, 0x93);
	svm_set_seg(&s->fs, 0, 0, 0xffff, 0x93);
	svm_set_seg(&s->gs, 0, 0, 0xffff, 0x93);
	svm_set_seg(&s->gdtr, 0, 0, 0xffff, 0);
	svm_set_seg(&s->idtr, 0, 0, 0xffff, 0);
	svm_set_seg(&s->ldtr, 0, 0, 0xffff, 0x82);
	svm_set_seg(&s->tr, 0, 0, 0xffff, 0x8b);
	s->cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW;
	/* Hidden from the guest, required by VMRUN (APM 15.5.1). */
	s->efer = EFER_SVME;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = SVM_DEFAULT_PAT;
}

static int svm_vcpu_create(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm;
	struct page *page;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!page) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->cpu = -1;
	svm_init_vmcb(vcpu, svm->vmcb);
	vcpu->arch = svm;
	return 0;
}

static void svm_vcpu_free(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	__free_page(virt_to_page(svm->vmcb));
	kfree(svm);
	vcpu->arch = NULL;
}

/*
 * ASIDs tag TLB entries with the guest they belong to (APM 15.16), so
 * that no flush is needed on every world switch.  Each CPU hands out its
 * ASIDs in order; when it runs out it starts a new generation and flushes
 * everything once.  A vCPU that moves CPU, or whose nested page tables
 * changed, simply takes a fresh ASID: one no stale translation can carry.
 */
static void svm_new_asid(struct svm_vcpu *svm, struct svm_cpu *sd)
{
	if (sd->next_asid > sd->max_asid) {
		sd->asid_generation =
			atomic64_inc_return(&svm_asid_generation_seed);
		sd->next_asid = 1;
		svm->vmcb->control.tlb_ctl = SVM_TLB_FLUSH_ALL;
	}
	svm->asid_generation = sd->asid_generation;
	svm->vmcb->control.asid = sd->next_asid++;
}

/* ---- decoding exits ------------------------------------------------ */

typedef void (*svm_decode_fn)(struct svm_vcpu *svm, struct thv_exit *exit);

static void svm_decode_host_event(struct svm_vcpu *svm, struct thv_exit *exit)
{
	/* INTR/NMI/SMI: held by GIF=0, taken by the host after STGI. */
	exit->kind = THV_X_HOST_INTR;
}

static void svm_decode_init(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_NOTHING;
}

static void svm_decode_cpuid(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_CPUID;
	exit->insn_len = 2;			/* 0f a2 */
}

static void svm_decode_hlt(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_HLT;
	exit->insn_len = 1;			/* f4 */
}

/*
 * INVD would throw away dirty cache lines, the host's included: it is
 * never run.  WBINVD only costs time; neither matters to a guest whose
 * memory is ordinary write-back RAM, so both are skipped.
 */
static void svm_decode_invd(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_SKIP_INSN;
	exit->insn_len = 2;			/* 0f 08 */
}

static void svm_decode_wbinvd(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_SKIP_INSN;
	exit->insn_len = 2;			/* 0f 09 */
}

/* APM 15.21.4: V_IRQ with VINTR intercepted: the guest can take one. */
static void svm_decode_vintr(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_IRQ_WINDOW;
}

static void svm_decode_xsetbv(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_XSETBV;
	exit->insn_len = 3;			/* 0f 01 d1 */
}

/* INTn intercepted (APM 15.13.2): which instruction, exit.c reads. */
static void svm_decode_swint(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_SOFT_INT;
}

static void svm_decode_pause(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_PAUSE;
	exit->insn_len = 2;			/* f3 90 */
}

static void svm_decode_rdtscp(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_RDTSCP;
	exit->insn_len = 3;			/* 0f 01 f9 */
}

/*
 * MOV DRn (APM 15.33.3): with decode assists EXITINFO1[3:0] names the
 * GPR; without them exit.c reads the instruction.
 */
static void svm_decode_dr(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_DR;
	exit->dr.write = exit->raw_reason >= SVM_EXIT_WRITE_DR0;
	exit->dr.nr = exit->raw_reason & 0xf;
	exit->dr.gpr = svm_decode_assists ? exit->info1 & 0xf :
					    THV_DR_GPR_UNKNOWN;
}

/*
 * TOUR(8): An OUT, end to end.  The guest executed OUT; the I/O
 * permission map has every port's bit set, so the CPU did not touch the
 * port but performed #VMEXIT(IOIO).  EXITINFO1 describes the access (port,
 * size, direction, string or not), EXITINFO2 is the RIP of the next
 * instruction (APM Vol. 2 15.10.2).  The value to write is still in the
 * guest's RAX: the hardware does not copy it anywhere.
 */
static void svm_decode_ioio(struct svm_vcpu *svm, struct thv_exit *exit)
{
	u64 info = exit->info1;

	exit->kind = THV_X_IO;
	exit->io.port = info >> SVM_IOIO_PORT_SHIFT;
	exit->io.in = info & SVM_IOIO_TYPE_IN;
	exit->io.string = info & SVM_IOIO_STR;
	exit->io.rep = info & SVM_IOIO_REP;
	exit->io.size = (info & SVM_IOIO_SZ32) ? 4 :
			(info & SVM_IOIO_SZ16) ? 2 : 1;
	exit->next_rip = exit->info2;
}

/* APM 15.11: EXITINFO1 is 0 for RDMSR, 1 for WRMSR. */
static void svm_decode_msr(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_MSR;
	exit->msr.write = exit->info1 == 1;
	exit->insn_len = 2;			/* 0f 32 / 0f 30 */
}

static void svm_decode_shutdown(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_SHUTDOWN;
}

static void svm_decode_vmmcall(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_HYPERCALL;
	exit->hc_insn = THV_HC_INSN_VMMCALL;
	exit->insn_len = 3;			/* 0f 01 d9 */
}

/* APM 15.12: exception intercepts; EXITINFO1 has the error code. */
static void svm_decode_exception(struct svm_vcpu *svm, struct thv_exit *exit)
{
	u8 vector = exit->raw_reason - SVM_EXIT_EXCP_BASE;

	exit->kind = THV_X_EXCEPTION;
	exit->exc.vector = vector;
	/* The vectors that push an error code (APM Vol. 2 8.4). */
	exit->exc.has_error_code = SVM_EXC_ERROR_CODES & BIT(vector);
	exit->exc.error_code = exit->info1;
	/* #PF: EXITINFO2 is the faulting address (APM 15.12.15). */
	if (vector == X86_TRAP_PF)
		exit->exc.cr2 = exit->info2;
}

/* SVM instructions, MONITOR/MWAIT: #UD in the guest. */
static void svm_decode_denied(struct svm_vcpu *svm, struct thv_exit *exit)
{
	exit->kind = THV_X_DENIED_INSN;
	exit->exc.vector = X86_TRAP_UD;
}

static const svm_decode_fn svm_decoders[SVM_EXIT_TABLE_SIZE] = {
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7] = svm_decode_dr,
	[SVM_EXIT_EXCP_BASE ... SVM_EXIT_EXCP_LAST] = svm_decode_exception,
	[SVM_EXIT_INTR]		= svm_decode_host_event,
	[SVM_EXIT_NMI]		= svm_decode_host_event,
	[SVM_EXIT_SMI]		= svm_decode_host_event,
	[SVM_EXIT_INIT]		= svm_decode_init,
	[SVM_EXIT_CPUID]	= svm_decode_cpuid,
	[SVM_EXIT_VINTR]	= svm_decode_vintr,
	[SVM_EXIT_SWINT]	= svm_decode_swint,
	[SVM_EXIT_INVD]		= svm_decode_invd,
	[SVM_EXIT_PAUSE]	= svm_decode_pause,
	[SVM_EXIT_RDTSCP]	= svm_decode_rdtscp,
	[SVM_EXIT_WBINVD]	= svm_decode_wbinvd,
	[SVM_EXIT_HLT]		= svm_decode_hlt,
	[SVM_EXIT_INVLPGA]	= svm_decode_denied,
	[SVM_EXIT_IOIO]		= svm_decode_ioio,
	[SVM_EXIT_MSR]		= svm_decode_msr,
	[SVM_EXIT_SHUTDOWN]	= svm_decode_shutdown,
	[SVM_EXIT_VMRUN]	= svm_decode_denied,
	[SVM_EXIT_VMMCALL]	= svm_decode_vmmcall,
	[SVM_EXIT_VMLOAD]	= svm_decode_denied,
	[SVM_EXIT_VMSAVE]	= svm_decode_denied,
	[SVM_EXIT_STGI]		= svm_decode_denied,
	[SVM_EXIT_CLGI]		= svm_decode_denied,
	[SVM_EXIT_SKINIT]	= svm_decode_denied,
	[SVM_EXIT_MONITOR]	= svm_decode_denied,
	[SVM_EXIT_MWAIT]	= svm_decode_denied,
	[SVM_EXIT_MWAIT_COND]	= svm_decode_denied,
	[SVM_EXIT_XSETBV]	= svm_decode_xsetbv,
};

/* APM 15.25.6: EXITINFO1 is a page-fault-like error code, EXITINFO2 the GPA. */
static void svm_decode_npf(struct svm_vcpu *svm, struct thv_exit *exit)
{
	struct vmcb_control *c = &svm->vmcb->control;

	exit->kind = THV_X_NPF;
	exit->npf.gpa = exit->info2;
	exit->npf.present = exit->info1 & SVM_NPF_PRESENT;
	exit->npf.write = exit->info1 & SVM_NPF_WRITE;
	exit->npf.fetch = exit->info1 & SVM_NPF_FETCH;
	/* Decode assists fetch the instruction for us (APM 15.33.4). */
	if (svm_decode_assists && c->insn_len &&
	    c->insn_len <= THV_RUN_INSN_MAX) {
		exit->hw_insn_len = c->insn_len;
		memcpy(exit->hw_insn, c->insn_bytes, c->insn_len);
	}
}

/*
 * VMRUN said VMEXIT_INVALID: the guest state broke a consistency check
 * (APM 15.5.1).  The hardware does not say which, and the VMCB may now
 * hold the host's state (QEMU), so we check the state userspace last
 * asked for and name the likely culprit: userspace gets more than "-1".
 */
static u32 svm_explain_invalid(const struct svm_vcpu *svm)
{
	const struct thv_sregs *r = &svm->user_sregs;
	u64 cr4_known = X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE |
			X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE |
			X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;

	if (!svm->has_user_sregs)
		return THV_FAIL_UNKNOWN;
	if ((r->cr0 >> 32) ||
	    (!(r->cr0 & X86_CR0_CD) && (r->cr0 & X86_CR0_NW)))
		return THV_FAIL_CR0;
	if (r->cr3 >> 52)
		return THV_FAIL_CR3;
	if ((r->cr4 >> 32) || (r->cr4 & ~(cr4_known | __read_cr4())))
		return THV_FAIL_CR4;
	if (r->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR))
		return THV_FAIL_EFER;
	if ((r->efer & EFER_LME) && (r->cr0 & X86_CR0_PG)) {
		if (!(r->cr4 & X86_CR4_PAE))
			return THV_FAIL_EFER;
		if (!(r->cr0 & X86_CR0_PE))
			return THV_FAIL_CR0;
		if (r->cs.l && r->cs.db)
			return THV_FAIL_SEGMENT;
	}
	return THV_FAIL_UNKNOWN;
}

/*
 * TOUR(7): Decoding an exit.  After #VMEXIT the VMCB control area holds
 * why the guest stopped: EXITCODE, plus EXITINFO1 and EXITINFO2 whose
 * meaning depends on the code (APM Vol. 2 15.6 and Appendix C).  Each
 * decoder below turns one code into the vendor-neutral struct thv_exit,
 * so that exit.c never needs to know which CPU it runs on.
 */
static void svm_decode_exit(struct svm_vcpu *svm, struct thv_exit *exit)
{
	struct vmcb_control *c = &svm->vmcb->control;
	u64 code = c->exit_code;

	memset(exit, 0, sizeof(*exit));
	exit->raw_reason = code;
	exit->info1 = c->exit_info1;
	exit->info2 = c->exit_info2;
	exit->kind = THV_X_UNHANDLED;

	/*
	 * The exits make bench counts by name, the rest through the table:
	 * an indirect call costs a retpoline where the kernel uses them.
	 */
	if (code == SVM_EXIT_CPUID) {
		svm_decode_cpuid(svm, exit);
	} else if (code == SVM_EXIT_IOIO) {
		svm_decode_ioio(svm, exit);
	} else if (code < SVM_EXIT_TABLE_SIZE) {
		svm_decode_fn fn;

		code = array_index_nospec(code, SVM_EXIT_TABLE_SIZE);
		fn = svm_decoders[code];
		if (fn)
			fn(svm, exit);
	} else if (code == SVM_EXIT_NPF) {
		svm_decode_npf(svm, exit);
	} else if ((u32)code == (u32)SVM_EXIT_INVALID) {
		/* Hardware writes -1; QEMU's TCG writes only the low 32 bits. */
		exit->kind = THV_X_FAIL_ENTRY;
		exit->raw_reason = SVM_EXIT_INVALID;
		exit->fail.reason = svm_explain_invalid(svm);
	}

	/* With NRIPS the CPU tells us where the instruction ends (15.7.1). */
	if (svm_nrips && c->next_rip && exit->kind != THV_X_IO)
		exit->next_rip = c->next_rip;
}

/* ---- running the guest -------------------------------------------- */

static void __svm_set_sregs(struct vmcb *vmcb, const struct thv_sregs *r);

/*
 * VMRUN refused the guest state.  The guest never ran, so the register
 * cache still holds what userspace set; but the VMCB save area cannot be
 * trusted (QEMU's TCG writes the host's state into it, host RIP
 * included).  Rebuild the VMCB and re-apply the last SET_SREGS, so that
 * nothing of the host leaks out and the vCPU can be fixed and re-run.
 */
static void svm_reset_after_invalid(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	memset(svm->vmcb, 0, PAGE_SIZE);
	svm_init_vmcb(vcpu, svm->vmcb);
	if (svm->has_user_sregs)
		__svm_set_sregs(svm->vmcb, &svm->user_sregs);
	svm->cpu = -1;			/* and take a fresh ASID */
}

/*
 * Single-stepping on SVM (THV_DEBUG_SINGLESTEP).  SVM has no monitor trap
 * flag, so we use the guest's own RFLAGS.TF and intercept #DB; debug.c
 * ("stepping with RFLAGS.TF") does what vmx.c does the same way.  What is
 * SVM's own: an event goes in through EVENTINJ without our TF, and to
 * stop at the handler's first instruction, that entry sends this CPU an
 * IPI first, held by GIF = 0: VMRUN delivers the injected event, then
 * the pending physical interrupt makes the INTR intercept exit before
 * the next instruction (APM 15.20, 15.21.2).  The host takes the IPI
 * after STGI.  INT n is intercepted while stepping (see
 * svm_set_exception_intercepts), so it never runs with our TF.
 */
static u64 svm_step_enter(struct thv_vcpu *vcpu, struct thv_step_entry *st)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb *vmcb = svm->vmcb;
	u64 inj = vmcb->control.event_inj;

	if (inj & SVM_EVTINJ_VALID) {
		/*
		 * Delivering an event ends any STI/MOV SS shadow (as on VMX,
		 * SDM 26.6.1): a shadow left in the VMCB would hold our IPI
		 * for one more instruction, the handler's first.
		 */
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
		return inj;		/* VMRUN clears EVENTINJ: keep it */
	}
	thv_step_prepare(vcpu, st);
	vmcb->save.rflags |= X86_EFLAGS_TF;
	vmcb->save.dr6 = SVM_DR6_INIT;	/* so BS says: this step's trap */
	return 0;
}

static void svm_step_exit(struct thv_vcpu *vcpu, struct thv_exit *exit,
			  u64 injected, const struct thv_step_entry *st)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb *vmcb = svm->vmcb;
	bool trap;

	if (injected) {
		/* EXITINTINFO valid: not delivered yet, it goes in again. */
		if (!(vmcb->control.exit_int_info & SVM_EVTINJ_VALID))
			thv_step_event_done(vcpu, exit,
					    injected & SVM_EVTINJ_VEC_MASK);
		return;
	}
	/* Did the instruction finish?  Then #DB came, with DR6.BS. */
	trap = exit->kind == THV_X_EXCEPTION &&
	       exit->exc.vector == X86_TRAP_DB &&
	       (vmcb->save.dr6 & SVM_DR6_BS);
	thv_tf_step_done(vcpu, exit, st, trap, vmcb->save.dr6);
	if (trap)
		vmcb->save.dr6 = SVM_DR6_INIT;
}

/* The registers the VMCB holds for us, to it before VMRUN... */
static void svm_regs_to_vmcb(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb *vmcb = svm->vmcb;

	vmcb->save.rax = vcpu->regs[THV_RAX];
	vmcb->save.rsp = vcpu->regs[THV_RSP];
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags;
	/* We moved RIP past an instruction: an STI/MOV SS shadow is over. */
	if (vcpu->rip != svm->exit_rip)
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
}

/* ...and back after #VMEXIT. */
static void svm_regs_from_vmcb(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb *vmcb = svm->vmcb;

	vcpu->regs[THV_RAX] = vmcb->save.rax;
	vcpu->regs[THV_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	svm->exit_rip = vcpu->rip;
}

/*
 * Right after #VMEXIT, GIF still 0: decode the exit, and let exit.c
 * handle it on the spot if it can (thv_exit_fastpath).  True: enter the
 * guest again at once.
 */
static bool svm_exit_irqoff(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm_decode_exit(svm, exit);
	if (exit->kind == THV_X_FAIL_ENTRY)
		return false;
	svm_regs_from_vmcb(vcpu);
	/* Stepping, or an event half delivered: the slow way. */
	if (svm->single_step ||
	    (svm->vmcb->control.exit_int_info & SVM_EVTINJ_VALID) ||
	    !thv_exit_fastpath(vcpu, exit))
		return false;
	svm_regs_to_vmcb(vcpu);
	return true;
}

static int svm_run(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb *vmcb = svm->vmcb;
	struct thv_vm *vm = vcpu->vm;
	struct thv_step_entry st = { 0 };
	u64 injected = 0;		/* stepping into this event */
	struct svm_cpu *sd;
	int cpu;

	svm_regs_to_vmcb(vcpu);
	if (svm->single_step)
		injected = svm_step_enter(vcpu, &st);
	vmcb->control.nested_cr3 = thv_mmu_root_pa(&vm->mmu);
	vmcb->control.clean = 0;	/* we never cache: reload everything */

	thv_guest_fpu_enter(vcpu);	/* from here on, no preemption */
	cpu = smp_processor_id();
	sd = per_cpu(svm_cpu_data, cpu);
	if (svm->cpu != cpu || svm->asid_generation != sd->asid_generation ||
	    vcpu->mmu_generation != vm->mmu_generation) {
		svm_new_asid(svm, sd);
		svm->cpu = cpu;
		vcpu->mmu_generation = vm->mmu_generation;
	}

	/*
	 * GIF=0 holds every interrupt and NMI until STGI.  With host IF=1
	 * and V_INTR_MASKING, a physical interrupt while the guest runs is
	 * a #VMEXIT(INTR); the host takes it right after STGI below.
	 */
	local_irq_disable();
	asm volatile("clgi" ::: "memory");
	/*
	 * Stepping into an event: exit right after it (svm_step_enter).
	 * A reschedule IPI to ourselves costs the host nothing.
	 */
	if (injected)
		smp_send_reschedule(cpu);
	local_irq_enable();

	thv_xcr0_guest(vcpu);		/* IRQs held by GIF = 0 */
	/* Host hidden state (FS, GS, TR, syscall MSRs): thv_svm_vmrun. */
	asm volatile("vmsave %%rax" : : "a" (sd->host_vmsave_pa) : "memory");
	do {
		thv_svm_vmrun(svm->vmcb_pa, vcpu->regs, sd->host_vmsave_pa);
		/* A flush svm_new_asid() asked for is done: not again. */
		vmcb->control.tlb_ctl = SVM_TLB_FLUSH_NONE;
	} while (svm_exit_irqoff(vcpu, exit));
	thv_xcr0_host(vcpu);

	local_irq_disable();
	asm volatile("stgi" ::: "memory");
	local_irq_enable();

	thv_guest_fpu_leave(vcpu);

	if (exit->kind == THV_X_FAIL_ENTRY) {
		svm_reset_after_invalid(vcpu);
		return 0;
	}
	if (svm->single_step)
		svm_step_exit(vcpu, exit, injected, &st);

	/*
	 * An exit in the middle of delivering an event (e.g. a nested page
	 * fault on the guest's IDT) must not lose the event: re-inject it
	 * (APM 15.7.2, EXITINTINFO).
	 */
	if (vmcb->control.exit_int_info & SVM_EVTINJ_VALID)
		vmcb->control.event_inj = vmcb->control.exit_int_info;
	return 0;
}

/* ---- state for userspace ------------------------------------------ */

static void svm_seg_to_user(const struct vmcb_seg *v, struct thv_segment *u)
{
	u16 a = v->attrib;

	u->base = v->base;
	u->limit = v->limit;
	u->selector = v->selector;
	u->type = a & 0xf;
	u->s = !!(a & SVM_SEG_S);
	u->dpl = (a >> SVM_SEG_DPL_SHIFT) & 3;
	u->present = !!(a & SVM_SEG_P);
	u->avl = !!(a & SVM_SEG_AVL);
	u->l = !!(a & SVM_SEG_L);
	u->db = !!(a & SVM_SEG_DB);
	u->g = !!(a & SVM_SEG_G);
	u->unusable = !u->present;
	u->padding = 0;
}

static void svm_seg_from_user(struct vmcb_seg *v, const struct thv_segment *u)
{
	v->base = u->base;
	v->limit = u->limit;
	v->selector = u->selector;
	if (u->unusable) {
		v->attrib = 0;
		return;
	}
	v->attrib = (u->type & 0xf) | (u->s ? SVM_SEG_S : 0) |
		    ((u->dpl & 3) << SVM_SEG_DPL_SHIFT) |
		    (u->present ? SVM_SEG_P : 0) | (u->avl ? SVM_SEG_AVL : 0) |
		    (u->l ? SVM_SEG_L : 0) | (u->db ? SVM_SEG_DB : 0) |
		    (u->g ? SVM_SEG_G : 0);
}

static void svm_dt_to_user(const struct vmcb_seg *v, struct thv_dtable *u)
{
	u->base = v->base;
	u->limit = v->limit;
}

static void svm_get_sregs(struct thv_vcpu *vcpu, struct thv_sregs *r)
{
	struct svm_vcpu *svm = vcpu->arch;
	const struct vmcb_save *s = &svm->vmcb->save;

	svm_seg_to_user(&s->cs, &r->cs);
	svm_seg_to_user(&s->ds, &r->ds);
	svm_seg_to_user(&s->es, &r->es);
	svm_seg_to_user(&s->fs, &r->fs);
	svm_seg_to_user(&s->gs, &r->gs);
	svm_seg_to_user(&s->ss, &r->ss);
	svm_seg_to_user(&s->tr, &r->tr);
	svm_seg_to_user(&s->ldtr, &r->ldt);
	svm_dt_to_user(&s->gdtr, &r->gdt);
	svm_dt_to_user(&s->idtr, &r->idt);
	r->cr0 = s->cr0;
	r->cr2 = s->cr2;
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->cr8 = svm->vmcb->control.int_ctl & 0xf;	/* V_TPR */
	r->efer = s->efer & ~EFER_SVME;
}

/*
 * Userspace may set any state; VMRUN's own consistency checks decide
 * whether it is runnable (a bad one ends in THV_EXIT_FAIL_ENTRY).  Only
 * EFER.SVME is ours: the guest never sees or clears it.
 */
static void __svm_set_sregs(struct vmcb *vmcb, const struct thv_sregs *r)
{
	struct vmcb_save *s = &vmcb->save;

	svm_seg_from_user(&s->cs, &r->cs);
	svm_seg_from_user(&s->ds, &r->ds);
	svm_seg_from_user(&s->es, &r->es);
	svm_seg_from_user(&s->fs, &r->fs);
	svm_seg_from_user(&s->gs, &r->gs);
	svm_seg_from_user(&s->ss, &r->ss);
	svm_seg_from_user(&s->tr, &r->tr);
	svm_seg_from_user(&s->ldtr, &r->ldt);
	s->gdtr.base = r->gdt.base;
	s->gdtr.limit = r->gdt.limit;
	s->idtr.base = r->idt.base;
	s->idtr.limit = r->idt.limit;
	s->cr0 = r->cr0;
	s->cr2 = r->cr2;
	s->cr3 = r->cr3;
	s->cr4 = r->cr4;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~0xfu) |
				(r->cr8 & 0xf);
	s->efer = r->efer | EFER_SVME;
	/* APM 15.5.1: CPL comes from the VMCB; real mode runs at CPL 0. */
	s->cpl = (r->cr0 & X86_CR0_PE) ? r->ss.dpl & 3 : 0;
	vmcb->control.event_inj = 0;
}

static int svm_set_sregs(struct thv_vcpu *vcpu, const struct thv_sregs *r)
{
	struct svm_vcpu *svm = vcpu->arch;

	__svm_set_sregs(svm->vmcb, r);
	svm->user_sregs = *r;
	svm->has_user_sregs = true;
	return 0;
}

static u64 svm_get_efer(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	return svm->vmcb->save.efer & ~EFER_SVME;
}

static void svm_set_efer(struct thv_vcpu *vcpu, u64 efer)
{
	struct svm_vcpu *svm = vcpu->arch;
	u64 lma = svm->vmcb->save.efer & EFER_LMA;

	/* LMA is the CPU's to set (on CR0.PG with LME), not the guest's. */
	svm->vmcb->save.efer = (efer & ~EFER_LMA) | lma | EFER_SVME;
}

/*
 * The guest's own MSRs live in the VMCB save area: VMLOAD/VMSAVE move
 * FS/GS/KERNEL_GS base, the SYSCALL and SYSENTER MSRs around VMRUN
 * (vmrun.S, APM 15.5.2), and with nested paging the guest's PAT is
 * G_PAT (APM 15.25.8).
 */
static u64 *svm_msr_slot(struct vmcb_save *s, u32 msr)
{
	switch (msr) {
	case MSR_STAR:			return &s->star;
	case MSR_LSTAR:			return &s->lstar;
	case MSR_CSTAR:			return &s->cstar;
	case MSR_SYSCALL_MASK:		return &s->sfmask;
	case MSR_FS_BASE:		return &s->fs.base;
	case MSR_GS_BASE:		return &s->gs.base;
	case MSR_KERNEL_GS_BASE:	return &s->kernel_gs_base;
	case MSR_IA32_SYSENTER_CS:	return &s->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP:	return &s->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP:	return &s->sysenter_eip;
	case MSR_IA32_CR_PAT:		return &s->g_pat;
	}
	return NULL;
}

/*
 * AMD CPUs keep only bits 31:0 of SYSENTER_ESP/EIP (SYSENTER does not
 * exist in long mode there), and VMLOAD/VMSAVE move only those.  The
 * guest must read back what it wrote, as on Intel: the high halves are
 * kept here.  (KVM does the same.)
 */
static u32 *svm_sysenter_hi(struct svm_vcpu *svm, u32 msr)
{
	if (msr == MSR_IA32_SYSENTER_ESP)
		return &svm->sysenter_esp_hi;
	if (msr == MSR_IA32_SYSENTER_EIP)
		return &svm->sysenter_eip_hi;
	return NULL;
}

static int svm_get_msr(struct thv_vcpu *vcpu, u32 msr, u64 *val)
{
	struct svm_vcpu *svm = vcpu->arch;
	u64 *slot = svm_msr_slot(&svm->vmcb->save, msr);
	u32 *hi = svm_sysenter_hi(svm, msr);

	if (!slot)
		return -ENOENT;
	*val = hi ? (u32)*slot | ((u64)*hi << 32) : *slot;
	return 0;
}

static int svm_set_msr(struct thv_vcpu *vcpu, u32 msr, u64 val)
{
	struct svm_vcpu *svm = vcpu->arch;
	u64 *slot = svm_msr_slot(&svm->vmcb->save, msr);
	u32 *hi = svm_sysenter_hi(svm, msr);

	if (!slot)
		return -ENOENT;
	*slot = val;
	if (hi)
		*hi = val >> 32;
	return 0;
}

static void svm_set_exception_intercepts(struct thv_vcpu *vcpu, u32 vectors)
{
	struct svm_vcpu *svm = vcpu->arch;

	struct vmcb_control *c = &svm->vmcb->control;

	c->intercept_exceptions = SVM_EXC_INTERCEPTS | vectors;
	/*
	 * QEMU's TCG checks INT3 and INTO against the INTn intercept, not
	 * the #BP/#OF exception intercepts that AMD hardware uses: to see
	 * them on both, intercept INTn too while #BP or #OF is asked for.
	 * exit.c sorts the instructions out (thv_handle_soft_int).  Single-
	 * stepping asks for every vector, so INT n exits then too, as it
	 * must (svm_step_enter).
	 */
	if (vectors & (BIT(X86_TRAP_BP) | BIT(X86_TRAP_OF)))
		c->intercept_misc1 |= SVM_INTERCEPT_INTN;
	else
		c->intercept_misc1 &= ~SVM_INTERCEPT_INTN;
}

/* THV_DEBUG_SINGLESTEP: svm_run() does the work, with TF. */
static int svm_set_single_step(struct thv_vcpu *vcpu, bool on)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->single_step = on;
	return 0;
}

static void svm_set_cr2(struct thv_vcpu *vcpu, u64 cr2)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->vmcb->save.cr2 = cr2;
}

static int svm_get_cpl(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	return svm->vmcb->save.cpl;
}

/* APM 15.20: EVENTINJ delivers the exception on the next VMRUN. */
static void svm_inject_exception(struct thv_vcpu *vcpu, u8 vector,
				 bool has_error_code, u32 error_code)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_EXEPT |
		SVM_EVTINJ_VALID |
		(has_error_code ? SVM_EVTINJ_VALID_ERR |
				  ((u64)error_code << 32) : 0);
}

static bool svm_event_in_flight(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;

	return svm->vmcb->control.event_inj & SVM_EVTINJ_VALID;
}

/*
 * APM 15.21.5 and 8.5: IF = 1, and no interrupt shadow from an STI or
 * MOV SS just before (int_state bit 0; gone once we moved RIP past the
 * instruction that exited).
 */
static bool svm_interrupt_allowed(struct thv_vcpu *vcpu)
{
	struct svm_vcpu *svm = vcpu->arch;
	const struct vmcb_control *c = &svm->vmcb->control;

	if (!(vcpu->rflags & X86_EFLAGS_IF) || svm_event_in_flight(vcpu))
		return false;
	return !((c->int_state & SVM_INTERRUPT_SHADOW) &&
		 vcpu->rip == svm->exit_rip);
}

/* APM 15.20: an external interrupt is EVENTINJ type 0. */
static void svm_inject_irq(struct thv_vcpu *vcpu, u8 vector)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_INTR |
				       SVM_EVTINJ_VALID;
}

/*
 * APM 15.21.4: a virtual interrupt (V_IRQ) that ignores the TPR becomes
 * deliverable exactly when the guest can take an interrupt; with VINTR
 * intercepted that moment is a #VMEXIT instead.  Its vector is never
 * used: we clear V_IRQ at the exit and inject the real one by EVENTINJ.
 */
static void svm_set_irq_window(struct thv_vcpu *vcpu, bool on)
{
	struct svm_vcpu *svm = vcpu->arch;
	struct vmcb_control *c = &svm->vmcb->control;
	u32 bits = SVM_V_IRQ | SVM_V_IGN_TPR | (0xf << SVM_V_INTR_PRIO_SHIFT);

	if (on) {
		c->int_ctl |= bits;
		c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	} else {
		c->int_ctl &= ~bits;
		c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	}
}

/*
 * APM 15.20: a software interrupt (type 4).  Without NRIPS the CPU
 * pushes the RIP we give it, so RIP moves past INT n first.
 */
static void svm_inject_soft_int(struct thv_vcpu *vcpu, u8 vector, u8 len)
{
	struct svm_vcpu *svm = vcpu->arch;

	vcpu->rip += len;
	svm->vmcb->control.event_inj = vector | SVM_EVTINJ_TYPE_SOFT |
				       SVM_EVTINJ_VALID;
}

static void svm_set_tsc_offset(struct thv_vcpu *vcpu, u64 offset)
{
	struct svm_vcpu *svm = vcpu->arch;

	svm->vmcb->control.tsc_offset = offset;
}

/*
 * NPT entries are ordinary x86-64 page-table entries, walked as user
 * accesses, so U/S must be set (APM 15.25.5).  Accessed and dirty are
 * preset so the walker never has to write them.
 */
#define NPT_P		BIT_ULL(0)
#define NPT_RW		BIT_ULL(1)
#define NPT_US		BIT_ULL(2)
#define NPT_A		BIT_ULL(5)
#define NPT_D		BIT_ULL(6)
#define NPT_NX		BIT_ULL(63)

static struct thv_mmu_fmt svm_npt_fmt = {
	.name		= "NPT",
	.table_bits	= NPT_P | NPT_RW | NPT_US | NPT_A,
	.leaf_bits	= NPT_P | NPT_RW | NPT_US | NPT_A | NPT_D,
	.present_mask	= NPT_P,
	.read_mask	= NPT_P,
	.write_mask	= NPT_RW,
	.nx_mask	= NPT_NX,
};

/* THV_GET_HW_FIELDS: the VMCB as it is now, fields.c. */
static int svm_get_hw_fields(struct thv_vcpu *vcpu, struct thv_hw_field *out)
{
	struct svm_vcpu *svm = vcpu->arch;

	return svm_read_hw_fields(svm->vmcb, out);
}

/* The nested walk uses the host's paging depth: 5 levels with LA57. */
static const struct thv_mmu_fmt *svm_mmu_fmt(void)
{
	svm_npt_fmt.levels = pgtable_l5_enabled() ? 5 : 4;
	return &svm_npt_fmt;
}

const struct thv_backend_ops thv_svm_ops = {
	.name			= "AMD SVM",
	.backend		= THV_BACKEND_SVM,
	.hardware_setup		= svm_hardware_setup,
	.hardware_unsetup	= svm_hardware_unsetup,
	.cpu_enable		= svm_cpu_enable,
	.cpu_disable		= svm_cpu_disable,
	.vcpu_create		= svm_vcpu_create,
	.vcpu_free		= svm_vcpu_free,
	.run			= svm_run,
	.get_sregs		= svm_get_sregs,
	.set_sregs		= svm_set_sregs,
	.get_efer		= svm_get_efer,
	.set_exception_intercepts = svm_set_exception_intercepts,
	.set_cr2		= svm_set_cr2,
	.get_msr		= svm_get_msr,
	.set_msr		= svm_set_msr,
	.set_efer		= svm_set_efer,
	.get_cpl		= svm_get_cpl,
	.inject_exception	= svm_inject_exception,
	.event_in_flight	= svm_event_in_flight,
	.interrupt_allowed	= svm_interrupt_allowed,
	.inject_irq		= svm_inject_irq,
	.set_irq_window		= svm_set_irq_window,
	.set_tsc_offset		= svm_set_tsc_offset,
	.inject_soft_int	= svm_inject_soft_int,
	.mmu_fmt		= svm_mmu_fmt,
	.get_hw_fields		= svm_get_hw_fields,
	.set_single_step	= svm_set_single_step,
};
