/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thv.h - the generic core of the teaching hypervisor.
 *
 * Everything in this header is vendor neutral.  The hardware backends
 * (svm/ and, later, vmx/) sit behind one ops table, struct thv_backend_ops,
 * and speak to the core only through it and through struct thv_exit: the
 * backend *decodes* a VM exit at the boundary into a neutral struct, and
 * the core *handles* it once for both vendors (see exit.c).
 *
 * Generic files never include a vendor header.
 */
#ifndef THV_H
#define THV_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/kref.h>
#include <linux/mm_types.h>
#include "../include/uapi/thv.h"

struct dentry;

#define THV_MAX_VCPUS		4
#define THV_MAX_SLOTS		32
#define THV_MAX_MEM_BYTES	(1ULL << 30)	/* per VM */
#define THV_RUN_SIZE		PAGE_SIZE
/* Fast-path exits in a row before the run loop has a turn (exit.c). */
#define THV_FASTPATH_MAX	64

/*
 * Guest general-purpose registers, indexed in the order the x86 encoding
 * uses (ModRM.reg / REX.R), so the instruction decoder can use a register
 * number straight from the instruction.  The VMRUN/VMLAUNCH assembly uses
 * the same offsets.
 */
enum thv_reg {
	THV_RAX, THV_RCX, THV_RDX, THV_RBX, THV_RSP, THV_RBP, THV_RSI, THV_RDI,
	THV_R8, THV_R9, THV_R10, THV_R11, THV_R12, THV_R13, THV_R14, THV_R15,
	THV_NR_GPRS
};

/* ---- guest memory ---------------------------------------------------- */

struct thv_memslot {
	u64 gpa;		/* guest-physical base, page aligned */
	u64 npages;		/* 0: slot unused */
	u64 uaddr;		/* userspace address it came from */
	struct page **pages;	/* one per guest page: NULL until first
				 * used, then pinned (thv_slot_page) */
};

/*
 * The nested page table format differs between vendors (NPT uses the
 * ordinary x86-64 format, EPT its own), so the backend describes its
 * entries and the generic walker in mmu.c builds and frees the tables.
 */
struct thv_mmu_fmt {
	const char *name;	/* "EPT" or "NPT", for debugfs */
	int levels;		/* 4 or 5 */
	u64 table_bits;		/* bits of a non-leaf entry besides the address */
	u64 leaf_bits;		/* bits of a 4 KiB leaf besides the address */
	u64 present_mask;	/* an entry is present if any of these is set */
	/*
	 * How to read the permissions of a leaf (debugfs "npt"): readable
	 * if any read_mask bit is set, writable with write_mask, executable
	 * with exec_mask (EPT's X bit) or, when exec_mask is 0, unless
	 * nx_mask is set (NPT's NX bit, as in ordinary page tables).
	 */
	u64 read_mask, write_mask, exec_mask, nx_mask;
};

struct thv_mmu {
	u64 *root;		/* top-level table, one page */
	const struct thv_mmu_fmt *fmt;
	unsigned long nr_tables;	/* table pages allocated, for accounting */
};

/* ---- VM and vCPU ----------------------------------------------------- */

/*
 * Exit counters (THV_GET_EXIT_STATS, debugfs "exits"): how many exits of
 * each kind, and the nanoseconds the host spent on them, from the VM exit
 * to the next VM entry.  Each vCPU updates its own, with no lock.
 */
struct thv_exit_counters {
	u64 count[THV_KIND_NR];
	u64 ns[THV_KIND_NR];
};

struct thv_vm {
	struct kref ref;		/* the VM fd and each vCPU fd hold one */
	struct mutex lock;		/* slots, mmu, vcpus[] */
	struct thv_memslot slots[THV_MAX_SLOTS];
	u64 mem_bytes;			/* all slots together */
	struct thv_mmu mmu;
	u64 mmu_generation;		/* bumped when mappings are removed */
	struct thv_vcpu *vcpus[THV_MAX_VCPUS];
	/*
	 * Read-held by every vCPU inside THV_RUN, which counts on the
	 * memory slots staying put; THV_SET_MEMORY_REGION takes it for
	 * writing, or fails with EBUSY (vm.c).
	 */
	struct rw_semaphore run_lock;
	struct mm_struct *mm;		/* owner of the pinned pages */

