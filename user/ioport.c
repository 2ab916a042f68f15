// SPDX-License-Identifier: GPL-2.0
/*
 * ioport.c - the port I/O bus: devices claim a range of ports, the vCPU
 * loop hands each THV_EXIT_IO access to the device that owns the port.
 *
 * x86 has a separate 64 KiB I/O address space reached only by IN/OUT
 * (APM Vol. 1 3.9, Vol. 2 13 "Input/Output").  The SVM IOPM makes every
 * port intercepted, so each access the guest makes comes out here.
 * A port nobody claims behaves like an empty ISA bus: reads give all
 * ones, writes vanish.  With --strict such an access ends the run
 * instead (status 79): a guest that pokes a device the platform does not
 * have is usually a guest with a bug.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "thv.h"

#define IOPORT_MAX_DEVS	16

static struct ioport_dev *ioport_devs[IOPORT_MAX_DEVS];
static unsigned int ioport_nr_devs;

static bool ioport__overlaps(const struct ioport_dev *a,
			     const struct ioport_dev *b)
{
	return a->base < b->base + b->len && b->base < a->base + a->len;
}

int ioport__register(struct ioport_dev *dev)
{
	unsigned int i;

	if (!dev->len || (uint32_t)dev->base + dev->len > 0x10000)
		return -EINVAL;
	if (ioport_nr_devs == IOPORT_MAX_DEVS)
		return -ENOSPC;
	for (i = 0; i < ioport_nr_devs; i++)
		if (ioport__overlaps(ioport_devs[i], dev))
			return -EBUSY;
	ioport_devs[ioport_nr_devs++] = dev;
	return 0;
}

static struct ioport_dev *ioport__find(uint16_t port)
{
	unsigned int i;

	for (i = 0; i < ioport_nr_devs; i++) {
		struct ioport_dev *dev = ioport_devs[i];

		if (port >= dev->base && port - dev->base < dev->len)
			return dev;
	}
	return NULL;
}

/*
 * TOUR(8.4): The port bus.  Find the device that claimed the port and let
 * it act: for the UART at 0x3f8 an OUT prints a character.  This is the
 * "emulator" half of trap-and-emulate: the CPU trapped, the kernel
 * reported, and ordinary C code in a process plays the hardware.
 */
const char *ioport__dispatch(struct thv_runner *r, uint16_t port,
			     uint8_t *data, unsigned int size, bool is_write,
			     char *desc, size_t desc_len)
{
	struct ioport_dev *dev = ioport__find(port);

	if (desc_len)
		desc[0] = '\0';
	if (!dev) {
		r->unclaimed_io++;
		if (!is_write)
			memset(data, 0xff, size);
		if (r->opt.strict && !r->done) {
			thv_err("strict: %s of unclaimed port 0x%x, size %u, "
				"at rip 0x%" PRIx64, is_write ? "OUT" : "IN",
				port, size, (uint64_t)r->vm.run->exit_rip);
			runner__finish(r, THV_STATUS_STRICT, "guest stopped: "
				       "unclaimed port 0x%x (--strict)", port);
		}
		return NULL;
	}
	dev->io(r, dev, port, data, size, is_write, desc, desc_len);
	return dev->name;
}
