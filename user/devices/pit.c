// SPDX-License-Identifier: GPL-2.0
/*
 * pit.c - the Intel 8254 programmable interval timer at ports 0x40-0x43.
 *
 * Three 16-bit down-counters clocked at 1.193182 MHz (the PC's 14.31818
 * MHz crystal / 12).  Counter 0's output is wired to IRQ0 of the master
 * PIC: the PC's system timer.  (Counter 1 refreshed DRAM, counter 2
 * drives the speaker through port 0x61.)  Ports (8254 datasheet):
 *
 *   0x40-0x42  counter 0-2: write the reload value, read the count
 *   0x43       control word (write only):
 *              bits 7-6 SC: counter 0-2, or 11 = read-back command
 *              bits 5-4 RW: 00 counter latch, 01 LSB only, 10 MSB only,
 *                           11 LSB then MSB
 *              bits 3-1 mode 0-5, bit 0 BCD
 *
 * Modelled: modes 0 (interrupt on terminal count: one IRQ0), 2 (rate
 * generator) and 3 (square wave), both periodic: IRQ0 at 1193182 /
 * reload Hz; a reload of 0 means 65536.  The count a read returns is
 * computed from the host's clock (mode 3 reads like mode 2: the real
 * chip counts down by two, twice per period).  Counter latch and the
 * read-back command's count latch (bit 5 = 0) freeze the count until it
 * is read.  Counters 1 and 2 count the same way but raise nothing.
 * Not modelled: BCD counting (the bit is kept), the read-back status
 * byte, the GATE inputs (always high), modes 1, 4 and 5 (they count
 * down like mode 0 without an interrupt).
 *
 * Time: a host timer (timer.c) fires at the counter's period.  The host
 * cannot usefully deliver more than about a thousand signals a second
 * to a process that also runs a guest, so the period is clamped to at
 * least 1 ms: a guest asking for 10 kHz gets 1 kHz.  Ticks the host
 * missed (the runner was busy) are not caught up: a tick coalesces with
 * the next, as an edge on IRQ0 that is already in the IRR does.
 */
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define PIT_BASE	0x40
#define PIT_CONTROL	0x43
#define PIT_HZ		1193182ULL
#define PIT_IRQ		0
#define PIT_MIN_PERIOD_NS	1000000ULL	/* 1 ms, see above */

#define PIT_RW_LATCH	0
#define PIT_RW_LSB	1
#define PIT_RW_MSB	2
#define PIT_RW_WORD	3

struct pit_counter {
	uint8_t mode;		/* 0-5 */
	uint8_t rw;		/* PIT_RW_LSB/MSB/WORD */
	bool bcd;
	uint32_t reload;	/* 1..65536; 0: not written yet */
	uint16_t write_lsb;	/* the LSB of a WORD write in progress */
	bool write_msb_next;
	bool read_msb_next;
	bool latched;
	uint16_t latch;
	bool latch_msb_next;
	uint64_t start_ns;	/* when the count began */
};

struct pit_state {
	struct pit_counter c[3];
	uint64_t ticks;		/* IRQ0 edges raised */
	bool armed;		/* counter 0's host timer runs */
};

static struct pit_state pit_state;

static uint64_t pit__period_ns(uint32_t reload)
{
	return reload * 1000000000ULL / PIT_HZ;
}

/* The counter's value now, from the time it has been counting. */
static uint16_t pit__count(const struct pit_counter *c)
{
	uint64_t elapsed, clocks;

	if (!c->reload)
		return 0;
	elapsed = guest_clock_ns() - c->start_ns;
	clocks = elapsed * PIT_HZ / 1000000000ULL;
	if (c->mode == 2 || c->mode == 3)
		return (uint16_t)(c->reload - clocks % c->reload);
	/* Modes 0, 1, 4, 5: down to 0, then on through 0xffff. */
	return (uint16_t)(c->reload - clocks);
}

/* Counter 0 got a new reload value: (re)start its host timer. */
static void pit__start(struct pit_state *s, unsigned int i)
{
	struct pit_counter *c = &s->c[i];
	uint64_t period = pit__period_ns(c->reload);

	c->start_ns = guest_clock_ns();
	if (i != 0)
		return;
	if (period < PIT_MIN_PERIOD_NS)
		period = PIT_MIN_PERIOD_NS;
	switch (c->mode) {
	case 2:
	case 3:
		host_timer__arm(HOST_TIMER_PIT, period, period);
		s->armed = true;
		break;
	case 0:
		host_timer__arm(HOST_TIMER_PIT, period, 0);
		s->armed = true;
		break;
	default:
		host_timer__disarm(HOST_TIMER_PIT);
		s->armed = false;
	}
}