	/* Debugging and statistics: stats.c, debugfs.c. */
	struct thv_exit_counters retired; /* of vCPUs already closed */
	struct dentry *debugfs;		/* vm-<pid>-<n>, or NULL/ERR_PTR */
};

/* What the next THV_RUN must finish before entering the guest again. */
enum thv_pending {
	THV_PENDING_NONE,
	THV_PENDING_SKIP,	/* just advance RIP */
	THV_PENDING_IO_IN,	/* data from run area into AL/AX/EAX */
	THV_PENDING_MMIO_READ,	/* run->mmio.data into a register */
	THV_PENDING_HYPERCALL,	/* run->hypercall.ret into RAX */
	THV_PENDING_MSR,	/* run->msr: value into EDX:EAX, or #GP */
	THV_PENDING_STRING_IO,	/* INS/OUTS: registers, memory (strio.c) */
	THV_PENDING_EXCEPTION,	/* re-inject if userspace says so */
};

/* One chunk of an INS/OUTS (REP) between exit and completion, strio.c. */
struct thv_strio {
	bool in, rep;
	u8 size;		/* 1, 2 or 4 bytes an element */
	u8 asize;		/* address size: 2, 4 or 8 bytes */
	int reg;		/* THV_RSI (OUTS) or THV_RDI (INS) */
	s64 step;		/* +size, or -size with EFLAGS.DF */
	u32 count;		/* elements in this chunk */
	u64 linear;		/* of the first element */
};

struct thv_vcpu {
	struct thv_vm *vm;
	unsigned int id;
	struct thv_run *run;		/* shared with userspace via mmap */
	struct mutex lock;		/* one ioctl at a time */

	/* The register cache: the backend syncs RAX/RSP/RIP/RFLAGS. */
	u64 regs[THV_NR_GPRS];
	u64 rip, rflags;

	enum thv_pending pending;
	u64 pending_next_rip;
	int pending_reg;		/* MMIO read: destination register */
	u8 pending_len;			/* IO in / MMIO read: bytes */
	u8 pending_dst_size;		/* MMIO read: register size */
	bool pending_sign;		/* MMIO read: movsx */
	bool pending_high8;		/* MMIO read: AH/CH/DH/BH */
	bool pending_msr_write;		/* MSR: WRMSR (else RDMSR) */
	struct thv_strio pending_str;	/* INS/OUTS */

	struct thv_cpuid *cpuid;	/* THV_SET_CPUID table, or NULL */
	u32 user_exceptions;		/* THV_SET_EXCEPTION_INTERCEPTS */
	struct {			/* THV_PENDING_EXCEPTION */
		u8 vector;
		bool has_error_code;
		u32 error_code;
		u64 cr2;
		u8 trap_len;	/* #BP/#OF: length of INT3/INT n/INTO */
	} pending_exc;

	/*
	 * Events userspace raised (THV_INTERRUPT, THV_INJECT_EXCEPTION),
	 * waiting for the guest to be able to take them: events.c.
	 */
	bool irq_queued;
	u8 irq_vector;
	bool irq_window;		/* interrupt-window exiting is on */
	bool exc_queued;
	struct thv_exception exc;

	u64 tsc_offset;			/* guest TSC = host TSC + this */
	u32 tsc_aux;			/* IA32_TSC_AUX, for RDTSCP */
	u64 dr[4];			/* DR0-3: kept, not loaded (see DR) */
	u64 dr6, dr7;

	u64 apic_base;			/* MSRs kept here, msr.c */
	u64 misc_enable;

	bool shutdown;			/* triple-faulted; needs SET_SREGS */
	u64 mmu_generation;		/* last generation this vCPU ran with */
	u64 exits;

