// SPDX-License-Identifier: GPL-2.0
/*
 * explain.c - the stepper's `explain` command: what the hardware did at
 * this exit, told with this exit's own numbers.
 *
 * Every exit has the same shape, on both vendors:
 *
 *   1. the guest runs in VMX non-root mode (Intel) or guest mode (AMD)
 *      until it does something the hypervisor intercepts;
 *   2. the CPU stops it: a VM exit (#VMEXIT on AMD).  It saves the
 *      guest's state into the VMCS guest-state area / the VMCB state
 *      save area, writes why into the exit information fields (exit
 *      reason and exit qualification / EXITCODE, EXITINFO1, EXITINFO2),
 *      loads the host's state, and thv.ko runs in VMX root mode / host
 *      mode (SDM Vol. 3C 28.1-28.5, APM Vol. 2 15.6);
 *   3. thv.ko reads those fields, handles the exit or hands it to user
 *      space (this runner) through struct thv_run;
 *   4. before the next VMRESUME / VMRUN it writes what the instruction
 *      would have done: a register, the next RIP, an event to inject.
 *
 * The numbers of the exit codes are in SDM Vol. 3D appendix C ("VMX
 * basic exit reasons") and APM Vol. 2 appendix C ("SVM intercept exit
 * codes").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"

/* What every kind of exit means, per vendor. */
struct explain_kind {
	const char *what;	/* what the guest did */
	const char *svm;	/* the exit code on AMD */
	const char *vmx;	/* the basic exit reason on Intel */
	const char *apm;	/* where the AMD manual says so */
	const char *sdm;	/* where the Intel manual says so */
};

