// SPDX-License-Identifier: GPL-2.0
/*
 * fields.c - the VMCB fields thv uses, by name, for THV_GET_HW_FIELDS.
 *
 * The VMCB is one page of ordinary memory (APM Vol. 2 15.5.1): a control
 * area at offset 0 (what to intercept, and what the CPU reports at an
 * exit) and the guest's state save area at 0x400.  The layout is APM
 * Vol. 2 appendix B, Tables B-1 and B-2; the names here are the APM's
 * where it has one.  A field's "encoding" is its byte offset in the VMCB.
 * Only fields svm.c reads or writes are listed: the rest stay zero.
 */
#include <linux/stddef.h>
#include "../thv.h"
#include "svm.h"

#define SVMF(area, name, member)					\
	{ name, offsetof(struct vmcb, member),				\
	  sizeof_field(struct vmcb, member), THV_HW_AREA_##area }

/* A segment: selector, attributes, limit and base (Table B-2). */
#define SVMF_SEG(NAME, seg)						\
	SVMF(GUEST, #NAME "_SELECTOR", save.seg.selector),		\
	SVMF(GUEST, #NAME "_ATTRIB", save.seg.attrib),			\
	SVMF(GUEST, #NAME "_LIMIT", save.seg.limit),			\
	SVMF(GUEST, #NAME "_BASE", save.seg.base)

static const struct thv_hw_field_desc svm_fields[] = {
	/* Control area, APM Vol. 2 Table B-1: what exits, and how. */
	SVMF(CONTROL, "INTERCEPT_CR", control.intercept_cr),
	SVMF(CONTROL, "INTERCEPT_DR", control.intercept_dr),
	SVMF(CONTROL, "INTERCEPT_EXCEPTIONS", control.intercept_exceptions),
	SVMF(CONTROL, "INTERCEPT_VECTOR3", control.intercept_misc1),
	SVMF(CONTROL, "INTERCEPT_VECTOR4", control.intercept_misc2),
	SVMF(CONTROL, "PAUSE_FILTER_THRESHOLD", control.pause_filter_thresh),
	SVMF(CONTROL, "PAUSE_FILTER_COUNT", control.pause_filter_count),
	SVMF(CONTROL, "IOPM_BASE_PA", control.iopm_base_pa),
	SVMF(CONTROL, "MSRPM_BASE_PA", control.msrpm_base_pa),
	SVMF(CONTROL, "TSC_OFFSET", control.tsc_offset),
	SVMF(CONTROL, "GUEST_ASID", control.asid),
	SVMF(CONTROL, "TLB_CONTROL", control.tlb_ctl),
	SVMF(CONTROL, "V_INTR_CONTROL", control.int_ctl),
	SVMF(CONTROL, "V_INTR_VECTOR", control.int_vector),
	SVMF(CONTROL, "INTERRUPT_SHADOW", control.int_state),
	SVMF(CONTROL, "NP_ENABLE", control.nested_ctl),
	SVMF(CONTROL, "EVENTINJ", control.event_inj),
	SVMF(CONTROL, "N_CR3", control.nested_cr3),
	SVMF(CONTROL, "VMCB_CLEAN", control.clean),
	/* Exit information, also in the control area (APM 15.6, 15.7). */
	SVMF(EXIT, "EXITCODE", control.exit_code),
	SVMF(EXIT, "EXITINFO1", control.exit_info1),
	SVMF(EXIT, "EXITINFO2", control.exit_info2),
	SVMF(EXIT, "EXITINTINFO", control.exit_int_info),
	SVMF(EXIT, "NRIP", control.next_rip),
	SVMF(EXIT, "GUEST_INSN_BYTES_COUNT", control.insn_len),

	/* State save area, APM Vol. 2 Table B-2: the guest's CPU state. */
	SVMF_SEG(ES, es),
	SVMF_SEG(CS, cs),
	SVMF_SEG(SS, ss),
	SVMF_SEG(DS, ds),
	SVMF_SEG(FS, fs),
	SVMF_SEG(GS, gs),
	SVMF(GUEST, "GDTR_LIMIT", save.gdtr.limit),
	SVMF(GUEST, "GDTR_BASE", save.gdtr.base),
	SVMF_SEG(LDTR, ldtr),
	SVMF(GUEST, "IDTR_LIMIT", save.idtr.limit),
	SVMF(GUEST, "IDTR_BASE", save.idtr.base),
	SVMF_SEG(TR, tr),
	SVMF(GUEST, "CPL", save.cpl),
	SVMF(GUEST, "EFER", save.efer),
	SVMF(GUEST, "CR4", save.cr4),
	SVMF(GUEST, "CR3", save.cr3),
	SVMF(GUEST, "CR0", save.cr0),
	SVMF(GUEST, "DR7", save.dr7),
	SVMF(GUEST, "DR6", save.dr6),
	SVMF(GUEST, "RFLAGS", save.rflags),
	SVMF(GUEST, "RIP", save.rip),
	SVMF(GUEST, "RSP", save.rsp),
	SVMF(GUEST, "RAX", save.rax),
	SVMF(GUEST, "STAR", save.star),
	SVMF(GUEST, "LSTAR", save.lstar),
	SVMF(GUEST, "CSTAR", save.cstar),
	SVMF(GUEST, "SFMASK", save.sfmask),
	SVMF(GUEST, "KERNEL_GS_BASE", save.kernel_gs_base),
	SVMF(GUEST, "SYSENTER_CS", save.sysenter_cs),
	SVMF(GUEST, "SYSENTER_ESP", save.sysenter_esp),
	SVMF(GUEST, "SYSENTER_EIP", save.sysenter_eip),
	SVMF(GUEST, "CR2", save.cr2),
	SVMF(GUEST, "G_PAT", save.g_pat),
};

/*
 * Copy every field of the table out of the VMCB.  The VMCB is plain
 * memory that only VMRUN and #VMEXIT change, and neither runs while the
 * vCPU's ioctl lock is held: a simple read is a consistent snapshot.
 */
int svm_read_hw_fields(const struct vmcb *vmcb, struct thv_hw_field *out)
{
	const u8 *base = (const u8 *)vmcb;
	int i;

	BUILD_BUG_ON(ARRAY_SIZE(svm_fields) > THV_HW_FIELDS_MAX);
	for (i = 0; i < ARRAY_SIZE(svm_fields); i++) {
		const struct thv_hw_field_desc *d = &svm_fields[i];
		u64 v = 0;

		memcpy(&v, base + d->encoding, d->width);
		thv_hw_field_set(&out[i], d, v);
	}
	return ARRAY_SIZE(svm_fields);
}
