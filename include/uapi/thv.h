/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * thv.h - the userspace ABI of /dev/thv, the teaching hypervisor.
 *
 * One header for the kernel module (kmod/), the runner (user/) and the
 * self-tests (tests/).  It is modelled on <linux/kvm.h>: three levels of
 * file descriptor, each with its own ioctls.
 *
 *   /dev/thv        system fd: API version, capabilities, create a VM
 *   VM fd           memory regions (guest-physical -> user memory), vCPUs
 *   vCPU fd         registers, RUN, and an mmap()ed struct thv_run that
 *                   tells userspace why the guest stopped
 *
 * Exits are vendor neutral: the same THV_EXIT_* comes back whether the
 * guest ran under AMD SVM or Intel VMX.  The raw hardware reason is still
 * reported (hw_exit_reason) so that a student can look it up in the manual.
 *
 * Layout of every struct here is fixed: sizes and offsets are pinned with
 * static asserts in kmod/thv_uapi_check.c.  Reserved fields must be zero.
 */
#ifndef _UAPI_THV_H
#define _UAPI_THV_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define THV_API_VERSION		1

/* The ioctl "type" byte. 0xAE is KVM's; thv takes the next one free. */
#define THVIO			0xB7

/* ---------------------------------------------------------------------
 * System ioctls, on the fd of /dev/thv
 * ------------------------------------------------------------------- */

/* Returns THV_API_VERSION. */
#define THV_GET_API_VERSION	_IO(THVIO, 0x00)
/* Fills struct thv_caps. */
#define THV_GET_CAPS		_IOR(THVIO, 0x01, struct thv_caps)
/* Returns a new VM fd (O_RDWR | O_CLOEXEC).  Argument must be 0. */
#define THV_CREATE_VM		_IO(THVIO, 0x02)
/* Returns the size in bytes to mmap() on a vCPU fd for struct thv_run. */
#define THV_GET_VCPU_MMAP_SIZE	_IO(THVIO, 0x03)

/* Which hardware extension the module drives. */
#define THV_BACKEND_SVM		1	/* AMD-V: VMCB, VMRUN, NPT */
#define THV_BACKEND_VMX		2	/* Intel VT-x: VMCS, VMLAUNCH, EPT */

/* thv_caps.flags */
#define THV_CAP_NESTED_PAGING	(1u << 0)  /* NPT or EPT in use (always) */
#define THV_CAP_NRIPS		(1u << 1)  /* SVM: next RIP saved by hw */
#define THV_CAP_DECODE_ASSISTS	(1u << 2)  /* SVM: insn bytes in VMCB */
#define THV_CAP_FLUSH_BY_ASID	(1u << 3)  /* SVM: TLB flush per ASID */
#define THV_CAP_VPID		(1u << 4)  /* VMX: tagged TLB */
#define THV_CAP_UNRESTRICTED	(1u << 5)  /* VMX: real mode runs natively */
#define THV_CAP_MTF		(1u << 6)  /* VMX: steps by monitor trap flag */

struct thv_caps {
	__u32 backend;		/* THV_BACKEND_* */
	__u32 flags;		/* THV_CAP_* */
	__u32 max_vcpus;	/* per VM */
	__u32 max_mem_slots;	/* per VM */
	__u64 max_mem_bytes;	/* per VM, all slots together */
	__u64 max_gpa;		/* guest-physical addresses must be below */
	__u32 npt_levels;	/* levels of the nested page tables (4 or 5) */
	__u32 nr_asids;		/* SVM: ASIDs; VMX: VPIDs (0 if none) */
	__u64 reserved[4];
};

/* ---------------------------------------------------------------------
 * VM ioctls, on a VM fd
 * ------------------------------------------------------------------- */

/*
 * Map [userspace_addr, +memory_size) of the caller's memory at
 * guest-physical [guest_phys_addr, +memory_size).  memory_size == 0
 * deletes the slot.  Setting an existing slot replaces it.  All three
 * numbers must be page aligned; the range must not wrap, must lie below
 * thv_caps.max_gpa and must not overlap another slot (EINVAL).  Each page
 * is pinned on the guest's first touch, until the slot goes.  EBUSY
 * while a vCPU of the VM is running.
 */
#define THV_SET_MEMORY_REGION	_IOW(THVIO, 0x10, struct thv_memory_region)
/* Returns a new vCPU fd.  Argument: the vCPU id, 0 .. max_vcpus-1. */
#define THV_CREATE_VCPU		_IO(THVIO, 0x11)