static const struct explain_kind kinds[THV_KIND_NR] = {
	[THV_KIND_NOTHING] = { "nothing that needs work (e.g. an INIT "
		"held while the vCPU runs)", "-", "-",
		"APM Vol. 2 appendix C", "SDM Vol. 3D appendix C" },
	[THV_KIND_HOST_INTR] = { "nothing: a HOST interrupt (or NMI) "
		"arrived while the guest ran; the host must handle it, so the "
		"CPU left the guest", "VMEXIT_INTR (0x60) / NMI (0x61)",
		"1, external interrupt (or 0 for an NMI)",
		"APM Vol. 2 15.21.1", "SDM Vol. 3C 25.6.1, 26.2" },
	[THV_KIND_IO] = { "an IN/OUT (or INS/OUTS) instruction: thv "
		"intercepts every port", "VMEXIT_IOIO (0x7b)",
		"30, I/O instruction",
		"APM Vol. 2 15.10.2 (EXITINFO1 for IOIO)",
		"SDM Vol. 3C 26.1.3, 28.2.1 Table 28-5" },
	[THV_KIND_NPF] = { "a memory access whose guest-physical address "
		"the nested page tables do not map (or not for this access)",
		"VMEXIT_NPF (0x400)", "48, EPT violation",
		"APM Vol. 2 15.25.6 (nested page faults)",
		"SDM Vol. 3C 28.2.1 Table 28-7, 29.3.3" },
	[THV_KIND_CPUID] = { "a CPUID instruction: it always exits under "
		"VMX and thv intercepts it under SVM", "VMEXIT_CPUID (0x72)",
		"10, CPUID", "APM Vol. 2 15.9 (instruction intercepts)",
		"SDM Vol. 3C 26.1.2" },
	[THV_KIND_HLT] = { "a HLT instruction", "VMEXIT_HLT (0x78)",
		"12, HLT", "APM Vol. 2 15.9 (instruction intercepts)",
		"SDM Vol. 3C 26.1.3 (HLT exiting)" },
	[THV_KIND_HYPERCALL] = { "a hypercall: VMMCALL (AMD) or VMCALL "
		"(Intel), the guest's way to call the hypervisor",
		"VMEXIT_VMMCALL (0x81)", "18, VMCALL",
		"APM Vol. 2 15.9, Vol. 3 VMMCALL", "SDM Vol. 3C 26.1.2" },
	[THV_KIND_MSR] = { "an RDMSR or WRMSR of a model-specific register",
		"VMEXIT_MSR (0x7c)", "31 RDMSR / 32 WRMSR",
		"APM Vol. 2 15.11 (MSR intercepts)",
		"SDM Vol. 3C 26.1.3, 25.6.9 (MSR bitmaps)" },
	[THV_KIND_SHUTDOWN] = { "a triple fault: an exception while "
		"delivering a double fault; a real CPU would shut down",
		"VMEXIT_SHUTDOWN (0x7f)", "2, triple fault",
		"APM Vol. 2 15.14 (SHUTDOWN intercept)",
		"SDM Vol. 3C 26.2, Vol. 3A 6.15 (#DF)" },
	[THV_KIND_EXCEPTION] = { "an exception the hypervisor intercepts",
		"VMEXIT_EXCP0..31 (0x40 + vector)",
		"0, exception or NMI", "APM Vol. 2 15.12 (exception "
		"intercepts)", "SDM Vol. 3C 26.2, 28.2.2" },
	[THV_KIND_DENIED_INSN] = { "an instruction guests may not run "
		"under thv (VMX/SVM instructions, ...): it gets #UD",
		"its instruction intercept", "its exit reason",
		"APM Vol. 2 15.9", "SDM Vol. 3C 26.1" },
	[THV_KIND_SKIP_INSN] = { "INVD or WBINVD: thv does nothing for "
		"them and skips the instruction", "VMEXIT_INVD (0x76) / "
		"VMEXIT_WBINVD (0x89)", "13 INVD / 54 WBINVD",
		"APM Vol. 2 15.9", "SDM Vol. 3C 26.1.2, 26.1.3" },
	[THV_KIND_CR] = { "a MOV to or from a control register",
		"VMEXIT_CR0_READ..CR15_WRITE (0x0-0x1f)",
		"28, control-register access", "APM Vol. 2 15.9, "
		"appendix C", "SDM Vol. 3C 26.1.3, 28.2.1 Table 28-3" },
	[THV_KIND_IRQ_WINDOW] = { "nothing: the guest has just become able "
		"to take an interrupt (IF = 1, no STI/MOV SS shadow), which "
		"the hypervisor asked to hear about",
		"VMEXIT_VINTR (0x64)", "7, interrupt window",
		"APM Vol. 2 15.21.4", "SDM Vol. 3C 26.7.5" },
	[THV_KIND_RDTSCP] = { "an RDTSCP instruction",
		"VMEXIT_RDTSCP (0x87)", "51, RDTSCP", "APM Vol. 2 15.9",
		"SDM Vol. 3C 26.1.3" },
	[THV_KIND_PAUSE] = { "a PAUSE instruction (a spin loop)",
		"VMEXIT_PAUSE (0x77)", "40, PAUSE",
		"APM Vol. 2 15.14.4", "SDM Vol. 3C 26.1.3" },
	[THV_KIND_DR] = { "a MOV to or from a debug register",
		"VMEXIT_DR0_READ..DR15_WRITE (0x20-0x3f)",
		"29, MOV DR", "APM Vol. 2 15.33.3",
		"SDM Vol. 3C 28.2.1 Table 28-4" },
	[THV_KIND_SOFT_INT] = { "an INT n / INT3 / INTO instruction",
		"VMEXIT_SWINT (0x75)", "-", "APM Vol. 2 15.13.2", "-" },
	[THV_KIND_XSETBV] = { "an XSETBV instruction (XCR0)",
		"VMEXIT_XSETBV (0x8d)", "55, XSETBV",
		"APM Vol. 2 15.9", "SDM Vol. 3C 26.1.2" },
	[THV_KIND_FAIL_ENTRY] = { "nothing: the CPU refused to enter the "
		"guest with this state", "VMEXIT_INVALID (-1)",
		"33 (bit 31 set), VM-entry failure: invalid guest state",
		"APM Vol. 2 15.5.1 (VMRUN checks)",
		"SDM Vol. 3C 27.3, 27.8" },
	[THV_KIND_UNHANDLED] = { "something thv.ko has no handler for",
		"see hw_exit_reason", "see hw_exit_reason",
		"APM Vol. 2 appendix C", "SDM Vol. 3D appendix C" },
	[THV_KIND_STEP] = { "one instruction, while single-stepping",
		"VMEXIT_EXCP1 (0x41): the #DB that RFLAGS.TF raises",
		"37, monitor trap flag (a CPU without MTF: 0, the #DB "
		"that RFLAGS.TF raises)",
		"APM Vol. 2 15.12; Vol. 2 13.1.4 (single step)",
		"SDM Vol. 3C 26.5.2 (MTF); 25.6.3, 28.2.1 (#DB, BS)" },
};

