// SPDX-License-Identifier: GPL-2.0
/*
 * step_test.c - THV_SET_GUEST_DEBUG: single-stepping a guest, and
 * THV_EXIT_KERNEL for the exits thv.ko handles by itself.
 *
 * Single-stepping must be invisible to the guest.  On SVM thv steps with
 * the guest's own RFLAGS.TF (APM Vol. 2 13.1.4, 15.12), so these tests
 * look for our TF everywhere the guest could see it: in RFLAGS, in what
 * PUSHF stores, in the frame of an exception handler.  And a guest that
 * sets TF itself must still get its own #DB (SDM Vol. 3A 18.3.1.4).
 *
 * Every guest first runs unstepped up to a "ready" report (0x11), so the
 * stepping starts at a known instruction.
 */
#include "kselftest_harness.h"
#include "test_util.h"

#define ST_MEM_SIZE		0x10000UL
#define ST_TABLES_GPA		(ST_MEM_SIZE - THV_LONG64_TABLES_SIZE)
#define ST_READY		0x11
#define ST_TF			0x100ULL	/* RFLAGS.TF */
#define ST_IRQ_VECTOR		0x40

FIXTURE(step) {
	struct thv_vm vm;
};

FIXTURE_SETUP(step)
{
	THV_REQUIRE_DEV();
	vm_create(_metadata, &self->vm, ST_MEM_SIZE);
}

FIXTURE_TEARDOWN(step)
{
	thv_vm_destroy(&self->vm);
}

static int st_debug(struct thv_vm *vm, uint32_t flags)
{
	struct thv_guest_debug dbg = { .flags = flags };

	return ioctl(vm->vcpu_fd, THV_SET_GUEST_DEBUG, &dbg) ? -errno : 0;
}

/*
 * Set the debug flags.  A CPU that cannot single-step SKIPs the test:
 * false, and the caller returns (SKIP() in a helper only leaves the
 * helper, so the test itself must return).
 */
static bool st_set_debug(struct __test_metadata *_metadata,
			 struct thv_vm *vm, uint32_t flags)
{
	int ret = st_debug(vm, flags);

	if (ret == -EOPNOTSUPP)
		SKIP(return false,
		     "this CPU cannot single-step a guest");
	ASSERT_EQ(0, ret) TH_LOG("THV_SET_GUEST_DEBUG 0x%x: %s", flags,
				 strerror(-ret));
	return true;
}

/* Load a 64-bit blob, run it to its "ready" report. */
static void st_start(struct __test_metadata *_metadata, struct thv_vm *vm,
		     const unsigned char *start, const unsigned char *end)
{
	int ret;

	guest_load(_metadata, vm, start, end);
	ret = thv_vcpu_set_long64(vm, GUEST_CODE_GPA, GUEST_STACK_TOP,
				  ST_TABLES_GPA);
	ASSERT_EQ(0, ret) TH_LOG("set long mode: %s", strerror(-ret));
	ASSERT_EQ(ST_READY, guest_report(_metadata, vm));
}

static void st_regs(struct __test_metadata *_metadata, struct thv_vm *vm,
		    struct thv_regs *regs)
{
	ASSERT_EQ(0, ioctl(vm->vcpu_fd, THV_GET_REGS, regs))
		TH_LOG("THV_GET_REGS: %s", strerror(errno));
}

/*
 * One step that must end at want_rip, with no event delivered on the
 * way.  RIP in THV_GET_REGS agrees, and RFLAGS.TF is the guest's own
 * (guest_tf): never ours.
 */
static struct thv_run *st_step_to(struct __test_metadata *_metadata,
				  struct thv_vm *vm, uint64_t want_rip,
				  uint64_t guest_tf, struct thv_regs *regs)
{
	struct thv_run *run = vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);

	EXPECT_EQ(want_rip, run->exit_rip)
		TH_LOG("step ended at 0x%llx, want 0x%llx",
		       (unsigned long long)run->exit_rip,
		       (unsigned long long)want_rip);
	st_regs(_metadata, vm, regs);
	EXPECT_EQ(want_rip, regs->rip);
	EXPECT_EQ(guest_tf, regs->rflags & ST_TF)
		TH_LOG("RFLAGS 0x%llx: TF is not the guest's own",
		       (unsigned long long)regs->rflags);
	return run;
}

static void st_step(struct __test_metadata *_metadata, struct thv_vm *vm,
		    uint64_t want_rip, struct thv_regs *regs)
{
	struct thv_run *run = st_step_to(_metadata, vm, want_rip, 0, regs);

	EXPECT_EQ(0, run->debug.event)
		TH_LOG("an event (vector %u) in a plain step", run->debug.vector);
}

/*
 * One step that must deliver vector and stop at its handler.  The exit
 * that stopped it there is the hardware's (MTF, or the exit thv asks
 * for right after an injection): hw_exit_valid.
 */