/*
 * Per-VM exit counters (VM fd): for every exit kind (THV_KIND_*), how
 * many exits of that kind all vCPUs of the VM took, and the nanoseconds
 * spent in root mode for them (from the VM exit to the next VM entry,
 * userspace's share included).  The same numbers are in debugfs:
 * /sys/kernel/debug/thv/vm-<pid>-<n>/exits.
 */
#define THV_GET_EXIT_STATS	_IOR(THVIO, 0x12, struct thv_exit_stats)

struct thv_exit_stats {
	__u32 nr_kinds;		/* THV_KIND_NR */
	__u32 padding;
	__u64 exits;		/* all kinds together */
	__u64 count[32];	/* indexed by THV_KIND_* */
	__u64 ns[32];
};

struct thv_memory_region {
	__u32 slot;
	__u32 flags;		/* must be 0 */
	__u64 guest_phys_addr;
	__u64 memory_size;	/* bytes; 0 deletes the slot */
	__u64 userspace_addr;
};

/* ---------------------------------------------------------------------
 * vCPU ioctls, on a vCPU fd
 * ------------------------------------------------------------------- */

/*
 * Enter the guest and run it until an exit userspace must see.  Returns 0
 * with thv_run.exit_reason set; -EINTR (exit_reason THV_EXIT_INTR) when a
 * signal is pending, so Ctrl-C always stops a guest.  EIO from another
 * process than the VM's creator; EFAULT when the guest touches memory its
 * runner has unmapped.
 */
#define THV_RUN			_IO(THVIO, 0x20)
#define THV_GET_REGS		_IOR(THVIO, 0x21, struct thv_regs)
#define THV_SET_REGS		_IOW(THVIO, 0x22, struct thv_regs)
#define THV_GET_SREGS		_IOR(THVIO, 0x23, struct thv_sregs)
#define THV_SET_SREGS		_IOW(THVIO, 0x24, struct thv_sregs)
/*
 * Set the guest's CPUID table (replaces any earlier one; nent = 0 clears
 * it).  Each entry answers CPUID(function[, index]) instead of thv's
 * default, filtered: feature bits thv does not support (leaves 1, 7.0,
 * 0x80000001) stay clear, leaf 1 keeps the hypervisor bit and the APIC
 * ID of this vCPU, and leaves 0x40000000-0x400000ff (thv's signature)
 * are not replaceable: such entries are ignored.  Leaves without an
 * entry keep thv's default.  Errors: E2BIG (nent > THV_CPUID_MAX), EINVAL
 * (unknown flags, non-zero padding, the same leaf twice).
 */
#define THV_SET_CPUID		_IOW(THVIO, 0x25, struct thv_cpuid)

/*
 * Which guest exceptions (bit n = vector n) end RUN with
 * THV_EXIT_EXCEPTION instead of being delivered to the guest.  Vectors
 * 2 (NMI) and 18 (#MC) cannot be chosen (EINVAL): they belong to the
 * host.  #BP and #OF exit with RIP at the INT3/INTO; re-injected, the
 * guest's handler returns past it.  #DB exits as the CPU reports it
 * (a single-step trap: RIP after the instruction).
 */
#define THV_SET_EXCEPTION_INTERCEPTS _IOW(THVIO, 0x26, struct thv_exception_intercepts)
#define THV_EXCEPTIONS_ALLOWED	(~((1u << 2) | (1u << 18)))

/*
 * Raise an external interrupt with this vector (32-255), as an interrupt
 * controller does when it drives INTR and answers the acknowledge cycle.
 * It is queued in the kernel and delivered on a later entry as soon as
 * the guest can take it: RFLAGS.IF = 1, no STI or MOV SS shadow, no
 * other event being delivered (SDM 6.8.1, APM 8.5).  Until then thv asks
 * the CPU for an interrupt-window exit and handles that itself.  A
 * queued interrupt also ends a HLT, without a HLT exit.  Errors: EINVAL
 * (vector < 32, padding), EBUSY (one is queued and not delivered yet;
 * thv_run.ready_for_interrupt_injection says when it has been).
 */
#define THV_INTERRUPT		_IOW(THVIO, 0x27, struct thv_interrupt)

struct thv_interrupt {
	__u32 vector;
	__u32 padding;
};