	/* stats.c: the counters, and the exit whose time still runs. */
	struct thv_exit_counters stats;
	u64 stats_exit_ns;		/* clock at the last exit, 0: none */
	u32 stats_exit_kind;
	/*
	 * THV_SET_GUEST_DEBUG (debug.c).  step_done: the instruction being
	 * stepped finished outside the guest (emulated), report it before
	 * the next entry.  step_event: an event (vector step_vector) was
	 * delivered during this step; the backend sets it.
	 */
	u32 debug_flags;
	u32 fast_left;			/* fast-path exits left, exit.c */
	bool step_done;
	bool step_event;
	u8 step_vector;

	void *fpu;			/* the guest's FXSAVE/XSAVE area, fpu.c */
	u64 xcr0;			/* the guest's XCR0 (XSETBV), fpu.c */
	void *arch;			/* the backend's per-vCPU state */
};

/* ---- the neutral exit ---------------------------------------------------- */

/*
 * What a VM exit means, independent of vendor.  Backends translate their
 * raw exit code into one of these in their decode table; exit.c has one
 * handler per kind.  The kinds are part of the ABI (THV_KIND_* in the
 * uapi header): the exit counters, THV_EXIT_KERNEL and the thv_exit
 * tracepoint report them.
 */
enum thv_exit_kind {
	THV_X_NOTHING = THV_KIND_NOTHING,
	THV_X_HOST_INTR = THV_KIND_HOST_INTR,
	THV_X_IO = THV_KIND_IO,
	THV_X_NPF = THV_KIND_NPF,
	THV_X_CPUID = THV_KIND_CPUID,
	THV_X_HLT = THV_KIND_HLT,
	THV_X_HYPERCALL = THV_KIND_HYPERCALL,
	THV_X_MSR = THV_KIND_MSR,
	THV_X_SHUTDOWN = THV_KIND_SHUTDOWN,
	THV_X_EXCEPTION = THV_KIND_EXCEPTION,
	THV_X_DENIED_INSN = THV_KIND_DENIED_INSN,
	THV_X_SKIP_INSN = THV_KIND_SKIP_INSN,
	THV_X_CR = THV_KIND_CR,
	THV_X_IRQ_WINDOW = THV_KIND_IRQ_WINDOW,
	THV_X_RDTSCP = THV_KIND_RDTSCP,
	THV_X_PAUSE = THV_KIND_PAUSE,
	THV_X_DR = THV_KIND_DR,
	THV_X_SOFT_INT = THV_KIND_SOFT_INT,
	THV_X_XSETBV = THV_KIND_XSETBV,
	THV_X_FAIL_ENTRY = THV_KIND_FAIL_ENTRY,
	THV_X_UNHANDLED = THV_KIND_UNHANDLED,
	THV_X_STEP = THV_KIND_STEP,	/* a single-step finished */
	THV_X_NR = THV_KIND_NR
};

/*
 * The kinds' names, lower case: debugfs "exits" and the thv_exit
 * tracepoint print them.  X(KIND, "name") for every THV_KIND_*, separated
 * by commas (the tracepoint's __print_symbolic() wants a list).
 */
#define THV_KIND_NAMES(X)						\
	X(NOTHING, "nothing"), X(HOST_INTR, "host_intr"), X(IO, "io"),	\
	X(NPF, "npf"), X(CPUID, "cpuid"), X(HLT, "hlt"),		\
	X(HYPERCALL, "hypercall"), X(MSR, "msr"),			\
	X(SHUTDOWN, "shutdown"), X(EXCEPTION, "exception"),		\
	X(DENIED_INSN, "denied_insn"), X(SKIP_INSN, "skip_insn"),	\
	X(CR, "cr"), X(IRQ_WINDOW, "irq_window"), X(RDTSCP, "rdtscp"),	\
	X(PAUSE, "pause"), X(DR, "dr"), X(SOFT_INT, "soft_int"),	\
	X(XSETBV, "xsetbv"), X(FAIL_ENTRY, "fail_entry"),		\
	X(UNHANDLED, "unhandled"), X(STEP, "step")

