// SPDX-License-Identifier: GPL-2.0
/*
 * fields.c - the VMCS fields thv uses, by name, for THV_GET_HW_FIELDS.
 *
 * A VMCS field is named by a 32-bit encoding (SDM Vol. 3C 25.11.2, and
 * the full list in SDM Vol. 3D appendix B) that says, besides its index:
 *   bits 14:13  width: 0 = 16-bit, 1 = 64-bit, 2 = 32-bit, 3 = natural
 *               (64 bits on a 64-bit host)
 *   bits 11:10  type: 0 = control, 1 = VM-exit information (read only),
 *               2 = guest state, 3 = host state
 * so the table below only names the fields; width and area come from the
 * encoding.  The names and encodings are the kernel's <asm/vmx.h>, which
 * spells the SDM's.  Only fields vmx.c reads or writes are listed.
 */
#include "../thv.h"
#include "vmx.h"

#define VMXF_TYPE(enc)		(((enc) >> 10) & 3)
#define VMXF_AREA(enc)							\
	(VMXF_TYPE(enc) == 0 ? THV_HW_AREA_CONTROL :			\
	 VMXF_TYPE(enc) == 1 ? THV_HW_AREA_EXIT :			\
	 VMXF_TYPE(enc) == 2 ? THV_HW_AREA_GUEST : THV_HW_AREA_HOST)
#define VMXF_WIDTH(enc)							\
	(VMCS_WIDTH(enc) == VMCS_W16 ? 2 :				\
	 VMCS_WIDTH(enc) == VMCS_W32 ? 4 : 8)

#define VMXF(field)	{ #field, field, VMXF_WIDTH(field), VMXF_AREA(field) }