/*
 * Make the guest take an exception on the next entry, before any queued
 * interrupt, as if the instruction at RIP had raised it (faults) or had
 * just finished (traps).  A #PF writes cr2 to CR2 as it is delivered.
 * Errors: EINVAL (vector >= 32, NMI (2), a reserved vector, an error
 * code on a vector that has none or none on one that has: 8, 10-14 and
 * 17 have one), EBUSY (an injected exception is still queued).
 */
#define THV_INJECT_EXCEPTION	_IOW(THVIO, 0x28, struct thv_exception)

struct thv_exception {
	__u8  vector;
	__u8  has_error_code;
	__u8  padding[2];
	__u32 error_code;
	__u64 cr2;
	__u64 reserved;
};

/*
 * Debugging a guest: the exit stepper (`thv run --step`) and tracing.
 *
 * THV_DEBUG_SINGLESTEP: RUN returns THV_EXIT_DEBUG after every guest
 * instruction (and after an event is delivered, before the handler's
 * first instruction), with RIP at the next instruction.  VMX uses the
 * monitor trap flag (SDM Vol. 3C 26.5.2) where the CPU has one; SVM, and
 * VMX without it (Bochs), set RFLAGS.TF and intercept #DB (APM Vol. 2
 * 15.12, SDM Vol. 3C 25.6.3), hiding TF from the guest: PUSHF and
 * the frames of delivered events show the guest's own TF, POPF/IRET set
 * the guest's own TF, and a guest that single-steps itself still gets
 * its #DB.  Queued interrupts (THV_INTERRUPT) are held back while
 * stepping unless THV_DEBUG_STEP_IRQS is set too.
 *
 * THV_DEBUG_EXIT_ALL: exits thv.ko handles by itself (CPUID, nested page
 * faults, host interrupts...) are reported too: after handling one, RUN
 * returns THV_EXIT_KERNEL with what it was (thv_run.kernel); the next RUN
 * just goes on.  The guest sees no difference.
 *
 * Errors: EINVAL (unknown flags, non-zero padding or reserved).
 */
#define THV_SET_GUEST_DEBUG	_IOW(THVIO, 0x29, struct thv_guest_debug)

#define THV_DEBUG_SINGLESTEP	(1u << 0)
#define THV_DEBUG_EXIT_ALL	(1u << 1)
#define THV_DEBUG_STEP_IRQS	(1u << 2)
#define THV_DEBUG_VALID		(THV_DEBUG_SINGLESTEP | THV_DEBUG_EXIT_ALL | \
				 THV_DEBUG_STEP_IRQS)

struct thv_guest_debug {
	__u32 flags;		/* THV_DEBUG_* */
	__u32 padding;
	__u64 reserved[2];
};

/*
 * The raw hardware state of a vCPU, read only: every VMCS field (VMX) or
 * VMCB field (SVM) thv.ko uses, with its name, for the stepper's "vmcs"
 * command.  Nothing can be written through it.  In: nfields = how many
 * entries fit in fields[].  Out: total = how many there are; the first
 * min(nfields, total) entries are filled, nfields = that number.  E2BIG
 * if nfields < total (total is still written, nothing else is).
 * encoding: the VMCS field encoding (SDM Vol. 3D appendix B), or the
 * byte offset in the VMCB (APM Vol. 2 appendix B: control area from 0,
 * state save area from 0x400).
 */
#define THV_GET_HW_FIELDS	_IOWR(THVIO, 0x2a, struct thv_hw_fields)

#define THV_HW_AREA_CONTROL	0	/* VMX execution/entry/exit controls, VMCB control area */
#define THV_HW_AREA_GUEST	1	/* guest-state area, VMCB state save area */
#define THV_HW_AREA_HOST	2	/* VMX host-state area (SVM: none) */
#define THV_HW_AREA_EXIT	3	/* VM-exit information fields, EXITCODE/EXITINFO */

#define THV_HW_NAME_LEN		40

struct thv_hw_field {
	__u32 encoding;
	__u8  width;		/* bytes: 1, 2, 4 or 8 (1: a few VMCB bytes) */
	__u8  area;		/* THV_HW_AREA_* */
	__u8  padding[2];
	__u64 value;
	char  name[THV_HW_NAME_LEN];	/* "GUEST_RIP", "EXITINFO1"; NUL-terminated */
};