#define THV_DR_GPR_UNKNOWN	0xff	/* the backend did not decode it */

struct thv_exit {
	u32 kind;			/* enum thv_exit_kind */
	u64 raw_reason, info1, info2;
	u64 next_rip;			/* 0: not known, use insn_len */
	u8 insn_len;			/* length of the exiting insn, if known */
	u8 hw_insn_len;			/* bytes the hardware fetched for us */
	u8 hw_insn[THV_RUN_INSN_MAX];
	union {
		struct {
			u16 port;
			u8 size;
			bool in, string, rep;
		} io;
		struct {
			u64 gpa;
			bool write, fetch, present;
		} npf;
		struct {
			bool write;
		} msr;
		struct {
			u8 vector;
			bool has_error_code;
			u32 error_code;
			u64 cr2;	/* #PF: the faulting address */
		} exc;
		struct {
			u32 reason;	/* THV_FAIL_* */
			u32 vm_insn_error;
		} fail;
		u32 hc_insn;		/* THV_HC_INSN_* */
		struct {
			u8 nr;		/* DR0-7 */
			bool write;
			u8 gpr;		/* THV_RAX.., or THV_DR_GPR_UNKNOWN */
		} dr;
		struct {
			u64 dr6;	/* SVM: DR6 of the step's #DB, else 0 */
		} step;
		struct {
			u8 nr;		/* CR0, CR3, CR4 or CR8 */
			bool write;
			u8 gpr;		/* the register operand, THV_RAX.. */
			bool has_value;	/* LMSW/CLTS: the value, not a GPR */
			u64 value;
		} cr;
	};
};

/* ---- the vendor boundary ---------------------------------------------- */

struct thv_backend_ops {
	const char *name;
	u32 backend;				/* THV_BACKEND_* */

	/* Module-wide: probe the CPU, fill caps, allocate global state. */
	int (*hardware_setup)(struct thv_caps *caps);
	void (*hardware_unsetup)(void);
	/* Per CPU, called on every online CPU and on hotplug. */
	int (*cpu_enable)(unsigned int cpu);
	int (*cpu_disable)(unsigned int cpu);

	int (*vcpu_create)(struct thv_vcpu *vcpu);
	void (*vcpu_free)(struct thv_vcpu *vcpu);

	/* Enter the guest once and decode why it left.  0 or -errno. */
	int (*run)(struct thv_vcpu *vcpu, struct thv_exit *exit);

