// SPDX-License-Identifier: GPL-2.0
/*
 * msr.c - the MSR bus: devices claim a range of MSR numbers, the vCPU
 * loop hands each THV_EXIT_MSR to the device that owns the index.
 *
 * thv.ko emulates the architectural MSRs a kernel needs (EFER, STAR,
 * PAT, APIC_BASE, ...) by itself; every other RDMSR/WRMSR comes out here
 * (include/uapi/thv.h, THV_EXIT_MSR).  The local APIC claims the x2APIC
 * range 0x800-0x8ff (SDM Vol. 3A 11.12.1.2).  An MSR nobody claims gets
 * #GP, as on a CPU that does not have it (SDM Vol. 2B, RDMSR: "If ECX
 * specifies a reserved or unimplemented MSR address ... #GP(0)").
 */
#include <errno.h>
#include <string.h>

#include "thv.h"

#define MSR_MAX_DEVS	8

static struct msr_dev *msr_devs[MSR_MAX_DEVS];
static unsigned int msr_nr_devs;

int msr__register(struct msr_dev *dev)
{
	unsigned int i;

	if (!dev->len || (uint64_t)dev->base + dev->len > 0x100000000ULL)
		return -EINVAL;
	if (msr_nr_devs == MSR_MAX_DEVS)
		return -ENOSPC;
	for (i = 0; i < msr_nr_devs; i++) {
		struct msr_dev *o = msr_devs[i];

		if ((uint64_t)dev->base < (uint64_t)o->base + o->len &&
		    (uint64_t)o->base < (uint64_t)dev->base + dev->len)
			return -EBUSY;
	}
	msr_devs[msr_nr_devs++] = dev;
	return 0;
}

const char *msr__dispatch(struct thv_runner *r, uint32_t index,
			  uint64_t *data, bool is_write, int *gp,
			  char *desc, size_t desc_len)
{
	unsigned int i;

	if (desc_len)
		desc[0] = '\0';
	for (i = 0; i < msr_nr_devs; i++) {
		struct msr_dev *dev = msr_devs[i];

		if (index >= dev->base && index - dev->base < dev->len) {
			*gp = dev->msr(r, dev, index, data, is_write, desc,
				       desc_len) < 0;
			return dev->name;
		}
	}
	*gp = 1;
	return NULL;
}
