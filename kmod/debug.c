// SPDX-License-Identifier: GPL-2.0
/*
 * debug.c - THV_SET_GUEST_DEBUG: single-stepping a guest, and reporting
 * the exits thv.ko handles by itself.
 *
 * TOUR(11 thv_debug_handled): Watching ring -1 work.  Most VM exits
 * never reach userspace: a CPUID, a nested page fault on RAM, a host
 * interrupt are handled in the run loop (vcpu.c) and the guest goes
 * straight back in.  With
 * THV_DEBUG_EXIT_ALL every one of them ends THV_RUN too, as
 * THV_EXIT_KERNEL, after it has been handled: the stepper shows what the
 * hypervisor did, and the guest cannot tell the difference.
 *
 * With THV_DEBUG_SINGLESTEP the guest runs one instruction per THV_RUN.
 * The backend asks the CPU for that (VMX: the monitor trap flag, SDM Vol.
 * 3C 26.5.2, where the CPU has one; otherwise, and on SVM, RFLAGS.TF and
 * the #DB intercept, see "stepping with RFLAGS.TF" below) and decodes
 * the exit as THV_X_STEP.  Some instructions never
 * finish inside the guest: thv emulates them (CPUID) or userspace does
 * (OUT).  When RIP moved on outside the guest, that instruction is the
 * step, and the next THV_RUN reports THV_EXIT_DEBUG without entering.
 * An event delivered during a step (an exception the instruction raised,
 * an injected interrupt) ends the step at the handler's first
 * instruction: the backend calls thv_step_event_done().
 */
#define pr_fmt(fmt) "thv: " fmt

#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>
#include "thv.h"

/*
 * While single-stepping, every exception exits first (NMI and #MC
 * belong to the host, THV_EXCEPTIONS_ALLOWED): exit.c then delivers it
 * itself, and the step ends at the handler.  When stepping with TF
 * (SVM, VMX without MTF) this is what keeps our TF out of the
 * exception's stack frame (see "stepping with RFLAGS.TF" below).
 */
#define THV_STEP_EXC_INTERCEPTS	THV_EXCEPTIONS_ALLOWED

/* The backend's exception intercepts: userspace's, plus ours. */
void thv_update_exception_intercepts(struct thv_vcpu *vcpu)
{
	u32 vectors = vcpu->user_exceptions;

	if (vcpu->debug_flags & THV_DEBUG_SINGLESTEP)
		vectors |= THV_STEP_EXC_INTERCEPTS;
	thv_ops->set_exception_intercepts(vcpu, vectors);
}

int thv_set_guest_debug(struct thv_vcpu *vcpu,
			const struct thv_guest_debug __user *arg)
{
	struct thv_guest_debug dbg;
	bool step;
	int ret;

	if (copy_from_user(&dbg, arg, sizeof(dbg)))
		return -EFAULT;
	if ((dbg.flags & ~THV_DEBUG_VALID) || dbg.padding ||
	    dbg.reserved[0] || dbg.reserved[1])
		return -EINVAL;

	step = dbg.flags & THV_DEBUG_SINGLESTEP;
	if (step != !!(vcpu->debug_flags & THV_DEBUG_SINGLESTEP)) {
		if (!thv_ops->set_single_step)
			return step ? -EOPNOTSUPP : 0;
		ret = thv_ops->set_single_step(vcpu, step);
		if (ret)
			return ret;
	}
	vcpu->debug_flags = dbg.flags;
	/* A new mode: nothing of an earlier step is left to report. */
	vcpu->step_done = false;
	vcpu->step_event = false;
	thv_update_exception_intercepts(vcpu);
	return 0;
}

/*
 * Before THV_RUN finishes what the last exit left (exit.c,
 * thv_complete_pending): if that moves RIP, an instruction just ended
 * outside the guest.  That was the step.
 */
void thv_debug_pending_done(struct thv_vcpu *vcpu, u64 rip_before)
{
	if ((vcpu->debug_flags & THV_DEBUG_SINGLESTEP) &&
	    vcpu->rip != rip_before && !thv_ops->event_in_flight(vcpu))
		vcpu->step_done = true;
}

