// SPDX-License-Identifier: GPL-2.0
/*
 * rtc.c - the PC's CMOS real-time clock, a Motorola MC146818 (or one of
 * its many clones), at ports 0x70 (index) and 0x71 (data).
 *
 * The chip has 64 bytes of battery-backed RAM (the PC's chipsets extend
 * it to 128); the first 14 are the clock (MC146818A datasheet, "Address
 * Map"):
 *
 *   0x00 seconds   0x02 minutes   0x04 hours     0x06 day of week (1=Sun)
 *   0x07 day       0x08 month     0x09 year (00-99)
 *   0x01/0x03/0x05 the alarm's seconds/minutes/hours (kept, no alarm)
 *   0x0a A: bit 7 UIP "update in progress" (always 0 here), rate bits
 *   0x0b B: bit 7 SET, 6-4 interrupt enables (kept; no IRQ 8 is raised),
 *           bit 2 DM (1 = binary, 0 = BCD), bit 1 24/12 (1 = 24-hour)
 *   0x0c C: interrupt flags (read 0: nothing ever happened)
 *   0x0d D: bit 7 VRT "valid RAM and time" (always 0x80)
 *
 * and the PC gave some of the rest a meaning (IBM AT BIOS, kept by every
 * BIOS since): 0x32 century (BCD), 0x15/0x16 base memory in KiB (640),
 * 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in KiB (up to 64
 * MiB), 0x34/0x35 memory above 16 MiB in 64 KiB blocks (a SeaBIOS/QEMU
 * convention).  All values are little-endian: low byte first.
 *
 * The index port also carries the NMI mask in bit 7 (1 = NMIs off): the
 * register number is bits 6-0 and the mask is ignored (thv raises no
 * NMIs).  Reading port 0x70 gives 0xff, like most chipsets.
 *
 * Time comes from the host's UTC clock at each read, or from --rtc
 * YYYY-MM-DDTHH:MM:SS, which fixes a clock that does not move, so that a
 * test sees the same digits every time.  The guest cannot set the time:
 * writes to registers 0x00-0x09 are dropped (alarm registers are kept).
 * Hours in 12-hour mode are 1-12 with bit 7 set for PM.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "thv.h"

#define RTC_INDEX_PORT	0x70
#define RTC_DATA_PORT	0x71

#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_WEEKDAY	0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32

#define RTC_A_UIP	0x80	/* update in progress: never, here */
#define RTC_B_DM	0x04	/* data mode: 1 = binary, 0 = BCD */
#define RTC_B_24H	0x02	/* 1 = 24-hour clock */
#define RTC_D_VRT	0x80	/* valid RAM and time */
#define RTC_HOUR_PM	0x80	/* 12-hour mode: the PM flag in the hour */

#define CMOS_SIZE	128

struct rtc_state {
	uint8_t index;
	uint8_t ram[CMOS_SIZE];		/* everything but the clock */
	bool fixed;			/* --rtc */
	time_t fixed_time;
};

static struct rtc_state rtc_state;

static uint8_t rtc__bcd(unsigned int v)
{
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* A clock field as the guest wants it: BCD or binary (register B DM). */
static uint8_t rtc__field(const struct rtc_state *s, unsigned int v)
{
	return (s->ram[RTC_REG_B] & RTC_B_DM) ? (uint8_t)v : rtc__bcd(v);
}

static uint8_t rtc__hour(const struct rtc_state *s, unsigned int h)
{
	unsigned int h12;

	if (s->ram[RTC_REG_B] & RTC_B_24H)
		return rtc__field(s, h);
	/* 12-hour: 0 -> 12 AM, 12 -> 12 PM, 13 -> 1 PM. */
	h12 = h % 12 ? h % 12 : 12;
	return rtc__field(s, h12) | (h >= 12 ? RTC_HOUR_PM : 0);
}

static uint8_t rtc__read_clock(const struct rtc_state *s, unsigned int reg)
{
	time_t t = s->fixed ? s->fixed_time : time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	switch (reg) {
	case RTC_SECONDS:
		return rtc__field(s, tm.tm_sec);
	case RTC_MINUTES:
		return rtc__field(s, tm.tm_min);
	case RTC_HOURS:
		return rtc__hour(s, tm.tm_hour);
	case RTC_WEEKDAY:
		return rtc__field(s, tm.tm_wday + 1);	/* Sunday is 1 */
	case RTC_DAY:
		return rtc__field(s, tm.tm_mday);
	case RTC_MONTH:
		return rtc__field(s, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc__field(s, tm.tm_year % 100);
	default:	/* RTC_CENTURY */
		return rtc__field(s, (tm.tm_year + 1900) / 100);
	}
}

static uint8_t rtc__read(struct rtc_state *s, unsigned int reg)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS:
	case RTC_WEEKDAY: case RTC_DAY: case RTC_MONTH: case RTC_YEAR:
	case RTC_CENTURY:
		return rtc__read_clock(s, reg);
	case RTC_REG_A:
		return s->ram[reg] & ~RTC_A_UIP;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return s->ram[reg];
	}
}

