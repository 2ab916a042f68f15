// SPDX-License-Identifier: GPL-2.0
/*
 * exit.c - VM exits, handled once for both vendors.
 *
 * TOUR(7.1 thv_exit_handlers thv_handle_exit): Handling an exit.  By the time
 * we get here the backend has read the raw exit information out of the VMCB
 * (or VMCS) and decoded it into a struct thv_exit.  One table, indexed by the
 * neutral exit kind, says who handles it.  Every handler follows one
 * convention:
 *
 *	return 1	handled in the kernel: enter the guest again
 *	return 0	userspace must act: vcpu->run says what happened
 *	return -errno	a host-side failure (e.g. -ENOMEM): RUN fails with it
 *
 * An instruction that exits is usually not finished: an IN still needs its
 * data, a hypercall its return value.  The handler records what is left
 * in vcpu->pending and thv_complete_pending() finishes it when userspace
 * calls THV_RUN again, so that at every exit the guest RIP userspace sees
 * points at the instruction that exited.
 */
#define pr_fmt(fmt) "thv: " fmt

#include <linux/kernel.h>
#include <linux/nospec.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/io.h>
#include <asm/msr-index.h>
#include <asm/msr.h>
#include <asm/fpu/types.h>
#include <asm/trapnr.h>
#include "thv.h"
#include "stats.h"

static u64 thv_next_rip(struct thv_vcpu *vcpu, const struct thv_exit *exit)
{
	return exit->next_rip ? exit->next_rip : vcpu->rip + exit->insn_len;
}

void thv_skip_insn(struct thv_vcpu *vcpu, const struct thv_exit *exit)
{
	vcpu->rip = thv_next_rip(vcpu, exit);
}

void thv_set_pending(struct thv_vcpu *vcpu, enum thv_pending what,
		     const struct thv_exit *exit)
{
	vcpu->pending = what;
	vcpu->pending_next_rip = thv_next_rip(vcpu, exit);
}

int thv_internal_error(struct thv_vcpu *vcpu, u32 suberror,
		       const struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;

	run->exit_reason = THV_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = 4;
	run->internal.data[0] = exit->raw_reason;
	run->internal.data[1] = exit->info1;
	run->internal.data[2] = exit->info2;
	run->internal.data[3] = vcpu->rip;
	return 0;
}

