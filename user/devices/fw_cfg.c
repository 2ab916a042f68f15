// SPDX-License-Identifier: GPL-2.0
/*
 * fw_cfg.c - a firmware-configuration port: how the guest learns its RAM
 * size and CPU count without probing.
 *
 * The interface is the "traditional" (port I/O) one of QEMU's fw_cfg
 * device, written from its public description (QEMU docs/specs/fw_cfg):
 *
 *   0x510  selector, 16 bits, write: choose an item by key; the read
 *          position goes back to the item's first byte
 *   0x511  data, 8 bits, read: the next byte of the item
 *
 * Keys here (the same numbers as QEMU's, little-endian values):
 *
 *   0x0000  signature, 4 bytes: "THV\0".  Not "QEMU": software that sees
 *           "QEMU" may expect QEMU's other items (the file directory,
 *           DMA); with "THV\0" it can tell this smaller device apart.
 *   0x0001  ID, 4 bytes: 1 = the traditional interface, no DMA
 *   0x0003  RAM size in bytes, 8 bytes
 *   0x0005  number of CPUs, 2 bytes
 *
 * Reading past the end of an item, or any byte of a key not listed,
 * gives 0.  Writes to the data port are ignored (QEMU dropped them
 * too).  A 16- or 32-bit read of 0x511 returns as many consecutive bytes.
 * Reading the selector port gives back the selector.  Not modelled: the
 * DMA interface (0x514), the file directory (0x0019) and every other key.
 */
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define FW_CFG_PORT_SEL		0x510
#define FW_CFG_PORT_DATA	0x511

#define FW_CFG_SIGNATURE	0x0000
#define FW_CFG_ID		0x0001
#define FW_CFG_RAM_SIZE		0x0003
#define FW_CFG_NB_CPUS		0x0005

#define FW_CFG_ITEM_MAX		8

struct fw_cfg_state {
	uint16_t selector;
	unsigned int pos;		/* next byte of the item to read */
	uint64_t ram_size;
	unsigned int nr_cpus;
};

static struct fw_cfg_state fw_cfg_state;

/* The selected item's bytes in buf; returns its length (0: no item). */
static unsigned int fw_cfg__item(const struct fw_cfg_state *s, uint8_t *buf)
{
	unsigned int i;

	switch (s->selector) {
	case FW_CFG_SIGNATURE:
		memcpy(buf, "THV", 4);		/* with its NUL */
		return 4;
	case FW_CFG_ID:
		memset(buf, 0, 4);
		buf[0] = 1;			/* traditional interface */
		return 4;
	case FW_CFG_RAM_SIZE:
		for (i = 0; i < 8; i++)
			buf[i] = s->ram_size >> (8 * i);
		return 8;
	case FW_CFG_NB_CPUS:
		buf[0] = s->nr_cpus & 0xff;
		buf[1] = s->nr_cpus >> 8;
		return 2;
	default:
		return 0;
	}
}

static uint8_t fw_cfg__next_byte(struct fw_cfg_state *s)
{
	uint8_t buf[FW_CFG_ITEM_MAX];
	unsigned int len = fw_cfg__item(s, buf);
	uint8_t v = s->pos < len ? buf[s->pos] : 0;

	if (s->pos < len)
		s->pos++;
	return v;
}

static void fw_cfg__io(struct thv_runner *r, struct ioport_dev *dev,
		       uint16_t port, uint8_t *data, unsigned int size,
		       bool is_write, char *desc, size_t desc_len)
{
	struct fw_cfg_state *s = dev->priv;
	unsigned int i;

	(void)r;
	if (port == FW_CFG_PORT_SEL) {
		if (is_write) {
			/* An 8-bit write sets the low byte, high byte 0. */
			s->selector = data[0] | (size > 1 ? data[1] << 8 : 0);
			s->pos = 0;
			snprintf(desc, desc_len, "fw_cfg select 0x%04x",
				 s->selector);
			return;
		}
		memset(data, 0, size);
		data[0] = s->selector & 0xff;
		if (size > 1)
			data[1] = s->selector >> 8;
		snprintf(desc, desc_len, "fw_cfg selector (read)");
		return;
	}
	if (is_write) {
		snprintf(desc, desc_len, "fw_cfg data write (ignored)");
		return;
	}
	for (i = 0; i < size; i++)
		data[i] = fw_cfg__next_byte(s);
	snprintf(desc, desc_len, "fw_cfg data 0x%04x", s->selector);
}

static struct ioport_dev fw_cfg_dev = {
	.name	= "fw_cfg",
	.base	= FW_CFG_PORT_SEL,
	.len	= 2,
	.io	= fw_cfg__io,
	.priv	= &fw_cfg_state,
};

int fw_cfg__init(struct thv_runner *r)
{
	fw_cfg_state.ram_size = r->opt.mem_size;
	fw_cfg_state.nr_cpus = r->opt.nr_cpus ? r->opt.nr_cpus : 1;
	return ioport__register(&fw_cfg_dev);
}