/* The kind an exit that came to user space was decoded from. */
static uint32_t explain__kind(const struct thv_run *run)
{
	switch (run->exit_reason) {
	case THV_EXIT_IO:		return THV_KIND_IO;
	case THV_EXIT_MMIO:		return THV_KIND_NPF;
	case THV_EXIT_HLT:		return THV_KIND_HLT;
	case THV_EXIT_SHUTDOWN:		return THV_KIND_SHUTDOWN;
	case THV_EXIT_HYPERCALL:	return THV_KIND_HYPERCALL;
	case THV_EXIT_FAIL_ENTRY:	return THV_KIND_FAIL_ENTRY;
	case THV_EXIT_MSR:		return THV_KIND_MSR;
	case THV_EXIT_EXCEPTION:	return THV_KIND_EXCEPTION;
	case THV_EXIT_IRQ_WINDOW:	return THV_KIND_IRQ_WINDOW;
	case THV_EXIT_DEBUG:		return THV_KIND_STEP;
	case THV_EXIT_KERNEL:		return run->kernel.kind;
	default:			return THV_KIND_UNHANDLED;
	}
}

static const char *onoff(uint64_t v, unsigned int bit)
{
	return (v >> bit) & 1 ? "1" : "0";
}

/* Step 3: the exit information fields, decoded bit by bit. */
static void explain__fields(FILE *f, const struct thv_run *run,
			    uint32_t kind, bool vmx)
{
	uint64_t i1 = run->hw_exit_info1, i2 = run->hw_exit_info2;

	if (!run->hw_exit_valid) {
		fprintf(f, "   (thv.ko gave no raw exit fields for this one)\n");
		return;
	}
	fprintf(f, "   %s = 0x%" PRIx64 ", %s = 0x%" PRIx64 ", %s = 0x%"
		PRIx64 "\n", vmx ? "exit reason" : "EXITCODE",
		(uint64_t)run->hw_exit_reason,
		vmx ? "exit qualification" : "EXITINFO1", i1,
		vmx ? "guest-physical address" : "EXITINFO2", i2);
	switch (kind) {
	case THV_KIND_IO:
		if (vmx)
			fprintf(f, "   qualification: bits 2:0 size-1 = %u "
				"(%u byte(s)), bit 3 direction = %s (%s), bit 4 "
				"string = %s, bit 5 REP = %s, bit 6 = %s "
				"(port in %s), bits 31:16 port = 0x%x\n",
				(unsigned int)(i1 & 7),
				(unsigned int)(i1 & 7) + 1, onoff(i1, 3),
				(i1 >> 3) & 1 ? "IN" : "OUT", onoff(i1, 4),
				onoff(i1, 5), onoff(i1, 6),
				(i1 >> 6) & 1 ? "an immediate" : "DX",
				(unsigned int)(i1 >> 16) & 0xffff);
		else
			fprintf(f, "   EXITINFO1: bit 0 TYPE = %s (%s), bit 2 "
				"STR = %s, bit 3 REP = %s, bits 6:4 SZ32/16/8 = "
				"%s%s%s, bits 31:16 PORT = 0x%x; EXITINFO2 = "
				"the RIP of the next instruction\n",
				onoff(i1, 0), i1 & 1 ? "IN" : "OUT",
				onoff(i1, 2), onoff(i1, 3), onoff(i1, 6),
				onoff(i1, 5), onoff(i1, 4),
				(unsigned int)(i1 >> 16) & 0xffff);
		break;
	case THV_KIND_NPF:
		if (vmx)
			fprintf(f, "   qualification: bit 0 read = %s, bit 1 "
				"write = %s, bit 2 fetch = %s, bits 5:3 what "
				"the EPT entry allows (R W X) = %s %s %s; the "
				"GPA has its own VMCS field\n", onoff(i1, 0),
				onoff(i1, 1), onoff(i1, 2), onoff(i1, 3),
				onoff(i1, 4), onoff(i1, 5));
		else
			fprintf(f, "   EXITINFO1 (a #PF-style error code): "
				"bit 0 P = %s (%s), bit 1 RW = %s, bit 4 ID "
				"(fetch) = %s, bit 32 = %s (final "
				"translation), bit 33 = %s (guest page-table "
				"walk); EXITINFO2 = the GPA\n", onoff(i1, 0),
				i1 & 1 ? "mapped, not allowed" : "not mapped",
				onoff(i1, 1), onoff(i1, 4), onoff(i1, 32),
				onoff(i1, 33));
		if (run->exit_reason == THV_EXIT_MMIO)
			fprintf(f, "   no memory slot backs GPA 0x%" PRIx64
				": that is MMIO, a device's registers\n",
				(uint64_t)run->mmio.phys_addr);
		break;
	case THV_KIND_MSR:
		fprintf(f, "   %s; the MSR number is the guest's ECX, the "
			"value EDX:EAX (saved guest registers)\n", vmx ?
			"the exit reason itself says RDMSR (31) or WRMSR (32)" :
			"EXITINFO1 = 0 for RDMSR, 1 for WRMSR");
		break;
	case THV_KIND_CR:
		if (vmx)
			fprintf(f, "   qualification: bits 3:0 CR = %u, bits "
				"5:4 access type = %u (0 MOV to, 1 MOV from, 2 "
				"CLTS, 3 LMSW), bits 11:8 GPR = %u\n",
				(unsigned int)(i1 & 15),
				(unsigned int)(i1 >> 4) & 3,
				(unsigned int)(i1 >> 8) & 15);
		else
			fprintf(f, "   EXITCODE names the CR and the "
				"direction; EXITINFO1 bit 63 = %s: bits 3:0 "
				"name the GPR (decode assists)\n",
				onoff(i1, 63));
		break;
	case THV_KIND_CPUID:
		fprintf(f, "   the leaf is the guest's EAX, the subleaf its ECX "
			"(saved guest registers); nothing in the exit fields\n");
		if (run->exit_reason == THV_EXIT_KERNEL)
			fprintf(f, "   here: leaf 0x%" PRIx64 ", subleaf 0x%"
				PRIx64 "\n", (uint64_t)run->kernel.info[0],
				(uint64_t)run->kernel.info[1]);
		break;
	case THV_KIND_EXCEPTION:
		if (vmx)
			fprintf(f, "   the vector and error code are in the "
				"VM-exit interruption-information and error "
				"code fields\n");
		else
			fprintf(f, "   EXITCODE - 0x40 = the vector; "
				"EXITINFO1 = the error code, EXITINFO2 = the "
				"faulting address of a #PF\n");
		break;
	}
}

