// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_demo.c - a tiny memory-mapped device at guest-physical 0xd0000000.
 *
 * It exists to show MMIO: no RAM backs these addresses, so every load or
 * store the guest makes here exits to userspace (THV_EXIT_MMIO) and this
 * file decides what it means.  Registers, 32 bits each (little-endian;
 * narrower reads return the low bytes of the register):
 *
 *   0xd0000000  MAGIC    read-only, 0x21564854 ("THV!" in memory order)
 *   0xd0000004  COUNTER  read-only, 1, 2, 3, ...: each read counts up
 *   0xd0000008  SCRATCH  read/write: reads give back the last write
 *   0xd0000100  BANK     256 bytes, 0xd0000100-0xd00001ff: a plain
 *                        register bank that behaves like memory.  An
 *                        access of any size (1, 2, 4, 8) at any offset
 *                        reads or writes exactly those bytes, so a guest
 *                        can check every instruction form against the
 *                        same instruction on RAM (guest-payloads/mmio_c.c);
 *                        bytes past its end read 0, writes there drop
 *   other offsets up to 0xd0000fff: read 0, writes are only logged
 *
 * Every write is logged on stderr ("thv: mmio-demo: ..."), unless -q.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define MMIO_DEMO_BASE		0xd0000000ULL
#define MMIO_DEMO_LEN		0x1000
#define MMIO_DEMO_MAGIC		0x21564854u	/* 'T' 'H' 'V' '!' */

#define MMIO_DEMO_REG_MAGIC	0x0
#define MMIO_DEMO_REG_COUNTER	0x4
#define MMIO_DEMO_REG_SCRATCH	0x8
#define MMIO_DEMO_BANK		0x100
#define MMIO_DEMO_BANK_LEN	0x100

struct mmio_demo_state {
	uint32_t counter;
	uint64_t scratch;
	uint8_t bank[MMIO_DEMO_BANK_LEN];
};

static struct mmio_demo_state mmio_demo_state;

static const char *mmio_demo__reg_name(uint64_t offset)
{
	switch (offset) {
	case MMIO_DEMO_REG_MAGIC:
		return "MAGIC";
	case MMIO_DEMO_REG_COUNTER:
		return "COUNTER";
	case MMIO_DEMO_REG_SCRATCH:
		return "SCRATCH";
	default:
		if (offset - MMIO_DEMO_BANK < MMIO_DEMO_BANK_LEN)
			return "BANK";
		return "unused";
	}
}

static uint64_t mmio_demo__le(const uint8_t *data, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len && i < 8; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

static uint64_t mmio_demo__read(struct mmio_demo_state *s, uint64_t offset)
{
	switch (offset) {
	case MMIO_DEMO_REG_MAGIC:
		return MMIO_DEMO_MAGIC;
	case MMIO_DEMO_REG_COUNTER:
		return ++s->counter;
	case MMIO_DEMO_REG_SCRATCH:
		return s->scratch;
	default:
		return 0;
	}
}

/* The bank: len bytes at off, like RAM; past its end read 0, drop writes. */
static void mmio_demo__bank(struct mmio_demo_state *s, uint64_t off,
			    uint8_t *data, unsigned int len, bool is_write)
{
	unsigned int i;

	for (i = 0; i < len; i++, off++) {
		if (off >= MMIO_DEMO_BANK_LEN) {
			if (!is_write)
				data[i] = 0;
			continue;
		}
		if (is_write)
			s->bank[off] = data[i];
		else
			data[i] = s->bank[off];
	}
}

static void mmio_demo__access(struct thv_runner *r, struct mmio_dev *dev,
			      uint64_t offset, uint8_t *data, unsigned int len,
			      bool is_write, char *desc, size_t desc_len)
{
	struct mmio_demo_state *s = dev->priv;
	const char *reg = mmio_demo__reg_name(offset);
	uint64_t v;
	unsigned int i;

	snprintf(desc, desc_len, "mmio-demo %s", reg);
	if (offset - MMIO_DEMO_BANK < MMIO_DEMO_BANK_LEN) {
		mmio_demo__bank(s, offset - MMIO_DEMO_BANK, data, len,
				is_write);
		if (is_write)
			runner__log(r, "mmio-demo: write 0x%" PRIx64 " (len %u) "
				    "to 0x%" PRIx64 " (BANK+0x%" PRIx64 ")",
				    mmio_demo__le(data, len), len,
				    dev->base + offset, offset - MMIO_DEMO_BANK);
		return;
	}
	if (is_write) {
		v = mmio_demo__le(data, len);
		if (offset == MMIO_DEMO_REG_SCRATCH)
			s->scratch = v;
		runner__log(r, "mmio-demo: write 0x%" PRIx64 " (len %u) to 0x%"
			    PRIx64 " (%s)", v, len, dev->base + offset, reg);
		return;
	}
	v = mmio_demo__read(s, offset);
	for (i = 0; i < len && i < 8; i++)
		data[i] = v >> (8 * i);
}

static struct mmio_dev mmio_demo_dev = {
	.name	= "mmio-demo",
	.base	= MMIO_DEMO_BASE,
	.len	= MMIO_DEMO_LEN,
	.mmio	= mmio_demo__access,
	.priv	= &mmio_demo_state,
};

int mmio_demo__init(void)
{
	return mmio__register(&mmio_demo_dev);
}
