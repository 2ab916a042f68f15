// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - what every VM exit costs: the exit counters and the
 * thv_entry/thv_exit tracepoints.
 *
 * Counting exits.  Every VM exit is a trip from the guest (non-root
 * mode) into the hypervisor (root mode) and back.  The trip
 * itself costs hundreds of cycles (the CPU saves one world and loads the
 * other, APM Vol. 2 15.5 / SDM Vol. 3C 28 and 29), and then the
 * hypervisor does its work: a CPUID is answered in the kernel in a
 * microsecond, an OUT to a device in userspace costs a return to the
 * runner and a new THV_RUN.  These counters show where a guest's time
 * goes: for each exit kind, how many and how many nanoseconds from the
 * exit to the next entry of the same vCPU.
 *
 * The run loop (vcpu.c) calls thv_stats_exit() right after every exit
 * and thv_stats_entry() right before every entry.  Both are on the hot
 * path: no lock, no allocation, no printk.  Each vCPU writes only its own
 * counters; readers (THV_GET_EXIT_STATS, debugfs) take vm->lock, which
 * keeps vCPUs from going away, and may see a count one exit old: a 64-bit
 * aligned store is atomic on x86-64, so never a torn one.
 */
#include <linux/clocksource.h>
#include <linux/uaccess.h>
#include <asm/tsc.h>
#include "thv.h"

#define CREATE_TRACE_POINTS
#include "stats.h"

#define THV_KIND_NAME(k, name)	[THV_KIND_##k] = name

const char * const thv_kind_names[THV_KIND_NR] = {
	THV_KIND_NAMES(THV_KIND_NAME)
};

/* The exit clock (stats.h): the TSC, where the kernel knows its rate. */
bool thv_stats_tsc;
u32 thv_tsc_mult, thv_tsc_shift;

/* Called once at module load. */
void thv_stats_setup(void)
{
	if (!boot_cpu_has(X86_FEATURE_TSC) || !tsc_khz)
		return;
	/* cycles per ms (tsc_khz) to ns per ms */
	clocks_calc_mult_shift(&thv_tsc_mult, &thv_tsc_shift, tsc_khz,
			       NSEC_PER_MSEC, 3600);
	thv_stats_tsc = true;
}

/* A vCPU is closing (vm->lock held): its exits still count for the VM. */
void thv_stats_retire(struct thv_vcpu *vcpu)
{
	struct thv_exit_counters *r = &vcpu->vm->retired;
	int k;

	for (k = 0; k < THV_KIND_NR; k++) {
		r->count[k] += vcpu->stats.count[k];
		r->ns[k] += vcpu->stats.ns[k];
	}
}

/* All exits of the VM, closed vCPUs included.  Caller holds vm->lock. */
void thv_stats_sum(struct thv_vm *vm, struct thv_exit_counters *sum)
{
	int i, k;

	*sum = vm->retired;
	for (i = 0; i < THV_MAX_VCPUS; i++) {
		struct thv_vcpu *vcpu = vm->vcpus[i];

		if (!vcpu)
			continue;
		for (k = 0; k < THV_KIND_NR; k++) {
			sum->count[k] += READ_ONCE(vcpu->stats.count[k]);
			sum->ns[k] += READ_ONCE(vcpu->stats.ns[k]);
		}
	}
}

/* THV_GET_EXIT_STATS (VM fd). */
int thv_get_exit_stats(struct thv_vm *vm, struct thv_exit_stats __user *arg)
{
	struct thv_exit_stats st = { .nr_kinds = THV_KIND_NR };
	struct thv_exit_counters sum;
	int k;

	BUILD_BUG_ON(THV_KIND_NR > ARRAY_SIZE(st.count));
	mutex_lock(&vm->lock);
	thv_stats_sum(vm, &sum);
	mutex_unlock(&vm->lock);

	for (k = 0; k < THV_KIND_NR; k++) {
		st.count[k] = sum.count[k];
		st.ns[k] = sum.ns[k];
		st.exits += sum.count[k];
	}
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}