/* Fill run->debug for a finished step; returns 0 (the RUN ends). */
int thv_debug_report_step(struct thv_vcpu *vcpu, u64 dr6)
{
	struct thv_run *run = vcpu->run;

	run->exit_reason = THV_EXIT_DEBUG;
	memset(&run->debug, 0, sizeof(run->debug));
	run->debug.dr6 = dr6;
	if (vcpu->step_event) {
		run->debug.event = 1;
		run->debug.vector = vcpu->step_vector;
	}
	vcpu->step_done = false;
	vcpu->step_event = false;
	return 0;
}

/*
 * Called before every entry: a step that already finished (outside the
 * guest) ends THV_RUN here, with RIP at the next instruction.
 */
bool thv_debug_step_pending(struct thv_vcpu *vcpu)
{
	struct thv_run *run = vcpu->run;

	if (!(vcpu->debug_flags & THV_DEBUG_SINGLESTEP) || !vcpu->step_done)
		return false;
	thv_debug_report_step(vcpu, 0);
	run->hw_exit_valid = 0;
	run->exit_rip = vcpu->rip;
	return true;
}

/* THV_KIND_NPF's info[1]. */
static u64 thv_npf_flags(const struct thv_exit *exit)
{
	return (exit->npf.write ? THV_NPF_WRITE : 0) |
	       (exit->npf.fetch ? THV_NPF_FETCH : 0) |
	       (exit->npf.present ? THV_NPF_PRESENT : 0);
}

/* THV_EXIT_KERNEL: what the exit was, in the uapi's info[] layout. */
static void thv_debug_report_kernel(struct thv_vcpu *vcpu,
				    const struct thv_exit *exit,
				    const struct thv_debug_snap *snap)
{
	struct thv_run *run = vcpu->run;
	const u64 *r = vcpu->regs;
	u64 *info = run->kernel.info;

	run->exit_reason = THV_EXIT_KERNEL;
	memset(&run->kernel, 0, sizeof(run->kernel));
	run->kernel.kind = exit->kind;
	switch (exit->kind) {
	case THV_X_CPUID:
		/* The question from before the handler, the answer after. */
		info[0] = (u32)snap->rax;
		info[1] = (u32)snap->rcx;
		info[2] = (u32)r[THV_RAX] | (r[THV_RBX] << 32);
		info[3] = (u32)r[THV_RCX] | (r[THV_RDX] << 32);
		break;
	case THV_X_NPF:
		info[0] = exit->npf.gpa;
		info[1] = thv_npf_flags(exit);
		break;
	case THV_X_MSR:
		/* RDMSR/WRMSR leave ECX alone; EDX:EAX is the value. */
		info[0] = (u32)r[THV_RCX];
		info[1] = (u32)r[THV_RAX] | (r[THV_RDX] << 32);
		info[2] = exit->msr.write;
		break;
	case THV_X_CR:
		info[0] = exit->cr.nr;
		info[1] = exit->cr.has_value ? exit->cr.value :
					       r[exit->cr.gpr & 15];
		info[2] = exit->cr.write;
		break;
	default:
		info[0] = exit->info1;
		info[1] = exit->info2;
	}
}

/*
 * An exit was handled in the kernel (its handler returned 1).  With
 * SINGLESTEP, an instruction that finished here (RIP moved, and no
 * event waits to be delivered) or an event delivered on the way is the
 * end of the step.  With EXIT_ALL, userspace hears about the exit.
 * Returns 1 to enter the guest again, 0 to end THV_RUN.
 */
int thv_debug_handled(struct thv_vcpu *vcpu, const struct thv_exit *exit,
		      const struct thv_debug_snap *snap)
{
	if ((vcpu->debug_flags & THV_DEBUG_SINGLESTEP) &&
	    ((vcpu->rip != snap->rip && !thv_ops->event_in_flight(vcpu)) ||
	     vcpu->step_event))
		vcpu->step_done = true;
	if (vcpu->debug_flags & THV_DEBUG_EXIT_ALL) {
		thv_debug_report_kernel(vcpu, exit, snap);
		return 0;
	}
	return 1;
}