void pit__poll(struct thv_runner *r)
{
	struct pit_state *s = &pit_state;

	if (!host_timer__take(HOST_TIMER_PIT))
		return;
	s->ticks++;
	if (s->c[0].mode == 0)
		s->armed = false;	/* the one terminal count */
	pic__raise_irq(r, PIT_IRQ);
}

bool pit__armed(void)
{
	return pit_state.armed;
}

uint64_t pit__ticks(void)
{
	return pit_state.ticks;
}

static void pit__latch(struct pit_counter *c)
{
	if (c->latched)
		return;		/* the first latch holds until read */
	c->latch = pit__count(c);
	c->latched = true;
	c->latch_msb_next = c->rw == PIT_RW_MSB;
}

static void pit__control(struct pit_state *s, uint8_t v, char *desc,
			 size_t desc_len)
{
	unsigned int sc = v >> 6, rw = (v >> 4) & 3, i;
	struct pit_counter *c;

	if (sc == 3) {
		/* Read-back: bits 3-1 select counters; bit 5 = 0: latch. */
		for (i = 0; i < 3; i++)
			if ((v & (2u << i)) && !(v & 0x20))
				pit__latch(&s->c[i]);
		snprintf(desc, desc_len, "PIT read-back 0x%02x", v);
		return;
	}
	c = &s->c[sc];
	if (rw == PIT_RW_LATCH) {
		pit__latch(c);
		snprintf(desc, desc_len, "PIT counter %u latch", sc);
		return;
	}
	c->rw = rw;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4;	/* 6 and 7 are aliases of 2 and 3 */
	c->bcd = v & 1;
	c->write_msb_next = rw == PIT_RW_MSB;
	c->read_msb_next = rw == PIT_RW_MSB;
	c->latched = false;
	/* A new control word stops the counter until a count is written. */
	c->reload = 0;
	if (sc == 0) {
		host_timer__disarm(HOST_TIMER_PIT);
		s->armed = false;
	}
	snprintf(desc, desc_len, "PIT counter %u mode %u rw %u", sc, c->mode,
		 rw);
}

static void pit__write_counter(struct pit_state *s, unsigned int i,
			       uint8_t v, char *desc, size_t desc_len)
{
	struct pit_counter *c = &s->c[i];
	uint32_t count;

	switch (c->rw) {
	case PIT_RW_LSB:
		count = v;
		break;
	case PIT_RW_MSB:
		count = (uint32_t)v << 8;
		break;
	case PIT_RW_WORD:
		if (!c->write_msb_next) {
			c->write_lsb = v;
			c->write_msb_next = true;
			snprintf(desc, desc_len, "PIT counter %u LSB 0x%02x",
				 i, v);
			return;
		}
		c->write_msb_next = false;
		count = c->write_lsb | (uint32_t)v << 8;
		break;
	default:
		snprintf(desc, desc_len, "PIT counter %u: no mode set", i);
		return;
	}
	c->reload = count ? count : 65536;
	pit__start(s, i);
	snprintf(desc, desc_len, "PIT counter %u reload %u", i, c->reload);
}

static uint8_t pit__read_counter(struct pit_counter *c)
{
	uint16_t v;
	bool msb;

	if (c->latched) {
		v = c->latch;
		msb = c->latch_msb_next;
		if (c->rw == PIT_RW_WORD && !msb) {
			c->latch_msb_next = true;
		} else {
			c->latched = false;
		}
		return msb ? v >> 8 : v & 0xff;
	}
	v = pit__count(c);
	msb = c->read_msb_next;
	if (c->rw == PIT_RW_WORD)
		c->read_msb_next = !c->read_msb_next;
	return msb ? v >> 8 : v & 0xff;
}

static void pit__io(struct thv_runner *r, struct ioport_dev *dev,
		    uint16_t port, uint8_t *data, unsigned int size,
		    bool is_write, char *desc, size_t desc_len)
{
	struct pit_state *s = dev->priv;
	unsigned int i = port - PIT_BASE;

	(void)r;
	if (is_write) {
		if (port == PIT_CONTROL)
			pit__control(s, data[0], desc, desc_len);
		else
			pit__write_counter(s, i, data[0], desc, desc_len);
		return;
	}
	memset(data, 0, size);
	if (port == PIT_CONTROL) {
		data[0] = 0xff;		/* write only */
		snprintf(desc, desc_len, "PIT control (read)");
		return;
	}
	data[0] = pit__read_counter(&s->c[i]);
	snprintf(desc, desc_len, "PIT counter %u read 0x%02x", i, data[0]);
}

static struct ioport_dev pit_dev = {
	.name	= "pit",
	.base	= PIT_BASE,
	.len	= 4,
	.io	= pit__io,
	.priv	= &pit_state,
};

int pit__init(void)
{
	memset(&pit_state, 0, sizeof(pit_state));
	return ioport__register(&pit_dev);
}
