// SPDX-License-Identifier: GPL-2.0
/*
 * vcpu.c - the vCPU loop: THV_RUN, look at why the guest stopped, do what
 * the exit asks, run again.  This is the userspace half of a hypervisor;
 * everything the kernel half cannot finish by itself comes out here as
 * one of the vendor-neutral THV_EXIT_* reasons.
 *
 * The completion rule (see include/uapi/thv.h): at an exit RIP still
 * points AT the exiting instruction.  We fill in the result (IN data,
 * MMIO read data, hypercall return value) and the next THV_RUN finishes
 * the instruction and moves RIP past it.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "thv.h"

#define DESC_LEN	96
#define DETAIL_LEN	256

/*
 * Signals.  SIGINT/SIGTERM (Ctrl-C, kill) and SIGALRM (--timeout) must
 * stop a guest that never exits by itself (`jmp $`).  The handler is
 * installed without SA_RESTART: a signal that arrives while we sit in
 * THV_RUN makes the kernel leave the guest and return -EINTR.  One that
 * arrives while we are out here handling an exit sets
 * request_immediate_exit, so the next THV_RUN returns at once instead of
 * entering the guest (the same race KVM closes with immediate_exit).
 */
static volatile sig_atomic_t vcpu_stop_signal;
static struct thv_run *volatile vcpu_signal_run;

static void vcpu__signal_handler(int sig)
{
	vcpu_stop_signal = sig;
	if (vcpu_signal_run)
		vcpu_signal_run->request_immediate_exit = 1;
}

static int vcpu__install_signals(struct thv_runner *r)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGALRM };
	struct sigaction sa;
	unsigned int i;
	int ret;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu__signal_handler;
	sigemptyset(&sa.sa_mask);
	vcpu_signal_run = r->vm.run;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -errno;
	ret = host_timer__init(r->vm.run);
	if (ret < 0)
		return ret;
	if (r->opt.timeout_s)
		alarm(r->opt.timeout_s);
	return 0;
}

/* The exit line of --trace and the stepper (trace.c). */
static void vcpu__trace(struct thv_runner *r, const char *reason,
			const char *detail)
{
	trace__exit(r, reason, detail);
}