/* ---- stepping with RFLAGS.TF: what svm.c and vmx.c share ---------- */

/*
 * Single-stepping with the guest's own trap flag.  SVM has no monitor
 * trap flag, and some VMX CPUs (Bochs's) lack it too, so thv borrows
 * the guest's: RFLAGS.TF = 1 makes the CPU raise
 * #DB after one instruction, a trap with DR6.BS = 1 (SDM Vol. 3B
 * 18.3.1.4, APM Vol. 2 13.1.4), and intercepting #DB turns that trap
 * into an exit (SDM Vol. 3C 25.6.3 "Exception Bitmap", APM 15.12).  The
 * guest must not notice our TF, so vcpu->rflags always keeps the
 * guest's own TF and only the VMCS/VMCB gets ours, for one entry:
 *
 *  - after the step, TF in the VMCS/VMCB is ours, unless the instruction
 *    loaded RFLAGS (POPF, IRET, SYSRET): then it is what the guest
 *    loaded.  If the instruction did not finish (any other exit), it is
 *    still ours;
 *  - a stepped PUSHF pushed our TF: thv_step_fix_pushf() clears it;
 *  - if the guest had TF set itself, the #DB is its own as well: it is
 *    handed on (exit.c delivers it, or reports it to userspace).
 *
 * Events are the hard part: delivering one through the IDT pushes RFLAGS
 * (our TF with it) and clears TF, so the whole handler would run in one
 * step.  So while stepping every exception is intercepted (see
 * THV_STEP_EXC_INTERCEPTS) and INT n too (SVM intercepts it, VMX cannot:
 * vmx.c injects it itself), and thv injects them without our TF.  The
 * backend then makes the entry exit again right after the delivery,
 * before the handler's first instruction, and calls
 * thv_step_event_done().
 *
 * The backend calls thv_step_prepare() before the entry, puts TF in the
 * VMCS/VMCB, and after the exit hands what it saw to thv_tf_step_done().
 */

/*
 * What the instruction at RIP does to RFLAGS.TF, for hiding our TF from
 * the guest: PUSHF stores it, POPF and IRET load it, SYSRET loads it
 * from R11 (SDM Vol. 2 PUSHF, POPF, IRET, SYSRET).  STI (FB) opens an
 * interrupt shadow (vmx.c).  And INT n (CD ib): its vector and length
 * go to *st.  Prefixes are skipped; a REX prefix only exists in 64-bit
 * mode.
 */
void thv_step_prepare(struct thv_vcpu *vcpu, struct thv_step_entry *st)
{
	u8 insn[THV_RUN_INSN_MAX];
	int n = thv_fetch_insn(vcpu, insn, sizeof(insn));
	bool long64 = thv_insn_mode(vcpu) == 8;
	int i = 0;

	st->guest_tf = vcpu->rflags & X86_EFLAGS_TF;
	st->insn = THV_STEP_OTHER;
	while (i < n && (insn[i] == 0x66 || insn[i] == 0x67 ||
			 insn[i] == 0xf0 || insn[i] == 0xf2 ||
			 insn[i] == 0xf3 || insn[i] == 0x2e ||
			 insn[i] == 0x3e || insn[i] == 0x26 ||
			 insn[i] == 0x36 || insn[i] == 0x64 ||
			 insn[i] == 0x65 ||
			 (long64 && (insn[i] & 0xf0) == 0x40)))
		i++;
	if (i >= n)
		return;
	switch (insn[i]) {
	case 0x9c:
		st->insn = THV_STEP_PUSHF;
		break;
	case 0x9d:
	case 0xcf:
		st->insn = THV_STEP_LOADS_TF;	/* POPF, IRET */
		break;
	case 0xfb:
		st->insn = THV_STEP_STI;
		break;
	case 0x0f:
		if (i + 1 < n && insn[i + 1] == 0x07)
			st->insn = THV_STEP_LOADS_TF;	/* SYSRET */
		break;
	case 0xcd:
		if (i + 1 < n) {
			st->insn = THV_STEP_INT_N;
			st->vector = insn[i + 1];
			st->len = i + 2;
		}
		break;
	}
}

