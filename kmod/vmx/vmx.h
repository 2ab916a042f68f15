/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmx.h - what the Intel VMX backend needs beyond <asm/vmx.h>.
 *
 * The VMCS field encodings, exit reasons and control bits come from the
 * kernel's own <asm/vmx.h> (they are the SDM's numbers, Vol. 3D
 * appendices B and C).  This header adds the typed VMCS accessors, the
 * few architectural constants that header spells differently between the
 * 6.1 and 6.12 kernels, and the backend's per-CPU and per-vCPU state.
 *
 * References are to the Intel 64 and IA-32 Architectures Software
 * Developer's Manual, Vol. 3C (order no. 326019-080), written "SDM".
 */
#ifndef THV_VMX_H
#define THV_VMX_H

#include <linux/list.h>
#include <linux/printk.h>
#include <linux/types.h>
#include <asm/desc_defs.h>
#include <asm/vmx.h>

/* SDM A.1 IA32_VMX_BASIC: bits 30:0 revision, 44:32 region size, ... */
#define VMXB_REVISION_MASK	0x7fffffffULL
#define VMXB_SIZE_SHIFT		32
#define VMXB_SIZE_MASK		0x1fffULL
#define VMXB_32BIT_PA		BIT_ULL(48)	/* regions must be below 4 GiB */
#define VMXB_MEMTYPE_SHIFT	50
#define VMXB_MEMTYPE_WB		6ULL
#define VMXB_TRUE_CTLS		BIT_ULL(55)	/* the TRUE_*_CTLS MSRs exist */

/* SDM A.6 IA32_VMX_MISC: bits 4:0, the preemption timer's TSC shift. */
#define VMXMISC_TIMER_RATE_MASK	0x1fULL

/* SDM 23.7 IA32_FEATURE_CONTROL (MSR 0x3a). */
#define FC_LOCKED		BIT_ULL(0)
#define FC_VMXON_OUTSIDE_SMX	BIT_ULL(2)

/* SDM A.10 IA32_VMX_EPT_VPID_CAP, the bits thv looks at. */
#define EPTCAP_WALK4		BIT_ULL(6)
#define EPTCAP_WB		BIT_ULL(14)
#define EPTCAP_INVEPT		BIT_ULL(20)
#define EPTCAP_AD		BIT_ULL(21)
#define EPTCAP_INVEPT_SINGLE	BIT_ULL(25)
#define EPTCAP_INVEPT_ALL	BIT_ULL(26)
#define VPIDCAP_INVVPID		BIT_ULL(32)
#define VPIDCAP_INVVPID_SINGLE	BIT_ULL(41)
#define VPIDCAP_INVVPID_ALL	BIT_ULL(42)

/* SDM 29.3.3.1 INVEPT / 29.3.3.3 INVVPID types. */
#define INVEPT_SINGLE		1
#define INVEPT_ALL		2
#define INVVPID_SINGLE		1
#define INVVPID_ALL		2

/* SDM 25.6.11 EPTP: memory type, walk length - 1, A/D enable. */
#define EPTP_WB			6ULL
#define EPTP_WALK4		(3ULL << 3)
#define EPTP_AD			BIT_ULL(6)

/* SDM 29.3.2 EPT entries: read, write, execute, type, ignore PAT, A, D. */
#define EPT_R			BIT_ULL(0)
#define EPT_W			BIT_ULL(1)
#define EPT_X			BIT_ULL(2)
#define EPT_MT_WB		(6ULL << 3)
#define EPT_IPAT		BIT_ULL(6)
#define EPT_A			BIT_ULL(8)
#define EPT_D			BIT_ULL(9)

/* SDM 25.4.1 segment access rights, as the VMCS stores them. */
#define VMXAR_TYPE_MASK	0xfu
#define VMXAR_S		BIT(4)
#define VMXAR_DPL_SHIFT	5
#define VMXAR_P		BIT(7)
#define VMXAR_AVL		BIT(12)
#define VMXAR_L		BIT(13)
#define VMXAR_DB		BIT(14)
#define VMXAR_G		BIT(15)
#define VMXAR_UNUSABLE		BIT(16)