static void st_step_event(struct __test_metadata *_metadata,
			  struct thv_vm *vm, uint8_t vector,
			  uint64_t handler, struct thv_regs *regs)
{
	struct thv_run *run = st_step_to(_metadata, vm, handler, 0, regs);

	EXPECT_EQ(1, run->debug.event)
		TH_LOG("no event reported for vector %u", vector);
	EXPECT_EQ(vector, run->debug.vector);
	EXPECT_EQ(1, run->hw_exit_valid)
		TH_LOG("the event step did not end with a hardware exit");
}

/*
 * The hardware exit that ends a plain step in the guest: VMX's monitor
 * trap flag (exit reason 37, SDM 26.5.2) where THV_CAP_MTF says thv uses
 * it, else the #DB of our RFLAGS.TF (VMX exit reason 0, SDM 25.6.3; SVM
 * exit code 0x41, APM 15.12).
 */
static void st_check_hw_step(struct __test_metadata *_metadata,
			     const struct thv_run *run)
{
	struct thv_caps caps;
	uint64_t want;

	get_caps(_metadata, &caps);
	if (caps.backend == THV_BACKEND_SVM)
		want = 0x41;
	else
		want = caps.flags & THV_CAP_MTF ? 37 : 0;
	EXPECT_EQ(1, run->hw_exit_valid);
	EXPECT_EQ(want, run->hw_exit_reason)
		TH_LOG("a step in the guest ended with hardware exit 0x%llx, want 0x%llx (caps flags 0x%x)",
		       (unsigned long long)run->hw_exit_reason,
		       (unsigned long long)want, caps.flags);
}

/* ------------------------------------------------------------------ */
/* Plain instructions, one emulated (CPUID), one done by userspace.    */

GUEST_SYMBOL(sq_1);
GUEST_SYMBOL(sq_2);
GUEST_SYMBOL(sq_3);
GUEST_SYMBOL(sq_4);
GUEST_SYMBOL(sq_5);
GUEST_SYMBOL(sq_6);
GUEST_SYMBOL(sq_7);
GUEST_SYMBOL(sq_8);
GUEST_SYMBOL(sq_9);
GUEST_SYMBOL(sq_10);
GUEST_CODE64(st_seq,
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(sq_1)
	"mov $5, %ebx\n"
	GUEST_LABEL(sq_2)
	"add $7, %ebx\n"
	GUEST_LABEL(sq_3)
	"lea 3(%rbx,%rbx), %ecx\n"
	GUEST_LABEL(sq_4)
	"mov $0x40000000, %eax\n"
	GUEST_LABEL(sq_5)
	"cpuid\n"			/* handled in the kernel */
	GUEST_LABEL(sq_6)
	"mov %ebx, %esi\n"
	GUEST_LABEL(sq_7)
	"mov $0x22, %eax\n"
	GUEST_LABEL(sq_8)
	G_REPORT_EAX			/* handled by userspace */
	GUEST_LABEL(sq_9)
	"jmp 1f\n"
	"ud2\n"
	"1:\n"
	GUEST_LABEL(sq_10)
	"hlt\n");

TEST_F(step, instructions_one_by_one)
{
	struct thv_vm *vm = &self->vm;
	struct thv_regs regs;
	struct thv_run *run;

	st_start(_metadata, vm, st_seq_start, st_seq_end);
	if (!st_set_debug(_metadata, vm, THV_DEBUG_SINGLESTEP))
		return;

	/* The "ready" OUT is still to finish: that is the first step. */
	st_regs(_metadata, vm, &regs);
	EXPECT_EQ(guest_rip(st_seq, sq_1) - 2, regs.rip);	/* e7 f4 */
	st_step(_metadata, vm, guest_rip(st_seq, sq_1), &regs);
	st_step(_metadata, vm, guest_rip(st_seq, sq_2), &regs);
	EXPECT_EQ(5, regs.rbx);
	st_check_hw_step(_metadata, vm->run);
	st_step(_metadata, vm, guest_rip(st_seq, sq_3), &regs);
	EXPECT_EQ(12, regs.rbx);
	st_step(_metadata, vm, guest_rip(st_seq, sq_4), &regs);
	EXPECT_EQ(27, regs.rcx);
	st_step(_metadata, vm, guest_rip(st_seq, sq_5), &regs);
	EXPECT_EQ(0x40000000, regs.rax);
	/* CPUID: thv's signature leaf, "thvthvthv". */
	st_step(_metadata, vm, guest_rip(st_seq, sq_6), &regs);
	EXPECT_EQ(0x40000001, regs.rax);
	EXPECT_EQ(0x74766874, regs.rbx);
	EXPECT_EQ(0x68747668, regs.rcx);
	EXPECT_EQ(0x76, regs.rdx);
	st_step(_metadata, vm, guest_rip(st_seq, sq_7), &regs);
	EXPECT_EQ(0x74766874, regs.rsi);
	st_step(_metadata, vm, guest_rip(st_seq, sq_8), &regs);
	EXPECT_EQ(0x22, regs.rax);
	/* The OUT goes to userspace first; finishing it ends the step. */
	EXPECT_EQ(0x22, guest_report(_metadata, vm));
	EXPECT_EQ(guest_rip(st_seq, sq_8), vm->run->exit_rip);
	st_step(_metadata, vm, guest_rip(st_seq, sq_9), &regs);
	st_step(_metadata, vm, guest_rip(st_seq, sq_10), &regs);

	/* Off again: the guest runs on, with no TF of ours left. */
	if (!st_set_debug(_metadata, vm, 0))
		return;
	st_regs(_metadata, vm, &regs);
	EXPECT_EQ(0, regs.rflags & ST_TF);
	run = guest_expect_hlt(_metadata, vm);
	EXPECT_EQ(guest_rip(st_seq, sq_10), run->exit_rip);
	st_regs(_metadata, vm, &regs);
	EXPECT_EQ(0, regs.rflags & ST_TF);
}

