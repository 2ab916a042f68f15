/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the two calls every VM exit makes, thv_stats_exit() right
 * after it and thv_stats_entry() right before the next entry (stats.c
 * says what they count).  They are inline: make bench counts every
 * instruction of an exit handled in the kernel, and these run on each.
 */
#ifndef THV_STATS_H
#define THV_STATS_H

#include <linux/ktime.h>
#include <linux/math64.h>
#include <asm/msr.h>
#include "thv.h"
#include "trace.h"

extern bool thv_stats_tsc;
extern u32 thv_tsc_mult, thv_tsc_shift;

/*
 * The clock of the exit timestamps: the TSC itself, one RDTSC, converted
 * to nanoseconds with a multiply and a shift only when time is added up.
 * ktime_get_ns() costs about 50 instructions, twice per exit: make bench
 * counts them.  Where the kernel knows no TSC frequency, ktime_get_ns().
 * (TSCs of different CPUs may differ a little: thv_stats_entry() allows
 * for a thread that migrated.)
 */
static inline u64 thv_stats_clock(void)
{
	return thv_stats_tsc ? rdtsc() : ktime_get_ns();
}

static inline u64 thv_stats_to_ns(u64 delta)
{
	return thv_stats_tsc ?
	       mul_u64_u32_shr(delta, thv_tsc_mult, thv_tsc_shift) : delta;
}

static inline void thv_stats_entry(struct thv_vcpu *vcpu)
{
	u64 then = vcpu->stats_exit_ns;

	/* The time since the last exit belongs to that exit's kind. */
	if (then) {
		u32 kind = vcpu->stats_exit_kind;
		u64 now = thv_stats_clock();

		/* A migrated thread may see another CPU's clock a bit behind. */
		if (now > then)
			WRITE_ONCE(vcpu->stats.ns[kind],
				   vcpu->stats.ns[kind] +
				   thv_stats_to_ns(now - then));
		vcpu->stats_exit_ns = 0;
	}
	trace_thv_entry(vcpu->id, vcpu->rip);
}

static inline void thv_stats_exit(struct thv_vcpu *vcpu,
				  const struct thv_exit *exit)
{
	u32 kind = exit->kind < THV_KIND_NR ? exit->kind : THV_KIND_UNHANDLED;

	vcpu->stats_exit_ns = thv_stats_clock() ?: 1;
	vcpu->stats_exit_kind = kind;
	WRITE_ONCE(vcpu->stats.count[kind], vcpu->stats.count[kind] + 1);
	trace_thv_exit(vcpu->id, kind, exit->raw_reason, vcpu->rip,
		       exit->info1, exit->info2, thv_ops->backend);
}

#endif /* THV_STATS_H */
