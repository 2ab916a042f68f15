/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace.h - thv's tracepoints: thv:thv_entry and thv:thv_exit.
 *
 * Like KVM's kvm_entry/kvm_exit, one event just before every VM entry and
 * one just after every VM exit, with the raw hardware reason next to
 * thv's vendor-neutral kind.  Read them with the kernel's tracing
 * filesystem (Documentation/trace/events.rst):
 *
 *	echo 1 > /sys/kernel/tracing/events/thv/enable
 *	cat /sys/kernel/tracing/trace
 *
 * A disabled tracepoint costs one static branch (a NOP patched into a
 * jump when it is enabled): the run loop pays nothing for it.
 *
 * This header is read several times by <trace/define_trace.h> (hence no
 * ordinary include guard), once with CREATE_TRACE_POINTS set, in stats.c,
 * where the events are defined.  Kbuild puts kmod/ on the include path so
 * that define_trace.h finds it again as TRACE_INCLUDE_PATH/trace.h.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM thv

#if !defined(_THV_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _THV_TRACE_H

#include <linux/tracepoint.h>
#include "thv.h"

/* Just before the CPU enters the guest: which vCPU, at which RIP. */
TRACE_EVENT(thv_entry,
	TP_PROTO(unsigned int vcpu_id, u64 rip),
	TP_ARGS(vcpu_id, rip),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u64, rip)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->rip = rip;
	),

	TP_printk("vcpu %u rip 0x%llx", __entry->vcpu_id, __entry->rip)
);

#define THV_TRACE_KIND(k, name)	{ THV_KIND_##k, name }

/*
 * Just after a VM exit, decoded: the kind (THV_KIND_*, printed by name),
 * the raw reason (SVM EXITCODE, APM Vol. 2 appendix C; VMX basic exit
 * reason, SDM Vol. 3D appendix C), the guest RIP at the exit, the two
 * information fields (EXITINFO1/2; exit qualification) and the ISA
 * ("svm" or "vmx", from THV_BACKEND_*: a number in the ring buffer).
 */
TRACE_EVENT(thv_exit,
	TP_PROTO(unsigned int vcpu_id, u32 kind, u64 reason, u64 rip,
		 u64 info1, u64 info2, u32 backend),
	TP_ARGS(vcpu_id, kind, reason, rip, info1, info2, backend),

	TP_STRUCT__entry(
		__field(unsigned int, vcpu_id)
		__field(u32, kind)
		__field(u64, reason)
		__field(u64, rip)
		__field(u64, info1)
		__field(u64, info2)
		__field(u32, backend)
	),

	TP_fast_assign(
		__entry->vcpu_id = vcpu_id;
		__entry->kind = kind;
		__entry->reason = reason;
		__entry->rip = rip;
		__entry->info1 = info1;
		__entry->info2 = info2;
		__entry->backend = backend;
	),

	TP_printk("vcpu %u %s reason 0x%llx rip 0x%llx info1 0x%llx info2 0x%llx isa %s",
		  __entry->vcpu_id,
		  __print_symbolic(__entry->kind,
				   THV_KIND_NAMES(THV_TRACE_KIND)),
		  __entry->reason, __entry->rip, __entry->info1,
		  __entry->info2,
		  __print_symbolic(__entry->backend,
				   { THV_BACKEND_SVM, "svm" },
				   { THV_BACKEND_VMX, "vmx" }))
);

#endif /* _THV_TRACE_H */

/* Out of tree: tell define_trace.h where to find this file again. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