/* Step 4: what the exit's handler leaves for the re-entry. */
/* A VMX step that the monitor trap flag ended (exit reason 37). */
static bool explain__mtf(const struct thv_runner *r)
{
	return r->backend == THV_BACKEND_VMX && r->vm.run->hw_exit_valid &&
	       r->vm.run->hw_exit_reason == 37;
}

static void explain__reentry(FILE *f, struct thv_runner *r, uint32_t kind,
			     bool vmx)
{
	struct thv_run *run = r->vm.run;
	const char *next = vmx ? "RIP + the VM-exit instruction length "
			   "(a VMCS field)" : "the next RIP (EXITINFO2, or "
			   "NRIP with the NRIPS feature)";

	if (run->exit_reason == THV_EXIT_KERNEL && kind == THV_KIND_CPUID)
		fprintf(f, "   thv.ko already wrote the answer into EAX, EBX, "
			"ECX, EDX and moved RIP past the 2-byte CPUID.  When "
			"nobody watches (no --step or --trace), it does that on "
			"its fast path: right after the exit, interrupts still "
			"held, and %s again at once, without going back through "
			"the run loop (tour stop 7.2).\n",
			vmx ? "VMRESUME" : "VMRUN");
	if (run->exit_reason == THV_EXIT_KERNEL) {
		fprintf(f, "   nothing left: thv.ko finished this exit itself "
			"before it told us (RIP has moved on); the next "
			"THV_RUN just re-enters with %s\n",
			vmx ? "VMRESUME" : "VMRUN");
		return;
	}
	switch (kind) {
	case THV_KIND_IO:
		if (run->io.direction == THV_EXIT_IO_IN)
			fprintf(f, "   thv.ko copies the %u byte(s) the runner "
				"put at thv_run + %" PRIu64 " into AL/AX/EAX "
				"(INS: into memory at ES:rDI), then sets RIP to "
				"%s\n", run->io.size,
				(uint64_t)run->io.data_offset, next);
		else
			fprintf(f, "   the OUT is done (the runner took the "
				"data); thv.ko only sets RIP to %s\n", next);
		break;
	case THV_KIND_NPF:
		if (run->mmio.user_decode)
			fprintf(f, "   the runner emulated the whole "
				"instruction and wrote the registers and RIP "
				"with THV_SET_REGS: thv.ko re-enters as is\n");
		else if (run->mmio.is_write)
			fprintf(f, "   the device took the write; thv.ko "
				"moves RIP past the MOV (it decoded it)\n");
		else
			fprintf(f, "   thv.ko writes thv_run.mmio.data into "
				"the MOV's destination register and moves RIP "
				"past it\n");
		break;
	case THV_KIND_HLT:
		fprintf(f, "   %s; then RIP moves past the HLT\n",
			r->done ? "nothing: the run ends here" :
			"the runner waited for an interrupt to inject");
		break;
	case THV_KIND_HYPERCALL:
		fprintf(f, "   thv.ko writes the result (0x%" PRIx64 ") into "
			"RAX and moves RIP past the 3-byte %s\n",
			(uint64_t)run->hypercall.ret,
			vmx ? "VMCALL" : "VMMCALL");
		break;
	case THV_KIND_MSR:
		if (run->msr.error)
			fprintf(f, "   nobody has this MSR: thv.ko injects "
				"#GP(0) (%s), RIP stays on the instruction\n",
				vmx ? "VM-entry interruption-information "
				"field, SDM 27.6" : "EVENTINJ, APM 15.20");
		else if (run->msr.is_write)
			fprintf(f, "   the value went to the device; RIP "
				"moves to %s\n", next);
		else
			fprintf(f, "   thv.ko writes 0x%" PRIx64 " into "
				"EDX:EAX and sets RIP to %s\n",
				(uint64_t)run->msr.data, next);
		break;
	case THV_KIND_EXCEPTION:
		fprintf(f, "   the runner re-injects it: thv.ko writes the "
			"vector into %s and the CPU delivers it through the "
			"guest's IDT as it enters\n", vmx ?
			"the VM-entry interruption-information field "
			"(SDM 27.6)" : "EVENTINJ (APM 15.20)");
		break;
	case THV_KIND_IRQ_WINDOW:
		fprintf(f, "   the runner injects the pending interrupt "
			"(THV_INTERRUPT): thv.ko puts it into %s and the CPU "
			"delivers it at entry\n", vmx ? "the VM-entry "
			"interruption-information field" : "EVENTINJ");
		break;
	case THV_KIND_SHUTDOWN:
	case THV_KIND_FAIL_ENTRY:
		fprintf(f, "   no re-entry: the guest cannot go on, the run "
			"ends\n");
		break;
	case THV_KIND_STEP:
		fprintf(f, "   nothing to finish; %s stays set only if you "
			"`step` again\n", explain__mtf(r) ?
			"the monitor trap flag" : "the hidden RFLAGS.TF");
		break;
	default:
		fprintf(f, "   see the handler in kmod/exit.c\n");
		break;
	}
}