struct thv_hw_fields {
	__u32 nfields;
	__u32 total;
	__u32 backend;		/* out: THV_BACKEND_* */
	__u32 padding;
	struct thv_hw_field fields[];
};

struct thv_exception_intercepts {
	__u32 vectors;
	__u32 padding;
};

#define THV_CPUID_MAX		64
#define THV_CPUID_FLAG_SIGNIFICANT_INDEX	1  /* match index too */

struct thv_cpuid_entry {
	__u32 function;		/* EAX in */
	__u32 index;		/* ECX in, if SIGNIFICANT_INDEX */
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 padding;
};

struct thv_cpuid {
	__u32 nent;
	__u32 padding;
	struct thv_cpuid_entry entries[THV_CPUID_MAX];
};

/* General-purpose registers (same order as struct kvm_regs). */
struct thv_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * A segment register with its hidden ("descriptor cache") part: what the
 * CPU loaded from the GDT, or computed as selector * 16 in real mode.
 */
struct thv_segment {
	__u64 base;
	__u32 limit;		/* in bytes, already scaled by g */
	__u16 selector;
	__u8  type;		/* 4-bit descriptor type */
	__u8  present, dpl, db, s, l, g, avl;
	__u8  unusable;		/* "null" segment */
	__u8  padding;
};

struct thv_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

struct thv_sregs {
	struct thv_segment cs, ds, es, fs, gs, ss;
	struct thv_segment tr, ldt;
	struct thv_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;		/* as the guest sees it: SVME is hidden */
	__u64 reserved[4];
};

/* ---------------------------------------------------------------------
 * The run area: mmap(THV_GET_VCPU_MMAP_SIZE) of a vCPU fd, offset 0
 * ------------------------------------------------------------------- */

/* thv_run.exit_reason: why RUN returned (vendor neutral). */
#define THV_EXIT_NONE		0
#define THV_EXIT_IO		1  /* IN/OUT: emulate the port in userspace */
#define THV_EXIT_MMIO		2  /* access to guest-physical memory no slot backs */
#define THV_EXIT_HLT		3  /* the guest halted */
#define THV_EXIT_SHUTDOWN	4  /* triple fault: the VM is dead until reset */
#define THV_EXIT_HYPERCALL	5  /* VMMCALL/VMCALL */
#define THV_EXIT_FAIL_ENTRY	6  /* the hardware refused the guest state */
#define THV_EXIT_INTERNAL_ERROR	7  /* an exit thv does not handle */
#define THV_EXIT_INTR		8  /* a signal is pending (RUN returned -EINTR) */
#define THV_EXIT_MSR		9  /* RDMSR/WRMSR of an MSR thv.ko leaves to userspace */
#define THV_EXIT_EXCEPTION	10 /* a guest exception userspace intercepts */
#define THV_EXIT_IRQ_WINDOW	11 /* request_interrupt_window: it is open now */
#define THV_EXIT_DEBUG		12 /* THV_DEBUG_SINGLESTEP: one instruction done */
#define THV_EXIT_KERNEL		13 /* THV_DEBUG_EXIT_ALL: an exit thv.ko handled */
#define THV_EXIT_MAX		14

/*
 * The exit kinds: what thv.ko decodes every hardware exit into, before
 * it handles it (kmod/exit.c).  The exit counters, THV_EXIT_KERNEL and
 * the thv_exit tracepoint use them.
 */
#define THV_KIND_NOTHING	0  /* nothing to do (e.g. INIT held): resume */
#define THV_KIND_HOST_INTR	1  /* a host interrupt or NMI: the host runs it */
#define THV_KIND_IO		2  /* IN/OUT/INS/OUTS */
#define THV_KIND_NPF		3  /* EPT violation / nested page fault */
#define THV_KIND_CPUID		4
#define THV_KIND_HLT		5
#define THV_KIND_HYPERCALL	6  /* VMCALL/VMMCALL */
#define THV_KIND_MSR		7  /* RDMSR/WRMSR */
#define THV_KIND_SHUTDOWN	8  /* triple fault */
#define THV_KIND_EXCEPTION	9  /* an intercepted guest exception */
#define THV_KIND_DENIED_INSN	10 /* an instruction guests may not run: #UD */
#define THV_KIND_SKIP_INSN	11 /* emulated as a no-op (INVD, WBINVD) */
#define THV_KIND_CR		12 /* a control-register access */
#define THV_KIND_IRQ_WINDOW	13 /* the guest can take an interrupt now */
#define THV_KIND_RDTSCP		14
#define THV_KIND_PAUSE		15
#define THV_KIND_DR		16 /* MOV to/from a debug register */
#define THV_KIND_SOFT_INT	17 /* INT n/INT3/INTO (SVM INTn intercept) */
#define THV_KIND_XSETBV		18
#define THV_KIND_FAIL_ENTRY	19
#define THV_KIND_UNHANDLED	20
#define THV_KIND_STEP		21 /* a single-step: MTF exit, or the #DB from TF */
#define THV_KIND_NR		22