/*
 * Both flags: the emulated CPUID is reported as THV_EXIT_KERNEL first,
 * then the step ends.  Host interrupts may come in between: they are
 * reported too, and skipped here.
 */
static struct thv_run *st_run_skip_host(struct __test_metadata *_metadata,
					struct thv_vm *vm)
{
	struct thv_run *run = vm->run;
	int i, ret;

	for (i = 0; i < 100; i++) {
		ret = thv_vcpu_run(vm);
		EXPECT_EQ(0, ret) TH_LOG("THV_RUN: %s", strerror(-ret));
		if (run->exit_reason != THV_EXIT_KERNEL ||
		    (run->kernel.kind != THV_KIND_HOST_INTR &&
		     run->kernel.kind != THV_KIND_NOTHING))
			break;
	}
	return run;
}

TEST_F(step, exit_all_while_stepping)
{
	struct thv_vm *vm = &self->vm;
	struct thv_run *run;
	struct thv_regs regs;

	st_start(_metadata, vm, st_seq_start, st_seq_end);
	if (!st_set_debug(_metadata, vm,
			     THV_DEBUG_SINGLESTEP | THV_DEBUG_EXIT_ALL))
		return;
	while (vm->run->exit_reason != THV_EXIT_DEBUG ||
	       vm->run->exit_rip != guest_rip(st_seq, sq_5)) {
		run = st_run_skip_host(_metadata, vm);
		ASSERT_TRUE(run->exit_reason == THV_EXIT_DEBUG ||
			    run->exit_reason == THV_EXIT_KERNEL)
			TH_LOG("exit %u on the way to the CPUID",
			       run->exit_reason);
		ASSERT_GE(guest_rip(st_seq, sq_5), run->exit_rip);
	}
	run = st_run_skip_host(_metadata, vm);
	ASSERT_EQ(THV_EXIT_KERNEL, run->exit_reason);
	EXPECT_EQ(THV_KIND_CPUID, run->kernel.kind);
	EXPECT_EQ(0x40000000, run->kernel.info[0]);
	EXPECT_EQ(guest_rip(st_seq, sq_5), run->exit_rip);
	run = st_run_skip_host(_metadata, vm);
	ASSERT_EQ(THV_EXIT_DEBUG, run->exit_reason);
	EXPECT_EQ(guest_rip(st_seq, sq_6), run->exit_rip);
	st_regs(_metadata, vm, &regs);
	EXPECT_EQ(0x74766874, regs.rbx);
}

/* ------------------------------------------------------------------ */
/* PUSHF stores the guest's TF (0), not ours.                           */