/* A guest segment register: selector, base, limit, access rights. */
#define VMXF_SEG(seg)							\
	VMXF(GUEST_##seg##_SELECTOR), VMXF(GUEST_##seg##_BASE),		\
	VMXF(GUEST_##seg##_LIMIT), VMXF(GUEST_##seg##_AR_BYTES)

static const struct thv_hw_field_desc vmx_fields[] = {
	/* Controls, SDM 25.6-25.8: what exits, and entry/exit behaviour. */
	VMXF(PIN_BASED_VM_EXEC_CONTROL),
	VMXF(CPU_BASED_VM_EXEC_CONTROL),
	VMXF(SECONDARY_VM_EXEC_CONTROL),
	VMXF(VM_EXIT_CONTROLS),
	VMXF(VM_ENTRY_CONTROLS),
	VMXF(EXCEPTION_BITMAP),
	VMXF(PAGE_FAULT_ERROR_CODE_MASK),
	VMXF(PAGE_FAULT_ERROR_CODE_MATCH),
	VMXF(CR3_TARGET_COUNT),
	VMXF(VM_EXIT_MSR_STORE_COUNT),
	VMXF(VM_EXIT_MSR_LOAD_COUNT),
	VMXF(VM_ENTRY_MSR_LOAD_COUNT),
	VMXF(VM_ENTRY_INTR_INFO_FIELD),
	VMXF(VM_ENTRY_EXCEPTION_ERROR_CODE),
	VMXF(VM_ENTRY_INSTRUCTION_LEN),
	VMXF(CR0_GUEST_HOST_MASK),
	VMXF(CR4_GUEST_HOST_MASK),
	VMXF(CR0_READ_SHADOW),
	VMXF(CR4_READ_SHADOW),
	VMXF(TSC_OFFSET),
	VMXF(EPT_POINTER),
	VMXF(VIRTUAL_PROCESSOR_ID),
	VMXF(VMX_PREEMPTION_TIMER_VALUE),
	VMXF(VMCS_LINK_POINTER),

	/* VM-exit information, SDM 25.9: read only. */
	VMXF(VM_EXIT_REASON),
	VMXF(EXIT_QUALIFICATION),
	VMXF(GUEST_PHYSICAL_ADDRESS),
	VMXF(VM_EXIT_INTR_INFO),
	VMXF(VM_EXIT_INTR_ERROR_CODE),
	VMXF(IDT_VECTORING_INFO_FIELD),
	VMXF(IDT_VECTORING_ERROR_CODE),
	VMXF(VM_EXIT_INSTRUCTION_LEN),
	VMXF(VM_INSTRUCTION_ERROR),

	/* Guest state, SDM 25.4: loaded at entry, saved at exit. */
	VMXF(GUEST_CR0),
	VMXF(GUEST_CR3),
	VMXF(GUEST_CR4),
	VMXF(GUEST_DR7),
	VMXF(GUEST_RSP),
	VMXF(GUEST_RIP),
	VMXF(GUEST_RFLAGS),
	VMXF_SEG(CS),
	VMXF_SEG(SS),
	VMXF_SEG(DS),
	VMXF_SEG(ES),
	VMXF_SEG(FS),
	VMXF_SEG(GS),
	VMXF_SEG(LDTR),
	VMXF_SEG(TR),
	VMXF(GUEST_GDTR_BASE),
	VMXF(GUEST_GDTR_LIMIT),
	VMXF(GUEST_IDTR_BASE),
	VMXF(GUEST_IDTR_LIMIT),
	VMXF(GUEST_IA32_DEBUGCTL),
	VMXF(GUEST_IA32_PAT),
	VMXF(GUEST_IA32_EFER),
	VMXF(GUEST_PDPTR0),		/* PAE paging's PDPTEs, SDM 27.3.2.4 */
	VMXF(GUEST_PDPTR1),
	VMXF(GUEST_PDPTR2),
	VMXF(GUEST_PDPTR3),
	VMXF(GUEST_SYSENTER_CS),
	VMXF(GUEST_SYSENTER_ESP),
	VMXF(GUEST_SYSENTER_EIP),
	VMXF(GUEST_INTERRUPTIBILITY_INFO),
	VMXF(GUEST_ACTIVITY_STATE),
	VMXF(GUEST_PENDING_DBG_EXCEPTIONS),

	/* Host state, SDM 25.5: loaded at every VM exit. */
	VMXF(HOST_CR0),
	VMXF(HOST_CR3),
	VMXF(HOST_CR4),
	VMXF(HOST_RIP),
	VMXF(HOST_CS_SELECTOR),
	VMXF(HOST_SS_SELECTOR),
	VMXF(HOST_DS_SELECTOR),
	VMXF(HOST_ES_SELECTOR),
	VMXF(HOST_FS_SELECTOR),
	VMXF(HOST_GS_SELECTOR),
	VMXF(HOST_TR_SELECTOR),
	VMXF(HOST_FS_BASE),
	VMXF(HOST_GS_BASE),
	VMXF(HOST_TR_BASE),
	VMXF(HOST_GDTR_BASE),
	VMXF(HOST_IDTR_BASE),
	VMXF(HOST_IA32_SYSENTER_CS),
	VMXF(HOST_IA32_SYSENTER_ESP),
	VMXF(HOST_IA32_SYSENTER_EIP),
	VMXF(HOST_IA32_PAT),
	VMXF(HOST_IA32_EFER),
};

/*
 * VMREAD without vmx.h's error report: a field this CPU does not have
 * (no VPID, no preemption timer) fails with VMfailValid (SDM 31.2,
 * error 12 "unsupported VMCS component") and is simply left out.
 */
static bool vmx_vmread_quiet(unsigned long field, u64 *value)
{
	unsigned long v;
	bool fail;

	asm volatile("vmread %[field], %[value]\n\t"
		     "setna %[fail]"
		     : [value] "=rm" (v), [fail] "=qm" (fail)
		     : [field] "r" (field) : "cc");
	*value = v;
	return !fail;
}

/*
 * Read every field of the table from the current VMCS: the caller has
 * made the vCPU's VMCS current on this CPU and keeps preemption off
 * (vmx.c, vmx_get_hw_fields()).  Returns how many were read.
 */
int vmx_read_hw_fields(struct thv_hw_field *out)
{
	int i, n = 0;

	BUILD_BUG_ON(ARRAY_SIZE(vmx_fields) > THV_HW_FIELDS_MAX);
	for (i = 0; i < ARRAY_SIZE(vmx_fields); i++) {
		const struct thv_hw_field_desc *d = &vmx_fields[i];
		u64 v;

		if (vmx_vmread_quiet(d->encoding, &v))
			thv_hw_field_set(&out[n++], d, v);
	}
	return n;
}
