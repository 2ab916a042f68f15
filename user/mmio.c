// SPDX-License-Identifier: GPL-2.0
/*
 * mmio.c - the MMIO bus: devices claim a guest-physical range that no
 * memory slot backs.
 *
 * How an MMIO access reaches us: the guest touches a guest-physical
 * address that has no entry in the nested page tables, the CPU takes a
 * nested page fault (#VMEXIT NPF, APM Vol. 2 15.25.6), and thv.ko decodes
 * the MOV instruction into thv_run.mmio (address, length, data).  We
 * complete the access here; for a read the kernel puts run->mmio.data
 * into the destination register on the next THV_RUN.  Any other
 * instruction (OR, XCHG, REP STOS, ...) comes with mmio.user_decode = 1:
 * vcpu.c emulates it with libthv's thv_mmio_emulate(), whose device
 * accesses come back here one by one.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "thv.h"

#define MMIO_MAX_DEVS	16

static struct mmio_dev *mmio_devs[MMIO_MAX_DEVS];
static unsigned int mmio_nr_devs;

int mmio__register(struct mmio_dev *dev)
{
	unsigned int i;

	if (!dev->len || dev->base + dev->len < dev->base)
		return -EINVAL;
	if (mmio_nr_devs == MMIO_MAX_DEVS)
		return -ENOSPC;
	for (i = 0; i < mmio_nr_devs; i++) {
		struct mmio_dev *o = mmio_devs[i];

		if (dev->base < o->base + o->len && o->base < dev->base + dev->len)
			return -EBUSY;
	}
	mmio_devs[mmio_nr_devs++] = dev;
	return 0;
}

static struct mmio_dev *mmio__find(uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < mmio_nr_devs; i++) {
		struct mmio_dev *dev = mmio_devs[i];

		if (gpa >= dev->base && gpa - dev->base < dev->len)
			return dev;
	}
	return NULL;
}

const char *mmio__dispatch(struct thv_runner *r, uint64_t gpa, uint8_t *data,
			   unsigned int len, bool is_write,
			   char *desc, size_t desc_len)
{
	struct mmio_dev *dev = mmio__find(gpa);

	if (desc_len)
		desc[0] = '\0';
	if (!dev) {
		/* Like a bus with nothing on it: all ones, writes dropped. */
		r->unclaimed_mmio++;
		if (!is_write)
			memset(data, 0xff, len);
		/* --strict: see ioport.c. */
		if (r->opt.strict && !r->done) {
			thv_err("strict: MMIO %s of unclaimed gpa 0x%" PRIx64
				", size %u, at rip 0x%" PRIx64,
				is_write ? "write" : "read", gpa, len,
				(uint64_t)r->vm.run->exit_rip);
			runner__finish(r, THV_STATUS_STRICT, "guest stopped: "
				       "unclaimed MMIO at 0x%" PRIx64
				       " (--strict)", gpa);
		}
		return NULL;
	}
	dev->mmio(r, dev, gpa - dev->base, data, len, is_write, desc, desc_len);
	return dev->name;
}

int mmio__region(uint64_t gpa, uint64_t *base, uint64_t *len)
{
	struct mmio_dev *dev = mmio__find(gpa);

	if (!dev)
		return -ENOENT;
	*base = dev->base;
	*len = dev->len;
	return 0;
}
