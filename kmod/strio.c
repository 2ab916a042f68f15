// SPDX-License-Identifier: GPL-2.0
/*
 * strio.c - string port I/O: INS and OUTS, with and without REP.
 *
 * OUTSB/W/D writes the element at DS:rSI to port DX, then moves rSI by
 * its size (down when EFLAGS.DF is set); INSB/W/D reads port DX into
 * ES:rDI and moves rDI.  With REP the CPU repeats that rCX times,
 * counting rCX down (SDM Vol. 2 "INS", "OUTS", "REP"; APM Vol. 3).
 *
 * The exit tells us port, size, direction and that it was a string
 * instruction (both vendors decode that at the boundary).  The rest is
 * the same on both, so it is done here: the address size and a segment
 * override come from the instruction's prefixes, the memory operand is a
 * guest-linear address that we translate through the guest's own page
 * tables (emulate.c), and the data goes to userspace as an ordinary IO
 * exit with io.count > 1: userspace sees a run of elements, as in KVM.
 *
 * A long REP is done in chunks of at most what fits in the run area's
 * data part.  After a chunk, rSI/rDI and rCX move on; if rCX is not yet
 * 0, RIP stays on the instruction, so the guest executes it again and
 * exits for the next chunk, and interrupts can arrive in between, as on
 * real hardware, which also interrupts a REP between iterations.
 */
#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include "thv.h"

#define THV_STRIO_DATA_MAX	(THV_RUN_SIZE - THV_RUN_IO_DATA_OFFSET)

static u64 thv_asize_mask(u8 asize)
{
	return asize == 8 ? ~0ULL : (1ULL << (asize * 8)) - 1;
}

/*
 * reg = reg + delta in the low asize bytes, the way the CPU updates rSI,
 * rDI and rCX: a 16-bit update keeps bits 63:16, a 32-bit one clears
 * bits 63:32 (as every 32-bit register write in 64-bit mode does).
 */
static u64 thv_addr_add(u64 reg, s64 delta, u8 asize)
{
	u64 mask = thv_asize_mask(asize);
	u64 v = (reg + delta) & mask;

	return asize == 2 ? (reg & ~mask) | v : v;
}

/* The segment a prefix names, or NULL for none (SDM Vol. 2 2.1.1). */
static const struct thv_segment *thv_seg_prefix(const struct thv_sregs *s,
						u8 b)
{
	switch (b) {
	case 0x26: return &s->es;
	case 0x2e: return &s->cs;
	case 0x36: return &s->ss;
	case 0x3e: return &s->ds;
	case 0x64: return &s->fs;
	case 0x65: return &s->gs;
	}
	return NULL;
}

/*
 * Give up on this one: the guest stays on the instruction and userspace
 * learns why (data[4]: the linear address that is not RAM, or 0 when
 * the instruction bytes could not be read or were not INS/OUTS).
 */
static int thv_strio_fail(struct thv_vcpu *vcpu, struct thv_exit *exit,
			  u64 linear)
{
	struct thv_run *run = vcpu->run;

	thv_internal_error(vcpu, THV_INTERNAL_STRING_IO, exit);
	run->internal.data[4] = linear;
	run->internal.ndata = 5;
	return 0;
}