static uint64_t vcpu__le(const uint8_t *p, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/*
 * TOUR(8.3): The OUT in userspace.  THV_EXIT_IO: IN/OUT (APM Vol. 2
 * 15.10.2: the IOIO intercept).  The kernel described the access in the
 * run page; the data sits in the same page at run->io.data_offset.  Each
 * access goes to the device that claimed the port (ioport.c); for an IN
 * the device writes its answer into that data, where
 * thv_complete_pending() in the kernel will find it.
 */
static void vcpu__handle_io(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	unsigned int size = run->io.size, count = run->io.count ? : 1;
	bool is_write = run->io.direction == THV_EXIT_IO_OUT;
	char desc[DESC_LEN], detail[DETAIL_LEN];
	const char *dev = NULL;
	uint8_t *data;
	unsigned int i;

	if ((size != 1 && size != 2 && size != 4) ||
	    run->io.data_offset + (uint64_t)size * count > r->vm.run_size) {
		thv_err("IO exit with bad fields: size %u count %u offset %"
			PRIu64, size, count, (uint64_t)run->io.data_offset);
		runner__finish(r, THV_STATUS_INTERNAL, "bad IO exit from thv.ko");
		return;
	}
	data = thv_io_data(&r->vm);
	for (i = 0; i < count; i++)
		dev = ioport__dispatch(r, run->io.port, data + i * size, size,
				       is_write, desc, sizeof(desc));

	snprintf(detail, sizeof(detail), "%s port 0x%x, %u byte%s, value 0x%"
		 PRIx64 "%s%s%s%s", is_write ? "OUT" : "IN", run->io.port, size,
		 size == 1 ? "" : "s", vcpu__le(data, size),
		 count > 1 ? ", string" : "",
		 dev ? " (" : " (unclaimed port)",
		 dev ? (desc[0] ? desc : dev) : "", dev ? ")" : "");
	vcpu__trace(r, "IO", detail);
}

/*
 * An instruction thv.ko did not decode (user_decode): libthv's emulator
 * (lib/thv_mmio_emul.c) decodes it with capstone and calls these for
 * each device access; they go to the same MMIO bus as the kernel-decoded
 * MOVs.  The context remembers what the trace line shows.
 */
struct vcpu_mmio_ctx {
	struct thv_runner *r;
	const char *dev;		/* device of the last access, or NULL */
	char desc[DESC_LEN];		/* its note: "mmio-demo SCRATCH" */
	uint64_t read_val, write_val;	/* first read, last write */
	unsigned int reads;
};

static int vcpu__mmio_read(void *opaque, uint64_t gpa, unsigned int len,
			   uint64_t *val)
{
	struct vcpu_mmio_ctx *c = opaque;
	uint8_t data[8] = { 0 };

	c->dev = mmio__dispatch(c->r, gpa, data, len, false, c->desc,
				sizeof(c->desc));
	*val = vcpu__le(data, len);
	if (c->reads++ == 0)
		c->read_val = *val;
	return 0;
}

static int vcpu__mmio_write(void *opaque, uint64_t gpa, unsigned int len,
			    uint64_t val)
{
	struct vcpu_mmio_ctx *c = opaque;
	uint8_t data[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		data[i] = val >> (8 * i);
	c->dev = mmio__dispatch(c->r, gpa, data, len, true, c->desc,
				sizeof(c->desc));
	c->write_val = val;
	return 0;
}

static int vcpu__mmio_region(void *opaque, uint64_t gpa, uint64_t *base,
			     uint64_t *len)
{
	(void)opaque;
	return mmio__region(gpa, base, len);
}

static const struct thv_mmio_ops vcpu_mmio_ops = {
	.read	= vcpu__mmio_read,
	.write	= vcpu__mmio_write,
	.region	= vcpu__mmio_region,
};

static void vcpu__handle_mmio_user(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	struct vcpu_mmio_ctx c = { .r = r };
	struct thv_mmio_result res;
	char err[DETAIL_LEN], detail[DETAIL_LEN];
	size_t off;
	int ret;

	ret = thv_mmio_emulate(&r->vm, run, &vcpu_mmio_ops, &c, &res, err,
			       sizeof(err));
	if (ret) {
		vcpu__trace(r, "MMIO", err);
		thv_err("%s", err);
		runner__finish(r, THV_STATUS_INTERNAL, "%s", err);
		return;
	}
	off = snprintf(detail, sizeof(detail), "emulated '%s' gpa 0x%" PRIx64,
		       res.text, (uint64_t)run->mmio.phys_addr);
	if (res.reads && off < sizeof(detail))
		off += snprintf(detail + off, sizeof(detail) - off,
				" read 0x%" PRIx64, c.read_val);
	if (res.writes && off < sizeof(detail))
		off += snprintf(detail + off, sizeof(detail) - off,
				" write 0x%" PRIx64, c.write_val);
	if (res.elements > 1 && off < sizeof(detail))
		off += snprintf(detail + off, sizeof(detail) - off,
				" x%u%s", res.elements,
				res.rip_moved ? "" : " (REP goes on)");
	if (off < sizeof(detail))
		snprintf(detail + off, sizeof(detail) - off, " (%s)",
			 c.dev ? (c.desc[0] ? c.desc : c.dev) : "unclaimed");
	vcpu__trace(r, "MMIO", detail);
}

/* THV_EXIT_MMIO: a nested page fault on a GPA no slot backs. */
static void vcpu__handle_mmio(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	unsigned int len = run->mmio.len;
	bool is_write = run->mmio.is_write;
	char desc[DESC_LEN], detail[DETAIL_LEN];
	const char *dev;

	if (run->mmio.user_decode) {
		vcpu__handle_mmio_user(r);
		return;
	}
	if (len < 1 || len > 8) {
		thv_err("MMIO exit with bad length %u at gpa 0x%" PRIx64, len,
			(uint64_t)run->mmio.phys_addr);
		runner__finish(r, THV_STATUS_INTERNAL, "bad MMIO exit from thv.ko");
		return;
	}
	if (!is_write)
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
	dev = mmio__dispatch(r, run->mmio.phys_addr, run->mmio.data, len,
			     is_write, desc, sizeof(desc));

	snprintf(detail, sizeof(detail), "%s gpa 0x%" PRIx64 " len %u data 0x%"
		 PRIx64 " (%s)", is_write ? "write" : "read",
		 (uint64_t)run->mmio.phys_addr, len,
		 vcpu__le(run->mmio.data, len),
		 dev ? (desc[0] ? desc : dev) : "unclaimed");
	vcpu__trace(r, "MMIO", detail);
}

/* THV_EXIT_HYPERCALL: VMMCALL/VMCALL, table in hypercalls.h. */
static void vcpu__handle_hypercall(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	char desc[DESC_LEN], detail[DETAIL_LEN];
	uint64_t args[4];

	memcpy(args, run->hypercall.args, sizeof(args));
	run->hypercall.ret = hypercall__dispatch(r, run->hypercall.nr, args,
						 desc, sizeof(desc));
	snprintf(detail, sizeof(detail), "%s nr=%" PRIu64 " args=0x%" PRIx64
		 ",0x%" PRIx64 ",0x%" PRIx64 ",0x%" PRIx64 " %s",
		 run->hypercall.insn == THV_HC_INSN_VMCALL ? "VMCALL" : "VMMCALL",
		 (uint64_t)run->hypercall.nr, args[0], args[1], args[2], args[3],
		 desc);
	vcpu__trace(r, "HYPERCALL", detail);
}

/*
 * THV_EXIT_MSR: an MSR thv.ko does not emulate itself (msr.c keeps the
 * architectural ones).  The MSR bus (user/msr.c) gives it to the device
 * that claims it (the x2APIC registers, 0x800-0x8ff); any other raises
 * #GP in the guest, as on a CPU without that MSR; it is counted and
 * shown by --trace.
 */
static void vcpu__handle_msr(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	char desc[DESC_LEN], detail[DETAIL_LEN];
	uint64_t data = run->msr.data;
	const char *dev;
	int gp;

	dev = msr__dispatch(r, run->msr.index, &data, run->msr.is_write, &gp,
			    desc, sizeof(desc));
	run->msr.error = gp;
	if (!run->msr.is_write && !gp)
		run->msr.data = data;
	if (!dev)
		r->unhandled_msr++;
	if (run->msr.is_write)
		snprintf(detail, sizeof(detail), "WRMSR 0x%x = 0x%" PRIx64
			 " (%s)%s", run->msr.index, (uint64_t)run->msr.data,
			 dev ? desc : "no such MSR here", gp ? " -> #GP" : "");
	else
		snprintf(detail, sizeof(detail), "RDMSR 0x%x%s0x%" PRIx64
			 " (%s)", run->msr.index, gp ? " -> #GP, " : " -> ",
			 gp ? 0 : (uint64_t)run->msr.data,
			 dev ? desc : "no such MSR here");
	vcpu__trace(r, "MSR", detail);
}

static void vcpu__handle_fail_entry(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	uint32_t reason = run->fail_entry.reason;
	uint32_t err = run->fail_entry.vm_instruction_error;

	vcpu__trace(r, "FAIL_ENTRY", "");
	if (err)
		thv_err("VM entry failed: VMLAUNCH/VMRESUME refused with "
			"VM-instruction error %u (%s), thv reason %s (%u)",
			err, thv_vmx_insn_error_name(err),
			thv_fail_name(reason), reason);
	else
		thv_err("VM entry failed: the CPU refused the guest state: "
			"hardware reason 0x%" PRIx64 ", thv reason %s (%u)",
			(uint64_t)run->fail_entry.hardware_entry_failure_reason,
			thv_fail_name(reason), reason);
	runner__finish(r, THV_STATUS_FAIL_ENTRY, "VM entry failed (%s)",
		       thv_fail_name(reason));
}

static void vcpu__handle_internal(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	uint32_t sub = run->internal.suberror, n = run->internal.ndata, i;
	char detail[DETAIL_LEN];
	size_t off = 0;

	if (n > 8)
		n = 8;
	detail[0] = '\0';
	for (i = 0; i < n && off < sizeof(detail); i++)
		off += snprintf(detail + off, sizeof(detail) - off, " 0x%" PRIx64,
				(uint64_t)run->internal.data[i]);
	if (sub == THV_INTERNAL_EMULATION) {
		uint8_t insn_len = run->mmio.insn_len;

		if (insn_len > THV_RUN_INSN_MAX)
			insn_len = THV_RUN_INSN_MAX;
		if (off < sizeof(detail))
			off += snprintf(detail + off, sizeof(detail) - off,
					"%s insn bytes:", n ? ";" : "");
		for (i = 0; i < insn_len && off < sizeof(detail); i++)
			off += snprintf(detail + off, sizeof(detail) - off,
					" %02x", run->mmio.insn[i]);
	}
	vcpu__trace(r, "INTERNAL_ERROR", thv_internal_name(sub));
	thv_err("thv.ko could not handle an exit: %s (suberror %u) at rip 0x%"
		PRIx64 "%s%s", thv_internal_name(sub), sub,
		(uint64_t)run->exit_rip, detail[0] ? ", data:" : "", detail);
	runner__finish(r, THV_STATUS_INTERNAL, "guest stopped on an internal "
		       "error (%s)", thv_internal_name(sub));
}

/* RUN returned -EINTR: was it one of our signals? */
static void vcpu__handle_intr(struct thv_runner *r)
{
	int sig = vcpu_stop_signal;

	vcpu__trace(r, "INTR", "");
	if (sig == SIGALRM)
		runner__finish(r, THV_STATUS_TIMEOUT, "guest stopped: "
			       "--timeout of %u s expired", r->opt.timeout_s);
	else if (sig)
		runner__finish(r, THV_STATUS_SIGNAL_BASE + sig,
			       "guest interrupted by %s",
			       sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* Some other signal: nothing to do, run the guest again. */
	r->vm.run->request_immediate_exit = 0;
}

/*
 * Interrupts.  The interrupt controllers are device models in this
 * process: the 8259A pair (devices/pic.c) and the local APIC
 * (devices/lapic.c); the timers behind them (PIT, LAPIC timer) tick
 * through host timer signals (timer.c).  Before each THV_RUN the loop
 * does what the CPU's INTR pin and the APIC's delivery logic do:
 *
 *   - collect timer ticks into IRR bits (pit__poll, lapic__poll);
 *   - pick the interrupt the CPU would take: the local APIC's highest
 *     deliverable vector first (it decides by priority, SDM Vol. 3A
 *     11.8.3), otherwise the PIC's, which reaches the CPU as ExtINT
 *     through LINT0 (the vector comes from the PIC's INTA cycle);
 *   - if the guest can take an interrupt now
 *     (run->ready_for_interrupt_injection: IF = 1, no STI/MOV SS shadow,
 *     nothing else being delivered), acknowledge it in the device model
 *     (IRR -> ISR) and hand its vector to thv.ko with THV_INTERRUPT;
 *   - if it cannot, set run->request_interrupt_window: thv.ko then
 *     returns THV_EXIT_IRQ_WINDOW as soon as it can (after the guest's
 *     STI, say), and the next pass through here injects.
 */
static void vcpu__poll_devices(struct thv_runner *r)
{
	pit__poll(r);
	lapic__poll(r);
}

/* The vector the CPU would take now, or -1; *from_lapic: whose. */
static int vcpu__irq_pending(bool *from_lapic)
{
	int v = lapic__pending_vector();

	*from_lapic = v >= 0;
	if (v >= 0)
		return v;
	if (!lapic__accepts_pic())
		return -1;
	return pic__pending_vector();
}

static void vcpu__inject(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	bool from_lapic;
	int v, ret;

	run->request_interrupt_window = 0;
	v = vcpu__irq_pending(&from_lapic);
	if (v < 0)
		return;
	if (!run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		return;
	}
	if (v < 32) {
		/* Vectors 0-31 are the CPU's exceptions (SDM 6.2). */
		thv_err("the %s sent vector %d, an exception vector: program "
			"the PIC's vector base (ICW2) to 32 or above first",
			from_lapic ? "local APIC" : "PIC", v);
		runner__finish(r, THV_STATUS_INTERNAL, "guest stopped: "
			       "interrupt vector %d below 32", v);
		return;
	}
	ret = thv_vcpu_interrupt(&r->vm, v);
	if (ret == -EBUSY) {
		/* The previous one is still queued: try after it. */
		run->request_interrupt_window = 1;
		return;
	}
	if (ret < 0) {
		thv_err("THV_INTERRUPT vector %d: %s", v, strerror(-ret));
		runner__finish(r, THV_STATUS_OSERR, "THV_INTERRUPT failed");
		return;
	}
	if (from_lapic)
		lapic__ack(v);
	else
		pic__ack();
	r->irqs_injected++;
	if (r->opt.trace) {
		console__fresh_line();
		fprintf(stderr, "thv: inject vector %d (%s)\n", v,
			from_lapic ? "local APIC" : "PIC");
	}
}

/*
 * THV_EXIT_HLT.  A guest that halts with interrupts off (IF = 0), or
 * with no timer that could ever wake it, is done: the run ends, status
 * 0, as it always has for the simple payloads.  With IF = 1 and a timer
 * armed, HLT means "wait for the next interrupt": sleep in sigsuspend()
 * until a host timer signal (or Ctrl-C, SIGTERM, --timeout's SIGALRM)
 * arrives, turn it into an interrupt, and let the loop inject it; the
 * next THV_RUN moves RIP past the HLT and delivers it, as the CPU does
 * when an interrupt wakes it from HLT.  The signals are blocked while
 * we check, and sigsuspend() unblocks them atomically, so a tick that
 * comes between the check and the sleep is not lost.
 */
static void vcpu__handle_hlt(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	sigset_t block, old;
	bool from_lapic;

	if (!run->if_flag || (!pit__armed() && !lapic__armed() &&
			      vcpu__irq_pending(&from_lapic) < 0)) {
		vcpu__trace(r, "HLT", "");
		runner__finish(r, THV_STATUS_OK, "guest halted");
		return;
	}
	vcpu__trace(r, "HLT", "waiting for an interrupt");
	sigemptyset(&block);
	sigaddset(&block, host_timer__signal());
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGALRM);
	sigprocmask(SIG_BLOCK, &block, &old);
	for (;;) {
		vcpu__poll_devices(r);
		if (vcpu_stop_signal ||
		    vcpu__irq_pending(&from_lapic) >= 0)
			break;
		if (!pit__armed() && !lapic__armed()) {
			/* A one-shot timer fired into a masked line. */
			runner__finish(r, THV_STATUS_OK, "guest halted");
			break;
		}
		sigsuspend(&old);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (vcpu_stop_signal)
		vcpu__handle_intr(r);
}

/*
 * THV_EXIT_KERNEL (only with THV_DEBUG_EXIT_ALL, which --trace and
 * --step set): thv.ko has already handled this exit; it only tells us,
 * so that the trace shows every exit.  Nothing to do but show it.
 */
static void vcpu__handle_kernel(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	uint64_t info[4];
	char detail[DETAIL_LEN];

	memcpy(info, run->kernel.info, sizeof(info));
	switch (run->kernel.kind) {
	case THV_KIND_CPUID:
		snprintf(detail, sizeof(detail), "CPUID leaf 0x%" PRIx64
			 ", subleaf 0x%" PRIx64 " -> eax 0x%x ebx 0x%x ecx 0x%x"
			 " edx 0x%x", info[0], info[1], (uint32_t)info[2],
			 (uint32_t)(info[2] >> 32), (uint32_t)info[3],
			 (uint32_t)(info[3] >> 32));
		break;
	case THV_KIND_NPF:
		snprintf(detail, sizeof(detail), "%s at GPA 0x%" PRIx64
			 ", %s, %s", r->backend == THV_BACKEND_VMX ?
			 "EPT violation" : "nested page fault", info[0],
			 info[1] & THV_NPF_FETCH ? "fetch" :
			 info[1] & THV_NPF_WRITE ? "write" : "read",
			 info[1] & THV_NPF_PRESENT ? "present (permissions)" :
			 "not present");
		break;
	case THV_KIND_MSR:
		snprintf(detail, sizeof(detail), "%s 0x%" PRIx64 " %s 0x%"
			 PRIx64, info[2] ? "WRMSR" : "RDMSR", info[0],
			 info[2] ? "=" : "->", info[1]);
		break;
	case THV_KIND_CR:
		snprintf(detail, sizeof(detail), "MOV %s CR%" PRIu64 " %s 0x%"
			 PRIx64, info[2] ? "to" : "from", info[0],
			 info[2] ? "=" : "->", info[1]);
		break;
	case THV_KIND_HOST_INTR:
		snprintf(detail, sizeof(detail), "a host interrupt: the host "
			 "ran its handler, the guest goes on");
		break;
	default:
		snprintf(detail, sizeof(detail), "info1 0x%" PRIx64 " info2 0x%"
			 PRIx64, info[0], info[1]);
		break;
	}
	vcpu__trace(r, thv_kind_name(run->kernel.kind), detail);
}

/* THV_EXIT_DEBUG: one instruction done (THV_DEBUG_SINGLESTEP). */
static void vcpu__handle_debug(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	char detail[DETAIL_LEN];

	if (run->debug.event)
		snprintf(detail, sizeof(detail), "single step, vector %u "
			 "delivered: stopped at its handler",
			 run->debug.vector);
	else
		snprintf(detail, sizeof(detail), "single step: stopped "
			 "before the next instruction");
	vcpu__trace(r, "DEBUG", detail);
}

static void vcpu__count(struct thv_runner *r, uint32_t reason)
{
	r->exits++;
	r->exits_by_reason[reason < THV_EXIT_MAX ? reason : THV_EXIT_MAX]++;
}

/*
 * Not every return of THV_RUN is a VM exit.  thv.ko checks some things
 * before it enters the guest and may end THV_RUN right there, without
 * a VMRUN/VMRESUME: a single step that is over already (the instruction
 * at the stop was an IN or OUT, and finishing it in the kernel moved
 * RIP: kmod/debug.c), or an interrupt window that is open already.
 * Then run->hw_exit_valid is 0.  The summary counts these apart, so
 * that its numbers add up: the stops that were VM exits plus these
 * (plus INTR, a signal) are the runner's exits.
 */
static void vcpu__count_no_vmexit(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;

	if (run->hw_exit_valid)
		return;
	if (run->exit_reason == THV_EXIT_DEBUG)
		r->steps_no_vmexit++;
	else if (run->exit_reason == THV_EXIT_IRQ_WINDOW)
		r->windows_no_vmexit++;
}

static void vcpu__dispatch(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	char detail[DETAIL_LEN];

	switch (run->exit_reason) {
	case THV_EXIT_IO:
		vcpu__handle_io(r);
		break;
	case THV_EXIT_MMIO:
		vcpu__handle_mmio(r);
		break;
	case THV_EXIT_HLT:
		vcpu__handle_hlt(r);
		break;
	case THV_EXIT_IRQ_WINDOW:
		/* The guest can take an interrupt now: the loop injects. */
		vcpu__trace(r, "IRQ_WINDOW", "");
		break;
	case THV_EXIT_SHUTDOWN:
		vcpu__trace(r, "SHUTDOWN", "triple fault");
		runner__finish(r, THV_STATUS_SHUTDOWN,
			       "guest triple-faulted (shutdown)");
		r->end_note = "the host is fine";
		break;
	case THV_EXIT_HYPERCALL:
		vcpu__handle_hypercall(r);
		break;
	case THV_EXIT_FAIL_ENTRY:
		vcpu__handle_fail_entry(r);
		break;
	case THV_EXIT_INTERNAL_ERROR:
		vcpu__handle_internal(r);
		break;
	case THV_EXIT_INTR:
		vcpu__handle_intr(r);
		break;
	case THV_EXIT_MSR:
		vcpu__handle_msr(r);
		break;
	case THV_EXIT_KERNEL:
		vcpu__handle_kernel(r);
		break;
	case THV_EXIT_DEBUG:
		vcpu__handle_debug(r);
		break;
	case THV_EXIT_EXCEPTION:
		/* The runner intercepts no exceptions: deliver it. */
		snprintf(detail, sizeof(detail), "vector %u, re-injected",
			 run->exception.vector);
		vcpu__trace(r, "EXCEPTION", detail);
		run->exception.reinject = 1;
		break;
	default:
		snprintf(detail, sizeof(detail), "reason %u", run->exit_reason);
		vcpu__trace(r, "UNKNOWN", detail);
		thv_err("unknown exit reason %u from thv.ko (hardware reason 0x%"
			PRIx64 ")", run->exit_reason,
			(uint64_t)run->hw_exit_reason);
		runner__finish(r, THV_STATUS_INTERNAL, "guest stopped on an "
			       "unknown exit");
		break;
	}
}

/*
 * TOUR(8.2): Userspace's side of the loop.  Each THV_RUN ioctl returns
 * only when the kernel could not handle an exit itself; run->exit_reason
 * (in the page shared with the kernel, mmap()ed from the vCPU fd) says
 * what happened, and vcpu__dispatch() hands it to the right handler.  The
 * next THV_RUN both finishes the exited instruction and re-enters the
 * guest.
 */
int vcpu__run_loop(struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	uint64_t t0;
	int ret;

	if (r->opt.trace || r->opt.step)
		setvbuf(stdout, NULL, _IOLBF, 0);
	ret = vcpu__install_signals(r);
	if (ret < 0) {
		thv_err("cannot install signal handlers: %s", strerror(-ret));
		return THV_STATUS_OSERR;
	}
	while (!r->done) {
		vcpu__poll_devices(r);
		vcpu__inject(r);
		if (r->done)
			break;
		if (r->opt.step)
			stepper__before_run(r);
		ret = thv_vcpu_run(&r->vm);
		if (ret == -EINTR) {
			/* Not a VM exit, but counted so the summary shows it. */
			vcpu__count(r, THV_EXIT_INTR);
			vcpu__handle_intr(r);
			continue;
		}
		if (ret < 0) {
			thv_err("THV_RUN: %s", strerror(-ret));
			runner__finish(r, THV_STATUS_OSERR, "THV_RUN failed");
			break;
		}
		vcpu__count(r, run->exit_reason);
		vcpu__count_no_vmexit(r);
		t0 = host_clock_ns();
		vcpu__dispatch(r);
		/* --stats: the runner's own time per exit reason. */
		r->user_ns[run->exit_reason < THV_EXIT_MAX ?
			   run->exit_reason : THV_EXIT_MAX] +=
			host_clock_ns() - t0;
		if (r->opt.step)
			stepper__after_exit(r);
	}
	alarm(0);
	host_timer__exit();
	vcpu_signal_run = NULL;
	fflush(stdout);
	return r->status;
}

/* "; 1 exit was no VM exit: 1 step completed in the kernel" */
static void vcpu__print_no_vmexit(struct thv_runner *r, uint64_t nohw)
{
	uint64_t s = r->steps_no_vmexit, w = r->windows_no_vmexit;

	fprintf(stderr, "; %" PRIu64 " exit%s no VM exit: ", nohw,
		nohw == 1 ? " was" : "s were");
	if (s)
		fprintf(stderr, "%" PRIu64 " step%s completed in the kernel",
			s, s == 1 ? "" : "s");
	if (w)
		fprintf(stderr, "%s%" PRIu64 " interrupt window%s open at "
			"entry", s ? ", " : "", w, w == 1 ? "" : "s");
}

void vcpu__print_summary(struct thv_runner *r)
{
	char counts[256];
	size_t off = 0;
	uint64_t all = r->vm.run ? r->vm.run->exits : 0, user, nohw;
	uint32_t i;

	if (r->opt.quiet)
		return;
	counts[0] = '\0';
	for (i = 0; i <= THV_EXIT_MAX && off < sizeof(counts); i++) {
		if (!r->exits_by_reason[i])
			continue;
		off += snprintf(counts + off, sizeof(counts) - off, "%s%s %" PRIu64,
				off ? ", " : "", thv_exit_name(i),
				r->exits_by_reason[i]);
	}
	fflush(stdout);
	console__fresh_line();
	fprintf(stderr, "thv: %s after %" PRIu64 " exit%s (%s)", r->end_msg,
		r->exits, r->exits == 1 ? "" : "s", counts);
	if (r->unclaimed_io || r->unclaimed_mmio)
		fprintf(stderr, "; unclaimed accesses: %" PRIu64 " port, %"
			PRIu64 " MMIO", r->unclaimed_io, r->unclaimed_mmio);
	if (r->irqs_injected)
		fprintf(stderr, "; %" PRIu64 " interrupt%s injected",
			r->irqs_injected, r->irqs_injected == 1 ? "" : "s");
	if (r->unhandled_msr)
		fprintf(stderr, "; %" PRIu64 " unknown MSR access%s got #GP",
			r->unhandled_msr, r->unhandled_msr == 1 ? "" : "es");
	/*
	 * CPUID, host interrupts, nested page faults on RAM...  With
	 * THV_DEBUG_EXIT_ALL (--trace, --step) those came here too, as
	 * KERNEL exits.  INTR is a signal, not a VM exit, and neither are
	 * the stops thv.ko made before entering the guest
	 * (vcpu__count_no_vmexit): what is left are the VM exits thv.ko
	 * left to user space.
	 */
	nohw = r->steps_no_vmexit + r->windows_no_vmexit;
	user = r->exits - r->exits_by_reason[THV_EXIT_INTR] -
	       r->exits_by_reason[THV_EXIT_KERNEL] - nohw;
	if (all > user)
		fprintf(stderr, "; %" PRIu64 " VM exits in all, %" PRIu64
			" of them handled inside thv.ko", all, all - user);
	if (nohw)
		vcpu__print_no_vmexit(r, nohw);
	if (r->end_note)
		fprintf(stderr, "; %s", r->end_note);
	fputc('\n', stderr);
}