GUEST_SYMBOL(pf_1);
GUEST_SYMBOL(pf_2);
GUEST_SYMBOL(pf_3);
GUEST_CODE64(st_pushf,
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(pf_1)
	"pushfq\n"
	GUEST_LABEL(pf_2)
	"pop %rax\n"
	GUEST_LABEL(pf_3)
	G_REPORT_EAX
	"pushfw\n"			/* 16-bit: TF is in the low word too */
	"pop %ax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(step, pushf_sees_no_tf)
{
	struct thv_vm *vm = &self->vm;
	struct thv_regs regs;
	uint32_t got;

	st_start(_metadata, vm, st_pushf_start, st_pushf_end);
	if (!st_set_debug(_metadata, vm, THV_DEBUG_SINGLESTEP))
		return;
	st_step(_metadata, vm, guest_rip(st_pushf, pf_1), &regs);
	st_step(_metadata, vm, guest_rip(st_pushf, pf_2), &regs);
	st_step(_metadata, vm, guest_rip(st_pushf, pf_3), &regs);
	EXPECT_EQ(0, regs.rax & ST_TF)
		TH_LOG("PUSHFQ stored RFLAGS 0x%llx: our TF leaked",
		       (unsigned long long)regs.rax);
	got = guest_report(_metadata, vm);
	EXPECT_EQ(0, got & ST_TF);
	EXPECT_NE(0, got & 0x2) TH_LOG("0x%x is no RFLAGS image", got);
	/* Step through PUSHFW (an OUT, a PUSHFW, a POP). */
	vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	got = guest_report(_metadata, vm);
	EXPECT_EQ(0, got & ST_TF) TH_LOG("PUSHFW stored 0x%x", got & 0xffff);
}

/* ------------------------------------------------------------------ */
/* The guest sets TF itself (POPF): it gets its own #DB.                */

GUEST_SYMBOL(tf_1);
GUEST_SYMBOL(tf_2);
GUEST_SYMBOL(tf_3);
GUEST_SYMBOL(tf_4);
GUEST_SYMBOL(tf_5);
GUEST_SYMBOL(tf_handler);
GUEST_CODE64(st_tf,
	G_IDT_GATE(tf_idt, 1, tf_handler)
	"lea tf_idt(%rip), %rax\n"
	"mov %rax, tf_idtr + 2(%rip)\n"
	"lidt tf_idtr(%rip)\n"
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(tf_1)
	"pushfq\n"
	GUEST_LABEL(tf_2)
	"orq $0x100, (%rsp)\n"		/* TF */
	GUEST_LABEL(tf_3)
	"popfq\n"
	GUEST_LABEL(tf_4)
	"nop\n"				/* the guest's own trap comes after */
	GUEST_LABEL(tf_5)
	"mov $0x44, %eax\n"
	G_REPORT_EAX
	"hlt\n"
	GUEST_LABEL(tf_handler)
	"andq $~0x100, 16(%rsp)\n"	/* clear TF in the saved RFLAGS */
	"mov (%rsp), %eax\n"		/* the return RIP */
	G_REPORT_EAX
	"iretq\n"
	".p2align 4\n"
	"tf_idt: .fill 2 * 16, 1, 0\n"
	"tf_idtr: .word 2 * 16 - 1\n"
	".quad 0\n");

TEST_F(step, guest_tf_gets_its_own_db)
{
	struct thv_vm *vm = &self->vm;
	struct thv_regs regs;
	struct thv_run *run;

	st_start(_metadata, vm, st_tf_start, st_tf_end);
	if (!st_set_debug(_metadata, vm, THV_DEBUG_SINGLESTEP))
		return;
	st_step(_metadata, vm, guest_rip(st_tf, tf_1), &regs);
	st_step(_metadata, vm, guest_rip(st_tf, tf_2), &regs);
	st_step(_metadata, vm, guest_rip(st_tf, tf_3), &regs);
	/* POPF loaded the guest's TF = 1: that one it may see. */
	run = st_step_to(_metadata, vm, guest_rip(st_tf, tf_4), ST_TF, &regs);
	EXPECT_EQ(0, run->debug.event);
	/* The NOP with the guest's TF: its #DB, delivered in the step. */
	st_step_event(_metadata, vm, 1, guest_rip(st_tf, tf_handler), &regs);

	if (!st_set_debug(_metadata, vm, 0))
		return;
	EXPECT_EQ((uint32_t)guest_rip(st_tf, tf_5), guest_report(_metadata, vm))
		TH_LOG("the #DB handler's return RIP is not after the NOP");
	EXPECT_EQ(0x44, guest_report(_metadata, vm));
	guest_expect_hlt(_metadata, vm);
	st_regs(_metadata, vm, &regs);
	EXPECT_EQ(0, regs.rflags & ST_TF);
}

/* ------------------------------------------------------------------ */
/* Events in a step: #UD from UD2, INT n.  Each ends at its handler.    */

GUEST_SYMBOL(ev_sti);
GUEST_SYMBOL(ev_ud);
GUEST_SYMBOL(ev_int);
GUEST_SYMBOL(ev_ud_handler);
GUEST_SYMBOL(ev_ud_report);
GUEST_SYMBOL(ev_int_handler);
GUEST_SYMBOL(ev_int3);
GUEST_SYMBOL(ev_after_int3);
GUEST_SYMBOL(ev_bp_handler);
GUEST_CODE64(st_ev,
	G_IDT_GATE(ev_idt, 3, ev_bp_handler)
	G_IDT_GATE(ev_idt, 6, ev_ud_handler)
	G_IDT_GATE(ev_idt, 0x41, ev_int_handler)
	"lea ev_idt(%rip), %rax\n"
	"mov %rax, ev_idtr + 2(%rip)\n"
	"lidt ev_idtr(%rip)\n"
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(ev_sti)
	"sti\n"			/* IF was 0: UD2 is in its shadow */
	GUEST_LABEL(ev_ud)
	"ud2\n"
	GUEST_LABEL(ev_int)
	"int $0x41\n"
	GUEST_LABEL(ev_int3)
	"int3\n"			/* a trap: returns past itself */
	GUEST_LABEL(ev_after_int3)
	"mov $0x55, %eax\n"
	G_REPORT_EAX
	"hlt\n"
	GUEST_LABEL(ev_ud_handler)
	"mov 16(%rsp), %rax\n"		/* RFLAGS in the frame */
	GUEST_LABEL(ev_ud_report)
	G_REPORT_EAX
	"addq $2, (%rsp)\n"		/* return past the UD2 */
	"iretq\n"
	GUEST_LABEL(ev_int_handler)
	"mov 16(%rsp), %rax\n"
	G_REPORT_EAX
	"iretq\n"
	GUEST_LABEL(ev_bp_handler)
	"iretq\n"
	".p2align 4\n"
	"ev_idt: .fill 0x42 * 16, 1, 0\n"
	"ev_idtr: .word 0x42 * 16 - 1\n"
	".quad 0\n");

TEST_F(step, events_end_the_step_in_the_handler)
{
	struct thv_vm *vm = &self->vm;
	struct thv_regs regs;
	struct thv_run *run;
	uint32_t got;
	int i;

	st_start(_metadata, vm, st_ev_start, st_ev_end);
	if (!st_set_debug(_metadata, vm, THV_DEBUG_SINGLESTEP))
		return;
	st_step(_metadata, vm, guest_rip(st_ev, ev_sti), &regs);
	/*
	 * The single-step trap after STI waits one more instruction (as
	 * after MOV SS), so on SVM STI and UD2 are one step; the monitor
	 * trap flag stops after STI.  Either way the #UD ends a step in its
	 * handler, although UD2 ran in the STI shadow.
	 */
	run = vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	if (run->exit_rip == guest_rip(st_ev, ev_ud) && !run->debug.event)
		run = vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	EXPECT_EQ(guest_rip(st_ev, ev_ud_handler), run->exit_rip)
		TH_LOG("the #UD step ended at 0x%llx",
		       (unsigned long long)run->exit_rip);
	EXPECT_EQ(1, run->debug.event);
	EXPECT_EQ(6, run->debug.vector);
	st_step(_metadata, vm, guest_rip(st_ev, ev_ud_report), &regs);
	EXPECT_EQ(0, regs.rax & ST_TF)
		TH_LOG("the #UD frame holds RFLAGS 0x%llx: our TF",
		       (unsigned long long)regs.rax);
	got = guest_report(_metadata, vm);
	EXPECT_EQ(0, got & ST_TF);
	/* The report, ADDQ, IRETQ: back at the INT. */
	for (i = 0; i < 3; i++)
		vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	EXPECT_EQ(guest_rip(st_ev, ev_int), vm->run->exit_rip);
	st_step_event(_metadata, vm, 0x41, guest_rip(st_ev, ev_int_handler),
		      &regs);
	/* MOV, the report, IRETQ: at the INT3. */
	st_step(_metadata, vm, guest_rip(st_ev, ev_int_handler) + 5, &regs);
	got = guest_report(_metadata, vm);
	EXPECT_EQ(0, got & ST_TF) TH_LOG("the INT frame holds 0x%x", got);
	vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	st_step(_metadata, vm, guest_rip(st_ev, ev_int3), &regs);
	/* #BP is a trap: its handler returns past the INT3. */
	st_step_event(_metadata, vm, 3, guest_rip(st_ev, ev_bp_handler),
		      &regs);
	st_step(_metadata, vm, guest_rip(st_ev, ev_after_int3), &regs);
	ASSERT_EQ(guest_rip(st_ev, ev_after_int3), regs.rip)
		TH_LOG("the #BP handler returned to 0x%llx",
		       (unsigned long long)regs.rip);

	if (!st_set_debug(_metadata, vm, 0))
		return;
	EXPECT_EQ(0x55, guest_report(_metadata, vm));
	guest_expect_hlt(_metadata, vm);
}

/* ------------------------------------------------------------------ */
/* A queued interrupt waits while stepping, unless STEP_IRQS.           */

GUEST_SYMBOL(irq_1);
GUEST_SYMBOL(irq_2);
GUEST_SYMBOL(irq_3);
GUEST_SYMBOL(irq_4);
GUEST_SYMBOL(irq_handler);
GUEST_SYMBOL(irq_handler_2);
GUEST_CODE64(st_irq,
	G_IDT_GATE(irq_idt, 0x40, irq_handler)
	"lea irq_idt(%rip), %rax\n"
	"mov %rax, irq_idtr + 2(%rip)\n"
	"lidt irq_idtr(%rip)\n"
	"xor %r12d, %r12d\n"
	"sti\n"
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(irq_1)
	"nop\n"
	GUEST_LABEL(irq_2)
	"nop\n"
	GUEST_LABEL(irq_3)
	"nop\n"
	GUEST_LABEL(irq_4)
	"mov %r12d, %eax\n"
	G_REPORT_EAX
	"hlt\n"
	GUEST_LABEL(irq_handler)
	"inc %r12d\n"
	GUEST_LABEL(irq_handler_2)
	"iretq\n"
	".p2align 4\n"
	"irq_idt: .fill 0x41 * 16, 1, 0\n"
	"irq_idtr: .word 0x41 * 16 - 1\n"
	".quad 0\n");

TEST_F(step, interrupts_wait_unless_step_irqs)
{
	struct thv_interrupt irq = { .vector = ST_IRQ_VECTOR };
	struct thv_vm *vm = &self->vm;
	struct thv_regs regs;

	st_start(_metadata, vm, st_irq_start, st_irq_end);
	if (!st_set_debug(_metadata, vm, THV_DEBUG_SINGLESTEP))
		return;
	ASSERT_EQ(0, ioctl(vm->vcpu_fd, THV_INTERRUPT, &irq));
	st_step(_metadata, vm, guest_rip(st_irq, irq_1), &regs);
	st_step(_metadata, vm, guest_rip(st_irq, irq_2), &regs);
	st_step(_metadata, vm, guest_rip(st_irq, irq_3), &regs);
	EXPECT_EQ(0, regs.r12) TH_LOG("the interrupt was taken while stepping");
	EXPECT_EQ(-1, ioctl(vm->vcpu_fd, THV_INTERRUPT, &irq));
	EXPECT_EQ(EBUSY, errno) TH_LOG("the interrupt is no longer queued");

	/* With STEP_IRQS it is delivered: the step ends in its handler. */
	if (!st_set_debug(_metadata, vm,
			     THV_DEBUG_SINGLESTEP | THV_DEBUG_STEP_IRQS))
		return;
	st_step_event(_metadata, vm, ST_IRQ_VECTOR,
		      guest_rip(st_irq, irq_handler), &regs);
	st_step(_metadata, vm, guest_rip(st_irq, irq_handler_2), &regs);
	EXPECT_EQ(1, regs.r12);
	st_step(_metadata, vm, guest_rip(st_irq, irq_3), &regs);

	if (!st_set_debug(_metadata, vm, 0))
		return;
	EXPECT_EQ(1, guest_report(_metadata, vm));
	guest_expect_hlt(_metadata, vm);
}

/* ------------------------------------------------------------------ */
/* THV_DEBUG_EXIT_ALL: the kernel's exits, reported, and harmless.      */

#define EA_DATA_GPA		0x5100
#define EA_VALUE		0x5a5a1234

GUEST_SYMBOL(ea_cpuid);
GUEST_SYMBOL(ea_store);
GUEST_CODE64(st_ea,
	"mov $0x40000000, %eax\n"
	"mov $5, %ecx\n"
	GUEST_LABEL(ea_cpuid)
	"cpuid\n"
	G_REPORT_EAX
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"mov %ecx, %eax\n"
	G_REPORT_EAX
	"mov %edx, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(ea_store)
	"movl $0x5a5a1234, 0x5100\n"	/* first touch of page 0x5000 */
	"mov 0x5100, %eax\n"
	G_REPORT_EAX
	"hlt\n");

/*
 * Run the guest to its HLT; returns the reports in got[5].  With
 * exit_all, check every THV_EXIT_KERNEL on the way.
 */
static void ea_run(struct __test_metadata *_metadata, struct thv_vm *vm,
		   bool exit_all, uint32_t got[5])
{
	int reports = 0, kernel = 0, cpuids = 0, npfs = 0;
	struct thv_run *run = vm->run;
	char what[256];
	int i, ret;

	guest_load(_metadata, vm, st_ea_start, st_ea_end);
	ret = thv_vcpu_set_long64(vm, GUEST_CODE_GPA, GUEST_STACK_TOP,
				  ST_TABLES_GPA);
	ASSERT_EQ(0, ret);
	if (exit_all)
		if (!st_set_debug(_metadata, vm, THV_DEBUG_EXIT_ALL))
			return;

	for (i = 0; i < 1000; i++) {
		ret = thv_vcpu_run(vm);
		ASSERT_EQ(0, ret) TH_LOG("THV_RUN: %s", strerror(-ret));
		if (run->exit_reason == THV_EXIT_HLT)
			break;
		if (run->exit_reason == THV_EXIT_IO) {
			ASSERT_EQ(PORT_REPORT, run->io.port);
			ASSERT_LT(reports, 5);
			memcpy(&got[reports++], thv_io_data(vm), 4);
			continue;
		}
		ASSERT_EQ(THV_EXIT_KERNEL, run->exit_reason)
			TH_LOG("unexpected exit %s",
			       exit_describe(run, what, sizeof(what)));
		kernel++;
		EXPECT_LT(run->kernel.kind, THV_KIND_NR);
		EXPECT_EQ(1, run->hw_exit_valid);
		if (run->kernel.kind == THV_KIND_CPUID) {
			cpuids++;
			EXPECT_EQ(guest_rip(st_ea, ea_cpuid), run->exit_rip);
			EXPECT_EQ(0x40000000, run->kernel.info[0]);
			EXPECT_EQ(5, run->kernel.info[1]);
			EXPECT_EQ(0x40000001ULL | (0x74766874ULL << 32),
				  run->kernel.info[2]);
			EXPECT_EQ(0x68747668ULL | (0x76ULL << 32),
				  run->kernel.info[3]);
		}
		if (run->kernel.kind == THV_KIND_NPF &&
		    (run->kernel.info[0] & ~0xfffULL) == (EA_DATA_GPA & ~0xfffUL)) {
			npfs++;
			EXPECT_EQ(EA_DATA_GPA, run->kernel.info[0]);
			EXPECT_TRUE(run->kernel.info[1] & THV_NPF_WRITE)
				TH_LOG("NPF flags 0x%llx: not a write",
				       (unsigned long long)run->kernel.info[1]);
			EXPECT_FALSE(run->kernel.info[1] & THV_NPF_FETCH);
			EXPECT_EQ(guest_rip(st_ea, ea_store), run->exit_rip);
		}
	}
	ASSERT_EQ(THV_EXIT_HLT, run->exit_reason);
	ASSERT_EQ(5, reports);
	if (exit_all) {
		EXPECT_EQ(1, cpuids);
		EXPECT_EQ(1, npfs) TH_LOG("%d NPFs on page 0x5000", npfs);
		/* At least the NPFs of code, stack, tables and the CPUID. */
		EXPECT_LE(4, kernel);
	} else {
		EXPECT_EQ(0, kernel);
	}
}

TEST_F(step, exit_all_reports_kernel_exits)
{
	uint32_t plain[5], reported[5];
	struct thv_vm vm2;
	int i;

	ea_run(_metadata, &self->vm, true, reported);
	vm_create(_metadata, &vm2, ST_MEM_SIZE);
	ea_run(_metadata, &vm2, false, plain);
	thv_vm_destroy(&vm2);

	/* The guest saw the same, reported or not. */
	for (i = 0; i < 5; i++)
		EXPECT_EQ(plain[i], reported[i]) TH_LOG("report %d", i);
	EXPECT_EQ(0x40000001, reported[0]);
	EXPECT_EQ(0x74766874, reported[1]);
	EXPECT_EQ(EA_VALUE, reported[4]);
}

/* ------------------------------------------------------------------ */
/* MOV SS and STI shadows in a step.                                   */

/*
 * MOV SS holds the single-step trap back for one instruction (SDM Vol.
 * 3A 6.8.3), so with TF the MOV SS and the load after it are one step;
 * the monitor trap flag stops in between.  The load touches a page for
 * the first time: a nested page fault in the MOV SS shadow, and an entry
 * with blocking by MOV SS and RFLAGS.TF = 1, which VMX refuses unless
 * the pending debug exceptions say BS (SDM Vol. 3C 27.3.1.5).
 */
#define SS_DATA_GPA		0x5100
#define SS_VALUE		0x600dcafe

GUEST_SYMBOL(ss_1);
GUEST_SYMBOL(ss_2);
GUEST_SYMBOL(ss_3);
GUEST_SYMBOL(ss_4);
GUEST_SYMBOL(ss_5);
GUEST_CODE64(st_ss,
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(ss_1)
	"mov $0x10, %eax\n"		/* the flat data selector */
	GUEST_LABEL(ss_2)
	"mov %eax, %ss\n"
	GUEST_LABEL(ss_3)
	"mov 0x5100, %ebx\n"		/* first touch of page 0x5000 */
	GUEST_LABEL(ss_4)
	"nop\n"
	GUEST_LABEL(ss_5)
	"mov %ebx, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(step, mov_ss_shadow)
{
	struct thv_vm *vm = &self->vm;
	uint32_t value = SS_VALUE;
	struct thv_regs regs;
	struct thv_run *run;

	st_start(_metadata, vm, st_ss_start, st_ss_end);
	memcpy(thv_gpa_to_hva(vm, SS_DATA_GPA), &value, sizeof(value));
	if (!st_set_debug(_metadata, vm, THV_DEBUG_SINGLESTEP))
		return;
	st_step(_metadata, vm, guest_rip(st_ss, ss_1), &regs);
	st_step(_metadata, vm, guest_rip(st_ss, ss_2), &regs);
	/* MOV SS, and the load in its shadow (TF), or MOV SS alone (MTF). */
	run = vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	EXPECT_EQ(0, run->debug.event);
	if (run->exit_rip == guest_rip(st_ss, ss_3))
		run = vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
	EXPECT_EQ(guest_rip(st_ss, ss_4), run->exit_rip)
		TH_LOG("the MOV SS step ended at 0x%llx",
		       (unsigned long long)run->exit_rip);
	st_regs(_metadata, vm, &regs);
	EXPECT_EQ(SS_VALUE, (uint32_t)regs.rbx);
	EXPECT_EQ(0, regs.rflags & ST_TF);
	/* Exactly one NOP, then the next instruction. */
	st_step(_metadata, vm, guest_rip(st_ss, ss_5), &regs);

	if (!st_set_debug(_metadata, vm, 0))
		return;
	EXPECT_EQ(SS_VALUE, guest_report(_metadata, vm));
	guest_expect_hlt(_metadata, vm);
}

/*
 * STI with IF = 0 lets one more instruction run before an interrupt
 * (SDM Vol. 2B STI): a queued interrupt delivered while stepping must
 * come after the NOP, never before it.  With TF, the step trap after
 * STI may wait for the NOP too (QEMU) or not (Bochs); the monitor trap
 * flag stops after STI.  Bochs forgets the shadow at the #DB exit, so
 * vmx.c has to remember it.
 */
GUEST_SYMBOL(sh_sti);
GUEST_SYMBOL(sh_nop);
GUEST_SYMBOL(sh_after);
GUEST_SYMBOL(sh_handler);
GUEST_CODE64(st_sh,
	G_IDT_GATE(sh_idt, 0x40, sh_handler)
	"lea sh_idt(%rip), %rax\n"
	"mov %rax, sh_idtr + 2(%rip)\n"
	"lidt sh_idtr(%rip)\n"
	"xor %r12d, %r12d\n"
	"mov $0x11, %eax\n"
	G_REPORT_EAX
	GUEST_LABEL(sh_sti)
	"sti\n"
	GUEST_LABEL(sh_nop)
	"nop\n"
	GUEST_LABEL(sh_after)
	"nop\n"
	"mov %r12d, %eax\n"
	G_REPORT_EAX
	"hlt\n"
	GUEST_LABEL(sh_handler)
	"mov (%rsp), %r12d\n"		/* where the interrupt came */
	"iretq\n"
	".p2align 4\n"
	"sh_idt: .fill 0x41 * 16, 1, 0\n"
	"sh_idtr: .word 0x41 * 16 - 1\n"
	".quad 0\n");

TEST_F(step, sti_shadow_holds_an_interrupt)
{
	struct thv_interrupt irq = { .vector = ST_IRQ_VECTOR };
	struct thv_vm *vm = &self->vm;
	uint64_t last = 0;
	struct thv_regs regs;
	struct thv_run *run;
	int i;

	st_start(_metadata, vm, st_sh_start, st_sh_end);
	if (!st_set_debug(_metadata, vm,
			  THV_DEBUG_SINGLESTEP | THV_DEBUG_STEP_IRQS))
		return;
	ASSERT_EQ(0, ioctl(vm->vcpu_fd, THV_INTERRUPT, &irq));
	/* The "ready" OUT finishes with IF = 0: the interrupt waits. */
	st_step(_metadata, vm, guest_rip(st_sh, sh_sti), &regs);
	/* STI and the NOP, in one or two steps; then the interrupt. */
	for (i = 0; i < 3; i++) {
		run = vcpu_run_expect(_metadata, vm, THV_EXIT_DEBUG);
		if (run->debug.event)
			break;
		last = run->exit_rip;
		EXPECT_TRUE(last == guest_rip(st_sh, sh_nop) ||
			    last == guest_rip(st_sh, sh_after))
			TH_LOG("a step ended at 0x%llx",
			       (unsigned long long)last);
	}
	ASSERT_EQ(1, run->debug.event) TH_LOG("the interrupt never came");
	EXPECT_EQ(ST_IRQ_VECTOR, run->debug.vector);
	EXPECT_EQ(guest_rip(st_sh, sh_handler), run->exit_rip);
	EXPECT_EQ(guest_rip(st_sh, sh_after), last)
		TH_LOG("the interrupt came before the NOP after STI");

	if (!st_set_debug(_metadata, vm, 0))
		return;
	EXPECT_EQ((uint32_t)guest_rip(st_sh, sh_after),
		  guest_report(_metadata, vm))
		TH_LOG("the interrupt's return RIP is not after the NOP");
	guest_expect_hlt(_metadata, vm);
}

/* ------------------------------------------------------------------ */
/* Bad arguments.                                                      */

TEST_F(step, bad_arguments)
{
	struct thv_guest_debug dbg;
	int fd = self->vm.vcpu_fd;

	memset(&dbg, 0, sizeof(dbg));
	dbg.flags = THV_DEBUG_VALID + 1;
	EXPECT_EQ(-1, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	dbg.flags = 1u << 31;
	EXPECT_EQ(-1, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	dbg.flags = THV_DEBUG_EXIT_ALL;
	dbg.padding = 1;
	EXPECT_EQ(-1, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	dbg.padding = 0;
	dbg.reserved[1] = 1;
	EXPECT_EQ(-1, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	dbg.reserved[1] = 0;
	dbg.reserved[0] = 1;
	EXPECT_EQ(-1, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, THV_SET_GUEST_DEBUG, NULL));
	EXPECT_EQ(EFAULT, errno);

	dbg.reserved[0] = 0;
	EXPECT_EQ(0, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
	dbg.flags = 0;
	EXPECT_EQ(0, ioctl(fd, THV_SET_GUEST_DEBUG, &dbg));
}

TEST_HARNESS_MAIN