/* Write size bytes of val into a register the way the CPU would. */
static void thv_write_reg(struct thv_vcpu *vcpu, int reg, bool high8,
			  u8 size, u64 val)
{
	u64 *r = &vcpu->regs[reg];

	switch (size) {
	case 1:
		if (high8)
			*r = (*r & ~0xff00ULL) | ((val & 0xff) << 8);
		else
			*r = (*r & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		*r = (*r & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		*r = (u32)val;	/* 32-bit writes zero the upper half */
		break;
	default:
		*r = val;
	}
}

static u64 thv_read_reg(struct thv_vcpu *vcpu, int reg, bool high8, u8 size)
{
	u64 v = vcpu->regs[reg];

	if (size == 1 && high8)
		return (v >> 8) & 0xff;
	return size == 8 ? v : v & ((1ULL << (size * 8)) - 1);
}

/*
 * TOUR(8.5): Back into the kernel: finishing the instruction.  Userspace
 * has handled the OUT and calls THV_RUN again.  Before entering the guest,
 * thv_vcpu_run() calls this: for an OUT (THV_PENDING_SKIP) RIP moves to
 * the next instruction; for an IN the data userspace left in the run page
 * goes into the guest's AL/AX/EAX first.  Only now is the instruction
 * complete, and the guest continues as if OUT had simply worked.
 */
/* The data of an IN or an MMIO read, from userspace into a register. */
static noinline void thv_complete_read(struct thv_vcpu *vcpu)
{
	struct thv_run *run = vcpu->run;
	u64 val = 0;

	if (vcpu->pending == THV_PENDING_IO_IN) {
		/* Our own copy of the size: userspace may scribble on run. */
		memcpy(&val, (u8 *)run + THV_RUN_IO_DATA_OFFSET,
		       vcpu->pending_len);
		thv_write_reg(vcpu, THV_RAX, false, vcpu->pending_len, val);
		return;
	}
	memcpy(&val, run->mmio.data, vcpu->pending_len);
	if (vcpu->pending_sign && vcpu->pending_len < 8) {
		int shift = 64 - 8 * vcpu->pending_len;

		val = (u64)((s64)(val << shift) >> shift);
	}
	thv_write_reg(vcpu, vcpu->pending_reg, vcpu->pending_high8,
		      vcpu->pending_dst_size, val);
}

void thv_complete_pending(struct thv_vcpu *vcpu)
{
	struct thv_run *run = vcpu->run;

	switch (vcpu->pending) {
	case THV_PENDING_NONE:
		return;
	case THV_PENDING_SKIP:
		break;
	case THV_PENDING_IO_IN:
	case THV_PENDING_MMIO_READ:
		thv_complete_read(vcpu);
		break;
	case THV_PENDING_HYPERCALL:
		vcpu->regs[THV_RAX] = run->hypercall.ret;
		break;
	case THV_PENDING_STRING_IO:
		/* Moves RIP only when the REP is done. */
		thv_string_io_complete(vcpu);
		vcpu->pending = THV_PENDING_NONE;
		return;
	case THV_PENDING_EXCEPTION:
		/*
		 * RIP stays: the fault is delivered, or the insn retried.
		 * #BP and #OF are traps: delivered, they return past INT3
		 * or INTO, so RIP moves first (SDM 6.5, "Trap").
		 */
		if (run->exception.reinject) {
			vcpu->rip += vcpu->pending_exc.trap_len;
			thv_deliver_exception(vcpu, vcpu->pending_exc.vector,
					      vcpu->pending_exc.has_error_code,
					      vcpu->pending_exc.error_code,
					      vcpu->pending_exc.cr2);
		}
		vcpu->pending = THV_PENDING_NONE;
		return;
	case THV_PENDING_MSR:
		/* May fault (#GP) instead of moving on. */
		thv_msr_complete(vcpu);
		vcpu->pending = THV_PENDING_NONE;
		return;
	}
	vcpu->rip = vcpu->pending_next_rip;
	vcpu->pending = THV_PENDING_NONE;
}

static int thv_handle_nothing(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	return 1;
}

/*
 * TOUR(8.1): The OUT reaches exit.c.  The CPU stopped on IN or OUT because
 * the I/O permission map says every port is ours.  The device lives in
 * userspace, as QEMU's do for KVM, so this handler only describes the
 * access in the shared struct thv_run (port, size, direction, and for an
 * OUT the value taken from the guest's RAX) and returns 0: "userspace
 * must act".  The OUT is not finished yet: THV_PENDING_SKIP remembers that
 * RIP must move past it when userspace comes back.
 */
static int thv_handle_io(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;
	u8 size = exit->io.size;

	if (size != 1 && size != 2 && size != 4)
		return thv_internal_error(vcpu, THV_INTERNAL_UNHANDLED_EXIT,
					  exit);
	if (exit->io.string)
		return thv_handle_string_io(vcpu, exit);

	run->exit_reason = THV_EXIT_IO;
	run->io.port = exit->io.port;
	run->io.size = size;
	run->io.count = 1;
	run->io.data_offset = THV_RUN_IO_DATA_OFFSET;
	if (exit->io.in) {
		run->io.direction = THV_EXIT_IO_IN;
		memset((u8 *)run + THV_RUN_IO_DATA_OFFSET, 0xff, size);
		vcpu->pending_len = size;
		thv_set_pending(vcpu, THV_PENDING_IO_IN, exit);
	} else {
		u32 val = thv_read_reg(vcpu, THV_RAX, false, size);
		u8 *data = (u8 *)run + THV_RUN_IO_DATA_OFFSET;

		/* AL, AX or EAX, little-endian, byte by byte: no memcpy. */
		run->io.direction = THV_EXIT_IO_OUT;
		data[0] = val;
		if (size > 1)
			data[1] = val >> 8;
		if (size > 2) {
			data[2] = val >> 16;
			data[3] = val >> 24;
		}
		thv_set_pending(vcpu, THV_PENDING_SKIP, exit);
	}
	return 0;
}

/*
 * MMIO: the guest touched a guest-physical address that no memory slot
 * backs.  The hardware told us the address and whether it was a write,
 * but not the size or the register: for that we decode the instruction.
 */
static int thv_handle_mmio(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;
	struct thv_mov mov;
	u8 insn[THV_RUN_INSN_MAX];
	int n;

	if (exit->hw_insn_len) {
		n = exit->hw_insn_len;
		memcpy(insn, exit->hw_insn, n);
	} else {
		n = thv_fetch_insn(vcpu, insn, sizeof(insn));
		if (n < 0)
			n = 0;
	}

	if (!exit->npf.fetch && n && thv_decode_mov(vcpu, insn, n, &mov)) {
		/*
		 * Not a MOV form we know (e.g. OR, XCHG, STOS): hand the
		 * whole instruction to userspace, which has a complete
		 * decoder (capstone) and the device.  RIP stays on it.
		 */
		memset(&run->mmio, 0, sizeof(run->mmio));
		run->exit_reason = THV_EXIT_MMIO;
		run->mmio.phys_addr = exit->npf.gpa;
		run->mmio.is_write = exit->npf.write;
		run->mmio.user_decode = 1;
		run->mmio.insn_len = n;
		memcpy(run->mmio.insn, insn, n);
		return 0;
	}
	if (exit->npf.fetch || !n || mov.write != exit->npf.write) {
		/*
		 * Code in MMIO, bytes we could not fetch, or a decode that
		 * contradicts the hardware: data[4] the address, data[5..6]
		 * the instruction bytes (little endian), data[7] how many
		 * bytes were fetched.
		 */
		thv_internal_error(vcpu, THV_INTERNAL_EMULATION, exit);
		run->internal.data[4] = exit->npf.gpa;
		run->internal.data[5] = 0;
		run->internal.data[6] = 0;
		memcpy(&run->internal.data[5], insn, n);
		run->internal.data[7] = n;
		run->internal.ndata = 8;
		return 0;
	}

	memset(&run->mmio, 0, sizeof(run->mmio));
	run->mmio.phys_addr = exit->npf.gpa;
	run->mmio.insn_len = n;
	memcpy(run->mmio.insn, insn, n);
	run->exit_reason = THV_EXIT_MMIO;
	run->mmio.len = mov.size;
	run->mmio.is_write = mov.write;
	exit->insn_len = mov.len;
	exit->next_rip = 0;
	if (mov.write) {
		u64 val = mov.has_imm ? mov.imm :
			  thv_read_reg(vcpu, mov.reg, mov.high8, mov.size);

		memcpy(run->mmio.data, &val, mov.size);
		thv_set_pending(vcpu, THV_PENDING_SKIP, exit);
	} else {
		vcpu->pending_reg = mov.reg;
		vcpu->pending_high8 = mov.high8;
		vcpu->pending_len = mov.size;
		vcpu->pending_dst_size = mov.dst_size;
		vcpu->pending_sign = mov.sign;
		thv_set_pending(vcpu, THV_PENDING_MMIO_READ, exit);
	}
	return 0;
}

/*
 * TOUR(4.2): A nested page fault.  The guest touched a guest-physical
 * address our nested page tables do not map yet (APM Vol. 2 15.25.6,
 * #VMEXIT(NPF); SDM Vol. 3C 29.3.3, EPT violation).  If a memory slot
 * backs the address, this is just the first touch of that page: pin the
 * runner's page behind it (vm.c), map it and let the guest retry the
 * instruction, which now succeeds.  The guest never knows: to it, the
 * page was always there.
 */
static int thv_handle_npf(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_vm *vm = vcpu->vm;
	struct thv_memslot *slot;
	u64 gpa = exit->npf.gpa;
	struct page *page;
	int ret;

	/*
	 * No lock for the lookup: the slots cannot change while this vCPU
	 * is inside THV_RUN (vm->run_lock, thv.h), so an MMIO access, which
	 * comes here every time, takes no lock at all.  Mapping a page does:
	 * two vCPUs may fault on the same table at once.
	 */
	slot = thv_gpa_to_slot(vm, gpa);
	if (!slot)
		return thv_handle_mmio(vcpu, exit);
	/* First touch: pin the page behind it (vm.c). */
	page = thv_slot_page(vm, slot, (gpa - slot->gpa) >> PAGE_SHIFT);
	if (!page)
		return -EFAULT;		/* the runner unmapped its memory */
	mutex_lock(&vm->lock);
	ret = thv_mmu_map(&vm->mmu, gpa & PAGE_MASK, page_to_phys(page));
	mutex_unlock(&vm->lock);

	if (ret == -EEXIST) {
		/* Another vCPU mapped it first: fine.  Present: a bug. */
		if (!exit->npf.present)
			return 1;
		return thv_internal_error(vcpu, THV_INTERNAL_NPF_LOOP, exit);
	}
	return ret ? ret : 1;
}

/* CPUID never leaves the kernel: see cpuid.c for what the guest sees. */
static int thv_handle_cpuid(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	thv_cpuid_guest(vcpu);
	thv_skip_insn(vcpu, exit);
	return 1;
}

static int thv_handle_hlt(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	/*
	 * An interrupt is queued and IF = 1: it ends the HLT at once
	 * (unless single-stepping holds it back, debug.c).
	 */
	if (vcpu->irq_queued && (vcpu->rflags & X86_EFLAGS_IF) &&
	    thv_debug_irqs_allowed(vcpu)) {
		thv_skip_insn(vcpu, exit);
		return 1;
	}
	vcpu->run->exit_reason = THV_EXIT_HLT;
	thv_set_pending(vcpu, THV_PENDING_SKIP, exit);
	return 0;
}

/*
 * A hypercall is the guest *asking* the hypervisor for something, with a
 * number and arguments in registers: paravirtualization, as opposed to
 * trap-and-emulate where the guest does not know it is being watched.
 */
static int thv_handle_hypercall(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;
	u64 *r = vcpu->regs;

	if (thv_ops->get_cpl(vcpu) != 0) {
		/* Only the guest kernel may call the hypervisor. */
		r[THV_RAX] = (u64)-EPERM;
		thv_skip_insn(vcpu, exit);
		return 1;
	}
	run->exit_reason = THV_EXIT_HYPERCALL;
	run->hypercall.nr = r[THV_RAX];
	run->hypercall.args[0] = r[THV_RBX];
	run->hypercall.args[1] = r[THV_RCX];
	run->hypercall.args[2] = r[THV_RDX];
	run->hypercall.args[3] = r[THV_RSI];
	run->hypercall.ret = 0;
	run->hypercall.insn = exit->hc_insn;
	thv_set_pending(vcpu, THV_PENDING_HYPERCALL, exit);
	return 0;
}

/*
 * A triple fault: the guest took an exception while delivering a double
 * fault.  Real hardware would reset; here only this VM stops, and the
 * host carries on.  That is the trust boundary.
 */
static int thv_handle_shutdown(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	vcpu->shutdown = true;
	vcpu->pending = THV_PENDING_NONE;
	vcpu->run->exit_reason = THV_EXIT_SHUTDOWN;
	return 0;
}

/*
 * Exceptions we intercept only to keep the host safe (#DB and #AC could
 * otherwise loop inside the CPU forever, see CVE-2015-5307/8104) go
 * straight back to the guest.  #UD is special: it is how we see the
 * *other* vendor's hypercall instruction, which we accept too, as KVM does.
 */
static int thv_handle_rdtscp(struct thv_vcpu *vcpu, struct thv_exit *exit);

static int thv_handle_exception(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	u8 trap_len = 0;
	u8 insn[3];

	if (exit->exc.vector == X86_TRAP_UD &&
	    thv_fetch_insn(vcpu, insn, sizeof(insn)) == sizeof(insn) &&
	    insn[0] == 0x0f && insn[1] == 0x01) {
		exit->insn_len = 3;
		exit->next_rip = 0;
		if (insn[2] == 0xc1 || insn[2] == 0xd9) {
			exit->hc_insn = insn[2] == 0xc1 ? THV_HC_INSN_VMCALL :
							  THV_HC_INSN_VMMCALL;
			return thv_handle_hypercall(vcpu, exit);
		}
		/* VMX runs without "enable RDTSCP": it #UDs, we emulate. */
		if (insn[2] == 0xf9)
			return thv_handle_rdtscp(vcpu, exit);
	}
	/*
	 * #BP and #OF stop at the instruction that raised them (both
	 * vendors report RIP at INT3/INTO when intercepted): a delivery
	 * must return past it, so we need its length.  CC is INT3, CE
	 * INTO, CD 03 the two-byte INT 3.
	 */
	if (exit->exc.vector == X86_TRAP_BP ||
	    exit->exc.vector == X86_TRAP_OF) {
		if (thv_fetch_insn(vcpu, insn, 2) < 1)
			return thv_internal_error(vcpu,
				THV_INTERNAL_UNHANDLED_EXIT, exit);
		trap_len = insn[0] == 0xcd ? 2 : 1;
	}
	if (vcpu->user_exceptions & BIT(exit->exc.vector)) {
		struct thv_run *run = vcpu->run;

		memset(&run->exception, 0, sizeof(run->exception));
		run->exit_reason = THV_EXIT_EXCEPTION;
		run->exception.vector = exit->exc.vector;
		run->exception.has_error_code = exit->exc.has_error_code;
		run->exception.error_code = exit->exc.error_code;
		run->exception.cr2 = exit->exc.cr2;
		vcpu->pending_exc.vector = exit->exc.vector;
		vcpu->pending_exc.has_error_code = exit->exc.has_error_code;
		vcpu->pending_exc.error_code = exit->exc.error_code;
		vcpu->pending_exc.cr2 = exit->exc.cr2;
		vcpu->pending_exc.trap_len = trap_len;
		vcpu->pending = THV_PENDING_EXCEPTION;
		return 0;
	}
	/* A trap (only single-stepping intercepts #BP/#OF for itself). */
	vcpu->rip += trap_len;
	thv_deliver_exception(vcpu, exit->exc.vector, exit->exc.has_error_code,
			      exit->exc.error_code, exit->exc.cr2);
	return 1;
}

/*
 * INT3 (cc), INTO (ce) or INT n (cd nn) stopped by an INTn intercept
 * (SVM under QEMU, see svm_set_exception_intercepts).  INT3 and INTO
 * are #BP and #OF, exceptions userspace asked to see; INT n goes on to
 * the guest's IDT as if nothing had happened.
 */
static int thv_handle_soft_int(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	u8 insn[2];
	int n = thv_fetch_insn(vcpu, insn, sizeof(insn));

	if (n >= 1 && (insn[0] == 0xcc || insn[0] == 0xce)) {
		exit->exc.vector = insn[0] == 0xcc ? X86_TRAP_BP : X86_TRAP_OF;
		exit->exc.has_error_code = false;
		return thv_handle_exception(vcpu, exit);
	}
	if (n < 2 || insn[0] != 0xcd || !thv_ops->inject_soft_int)
		return thv_internal_error(vcpu, THV_INTERNAL_UNHANDLED_EXIT,
					  exit);
	thv_ops->inject_soft_int(vcpu, insn[1], 2);
	return 1;
}

/* An instruction guests may not use here (e.g. VMRUN): raise exc.vector. */
static int thv_handle_denied(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	thv_ops->inject_exception(vcpu, exit->exc.vector,
				  exit->exc.has_error_code,
				  exit->exc.error_code);
	return 1;
}

static int thv_handle_skip(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	thv_skip_insn(vcpu, exit);
	return 1;
}

/*
 * A control-register access the backend intercepts (on VMX: CR0/CR4 bits
 * the hypervisor owns, and CR8).  Outside 64-bit mode MOV CR moves 32
 * bits (SDM Vol. 2B, MOV - Move to/from Control Registers).
 */
static int thv_handle_cr(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	bool wide = thv_ops->get_efer(vcpu) & EFER_LMA;
	u64 val;

	if (!thv_ops->get_cr || !thv_ops->set_cr)
		return thv_internal_error(vcpu, THV_INTERNAL_UNHANDLED_EXIT,
					  exit);
	if (!exit->cr.write) {
		val = thv_ops->get_cr(vcpu, exit->cr.nr);
		vcpu->regs[exit->cr.gpr & 15] = wide ? val : (u32)val;
	} else {
		val = exit->cr.has_value ? exit->cr.value :
					   vcpu->regs[exit->cr.gpr & 15];
		if (thv_ops->set_cr(vcpu, exit->cr.nr, wide ? val : (u32)val)) {
			thv_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
			return 1;
		}
	}
	thv_skip_insn(vcpu, exit);
	return 1;
}

/*
 * RDTSCP: the TSC as the guest sees it (with its offset, as RDTSC gets
 * from the hardware) and IA32_TSC_AUX in ECX (SDM Vol. 2B RDTSCP).  It is
 * emulated rather than run natively because natively ECX would be the
 * host's TSC_AUX: on Linux, the number of the host CPU we run on.
 */
static int thv_handle_rdtscp(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	u64 tsc = rdtsc_ordered() + vcpu->tsc_offset;

	vcpu->regs[THV_RAX] = (u32)tsc;
	vcpu->regs[THV_RDX] = tsc >> 32;
	vcpu->regs[THV_RCX] = vcpu->tsc_aux;
	thv_skip_insn(vcpu, exit);
	return 1;
}

/*
 * PAUSE says "I am spinning on a lock".  With one vCPU nobody else in
 * the VM can release it, but the host may have better things to do: the
 * run loop gives the CPU away (cond_resched) before the next entry.
 */
static int thv_handle_pause(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	thv_skip_insn(vcpu, exit);
	return 1;
}

/*
 * MOV to/from DR0-7 (SDM Vol. 3B 18.2, APM Vol. 2 13.1).  The values are
 * kept per vCPU but never loaded into the real debug registers: the
 * guest sees its breakpoints read back, but they do not fire (thv uses
 * #DB itself and does not switch DR0-3 around entry).  Encoding: 0f 21
 * /r reads, 0f 23 /r writes; ModRM.reg is the DR, ModRM.rm the GPR.
 */
static int thv_decode_mov_dr(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	u8 insn[THV_RUN_INSN_MAX];
	int n = thv_fetch_insn(vcpu, insn, sizeof(insn));
	int i = 0;
	u8 rex = 0;

	while (i < n && (insn[i] == 0x66 || insn[i] == 0x67 ||
			 insn[i] == 0x2e || insn[i] == 0x3e ||
			 insn[i] == 0x26 || insn[i] == 0x36 ||
			 insn[i] == 0x64 || insn[i] == 0x65))
		i++;
	if (i < n && (insn[i] & 0xf0) == 0x40 && thv_insn_mode(vcpu) == 8)
		rex = insn[i++];
	if (i + 3 > n || insn[i] != 0x0f ||
	    (insn[i + 1] != 0x21 && insn[i + 1] != 0x23))
		return -EINVAL;
	exit->dr.gpr = (insn[i + 2] & 7) | ((rex & 1) << 3);
	exit->insn_len = i + 3;
	exit->next_rip = 0;
	return 0;
}

static int thv_handle_dr(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	bool wide = thv_ops->get_efer(vcpu) & EFER_LMA;
	int nr = exit->dr.nr;
	u64 val;

	if (exit->dr.gpr == THV_DR_GPR_UNKNOWN && thv_decode_mov_dr(vcpu, exit))
		return thv_internal_error(vcpu, THV_INTERNAL_UNHANDLED_EXIT,
					  exit);
	/* Only CPL 0 may touch debug registers. */
	if (thv_ops->get_cpl(vcpu) != 0) {
		thv_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	/* DR4/DR5 are DR6/DR7 while CR4.DE = 0; DE is never set here. */
	if (nr == 4 || nr == 5)
		nr += 2;
	if (nr > 7) {
		thv_ops->inject_exception(vcpu, X86_TRAP_UD, false, 0);
		return 1;
	}
	if (!exit->dr.write) {
		val = nr < 4 ? vcpu->dr[nr] : nr == 6 ? vcpu->dr6 : vcpu->dr7;
		vcpu->regs[exit->dr.gpr & 15] = wide ? val : (u32)val;
	} else {
		val = vcpu->regs[exit->dr.gpr & 15];
		if (!wide)
			val = (u32)val;
		/* DR6/DR7 bits 63:32 must be zero (SDM 18.2.4, 18.2.6). */
		if (nr >= 6 && (val >> 32)) {
			thv_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
			return 1;
		}
		if (nr < 4)
			vcpu->dr[nr] = val;
		else if (nr == 6)
			vcpu->dr6 = (val & 0xe00f) | 0xffff0ff0;
		else
			vcpu->dr7 = (val & 0xffff2bff) | 0x400;
	}
	thv_skip_insn(vcpu, exit);
	return 1;
}

/*
 * XSETBV (SDM Vol. 2C XSETBV, Vol. 1 13.3): only XCR0 exists; CPL 0;
 * bit 0 (x87) always set; AVX state needs SSE state; nothing thv cannot
 * switch (fpu.c: x87, SSE).  Anything else is #GP, as on the CPU.
 */
static int thv_handle_xsetbv(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	u64 *r = vcpu->regs;
	u64 val = (r[THV_RDX] << 32) | (u32)r[THV_RAX];

	if (!thv_guest_osxsave(vcpu)) {
		thv_ops->inject_exception(vcpu, X86_TRAP_UD, false, 0);
		return 1;
	}
	if (thv_ops->get_cpl(vcpu) != 0 || (u32)r[THV_RCX] != 0 ||
	    !(val & XFEATURE_MASK_FP) || (val & ~thv_xfeatures) ||
	    ((val & XFEATURE_MASK_YMM) && !(val & XFEATURE_MASK_SSE))) {
		thv_ops->inject_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	vcpu->xcr0 = val;
	thv_skip_insn(vcpu, exit);
	return 1;
}

static int thv_handle_fail_entry(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;

	run->exit_reason = THV_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_entry_failure_reason = exit->raw_reason;
	run->fail_entry.reason = exit->fail.reason;
	run->fail_entry.vm_instruction_error = exit->fail.vm_insn_error;
	return 0;
}

/*
 * THV_DEBUG_SINGLESTEP: the guest ran one instruction (or took one
 * event) and stopped: a monitor-trap-flag exit, or the #DB from our TF
 * (SVM, VMX without MTF).  RIP is at the next instruction to run
 * (debug.c).
 */
static int thv_handle_step(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	return thv_debug_report_step(vcpu, exit->step.dr6);
}

static int thv_handle_unhandled(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	return thv_internal_error(vcpu, THV_INTERNAL_UNHANDLED_EXIT, exit);
}

typedef int (*thv_exit_handler_t)(struct thv_vcpu *vcpu,
				  struct thv_exit *exit);

static const thv_exit_handler_t thv_exit_handlers[THV_X_NR] = {
	[THV_X_NOTHING]		= thv_handle_nothing,
	[THV_X_HOST_INTR]	= thv_handle_nothing,
	[THV_X_IO]		= thv_handle_io,
	[THV_X_NPF]		= thv_handle_npf,
	[THV_X_CPUID]		= thv_handle_cpuid,
	[THV_X_HLT]		= thv_handle_hlt,
	[THV_X_HYPERCALL]	= thv_handle_hypercall,
	[THV_X_MSR]		= thv_handle_msr,
	[THV_X_SHUTDOWN]	= thv_handle_shutdown,
	[THV_X_EXCEPTION]	= thv_handle_exception,
	[THV_X_DENIED_INSN]	= thv_handle_denied,
	[THV_X_SKIP_INSN]	= thv_handle_skip,
	[THV_X_CR]		= thv_handle_cr,
	[THV_X_IRQ_WINDOW]	= thv_handle_irq_window,
	[THV_X_RDTSCP]		= thv_handle_rdtscp,
	[THV_X_PAUSE]		= thv_handle_pause,
	[THV_X_DR]		= thv_handle_dr,
	[THV_X_SOFT_INT]	= thv_handle_soft_int,
	[THV_X_XSETBV]		= thv_handle_xsetbv,
	[THV_X_FAIL_ENTRY]	= thv_handle_fail_entry,
	[THV_X_UNHANDLED]	= thv_handle_unhandled,
	[THV_X_STEP]		= thv_handle_step,
};

/*
 * TOUR(7.2 __thv_exit_fastpath): The fast path.  Going back through the run
 * loop costs more than most in-kernel exits themselves: the guest's FPU
 * and XCR0 are put away and loaded again, interrupts are let in, the
 * loop's checks run.  An exit that needs only the vCPU's registers is
 * handled right after the world switch instead, with interrupts still
 * held (GIF = 0 on SVM, IF = 0 on VMX), and the backend enters the
 * guest again at once.  Nothing is lost by waiting: an interrupt that
 * arrives meanwhile stays pending and makes the next entry exit at once
 * (SVM's INTR intercept, VMX's external-interrupt exiting), and that
 * exit takes the slow way, through signal checks and cond_resched().
 * KVM does the same for some MSR writes (its "fastpath", x86.c).
 *
 * Only CPUID goes this way, and only when nothing else is waiting:
 * no event to inject, no interrupt window, no stepping or debug
 * reporting, no request to stop.  Everything an exit owes is still
 * paid: the exit counted, its time and tracepoints (stats.c).
 *
 * And never for long: after THV_FASTPATH_MAX exits in a row the run loop
 * takes over once, interrupts are let in and the budget starts again
 * (vcpu.c).  On hardware the pending interrupt would end the streak
 * anyway; Bochs 2.7 does not make a VM exit for a host interrupt while
 * the guest has EFLAGS.IF = 0 (vmx.c, VMX_PREEMPT_US), and its
 * VMX-preemption timer starts afresh at every entry, so a guest doing
 * nothing but CPUID with interrupts off would keep the host's
 * interrupts out for good.
 */
bool __thv_exit_fastpath(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;

	if (!vcpu->fast_left)
		return false;
	vcpu->fast_left--;
	if (vcpu->debug_flags ||
	    vcpu->exc_queued || vcpu->irq_queued ||
	    READ_ONCE(run->request_interrupt_window) ||
	    READ_ONCE(run->request_immediate_exit) ||
	    signal_pending(current))
		return false;
	vcpu->exits++;
	thv_stats_exit(vcpu, exit);
	thv_handle_cpuid(vcpu, exit);
	thv_stats_entry(vcpu);
	return true;
}

int thv_handle_exit(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_run *run = vcpu->run;
	u64 exit_rip = vcpu->rip;
	struct thv_debug_snap snap;
	u32 kind = exit->kind;
	int ret;

	if (kind >= THV_X_NR || !thv_exit_handlers[kind])
		kind = THV_X_UNHANDLED;
	kind = array_index_nospec(kind, THV_X_NR);
	thv_debug_snap(vcpu, &snap);
	/* The I/O exit by name: an indirect call costs a retpoline. */
	if (kind == THV_X_IO)
		ret = thv_handle_io(vcpu, exit);
	else
		ret = thv_exit_handlers[kind](vcpu, exit);
	/* THV_SET_GUEST_DEBUG: end of a step, or THV_EXIT_KERNEL (debug.c). */
	if (ret == 1 && vcpu->debug_flags)
		ret = thv_debug_handled(vcpu, exit, &snap);

	if (ret == 0) {
		run->hw_exit_valid = 1;
		run->hw_exit_reason = exit->raw_reason;
		run->hw_exit_info1 = exit->info1;
		run->hw_exit_info2 = exit->info2;
		run->exit_rip = exit_rip;
	}
	return ret;
}