/* SDM Table 28-3: exit qualification of a control-register access. */
#define CRQ_NR(q)		((q) & 0xf)
#define CRQ_TYPE(q)		(((q) >> 4) & 3)
#define CRQ_TYPE_MOV_TO		0
#define CRQ_TYPE_MOV_FROM	1
#define CRQ_TYPE_CLTS		2
#define CRQ_TYPE_LMSW		3
#define CRQ_GPR(q)		(((q) >> 8) & 0xf)
#define CRQ_LMSW_DATA(q)	(((q) >> 16) & 0xffff)

/* SDM Table 28-5: exit qualification of an I/O instruction. */
#define IOQ_SIZE(q)		(((q) & 7) + 1)
#define IOQ_IN			BIT(3)
#define IOQ_STRING		BIT(4)
#define IOQ_REP			BIT(5)
#define IOQ_PORT(q)		(((q) >> 16) & 0xffff)

/* SDM Table 28-7: exit qualification of an EPT violation. */
#define EPTQ_READ		BIT(0)
#define EPTQ_WRITE		BIT(1)
#define EPTQ_FETCH		BIT(2)
#define EPTQ_PRESENT		(BIT(3) | BIT(4) | BIT(5))

/* SDM 25.8.3 / 25.9.2: interruption information. */
#define INTR_VECTOR(i)		((i) & 0xff)
#define INTR_TYPE(i)		(((i) >> 8) & 7)
#define INTR_TYPE_EXT		0
#define INTR_TYPE_NMI		2
#define INTR_TYPE_HW_EXC	3
#define INTR_TYPE_SW_INT	4
#define INTR_TYPE_PRIV_SW_EXC	5
#define INTR_TYPE_SW_EXC	6
#define INTR_HAS_ERROR		BIT(11)
#define INTR_NMI_UNBLOCK	BIT(12)
#define INTR_VALID		BIT(31)

/* SDM 25.4.2 guest interruptibility: blocking by STI and by MOV SS. */
#define INTERRUPTIBILITY_STI	BIT(0)
#define INTERRUPTIBILITY_MOVSS	BIT(1)

/* SDM Appendix C; not in every kernel's <asm/vmx.h>. */
#ifndef EXIT_REASON_GETSEC
#define EXIT_REASON_GETSEC	11
#endif

/* SDM 28.2.1: bit 31 of the exit reason marks a VM-entry failure. */
#define EXIT_REASON_FAILED_ENTRY	BIT(31)
#define EXIT_REASON_BASIC(r)		((r) & 0xffff)

/* ---- per-CPU and per-vCPU state -------------------------------------- */

struct vmx_cpu {
	void *vmxon_region;		/* SDM 25.11.5, one page */
	struct list_head loaded;	/* VMCSs active on this CPU */
	void *current_vmcs;		/* the one VMPTRLD made current */
	bool on;			/* VMXON done */
};

/*
 * thv's own exception intercepts: #DB and #AC (a guest could otherwise
 * make the CPU loop on them without ever exiting), #UD (to see VMMCALL,
 * AMD's hypercall).
 */
#define VMX_EXC_INTERCEPTS	(BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | \
				 BIT(X86_TRAP_UD))

/* The SYSCALL MSRs swapped around VM entry (vmx.c, vmx_syscall_msrs). */
#define VMX_NR_SYSCALL_MSRS	3

struct vmx_vcpu {
	struct thv_vcpu *vcpu;
	void *vmcs;			/* SDM 25.2, one page */
	int cpu;			/* CPU it is active on, -1: clear */
	struct list_head loaded_link;	/* on vmx_cpu.loaded of that CPU */
	bool launched;			/* VMRESUME, not VMLAUNCH, next */
	bool flush;			/* flush EPT/VPID tags before entry */
	u16 vpid;			/* 0: none */
	u64 eptp;

	/* Host state saved around one entry (restored by hand). */
	u16 host_ds, host_es, host_fs, host_gs;
	u64 host_fs_base, host_kernel_gs_base, host_debugctl;
	struct desc_ptr host_idt;

