/* SPDX-License-Identifier: GPL-2.0 */
/*
 * svm.h - the AMD SVM hardware interface: the VMCB and its constants.
 *
 * Written from the AMD64 Architecture Programmer's Manual, Volume 2:
 * System Programming (publication 24593, rev. 3.41), chapter 15 "Secure
 * Virtual Machine" and Appendix B "Layout of VMCB".  Offsets are pinned
 * with static asserts in svm.c so a typo cannot go unnoticed.
 *
 * Only svm/ includes this file: generic code never sees a VMCB.
 */
#ifndef THV_SVM_H
#define THV_SVM_H

#include <linux/types.h>

/* MSRs, APM Vol. 2 15.30 */
#define SVM_MSR_VM_CR		0xc0010114
#define SVM_VM_CR_SVMDIS	BIT_ULL(4)
#define SVM_MSR_VM_HSAVE_PA	0xc0010117

/* CPUID Fn8000_000A_EDX, APM Vol. 3 E.4.9 */
#define SVM_CPUID_NPT		BIT(0)
#define SVM_CPUID_NRIPS		BIT(3)
#define SVM_CPUID_FLUSHBYASID	BIT(6)
#define SVM_CPUID_DECODEASSISTS	BIT(7)

/* Intercept vector 3 (VMCB offset 0x0c), APM Vol. 2 Table B-1 */
#define SVM_INTERCEPT_INTR	BIT(0)
#define SVM_INTERCEPT_NMI	BIT(1)
#define SVM_INTERCEPT_SMI	BIT(2)
#define SVM_INTERCEPT_INIT	BIT(3)
#define SVM_INTERCEPT_VINTR	BIT(4)
#define SVM_INTERCEPT_CPUID	BIT(18)
#define SVM_INTERCEPT_INTN	BIT(21)
#define SVM_INTERCEPT_INVD	BIT(22)
#define SVM_INTERCEPT_PAUSE	BIT(23)
#define SVM_INTERCEPT_HLT	BIT(24)
#define SVM_INTERCEPT_INVLPGA	BIT(26)
#define SVM_INTERCEPT_IOIO	BIT(27)
#define SVM_INTERCEPT_MSR	BIT(28)
#define SVM_INTERCEPT_SHUTDOWN	BIT(31)
/* Intercept vector 4 (VMCB offset 0x10) */
#define SVM_INTERCEPT_VMRUN	BIT(0)
#define SVM_INTERCEPT_VMMCALL	BIT(1)
#define SVM_INTERCEPT_VMLOAD	BIT(2)
#define SVM_INTERCEPT_VMSAVE	BIT(3)
#define SVM_INTERCEPT_STGI	BIT(4)
#define SVM_INTERCEPT_CLGI	BIT(5)
#define SVM_INTERCEPT_SKINIT	BIT(6)
#define SVM_INTERCEPT_RDTSCP	BIT(7)
#define SVM_INTERCEPT_WBINVD	BIT(9)
#define SVM_INTERCEPT_MONITOR	BIT(10)
#define SVM_INTERCEPT_MWAIT	BIT(11)
#define SVM_INTERCEPT_MWAIT_C	BIT(12)
#define SVM_INTERCEPT_XSETBV	BIT(13)

/* VMCB int_ctl, APM Vol. 2 15.21 */
#define SVM_V_IRQ		BIT(8)
#define SVM_V_INTR_PRIO_SHIFT	16
#define SVM_V_IGN_TPR		BIT(20)
#define SVM_V_INTR_MASKING	BIT(24)
/* VMCB int_state, APM Vol. 2 15.21.5 */
#define SVM_INTERRUPT_SHADOW	BIT_ULL(0)
/* VMCB nested_ctl */
#define SVM_NESTED_CTL_NP	BIT_ULL(0)
/* VMCB tlb_ctl, APM Vol. 2 15.16.1 */
#define SVM_TLB_FLUSH_NONE	0
#define SVM_TLB_FLUSH_ALL	1

/* EVENTINJ and EXITINTINFO, APM Vol. 2 15.20 */
#define SVM_EVTINJ_VEC_MASK	0xffULL
#define SVM_EVTINJ_TYPE_INTR	(0ULL << 8)
#define SVM_EVTINJ_TYPE_EXEPT	(3ULL << 8)
#define SVM_EVTINJ_TYPE_SOFT	(4ULL << 8)
#define SVM_EVTINJ_VALID_ERR	BIT_ULL(11)
#define SVM_EVTINJ_VALID	BIT_ULL(31)

/* Exit codes, APM Vol. 2 Appendix C */
#define SVM_EXIT_READ_DR0	0x020
#define SVM_EXIT_WRITE_DR0	0x030
#define SVM_EXIT_WRITE_DR7	0x03f
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_EXCP_LAST	0x05f
#define SVM_EXIT_INTR		0x060
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_VINTR		0x064
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_SWINT		0x075
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_PAUSE		0x077
#define SVM_EXIT_HLT		0x078
#define SVM_EXIT_INVLPGA	0x07a
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_RDTSCP		0x087
#define SVM_EXIT_WBINVD		0x089
#define SVM_EXIT_MONITOR	0x08a
#define SVM_EXIT_MWAIT		0x08b
#define SVM_EXIT_MWAIT_COND	0x08c
#define SVM_EXIT_XSETBV		0x08d
#define SVM_EXIT_TABLE_SIZE	0x090	/* codes below this are in the table */
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	((u64)-1)	/* VMRUN refused the state */