/*
 * A stepped PUSHF stored our TF in the guest's stack: clear it there.
 * The image is at SS:RSP now; TF is bit 8, in its first two bytes
 * whatever the operand size.  The stack pointer is SP, ESP or RSP as
 * SS.B and the mode say (SDM Vol. 1 6.2.3, "Address-Size Attributes
 * for Stack Accesses").
 */
static void thv_step_fix_pushf(struct thv_vcpu *vcpu)
{
	struct thv_sregs s;
	u64 sp = vcpu->regs[THV_RSP];
	u64 linear;
	u16 img;

	thv_ops->get_sregs(vcpu, &s);
	if ((s.efer & EFER_LMA) && s.cs.l)
		linear = sp;
	else
		linear = (s.ss.base + (s.ss.db ? (u32)sp : (u16)sp)) &
			 0xffffffffULL;
	if (thv_copy_guest_linear(vcpu, &s, linear, &img, sizeof(img), false))
		return;
	img &= ~X86_EFLAGS_TF;
	thv_copy_guest_linear(vcpu, &s, linear, &img, sizeof(img), true);
}

/*
 * After an entry that ran with our TF.  trap: the step's #DB came (the
 * instruction finished), with DR6 as dr6.  Puts the guest's own TF back
 * in vcpu->rflags, clears ours from a PUSHF image, and makes the trap
 * THV_X_STEP, unless the guest steps itself: then it is the guest's #DB
 * (THV_X_EXCEPTION), which exit.c delivers or reports; the next entry
 * ends the step in its handler.
 */
void thv_tf_step_done(struct thv_vcpu *vcpu, struct thv_exit *exit,
		      const struct thv_step_entry *st, bool trap, u64 dr6)
{
	u64 tf_now = vcpu->rflags & X86_EFLAGS_TF;
	u64 tf;

	if (!trap)
		tf = st->guest_tf;	/* not run: TF is still ours */
	else if (!tf_now)
		tf = 0;			/* it cleared TF (POPF, SYSCALL...) */
	else if (st->insn == THV_STEP_LOADS_TF)
		tf = X86_EFLAGS_TF;	/* it loaded TF = 1 */
	else
		tf = st->guest_tf;	/* it left TF alone: ours */
	vcpu->rflags = (vcpu->rflags & ~X86_EFLAGS_TF) | tf;
	if (!trap)
		return;

	if (st->insn == THV_STEP_PUSHF && !st->guest_tf)
		thv_step_fix_pushf(vcpu);
	if (!st->guest_tf) {
		exit->kind = THV_X_STEP;
		exit->step.dr6 = dr6;
	} else if (exit->kind != THV_X_EXCEPTION) {
		/* The trap came as another exit (vmx.c): still the guest's. */
		exit->kind = THV_X_EXCEPTION;
		exit->exc.vector = X86_TRAP_DB;
		exit->exc.has_error_code = false;
		exit->exc.error_code = 0;
	}
}

/*
 * An entry that delivered an event while stepping (injected without our
 * TF).  The step ends at the handler's first instruction: with the exit
 * the backend arranged for right after the delivery (a host interrupt
 * or timer, THV_X_HOST_INTR), or with whatever exit came first
 * (thv_debug_handled() sees step_event).  Not for an event that was
 * left half delivered: that one goes in again.
 */
void thv_step_event_done(struct thv_vcpu *vcpu, struct thv_exit *exit,
			 u8 vector)
{
	vcpu->step_event = true;
	vcpu->step_vector = vector;
	if (exit->kind == THV_X_HOST_INTR) {
		exit->kind = THV_X_STEP;
		exit->step.dr6 = 0;
	}
}
