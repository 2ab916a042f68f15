// SPDX-License-Identifier: GPL-2.0
/*
 * pic.c - two cascaded Intel 8259A programmable interrupt controllers,
 * as in every PC since the AT: the master at ports 0x20/0x21 with IRQs
 * 0-7, the slave at 0xa0/0xa1 with IRQs 8-15, its output wired to the
 * master's IR2 (8259A datasheet, "Cascading").
 *
 * Each chip has three 8-bit registers (datasheet, "Interrupt Request
 * Register (IRR) and In-Service Register (ISR)"):
 *   IRR  lines that asked for service (an edge sets the bit)
 *   ISR  interrupts the CPU took and has not ended with an EOI yet
 *   IMR  masked lines (OCW1): they stay in IRR but are not passed on
 * Priority is fixed, IR0 highest; the slave's eight lines sit at the
 * master's IR2, so the order is 0, 1, 8..15, 3..7.  An interrupt is
 * passed to the CPU when it is requested, unmasked and of higher
 * priority than everything in service.  The CPU's acknowledge (INTA)
 * moves it from IRR to ISR and reads its vector: ICW2's base + line.
 *
 * Programming (datasheet, "Programming the 8259A"):
 *   port A (0x20/0xa0) write, bit 4 = 1: ICW1 starts initialisation:
 *          IMR, ISR and IRR are cleared; bit 0 = ICW4 will follow,
 *          bit 1 = single (no ICW3)
 *   port B (0x21/0xa1) writes then: ICW2 (vector base, bits 7-3),
 *          ICW3 (cascade wiring, kept), ICW4 (bit 1: automatic EOI)
 *   port B write afterwards: OCW1 = IMR;   port B read: IMR
 *   port A write, bits 4-3 = 00: OCW2: bits 7-5 = 001 non-specific EOI
 *          (clear the highest-priority ISR bit), 011 specific EOI of
 *          line bits 2-0 (the rotating variants 101/111 act as these)
 *   port A write, bits 4-3 = 01: OCW3: bits 1-0 = 10 read IRR, 11 read
 *          ISR on the next port A read
 * Not modelled: rotating priority, special mask mode, poll mode,
 * level-triggered mode (LTIM, and the ELCR at 0x4d0), buffered mode.
 */
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define PIC_MASTER	0x20
#define PIC_SLAVE	0xa0
#define PIC_CASCADE_IRQ	2

#define ICW1_INIT	0x10
#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW4_AEOI	0x02
#define OCW3_SEL	0x08	/* with bit 4 = 0: OCW3, not OCW2 */
#define OCW3_RR		0x02
#define OCW3_RIS	0x01

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t vector_base;	/* ICW2 & 0xf8 */
	uint8_t icw3;
	uint8_t init_step;	/* 0: ready; 2, 3, 4: expecting ICWn */
	bool need_icw4, single, auto_eoi;
	bool read_isr;		/* OCW3: port A reads ISR, not IRR */
};

static struct pic_chip pic_chips[2];	/* [0] master, [1] slave */

/* The highest-priority line in bits, or -1 (IR0 is highest). */
static int pic__highest(uint8_t bits)
{
	int i;

	for (i = 0; i < 8; i++)
		if (bits & (1u << i))
			return i;
	return -1;
}

/* The line this chip would raise INT for now, or -1. */
static int pic__chip_pending(const struct pic_chip *c, uint8_t extra_irr)
{
	int req = pic__highest((c->irr | extra_irr) & ~c->imr);
	int svc = pic__highest(c->isr);

	if (req < 0 || c->init_step)
		return -1;
	/* Only a higher priority (a smaller line number) gets through. */
	if (svc >= 0 && req >= svc)
		return -1;
	return req;
}

/* The slave's INT output is the master's IR2 request. */
static uint8_t pic__cascade_irr(void)
{
	return pic__chip_pending(&pic_chips[1], 0) >= 0 ?
	       1u << PIC_CASCADE_IRQ : 0;
}

int pic__pending_vector(void)
{
	int m = pic__chip_pending(&pic_chips[0], pic__cascade_irr());
	int s;

	if (m < 0)
		return -1;
	if (m != PIC_CASCADE_IRQ)
		return pic_chips[0].vector_base + m;
	s = pic__chip_pending(&pic_chips[1], 0);
	return pic_chips[1].vector_base + s;
}

static void pic__chip_ack(struct pic_chip *c, int line)
{
	c->irr &= ~(1u << line);
	if (!c->auto_eoi)
		c->isr |= 1u << line;
}

int pic__ack(void)
{
	struct pic_chip *m = &pic_chips[0], *s = &pic_chips[1];
	int line = pic__chip_pending(m, pic__cascade_irr());
	int sline;

	if (line < 0)
		return -1;
	pic__chip_ack(m, line);
	if (line != PIC_CASCADE_IRQ)
		return m->vector_base + line;
	sline = pic__chip_pending(s, 0);
	pic__chip_ack(s, sline);
	return s->vector_base + sline;
}