/* IOIO EXITINFO1, APM Vol. 2 15.10.2 Figure 15-2 */
#define SVM_IOIO_TYPE_IN	BIT(0)
#define SVM_IOIO_STR		BIT(2)
#define SVM_IOIO_REP		BIT(3)
#define SVM_IOIO_SZ8		BIT(4)
#define SVM_IOIO_SZ16		BIT(5)
#define SVM_IOIO_SZ32		BIT(6)
#define SVM_IOIO_PORT_SHIFT	16

/* Nested page fault EXITINFO1, APM Vol. 2 15.25.6 */
#define SVM_NPF_PRESENT		BIT_ULL(0)
#define SVM_NPF_WRITE		BIT_ULL(1)
#define SVM_NPF_FETCH		BIT_ULL(4)

/* DR6, APM Vol. 2 13.1.1.3: the value after reset, and BS (single step) */
#define SVM_DR6_INIT		0xffff0ff0ULL
#define SVM_DR6_BS		BIT_ULL(14)

/* A segment in the VMCB save area, APM Vol. 2 Table B-2 */
struct vmcb_seg {
	u16 selector;
	u16 attrib;	/* type:4 S:1 DPL:2 P:1 AVL:1 L:1 DB:1 G:1 */
	u32 limit;
	u64 base;
} __packed;

#define SVM_SEG_S		BIT(4)
#define SVM_SEG_DPL_SHIFT	5
#define SVM_SEG_P		BIT(7)
#define SVM_SEG_AVL		BIT(8)
#define SVM_SEG_L		BIT(9)
#define SVM_SEG_DB		BIT(10)
#define SVM_SEG_G		BIT(11)

/* VMCB control area, APM Vol. 2 Table B-1 */
struct vmcb_control {
	u32 intercept_cr;		/* 0x000 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept_misc1;		/* 0x00c */
	u32 intercept_misc2;		/* 0x010 */
	u32 intercept_misc3;		/* 0x014 */
	u8  reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8  tlb_ctl;			/* 0x05c */
	u8  reserved_05d[3];
	u32 int_ctl;			/* 0x060 */
	u32 int_vector;			/* 0x064 */
	u64 int_state;			/* 0x068 */
	u64 exit_code;			/* 0x070 */
	u64 exit_info1;			/* 0x078 */
	u64 exit_info2;			/* 0x080 */
	u64 exit_int_info;		/* 0x088 */
	u64 nested_ctl;			/* 0x090 */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_pa;			/* 0x0a0 */
	u64 event_inj;			/* 0x0a8 */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8 */
	u8  insn_len;			/* 0x0d0 */
	u8  insn_bytes[15];		/* 0x0d1 */
	u8  reserved_0e0[0x400 - 0x0e0];
} __packed;

/* VMCB state save area, APM Vol. 2 Table B-2 (offsets from 0x400) */
struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs;	/* 0x000 - 0x05f */
	struct vmcb_seg gdtr, ldtr, idtr, tr;	/* 0x060 - 0x09f */
	u8  reserved_0a0[0x0cb - 0x0a0];
	u8  cpl;				/* 0x0cb */
	u32 reserved_0cc;
	u64 efer;				/* 0x0d0 */
	u8  reserved_0d8[0x148 - 0x0d8];
	u64 cr4;				/* 0x148 */
	u64 cr3;				/* 0x150 */
	u64 cr0;				/* 0x158 */
	u64 dr7;				/* 0x160 */
	u64 dr6;				/* 0x168 */
	u64 rflags;				/* 0x170 */
	u64 rip;				/* 0x178 */
	u8  reserved_180[0x1d8 - 0x180];
	u64 rsp;				/* 0x1d8 */
	u64 s_cet, ssp, isst_addr;		/* 0x1e0 */
	u64 rax;				/* 0x1f8 */
	u64 star, lstar, cstar, sfmask;		/* 0x200 */
	u64 kernel_gs_base;			/* 0x220 */
	u64 sysenter_cs, sysenter_esp, sysenter_eip; /* 0x228 */
	u64 cr2;				/* 0x240 */
	u8  reserved_248[0x268 - 0x248];
	u64 g_pat;				/* 0x268 */
	u64 dbgctl;				/* 0x270 */
	u64 br_from, br_to;			/* 0x278 */
	u64 last_excp_from, last_excp_to;	/* 0x288 */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

/* fields.c: THV_GET_HW_FIELDS. */
struct thv_hw_field;
int svm_read_hw_fields(const struct vmcb *vmcb, struct thv_hw_field *out);

/* vmrun.S: one world switch. */
void thv_svm_vmrun(u64 vmcb_pa, u64 *guest_regs, u64 host_save_pa);

#endif /* THV_SVM_H */