	/* Guest state the VMCS does not hold. */
	u64 guest_kernel_gs_base;
	u64 guest_syscall[VMX_NR_SYSCALL_MSRS];	/* STAR, LSTAR, SFMASK */
	u64 host_syscall[VMX_NR_SYSCALL_MSRS];	/* during one entry */
	u64 guest_cstar;		/* never used by Intel CPUs: kept here */
	u64 guest_cr2;
	u64 cr8;
	u64 exit_rip;			/* RIP at the last exit */
	bool single_step;		/* THV_DEBUG_SINGLESTEP is on */
	bool step_tf;			/* ... with RFLAGS.TF, not MTF */
	struct thv_sregs user_sregs;	/* last SET_SREGS, for explaining */
	bool has_user_sregs;
	u64 vmcs_errors;		/* failed VMREAD/VMWRITEs */
};

/*
 * VMCS accessors.  The field encoding says how wide the field is (SDM
 * 25.11.2, bits 14:13: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural
 * width), so a wrongly typed access is caught at build time.  A failed
 * VMREAD or VMWRITE (CF or ZF set: SDM 31.2) is reported, rate limited,
 * with the VM-instruction error; the host carries on.
 */
void vmx_vmcs_error(unsigned long field, bool write, unsigned long value);

#define VMCS_WIDTH(f)	(((f) >> 13) & 3)
#define VMCS_W16	0
#define VMCS_W64	1
#define VMCS_W32	2
#define VMCS_WNAT	3

static __always_inline unsigned long __vmcs_read(unsigned long field)
{
	unsigned long value;
	bool fail;

	asm volatile("vmread %[field], %[value]\n\t"
		     "setna %[fail]"
		     : [value] "=rm" (value), [fail] "=qm" (fail)
		     : [field] "r" (field) : "cc");
	if (unlikely(fail)) {
		vmx_vmcs_error(field, false, 0);
		return 0;
	}
	return value;
}

static __always_inline void __vmcs_write(unsigned long field,
					 unsigned long value)
{
	bool fail;

	asm volatile("vmwrite %[value], %[field]\n\t"
		     "setna %[fail]"
		     : [fail] "=qm" (fail)
		     : [field] "r" (field), [value] "rm" (value) : "cc");
	if (unlikely(fail))
		vmx_vmcs_error(field, true, value);
}

#define VMCS_CHECK(f, w)	BUILD_BUG_ON(__builtin_constant_p(f) && \
					     VMCS_WIDTH(f) != (w))

static __always_inline u16 vmcs_read16(unsigned long f)
{
	VMCS_CHECK(f, VMCS_W16);
	return __vmcs_read(f);
}

static __always_inline u32 vmcs_read32(unsigned long f)
{
	VMCS_CHECK(f, VMCS_W32);
	return __vmcs_read(f);
}

static __always_inline u64 vmcs_read64(unsigned long f)
{
	VMCS_CHECK(f, VMCS_W64);
	return __vmcs_read(f);
}

static __always_inline unsigned long vmcs_readl(unsigned long f)
{
	VMCS_CHECK(f, VMCS_WNAT);
	return __vmcs_read(f);
}

static __always_inline void vmcs_write16(unsigned long f, u16 v)
{
	VMCS_CHECK(f, VMCS_W16);
	__vmcs_write(f, v);
}

static __always_inline void vmcs_write32(unsigned long f, u32 v)
{
	VMCS_CHECK(f, VMCS_W32);
	__vmcs_write(f, v);
}

static __always_inline void vmcs_write64(unsigned long f, u64 v)
{
	VMCS_CHECK(f, VMCS_W64);
	__vmcs_write(f, v);
}

static __always_inline void vmcs_writel(unsigned long f, unsigned long v)
{
	VMCS_CHECK(f, VMCS_WNAT);
	__vmcs_write(f, v);
}

/* fields.c: THV_GET_HW_FIELDS, with the vCPU's VMCS current. */
struct thv_hw_field;
int vmx_read_hw_fields(struct thv_hw_field *out);

/* vmenter.S: 0 after a VM exit, 1 if VMLAUNCH/VMRESUME itself failed. */
int thv_vmx_vmenter(u64 *guest_regs, bool launched);
void thv_vmx_vmexit(void);	/* HOST_RIP: not callable */

#endif /* THV_VMX_H */