int thv_handle_string_io(struct thv_vcpu *vcpu, struct thv_exit *exit)
{
	struct thv_strio *st = &vcpu->pending_str;
	struct thv_run *run = vcpu->run;
	const struct thv_segment *seg = NULL;
	bool long64;
	struct thv_sregs s;
	u8 insn[15];
	u64 count, base, linear;
	u8 *data;
	int n, i, mode;
	u32 k;

	thv_ops->get_sregs(vcpu, &s);
	mode = thv_insn_mode(vcpu);
	long64 = mode == 8;

	memset(st, 0, sizeof(*st));
	st->in = exit->io.in;
	st->rep = exit->io.rep;
	st->size = exit->io.size;
	st->asize = mode;
	/* Prefixes: address size (67) and a segment override (OUTS only). */
	n = thv_fetch_insn(vcpu, insn, sizeof(insn));
	for (i = 0; i < n; i++) {
		if (insn[i] == 0x67)
			st->asize = mode == 4 ? 2 : 4;
		else if (thv_seg_prefix(&s, insn[i]))
			seg = thv_seg_prefix(&s, insn[i]);
		else if (long64 && (insn[i] & 0xf0) == 0x40)
			continue;		/* REX: no meaning here */
		else if (insn[i] != 0x66 && insn[i] != 0xf2 &&
			 insn[i] != 0xf3 && insn[i] != 0xf0)
			break;
	}
	if (n <= 0 || i == n || (insn[i] & 0xfc) != 0x6c)
		return thv_strio_fail(vcpu, exit, 0);	/* not INS/OUTS */

	count = st->rep ? vcpu->regs[THV_RCX] & thv_asize_mask(st->asize) : 1;
	if (!count) {
		/* REP with rCX = 0 does nothing at all. */
		thv_skip_insn(vcpu, exit);
		return 1;
	}
	/* INS always writes ES:rDI; OUTS reads DS:rSI unless overridden. */
	st->reg = st->in ? THV_RDI : THV_RSI;
	if (st->in || !seg)
		seg = st->in ? &s.es : &s.ds;
	/* In 64-bit mode only FS and GS have a base (SDM Vol. 3A 3.4.4). */
	base = (long64 && seg != &s.fs && seg != &s.gs) ? 0 : seg->base;
	linear = base + (vcpu->regs[st->reg] & thv_asize_mask(st->asize));
	if (!long64)
		linear &= 0xffffffffULL;
	st->linear = linear;
	st->step = (vcpu->rflags & X86_EFLAGS_DF) ? -(s64)st->size : st->size;
	st->count = min_t(u64, count, THV_STRIO_DATA_MAX / st->size);

	data = (u8 *)run + THV_RUN_IO_DATA_OFFSET;
	if (st->in) {
		memset(data, 0xff, st->count * st->size);
	} else {
		for (k = 0; k < st->count; k++) {
			u64 at = linear + k * st->step;

			if (!long64)
				at &= 0xffffffffULL;
			if (thv_copy_guest_linear(vcpu, &s, at,
						  data + k * st->size,
						  st->size, false))
				return thv_strio_fail(vcpu, exit, at);
		}
	}

	run->exit_reason = THV_EXIT_IO;
	run->io.direction = st->in ? THV_EXIT_IO_IN : THV_EXIT_IO_OUT;
	run->io.size = st->size;
	run->io.port = exit->io.port;
	run->io.count = st->count;
	run->io.data_offset = THV_RUN_IO_DATA_OFFSET;
	thv_set_pending(vcpu, THV_PENDING_STRING_IO, exit);
	return 0;
}

/*
 * The next RUN: INS stores what userspace put in the data area, then
 * rSI/rDI and rCX move on, and RIP too once the REP is done.  Memory the
 * guest's page tables stopped mapping in the meantime (userspace replaced
 * a region) is skipped: the elements are lost, the registers still move.
 */
void thv_string_io_complete(struct thv_vcpu *vcpu)
{
	struct thv_strio *st = &vcpu->pending_str;
	u8 *data = (u8 *)vcpu->run + THV_RUN_IO_DATA_OFFSET;
	bool long64 = thv_insn_mode(vcpu) == 8;
	struct thv_sregs s;
	u64 rcx;
	u32 k;

	if (st->in) {
		thv_ops->get_sregs(vcpu, &s);
		for (k = 0; k < st->count; k++) {
			u64 at = st->linear + k * st->step;

			if (!long64)
				at &= 0xffffffffULL;
			thv_copy_guest_linear(vcpu, &s, at, data + k * st->size,
					      st->size, true);
		}
	}
	vcpu->regs[st->reg] = thv_addr_add(vcpu->regs[st->reg],
					   st->step * st->count, st->asize);
	if (st->rep) {
		rcx = thv_addr_add(vcpu->regs[THV_RCX], -(s64)st->count,
				   st->asize);
		vcpu->regs[THV_RCX] = rcx;
		if (rcx & thv_asize_mask(st->asize))
			return;		/* more to do: run it again */
	}
	vcpu->rip = vcpu->pending_next_rip;
}