void explain__exit(FILE *f, struct thv_runner *r)
{
	struct thv_run *run = r->vm.run;
	bool vmx = r->backend == THV_BACKEND_VMX;
	uint32_t kind = explain__kind(run);
	const struct explain_kind *k;
	const char *vmx_why;

	if (run->exit_reason == THV_EXIT_INTR) {
		fprintf(f, "No VM exit: THV_RUN returned -EINTR because a "
			"signal is pending (Ctrl-C, --timeout, a timer).  "
			"thv.ko leaves the guest as soon as it sees one, so "
			"that a guest in `jmp $` can always be stopped.\n");
		return;
	}
	if (kind >= THV_KIND_NR || !kinds[kind].what) {
		fprintf(f, "explain: no explanation for this exit (kind %u)\n",
			kind);
		return;
	}
	k = &kinds[kind];
	if (kind == THV_KIND_STEP && !run->hw_exit_valid) {
		fprintf(f, "Exit #%" PRIu64 ": %s, no VM exit (%s)\n"
			"The instruction at the last stop did not finish in "
			"the guest: it exited, and thv.ko or this runner "
			"finished it (an IN or OUT, a CPUID, ...) and moved RIP "
			"past it.  That was the step, so THV_RUN reported it "
			"at once, without entering the guest.\n"
			"Manual: %s\n", r->exits, thv_run_exit_name(run),
			vmx ? "Intel VMX" : "AMD SVM", vmx ? k->sdm : k->apm);
		return;
	}
	vmx_why = k->vmx;
	/* Which way this CPU steps (THV_CAP_MTF): say the one it took. */
	if (kind == THV_KIND_STEP && vmx)
		vmx_why = explain__mtf(r) ? "37, monitor trap flag" :
			  "0, the #DB that RFLAGS.TF raises (this CPU steps "
			  "without the monitor trap flag)";
	fprintf(f, "Exit #%" PRIu64 ": %s, %s (%s)\n", r->exits,
		thv_run_exit_name(run), run->exit_reason == THV_EXIT_KERNEL ?
		"handled in the kernel" : "sent to user space",
		vmx ? "Intel VMX" : "AMD SVM");
	fprintf(f, "1. In %s the guest did %s.\n",
		vmx ? "VMX non-root mode" : "guest mode", k->what);
	fprintf(f, "2. The CPU left the guest: a VM exit (%s = %s).  It "
		"saved the guest's registers into the %s, loaded the host's, "
		"and thv.ko runs now in %s.\n", vmx ? "exit reason" :
		"EXITCODE", vmx ? vmx_why : k->svm, vmx ?
		"VMCS guest-state area" : "VMCB state save area",
		vmx ? "VMX root mode" : "host mode");
	fprintf(f, "3. What thv.ko read:\n");
	explain__fields(f, run, kind, vmx);
	fprintf(f, "   %s\n", run->exit_reason == THV_EXIT_KERNEL ?
		"It handled the exit by itself and only reported it "
		"(THV_DEBUG_EXIT_ALL)." : "It filled struct thv_run and "
		"returned from THV_RUN: this runner handled the rest.");
	fprintf(f, "4. Before re-entry:\n");
	explain__reentry(f, r, kind, vmx);
	fprintf(f, "Manual: %s\n", vmx ? k->sdm : k->apm);
}