#define THV_EXIT_IO_IN		0  /* thv_run.io.direction */
#define THV_EXIT_IO_OUT		1

/* Where IO data lives in the run area (thv_run.io.data_offset). */
#define THV_RUN_IO_DATA_OFFSET	2048
#define THV_RUN_IO_DATA_MAX	2048

/* thv_run.fail_entry.reason: thv's decoding of why entry failed. */
#define THV_FAIL_UNKNOWN	0  /* the hardware gave no more detail */
#define THV_FAIL_CR0		1  /* CR0 invalid (e.g. CD=0 with NW=1, PG without PE) */
#define THV_FAIL_CR3		2  /* CR3 reserved bits set */
#define THV_FAIL_CR4		3  /* CR4 reserved or unsupported bits set */
#define THV_FAIL_EFER		4  /* EFER invalid (reserved bits, LME/LMA combos) */
#define THV_FAIL_SEGMENT	5  /* a segment register is invalid */
#define THV_FAIL_DR		6  /* DR6/DR7 upper bits set */
#define THV_FAIL_VMCS_CONTROL	7  /* VMX: a control field is invalid */
#define THV_FAIL_GUEST_STATE	8  /* VMX: invalid guest state (SDM 27.3.1) */
#define THV_FAIL_MAX		9

/* thv_run.internal.suberror */
#define THV_INTERNAL_UNHANDLED_EXIT	1  /* data: raw reason, info1, info2, rip */
#define THV_INTERNAL_EMULATION		2  /* MMIO insn thv cannot decode: data[4] GPA,
					      data[5..6] insn bytes, data[7] count */
#define THV_INTERNAL_STRING_IO		3  /* INS/OUTS on memory thv cannot reach */
#define THV_INTERNAL_NPF_LOOP		4  /* a nested page fault on a mapped page */
#define THV_INTERNAL_GUEST_PAGING	5  /* unused since the kernel walks guest page tables */

#define THV_RUN_INSN_MAX	15

struct thv_run {
	/* in: set by userspace before RUN */
	__u8  request_immediate_exit;	/* return -EINTR before entering */
	/*
	 * Return THV_EXIT_IRQ_WINDOW as soon as the guest could take an
	 * external interrupt (and none is queued): how a userspace
	 * interrupt controller waits for a guest running with IF = 0.
	 */
	__u8  request_interrupt_window;
	__u8  padding1[6];

	/* out: set by the kernel when RUN returns */
	__u32 exit_reason;		/* THV_EXIT_* */
	__u32 hw_exit_valid;		/* 1 if hw_exit_reason is meaningful */
	__u64 hw_exit_reason;		/* raw VMEXIT code / VMX basic exit reason */
	__u64 hw_exit_info1;		/* EXITINFO1 / exit qualification */
	__u64 hw_exit_info2;		/* EXITINFO2 / guest-physical address */
	__u64 exit_rip;			/* guest RIP of the exiting instruction */
	__u64 exits;			/* VM exits of this vCPU so far, all kinds */
	/*
	 * ready_for_interrupt_injection: THV_INTERRUPT would be delivered
	 * at the very next entry (IF = 1, no shadow, no event in flight,
	 * none queued).  if_flag: the guest's RFLAGS.IF.
	 */
	__u8  ready_for_interrupt_injection;
	__u8  if_flag;
	__u8  padding2[14];