	void (*get_sregs)(struct thv_vcpu *vcpu, struct thv_sregs *sregs);
	int (*set_sregs)(struct thv_vcpu *vcpu, const struct thv_sregs *sregs);
	u64 (*get_efer)(struct thv_vcpu *vcpu);
	void (*set_efer)(struct thv_vcpu *vcpu, u64 efer);
	int (*get_cpl)(struct thv_vcpu *vcpu);
	void (*inject_exception)(struct thv_vcpu *vcpu, u8 vector,
				 bool has_error_code, u32 error_code);
	/*
	 * Control registers the backend intercepts (VMX owns some CR0/CR4
	 * bits and CR8): the value the guest sees, and a guest write of it.
	 * set_cr returns -EINVAL when the CPU would raise #GP.  Optional:
	 * only a backend that decodes THV_X_CR exits needs them.
	 */
	u64 (*get_cr)(struct thv_vcpu *vcpu, int nr);
	int (*set_cr)(struct thv_vcpu *vcpu, int nr, u64 val);
	/*
	 * The guest's copy of the MSRs it owns outright: STAR, LSTAR,
	 * CSTAR, SYSCALL_MASK, FS/GS/KERNEL_GS_BASE, SYSENTER_CS/ESP/EIP,
	 * PAT (msr.c has checked the value).  0 or -errno.
	 */
	/* Extra exception vectors to intercept (bit n = vector n). */
	void (*set_exception_intercepts)(struct thv_vcpu *vcpu, u32 vectors);
	/*
	 * Events (SDM 27.6 "Event Injection", APM 15.20 "Event Injection").
	 * event_in_flight: the injection slot is taken (an event being
	 * re-delivered, or one injected already).  interrupt_allowed: an
	 * external interrupt would be taken now: RFLAGS.IF = 1, no STI or
	 * MOV SS shadow, slot free.  set_irq_window: exit as soon as that
	 * becomes true (VMX interrupt-window exiting, SVM V_IRQ + VINTR).
	 */
	bool (*event_in_flight)(struct thv_vcpu *vcpu);
	bool (*interrupt_allowed)(struct thv_vcpu *vcpu);
	void (*inject_irq)(struct thv_vcpu *vcpu, u8 vector);
	void (*set_irq_window)(struct thv_vcpu *vcpu, bool on);
	/*
	 * Deliver INT n (vector, instruction length len) that an intercept
	 * stopped.  Optional: only a backend that decodes THV_X_SOFT_INT.
	 */
	void (*inject_soft_int)(struct thv_vcpu *vcpu, u8 vector, u8 len);
	/* Guest TSC = host TSC + offset, for RDTSC run natively. */
	void (*set_tsc_offset)(struct thv_vcpu *vcpu, u64 offset);
	/* The guest's CR2, for re-injecting a #PF. */
	void (*set_cr2)(struct thv_vcpu *vcpu, u64 cr2);
	int (*get_msr)(struct thv_vcpu *vcpu, u32 msr, u64 *val);
	int (*set_msr)(struct thv_vcpu *vcpu, u32 msr, u64 val);

	const struct thv_mmu_fmt *(*mmu_fmt)(void);

	/*
	 * THV_GET_HW_FIELDS: fill out[] (room for THV_HW_FIELDS_MAX) with
	 * every VMCS/VMCB field the backend uses, read now.  Returns how
	 * many, or -errno.  Read only: it never changes the guest.
	 */
	int (*get_hw_fields)(struct thv_vcpu *vcpu, struct thv_hw_field *out);
	/*
	 * THV_DEBUG_SINGLESTEP on or off: from now on every entry runs one
	 * instruction, or delivers one event, and the exit is decoded as
	 * THV_X_STEP.  -EOPNOTSUPP if the CPU cannot.  Optional.
	 */
	int (*set_single_step)(struct thv_vcpu *vcpu, bool on);
};

/* The most entries a backend's THV_GET_HW_FIELDS table may have. */
#define THV_HW_FIELDS_MAX	192

/* One row of a backend's field table (svm/fields.c, vmx/fields.c). */
struct thv_hw_field_desc {
	const char *name;
	u32 encoding;		/* VMCS encoding, or VMCB byte offset */
	u8 width;		/* bytes */
	u8 area;		/* THV_HW_AREA_* */
};

extern const struct thv_backend_ops *thv_ops;
extern struct thv_caps thv_caps;

/* main.c */
extern const struct thv_backend_ops thv_svm_ops;
extern const struct thv_backend_ops thv_vmx_ops;

/* vm.c */
int thv_vm_create_fd(void);
void thv_vm_put(struct thv_vm *vm);
struct thv_memslot *thv_gpa_to_slot(struct thv_vm *vm, u64 gpa);
struct page *thv_slot_page(struct thv_vm *vm, struct thv_memslot *slot,
			   u64 idx);

/* vcpu.c */
int thv_vcpu_create_fd(struct thv_vm *vm, unsigned long id);

/* stats.c */
extern const char * const thv_kind_names[THV_KIND_NR];
void thv_stats_setup(void);
void thv_stats_retire(struct thv_vcpu *vcpu);
void thv_stats_sum(struct thv_vm *vm, struct thv_exit_counters *sum);
int thv_get_exit_stats(struct thv_vm *vm, struct thv_exit_stats __user *arg);

/* hwfields.c */
int thv_get_hw_fields(struct thv_vcpu *vcpu, struct thv_hw_fields __user *arg);
void thv_hw_field_set(struct thv_hw_field *out,
		      const struct thv_hw_field_desc *d, u64 value);