void pic__raise_irq(struct thv_runner *r, unsigned int irq)
{
	(void)r;
	if (irq < 8)
		pic_chips[0].irr |= 1u << irq;
	else if (irq < 16)
		pic_chips[1].irr |= 1u << (irq - 8);
}

static void pic__write_a(struct pic_chip *c, uint8_t v, char *desc,
			 size_t desc_len)
{
	int line;

	if (v & ICW1_INIT) {
		c->irr = c->isr = c->imr = 0;
		c->need_icw4 = v & ICW1_IC4;
		c->single = v & ICW1_SNGL;
		c->auto_eoi = false;
		c->read_isr = false;
		c->init_step = 2;
		snprintf(desc, desc_len, "ICW1 0x%02x", v);
		return;
	}
	if (v & OCW3_SEL) {
		if (v & OCW3_RR)
			c->read_isr = v & OCW3_RIS;
		snprintf(desc, desc_len, "OCW3 0x%02x (read %s)", v,
			 c->read_isr ? "ISR" : "IRR");
		return;
	}
	/* OCW2: bit 5 EOI, bit 6 SL (specific: the line in bits 2-0). */
	switch (v >> 5) {
	case 1:	/* non-specific EOI */
	case 5:	/* rotate on non-specific EOI: no rotation here */
		line = pic__highest(c->isr);
		if (line >= 0)
			c->isr &= ~(1u << line);
		snprintf(desc, desc_len, "OCW2 EOI (IR%d)", line);
		return;
	case 3:	/* specific EOI */
	case 7:	/* rotate on specific EOI */
		c->isr &= ~(1u << (v & 7));
		snprintf(desc, desc_len, "OCW2 specific EOI IR%u", v & 7);
		return;
	default:
		snprintf(desc, desc_len, "OCW2 0x%02x (ignored)", v);
	}
}

static void pic__write_b(struct pic_chip *c, uint8_t v, char *desc,
			 size_t desc_len)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = v & 0xf8;
		c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
		snprintf(desc, desc_len, "ICW2 vector base 0x%02x",
			 c->vector_base);
		return;
	case 3:
		c->icw3 = v;
		c->init_step = c->need_icw4 ? 4 : 0;
		snprintf(desc, desc_len, "ICW3 0x%02x", v);
		return;
	case 4:
		c->auto_eoi = v & ICW4_AEOI;
		c->init_step = 0;
		snprintf(desc, desc_len, "ICW4 0x%02x", v);
		return;
	default:
		c->imr = v;
		snprintf(desc, desc_len, "OCW1 IMR 0x%02x", v);
	}
}

static void pic__io(struct thv_runner *r, struct ioport_dev *dev,
		    uint16_t port, uint8_t *data, unsigned int size,
		    bool is_write, char *desc, size_t desc_len)
{
	struct pic_chip *c = dev->priv;
	bool port_b = port & 1;
	char what[64];

	(void)r;
	if (is_write) {
		if (port_b)
			pic__write_b(c, data[0], what, sizeof(what));
		else
			pic__write_a(c, data[0], what, sizeof(what));
		snprintf(desc, desc_len, "PIC %s %s", dev->name + 4, what);
		return;
	}
	memset(data, 0, size);
	if (port_b)
		data[0] = c->imr;
	else
		data[0] = c->read_isr ? c->isr : c->irr;
	snprintf(desc, desc_len, "PIC %s read %s", dev->name + 4,
		 port_b ? "IMR" : c->read_isr ? "ISR" : "IRR");
}

static struct ioport_dev pic_devs[2] = {
	{
		.name	= "pic-master",
		.base	= PIC_MASTER,
		.len	= 2,
		.io	= pic__io,
		.priv	= &pic_chips[0],
	},
	{
		.name	= "pic-slave",
		.base	= PIC_SLAVE,
		.len	= 2,
		.io	= pic__io,
		.priv	= &pic_chips[1],
	},
};

int pic__init(void)
{
	int ret;

	/*
	 * Until the guest initialises them: the BIOS's programming (master
	 * at 0x08, slave at 0x70), every line masked.  0x08 clashes with
	 * the CPU's exceptions in protected mode, which is why every OS
	 * remaps the PIC first.
	 */
	memset(pic_chips, 0, sizeof(pic_chips));
	pic_chips[0].vector_base = 0x08;
	pic_chips[0].imr = 0xff;
	pic_chips[0].icw3 = 1u << PIC_CASCADE_IRQ;
	pic_chips[1].vector_base = 0x70;
	pic_chips[1].imr = 0xff;
	pic_chips[1].icw3 = PIC_CASCADE_IRQ;
	ret = ioport__register(&pic_devs[0]);
	if (!ret)
		ret = ioport__register(&pic_devs[1]);
	return ret;
}