	union {
		/* THV_EXIT_IO: data is at (char *)run + data_offset. */
		struct {
			__u8  direction;	/* THV_EXIT_IO_IN / _OUT */
			__u8  size;		/* 1, 2 or 4 bytes */
			__u16 port;
			__u32 count;		/* elements: 1, or a chunk of INS/OUTS */
			__u64 data_offset;
		} io;
		/*
		 * THV_EXIT_MMIO: for a write, data holds what the guest
		 * wrote; for a read, userspace fills data before the next RUN.
		 */
		struct {
			__u64 phys_addr;
			__u8  data[8];
			__u32 len;		/* 1, 2, 4 or 8 */
			__u8  is_write;
			__u8  insn_len;		/* valid bytes in insn */
			__u8  insn[THV_RUN_INSN_MAX];
			/*
			 * 1: thv.ko did not decode this instruction (not a
			 * MOV form it knows): len and data are 0, RIP has
			 * not moved.  Userspace emulates the whole
			 * instruction from insn (registers through
			 * GET/SET_REGS, RIP included) or gives up.
			 */
			__u8  user_decode;
			__u8  padding[2];
		} mmio;
		/*
		 * THV_EXIT_HYPERCALL: nr = RAX, args = RBX, RCX, RDX, RSI
		 * (the KVM convention).  ret goes back into RAX on the next RUN.
		 */
		struct {
			__u64 nr;
			__u64 args[4];
			__u64 ret;
			__u32 insn;		/* THV_HC_INSN_* actually used */
			__u32 padding;
		} hypercall;
		/* THV_EXIT_FAIL_ENTRY */
		struct {
			__u64 hardware_entry_failure_reason; /* raw code */
			__u32 reason;		/* THV_FAIL_* */
			__u32 vm_instruction_error; /* VMX only, else 0 */
		} fail_entry;
		/*
		 * THV_EXIT_MSR: the guest read (is_write = 0) or wrote MSR
		 * index.  A write's value is in data.  Before the next RUN
		 * userspace puts a read's value in data, or sets error to 1:
		 * the instruction then raises #GP in the guest instead.
		 */
		struct {
			__u32 index;		/* ECX */
			__u8  is_write;
			__u8  error;		/* set by userspace: #GP */
			__u8  padding[2];
			__u64 data;		/* EDX:EAX */
		} msr;
		/*
		 * THV_EXIT_EXCEPTION: the guest raised vector, which
		 * THV_SET_EXCEPTION_INTERCEPTS asked for.  It has not been
		 * delivered; RIP is at the faulting instruction.  cr2 is the
		 * faulting address of a #PF (the guest's CR2 is not changed).
		 * Userspace sets reinject = 1 to deliver it on the next RUN
		 * (CR2 included); otherwise the guest goes on at RIP, which
		 * userspace may have changed.
		 */
		struct {
			__u8  vector;
			__u8  has_error_code;
			__u8  reinject;		/* set by userspace */
			__u8  padding;
			__u32 error_code;
			__u64 cr2;
		} exception;
		/*
		 * THV_EXIT_KERNEL: an exit thv.ko handled by itself, already
		 * finished (RIP has moved on if the instruction is done).
		 * kind: THV_KIND_*.  info[] by kind:
		 *   CPUID: leaf, subleaf, EAX|EBX<<32, ECX|EDX<<32 (the answer)
		 *   NPF:   GPA, flags (THV_NPF_*), 0, 0
		 *   MSR:   index, value, is_write, 0
		 *   CR:    CR number, value, is_write, 0
		 *   others: hw_exit_info1, hw_exit_info2, 0, 0
		 * hw_exit_reason/info1/info2 are the raw hardware values.
		 */
		struct {
			__u32 kind;
			__u32 padding;
			__u64 info[4];
		} kernel;
		/* THV_EXIT_DEBUG: DR6 of the step's #DB (TF), else 0 (MTF). */
		struct {
			__u64 dr6;
			__u8  event;		/* 1: an event was delivered in this step */
			__u8  vector;		/* ...this one */
			__u8  padding[6];
		} debug;
		/* THV_EXIT_INTERNAL_ERROR */
		struct {
			__u32 suberror;		/* THV_INTERNAL_* */
			__u32 ndata;
			__u64 data[8];
		} internal;
		char padding[256];
	};
};

/* thv_run.kernel.info[1] of a THV_KIND_NPF exit. */
#define THV_NPF_WRITE		(1u << 0)
#define THV_NPF_FETCH		(1u << 1)
#define THV_NPF_PRESENT		(1u << 2)  /* the page was mapped (permissions) */

#define THV_HC_INSN_VMMCALL	1	/* AMD: 0f 01 d9 */
#define THV_HC_INSN_VMCALL	2	/* Intel: 0f 01 c1 */

#endif /* _UAPI_THV_H */