/* debugfs.c */
void thv_debugfs_init(void);
void thv_debugfs_exit(void);
void thv_debugfs_vm_create(struct thv_vm *vm);
void thv_debugfs_vm_destroy(struct thv_vm *vm);

/* mmu.c */
int thv_mmu_init(struct thv_mmu *mmu, const struct thv_mmu_fmt *fmt);
void thv_mmu_destroy(struct thv_mmu *mmu);
int thv_mmu_map(struct thv_mmu *mmu, u64 gpa, u64 hpa);
u64 thv_mmu_root_pa(struct thv_mmu *mmu);
typedef void (*thv_mmu_leaf_fn)(void *arg, u64 gpa, u64 entry, int level);
void thv_mmu_walk(struct thv_mmu *mmu, thv_mmu_leaf_fn fn, void *arg);

/* fpu.c */
extern u64 thv_xfeatures;
void thv_fpu_setup(void);
unsigned int thv_xsave_size_for(u64 xcr0);
void thv_xcr0_guest(struct thv_vcpu *vcpu);
void thv_xcr0_host(struct thv_vcpu *vcpu);
int thv_guest_fpu_alloc(struct thv_vcpu *vcpu);
void thv_guest_fpu_free(struct thv_vcpu *vcpu);
void thv_guest_fpu_enter(struct thv_vcpu *vcpu);
void thv_guest_fpu_leave(struct thv_vcpu *vcpu);

/* exit.c */
int thv_handle_exit(struct thv_vcpu *vcpu, struct thv_exit *exit);
bool __thv_exit_fastpath(struct thv_vcpu *vcpu, struct thv_exit *exit);

/*
 * Handle this exit now, interrupts still held, and enter again at once?
 * exit.c, __thv_exit_fastpath(); the kind is checked here, inline, so
 * that every other exit pays one compare for it.
 */
static inline bool thv_exit_fastpath(struct thv_vcpu *vcpu,
				     struct thv_exit *exit)
{
	return exit->kind == THV_X_CPUID && __thv_exit_fastpath(vcpu, exit);
}
void thv_complete_pending(struct thv_vcpu *vcpu);
void thv_skip_insn(struct thv_vcpu *vcpu, const struct thv_exit *exit);
int thv_internal_error(struct thv_vcpu *vcpu, u32 suberror,
		       const struct thv_exit *exit);
void thv_set_pending(struct thv_vcpu *vcpu, enum thv_pending what,
		     const struct thv_exit *exit);

/* events.c */
int thv_queue_interrupt(struct thv_vcpu *vcpu,
			const struct thv_interrupt __user *arg);
int thv_queue_exception(struct thv_vcpu *vcpu,
			const struct thv_exception __user *arg);
bool thv_events_before_entry(struct thv_vcpu *vcpu);
void thv_events_to_user(struct thv_vcpu *vcpu);
int thv_handle_irq_window(struct thv_vcpu *vcpu, struct thv_exit *exit);
void thv_deliver_exception(struct thv_vcpu *vcpu, u8 vector,
			   bool has_error_code, u32 error_code, u64 cr2);

/* debug.c */
struct thv_debug_snap {		/* what an exit handler may overwrite */
	u64 rip, rax, rcx;
};

static inline void thv_debug_snap(struct thv_vcpu *vcpu,
				  struct thv_debug_snap *snap)
{
	snap->rip = vcpu->rip;
	snap->rax = vcpu->regs[THV_RAX];
	snap->rcx = vcpu->regs[THV_RCX];
}

/* Queued interrupts wait while single-stepping, unless STEP_IRQS. */
static inline bool thv_debug_irqs_allowed(struct thv_vcpu *vcpu)
{
	return !(vcpu->debug_flags & THV_DEBUG_SINGLESTEP) ||
	       (vcpu->debug_flags & THV_DEBUG_STEP_IRQS);
}