static void rtc__write(struct rtc_state *s, unsigned int reg, uint8_t v)
{
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS:
	case RTC_WEEKDAY: case RTC_DAY: case RTC_MONTH: case RTC_YEAR:
	case RTC_CENTURY:
	case RTC_REG_C: case RTC_REG_D:
		/* The clock cannot be set; C and D are read-only. */
		return;
	case RTC_REG_A:
		s->ram[reg] = v & ~RTC_A_UIP;
		return;
	default:
		s->ram[reg] = v;
	}
}

static void rtc__io(struct thv_runner *r, struct ioport_dev *dev,
		    uint16_t port, uint8_t *data, unsigned int size,
		    bool is_write, char *desc, size_t desc_len)
{
	struct rtc_state *s = dev->priv;

	(void)r;
	if (port == RTC_INDEX_PORT) {
		if (is_write) {
			s->index = data[0] & 0x7f;	/* bit 7: NMI mask */
			snprintf(desc, desc_len, "RTC index 0x%02x",
				 s->index);
		} else {
			memset(data, 0xff, size);
			snprintf(desc, desc_len, "RTC index (read)");
		}
		return;
	}
	if (is_write) {
		rtc__write(s, s->index, data[0]);
		snprintf(desc, desc_len, "RTC reg 0x%02x write", s->index);
		return;
	}
	memset(data, 0, size);
	data[0] = rtc__read(s, s->index);
	snprintf(desc, desc_len, "RTC reg 0x%02x", s->index);
}

static struct ioport_dev rtc_dev = {
	.name	= "rtc",
	.base	= RTC_INDEX_PORT,
	.len	= 2,
	.io	= rtc__io,
	.priv	= &rtc_state,
};

static void rtc__put16(struct rtc_state *s, unsigned int reg, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	s->ram[reg] = v & 0xff;
	s->ram[reg + 1] = v >> 8;
}

/* The memory-size bytes a BIOS would have written, from --memory. */
static void rtc__set_memory(struct rtc_state *s, uint64_t mem)
{
	const uint64_t kib = 1024, mib = 1024 * 1024;
	uint64_t ext, above16;

	rtc__put16(s, 0x15, (mem < 640 * kib ? mem : 640 * kib) / kib);
	ext = mem > mib ? ((mem < 64 * mib ? mem : 64 * mib) - mib) / kib : 0;
	rtc__put16(s, 0x17, ext);
	rtc__put16(s, 0x30, ext);
	above16 = mem > 16 * mib ? (mem - 16 * mib) / (64 * kib) : 0;
	rtc__put16(s, 0x34, above16);
}

int rtc__init(struct thv_runner *r)
{
	struct rtc_state *s = &rtc_state;

	memset(s, 0, sizeof(*s));
	s->ram[RTC_REG_A] = 0x26;	/* 32.768 kHz time base, 1024 Hz */
	s->ram[RTC_REG_B] = RTC_B_24H;	/* 24-hour, BCD: what PCs use */
	s->fixed = r->opt.rtc_set;
	s->fixed_time = (time_t)r->opt.rtc_time;
	rtc__set_memory(s, r->opt.mem_size);
	return ioport__register(&rtc_dev);
}