enum thv_step_insn {
	THV_STEP_OTHER,
	THV_STEP_PUSHF,		/* stores RFLAGS on the stack */
	THV_STEP_LOADS_TF,	/* POPF, IRET, SYSRET: RFLAGS from memory/R11 */
	THV_STEP_INT_N,		/* INT n: an event, delivered in the step */
	THV_STEP_STI,		/* STI: may open an interrupt shadow */
};

/* What one single-stepping entry starts from (thv_step_prepare). */
struct thv_step_entry {
	u64 guest_tf;		/* the guest's own RFLAGS.TF */
	enum thv_step_insn insn;	/* the instruction at RIP */
	u8 vector;		/* INT n: n */
	u8 len;			/* INT n: its length, prefixes included */
};

int thv_set_guest_debug(struct thv_vcpu *vcpu,
			const struct thv_guest_debug __user *arg);
void thv_update_exception_intercepts(struct thv_vcpu *vcpu);
void thv_debug_pending_done(struct thv_vcpu *vcpu, u64 rip_before);
bool thv_debug_step_pending(struct thv_vcpu *vcpu);
int thv_debug_report_step(struct thv_vcpu *vcpu, u64 dr6);
int thv_debug_handled(struct thv_vcpu *vcpu, const struct thv_exit *exit,
		      const struct thv_debug_snap *snap);
void thv_step_prepare(struct thv_vcpu *vcpu, struct thv_step_entry *st);
void thv_tf_step_done(struct thv_vcpu *vcpu, struct thv_exit *exit,
		      const struct thv_step_entry *st, bool trap, u64 dr6);
void thv_step_event_done(struct thv_vcpu *vcpu, struct thv_exit *exit,
			 u8 vector);

/* msr.c */
void thv_msr_vcpu_init(struct thv_vcpu *vcpu);
int thv_handle_msr(struct thv_vcpu *vcpu, struct thv_exit *exit);
void thv_msr_complete(struct thv_vcpu *vcpu);

/* emulate.c */
int thv_read_guest_phys(struct thv_vm *vm, u64 gpa, void *buf, size_t len);
int thv_fetch_insn(struct thv_vcpu *vcpu, u8 *buf, size_t len);
int thv_write_guest_phys(struct thv_vm *vm, u64 gpa, const void *buf,
			 size_t len);
bool thv_pae_pdptes_reload(int nr, u64 val, u64 cr0, u64 cr4, u64 efer);
int thv_read_pae_pdptes(struct thv_vm *vm, u64 cr3, u64 pdpte[4]);
int thv_copy_guest_linear(struct thv_vcpu *vcpu, const struct thv_sregs *s,
			  u64 linear, void *buf, size_t len, bool write);
int thv_insn_mode(struct thv_vcpu *vcpu);

/* strio.c */
int thv_handle_string_io(struct thv_vcpu *vcpu, struct thv_exit *exit);
void thv_string_io_complete(struct thv_vcpu *vcpu);
struct thv_mov {
	u8 len;			/* instruction length */
	u8 size;		/* access size in bytes */
	bool write;		/* memory is the destination */
	bool has_imm;		/* the source is an immediate */
	u64 imm;
	int reg;		/* the register operand, THV_RAX.. */
	bool high8;		/* AH/CH/DH/BH */
	u8 dst_size;		/* movzx/movsx: register size */
	bool sign;		/* movsx */
};
int thv_decode_mov(struct thv_vcpu *vcpu, const u8 *insn, size_t n,
		   struct thv_mov *mov);

/* cpuid.c */
int thv_set_cpuid(struct thv_vcpu *vcpu, const struct thv_cpuid __user *arg);
void thv_cpuid_guest(struct thv_vcpu *vcpu);
void thv_cpuid(struct thv_vcpu *vcpu, u32 leaf, u32 subleaf,
	       u32 *eax, u32 *ebx, u32 *ecx, u32 *edx);
bool thv_cpuid_has_x2apic(struct thv_vcpu *vcpu);
bool thv_guest_osxsave(struct thv_vcpu *vcpu);

#endif /* THV_H */
