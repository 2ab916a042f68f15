// SPDX-License-Identifier: GPL-2.0
/*
 * lapic.c - a local APIC for the one vCPU, in both of its interfaces:
 *
 *   xAPIC   a 4 KiB page of 32-bit registers at guest-physical
 *           0xfee00000, each on a 16-byte boundary (SDM Vol. 3A 11.4.1,
 *           table 11-1).  No RAM backs it, so each MOV to or from it is
 *           a THV_EXIT_MMIO that lands here through mmio.c.
 *   x2APIC  the same registers as MSRs 0x800 + offset / 16 (SDM Vol. 3A
 *           11.12.1.2, table 11-6): RDMSR/WRMSR come out of thv.ko as
 *           THV_EXIT_MSR and arrive through msr.c.  The ICR is one
 *           64-bit MSR (0x830) and there is a SELF_IPI register (0x83f).
 *
 * Which interface is live is IA32_APIC_BASE bit 10 (EXTD), but thv.ko
 * keeps that MSR and userspace does not see it.  So both answer all the
 * time: a simplification (on hardware, x2APIC mode makes the page
 * unreachable and xAPIC mode makes the MSRs #GP).
 *
 * Modelled (SDM Vol. 3A chapter 11):
 *   ID (0x20; xAPIC bits 31-24; 0 here), version (0x30) 0x00050014:
 *   version 0x14 (an integrated APIC), max LVT entry 5 (six entries),
 *   TPR (0x80), PPR (0xa0, computed), EOI (0xb0), LDR/DFR (kept),
 *   SVR (0xf0: spurious vector and bit 8, software enable; reset 0xff),
 *   ISR/TMR/IRR (0x100-0x270, read only), ESR (0x280), ICR (0x300/0x310),
 *   the LVT (timer 0x320, thermal 0x330, performance 0x340, LINT0
 *   0x350, LINT1 0x360, error 0x370), the timer's initial count (0x380),
 *   current count (0x390) and divide configuration (0x3e0).
 *
 * Interrupt acceptance (11.8.3.1): a vector in the IRR reaches the CPU
 * when the APIC is software enabled and the vector's priority class
 * (bits 7-4) is above the processor priority, PPR = the larger of TPR
 * and the class of the highest vector in service.  The vCPU loop takes
 * it (IRR -> ISR, lapic__ack) and injects it; the guest's EOI clears the
 * highest ISR bit.
 *
 * IPIs: with one CPU, only those that come back to this one are
 * delivered: fixed delivery mode with the "self" or "all including
 * self" shorthand, or no shorthand and destination 0 (our ID) or the
 * broadcast ID; also the x2APIC SELF_IPI register.  Delivery status
 * (bit 12) always reads idle.  Other delivery modes (NMI, INIT, SIPI,
 * ...) are dropped.
 *
 * Timer (11.5.4): it counts down from the initial count at the bus
 * clock divided by the divide configuration.  The bus clock here is
 * 100 MHz (10 ns a tick; CPUID leaf 0x15/0x16 do not report it, a
 * guest calibrates against the PIT or simply knows).  One-shot and
 * periodic modes; TSC-deadline mode is not supported (CPUID does not
 * offer it; the mode bits write as one-shot).  A host timer (timer.c)
 * backs it, with its period clamped to at least 1 ms as for the PIT;
 * the current count is computed from the host clock over that period.
 * An expiry sets the LVT timer vector in the IRR unless the entry is
 * masked.
 *
 * The LVT entries reset masked (0x10000), but LINT0 resets to ExtINT
 * unmasked (0x700): "virtual wire" mode as firmware leaves it (MP spec
 * 1.4, 3.6.2.2), so the 8259A's interrupts reach the CPU through LINT0
 * even before a guest touches the APIC (and although SVR bit 8 is 0,
 * which on hardware would mask it).  Clearing SVR bit 8 later masks
 * every LVT entry (11.4.7.2), LINT0 included.  LINT1 and the thermal,
 * performance and error entries are stored only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define LAPIC_BASE		0xfee00000ULL
#define LAPIC_SIZE		0x1000
#define X2APIC_MSR_BASE		0x800
#define X2APIC_MSR_COUNT	0x100

#define APIC_ID		0x020
#define APIC_VERSION	0x030
#define APIC_TPR	0x080
#define APIC_APR	0x090
#define APIC_PPR	0x0a0
#define APIC_EOI	0x0b0
#define APIC_LDR	0x0d0
#define APIC_DFR	0x0e0
#define APIC_SVR	0x0f0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_IRR	0x200
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_ICR	0x380
#define APIC_TIMER_CCR	0x390
#define APIC_TIMER_DCR	0x3e0
#define APIC_SELF_IPI	0x3f0	/* x2APIC only */

#define APIC_VERSION_VALUE	0x00050014u
#define APIC_SVR_ENABLE		0x100u
#define APIC_LVT_MASKED		0x10000u
#define APIC_LVT_PERIODIC	0x20000u
#define APIC_LVT_EXTINT		0x700u
#define APIC_DM_MASK		0x700u
#define APIC_ESR_RX_ILLEGAL	0x40u	/* received illegal vector */

#define LAPIC_BUS_HZ		100000000ULL	/* 100 MHz, 10 ns */
#define LAPIC_NS_PER_TICK	(1000000000ULL / LAPIC_BUS_HZ)
#define LAPIC_MIN_PERIOD_NS	1000000ULL	/* 1 ms, as for the PIT */

#define LVT_TIMER	0
#define LVT_THERMAL	1
#define LVT_PERF	2
#define LVT_LINT0	3
#define LVT_LINT1	4
#define LVT_ERROR	5
#define LVT_COUNT	6

/* The bits of each LVT entry that software can write. */
static const uint32_t lvt_writable[LVT_COUNT] = {
	[LVT_TIMER]	= 0x300ff,	/* vector, mask, periodic */
	[LVT_THERMAL]	= 0x107ff,	/* vector, delivery mode, mask */
	[LVT_PERF]	= 0x107ff,
	[LVT_LINT0]	= 0x1a7ff,	/* + polarity, trigger mode */
	[LVT_LINT1]	= 0x1a7ff,
	[LVT_ERROR]	= 0x100ff,
};

struct lapic_state {
	uint32_t id;		/* the APIC ID: 0 */
	uint32_t tpr, ldr, dfr, svr, esr;
	uint32_t icr_lo, icr_hi;
	uint32_t isr[8], tmr[8], irr[8];	/* 256 bits each */
	uint32_t lvt[LVT_COUNT];
	uint32_t timer_initial, timer_dcr;
	uint64_t timer_start_ns;
	bool timer_armed;
	uint64_t timer_fired;
};

static struct lapic_state lapic_state;

static void lapic__set(uint32_t *bits, unsigned int v)
{
	bits[v / 32] |= 1u << (v % 32);
}

static void lapic__clear(uint32_t *bits, unsigned int v)
{
	bits[v / 32] &= ~(1u << (v % 32));
}

/* The highest vector set in a 256-bit register, or -1. */
static int lapic__highest(const uint32_t *bits)
{
	int i;

	for (i = 7; i >= 0; i--)
		if (bits[i])
			return i * 32 + 31 - __builtin_clz(bits[i]);
	return -1;
}

/* An interrupt arrives: into the IRR.  Vectors 0-15 are illegal. */
static void lapic__accept(struct lapic_state *s, unsigned int vector)
{
	if (vector < 16) {
		s->esr |= APIC_ESR_RX_ILLEGAL;
		return;
	}
	lapic__set(s->irr, vector);
}

/* PPR (11.8.3.1): TPR, or the class of the vector in service. */
static uint32_t lapic__ppr(const struct lapic_state *s)
{
	int isrv = lapic__highest(s->isr);
	uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xf0;

	if ((s->tpr & 0xf0) >= isr_class)
		return s->tpr & 0xff;
	return isr_class;
}

int lapic__pending_vector(void)
{
	struct lapic_state *s = &lapic_state;
	int irrv = lapic__highest(s->irr);

	if (!(s->svr & APIC_SVR_ENABLE) || irrv < 0)
		return -1;
	if (((uint32_t)irrv & 0xf0) <= (lapic__ppr(s) & 0xf0))
		return -1;
	return irrv;
}

void lapic__ack(int vector)
{
	if (vector < 0 || vector > 255)
		return;
	lapic__clear(lapic_state.irr, vector);
	lapic__set(lapic_state.isr, vector);
}

bool lapic__accepts_pic(void)
{
	uint32_t lint0 = lapic_state.lvt[LVT_LINT0];

	return !(lint0 & APIC_LVT_MASKED) &&
	       (lint0 & APIC_DM_MASK) == APIC_LVT_EXTINT;
}

/* ---- the timer ---- */

/* Divide configuration (11.5.4, figure 11-10): bits 3, 1, 0. */
static unsigned int lapic__divisor(const struct lapic_state *s)
{
	unsigned int v = (s->timer_dcr & 3) | ((s->timer_dcr >> 1) & 4);

	return v == 7 ? 1 : 2u << v;
}

static uint64_t lapic__period_ns(const struct lapic_state *s)
{
	uint64_t ns = (uint64_t)s->timer_initial * lapic__divisor(s) *
		      LAPIC_NS_PER_TICK;

	return ns < LAPIC_MIN_PERIOD_NS ? LAPIC_MIN_PERIOD_NS : ns;
}

static bool lapic__periodic(const struct lapic_state *s)
{
	return s->lvt[LVT_TIMER] & APIC_LVT_PERIODIC;
}

static void lapic__timer_start(struct lapic_state *s)
{
	uint64_t period = lapic__period_ns(s);

	s->timer_start_ns = guest_clock_ns();
	if (!s->timer_initial) {
		host_timer__disarm(HOST_TIMER_LAPIC);
		s->timer_armed = false;
		return;
	}
	host_timer__arm(HOST_TIMER_LAPIC, period,
			lapic__periodic(s) ? period : 0);
	s->timer_armed = true;
}

static uint32_t lapic__current_count(const struct lapic_state *s)
{
	uint64_t period, elapsed;

	if (!s->timer_initial || !s->timer_armed)
		return 0;
	period = lapic__period_ns(s);
	elapsed = guest_clock_ns() - s->timer_start_ns;
	if (elapsed >= period) {
		if (!lapic__periodic(s))
			return 0;	/* fired; the signal is on its way */
		elapsed %= period;
	}
	return s->timer_initial -
	       (uint32_t)((unsigned __int128)elapsed * s->timer_initial /
			  period);
}

void lapic__poll(struct thv_runner *r)
{
	struct lapic_state *s = &lapic_state;

	(void)r;
	if (!host_timer__take(HOST_TIMER_LAPIC))
		return;
	s->timer_fired++;
	if (!lapic__periodic(s))
		s->timer_armed = false;
	if (!(s->lvt[LVT_TIMER] & APIC_LVT_MASKED))
		lapic__accept(s, s->lvt[LVT_TIMER] & 0xff);
}

bool lapic__armed(void)
{
	return lapic_state.timer_armed;
}

/* ---- registers ---- */

/* ICR write: send an IPI.  dest: the destination field. */
static void lapic__send_ipi(struct lapic_state *s, uint32_t lo, uint32_t dest,
			    bool x2apic)
{
	unsigned int shorthand = (lo >> 18) & 3;
	bool to_self;

	if (lo & APIC_DM_MASK)
		return;		/* only fixed delivery mode is modelled */
	switch (shorthand) {
	case 1:			/* self */
	case 2:			/* all including self */
		to_self = true;
		break;
	case 3:			/* all excluding self: nobody here */
		to_self = false;
		break;
	default:
		to_self = dest == s->id ||
			  dest == (x2apic ? 0xffffffffu : 0xffu);
	}
	if (to_self)
		lapic__accept(s, lo & 0xff);
}

static void lapic__eoi(struct lapic_state *s)
{
	int v = lapic__highest(s->isr);

	if (v >= 0)
		lapic__clear(s->isr, v);
}

/*
 * Read the register at offset (16-byte aligned).  x2apic: as the MSR
 * interface sees it.  Returns false for a register that does not exist
 * (or cannot be read) in that interface.
 */
static bool lapic__read_reg(struct lapic_state *s, unsigned int off,
			    bool x2apic, uint64_t *val)
{
	unsigned int i;

	switch (off) {
	case APIC_ID:
		*val = x2apic ? s->id : s->id << 24;
		return true;
	case APIC_VERSION:
		*val = APIC_VERSION_VALUE;
		return true;
	case APIC_TPR:
		*val = s->tpr;
		return true;
	case APIC_APR:
		*val = 0;
		return !x2apic;
	case APIC_PPR:
		*val = lapic__ppr(s);
		return true;
	case APIC_EOI:
		*val = 0;
		return !x2apic;		/* write only */
	case APIC_LDR:
		/* x2APIC: cluster ID 31-16, bit (ID & 15) (11.12.10.2). */
		*val = x2apic ? ((s->id >> 4) << 16) | (1u << (s->id & 15)) :
		       s->ldr;
		return true;
	case APIC_DFR:
		*val = s->dfr;
		return !x2apic;
	case APIC_SVR:
		*val = s->svr;
		return true;
	case APIC_ESR:
		*val = s->esr;
		return true;
	case APIC_ICR_LO:
		*val = s->icr_lo;
		if (x2apic)
			*val |= (uint64_t)s->icr_hi << 32;
		return true;
	case APIC_ICR_HI:
		*val = s->icr_hi;
		return !x2apic;
	case APIC_TIMER_ICR:
		*val = s->timer_initial;
		return true;
	case APIC_TIMER_CCR:
		*val = lapic__current_count(s);
		return true;
	case APIC_TIMER_DCR:
		*val = s->timer_dcr;
		return true;
	case APIC_SELF_IPI:
		return false;		/* write only (and x2APIC only) */
	}
	if (off >= APIC_ISR && off < APIC_ISR + 0x80) {
		*val = s->isr[(off - APIC_ISR) / 16];
		return true;
	}
	if (off >= APIC_TMR && off < APIC_TMR + 0x80) {
		*val = s->tmr[(off - APIC_TMR) / 16];
		return true;
	}
	if (off >= APIC_IRR && off < APIC_IRR + 0x80) {
		*val = s->irr[(off - APIC_IRR) / 16];
		return true;
	}
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		i = (off - APIC_LVT_TIMER) / 16;
		*val = s->lvt[i];
		return true;
	}
	return false;
}

static void lapic__write_svr(struct lapic_state *s, uint32_t v)
{
	unsigned int i;

	s->svr = v & 0x1ff;
	if (!(s->svr & APIC_SVR_ENABLE))
		for (i = 0; i < LVT_COUNT; i++)
			s->lvt[i] |= APIC_LVT_MASKED;	/* 11.4.7.2 */
}

static void lapic__write_lvt(struct lapic_state *s, unsigned int i,
			     uint32_t v)
{
	bool was_periodic = lapic__periodic(s);

	s->lvt[i] = v & lvt_writable[i];
	if (!(s->svr & APIC_SVR_ENABLE))
		s->lvt[i] |= APIC_LVT_MASKED;
	if (i == LVT_TIMER && s->timer_armed &&
	    was_periodic != lapic__periodic(s))
		lapic__timer_start(s);
}

/* Write; false for a register that cannot be written (x2APIC: #GP). */
static bool lapic__write_reg(struct lapic_state *s, unsigned int off,
			     bool x2apic, uint64_t val)
{
	uint32_t v = (uint32_t)val;

	/* x2APIC: only the ICR is 64 bits wide; the rest reserve 63-32. */
	if (x2apic && off != APIC_ICR_LO && (val >> 32))
		return false;
	switch (off) {
	case APIC_ID:
		if (x2apic)
			return false;	/* read only in x2APIC mode */
		s->id = v >> 24;
		return true;
	case APIC_TPR:
		s->tpr = v & 0xff;
		return true;
	case APIC_EOI:
		if (x2apic && v)
			return false;	/* 11.12.9: must write 0 */
		lapic__eoi(s);
		return true;
	case APIC_LDR:
		if (x2apic)
			return false;
		s->ldr = v & 0xff000000u;
		return true;
	case APIC_DFR:
		if (x2apic)
			return false;
		s->dfr = v | 0x0fffffffu;
		return true;
	case APIC_SVR:
		lapic__write_svr(s, v);
		return true;
	case APIC_ESR:
		s->esr = 0;		/* a write clears the errors */
		return true;
	case APIC_ICR_LO:
		s->icr_lo = v & ~0x1000u;	/* delivery status: idle */
		if (x2apic)
			s->icr_hi = val >> 32;
		lapic__send_ipi(s, s->icr_lo,
				x2apic ? s->icr_hi : s->icr_hi >> 24, x2apic);
		return true;
	case APIC_ICR_HI:
		if (x2apic)
			return false;
		s->icr_hi = v & 0xff000000u;
		return true;
	case APIC_TIMER_ICR:
		s->timer_initial = v;
		lapic__timer_start(s);
		return true;
	case APIC_TIMER_DCR:
		s->timer_dcr = v & 0xb;
		if (s->timer_armed)
			lapic__timer_start(s);
		return true;
	case APIC_SELF_IPI:
		if (!x2apic)
			return false;
		lapic__accept(s, v & 0xff);
		return true;
	}
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR) {
		lapic__write_lvt(s, (off - APIC_LVT_TIMER) / 16, v);
		return true;
	}
	/* Read-only (version, PPR, ISR, TMR, IRR, CCR) or reserved. */
	return !x2apic;
}

static const char *lapic__reg_name(unsigned int off)
{
	switch (off) {
	case APIC_ID:		return "ID";
	case APIC_VERSION:	return "VERSION";
	case APIC_TPR:		return "TPR";
	case APIC_PPR:		return "PPR";
	case APIC_EOI:		return "EOI";
	case APIC_SVR:		return "SVR";
	case APIC_ESR:		return "ESR";
	case APIC_ICR_LO:	return "ICR";
	case APIC_ICR_HI:	return "ICR_HI";
	case APIC_LVT_TIMER:	return "LVT_TIMER";
	case APIC_LVT_LINT0:	return "LVT_LINT0";
	case APIC_TIMER_ICR:	return "TIMER_INITIAL";
	case APIC_TIMER_CCR:	return "TIMER_CURRENT";
	case APIC_TIMER_DCR:	return "TIMER_DIVIDE";
	case APIC_SELF_IPI:	return "SELF_IPI";
	}
	if (off >= APIC_ISR && off < APIC_ISR + 0x80)
		return "ISR";
	if (off >= APIC_IRR && off < APIC_IRR + 0x80)
		return "IRR";
	if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
		return "LVT";
	return "reg";
}

/*
 * The xAPIC page.  Software must use aligned 32-bit accesses (11.4.1);
 * a narrower read inside a register returns its bytes, anything else
 * reads 0 and is dropped on write.
 */
static void lapic__mmio(struct thv_runner *r, struct mmio_dev *dev,
			uint64_t offset, uint8_t *data, unsigned int len,
			bool is_write, char *desc, size_t desc_len)
{
	struct lapic_state *s = dev->priv;
	unsigned int reg = offset & ~0xfULL, byte = offset & 0xf, i;
	uint64_t v = 0;

	(void)r;
	snprintf(desc, desc_len, "LAPIC %s 0x%03x", lapic__reg_name(reg),
		 reg);
	if (is_write) {
		if (byte == 0 && len == 4)
			lapic__write_reg(s, reg, false, data[0] | data[1] << 8 |
					 data[2] << 16 |
					 (uint32_t)data[3] << 24);
		return;
	}
	if (byte + len > 4 || !lapic__read_reg(s, reg, false, &v))
		v = 0;
	else
		v >>= 8 * byte;
	for (i = 0; i < len; i++)
		data[i] = v >> (8 * i);
}

static int lapic__msr(struct thv_runner *r, struct msr_dev *dev,
		      uint32_t index, uint64_t *data, bool is_write,
		      char *desc, size_t desc_len)
{
	struct lapic_state *s = dev->priv;
	unsigned int reg = (index - X2APIC_MSR_BASE) * 16;
	bool ok;

	(void)r;
	if (is_write)
		ok = lapic__write_reg(s, reg, true, *data);
	else
		ok = lapic__read_reg(s, reg, true, data);
	snprintf(desc, desc_len, "x2APIC %s%s", lapic__reg_name(reg),
		 ok ? "" : " -> #GP");
	return ok ? 0 : -1;
}

static struct mmio_dev lapic_mmio_dev = {
	.name	= "lapic",
	.base	= LAPIC_BASE,
	.len	= LAPIC_SIZE,
	.mmio	= lapic__mmio,
	.priv	= &lapic_state,
};

static struct msr_dev lapic_msr_dev = {
	.name	= "x2apic",
	.base	= X2APIC_MSR_BASE,
	.len	= X2APIC_MSR_COUNT,
	.msr	= lapic__msr,
	.priv	= &lapic_state,
};

int lapic__init(void)
{
	struct lapic_state *s = &lapic_state;
	unsigned int i;
	int ret;

	/* Power-up values (11.4.7.1), LINT0 as firmware leaves it. */
	memset(s, 0, sizeof(*s));
	s->dfr = 0xffffffffu;
	s->svr = 0xff;
	for (i = 0; i < LVT_COUNT; i++)
		s->lvt[i] = APIC_LVT_MASKED;
	s->lvt[LVT_LINT0] = APIC_LVT_EXTINT;
	ret = mmio__register(&lapic_mmio_dev);
	if (!ret)
		ret = msr__register(&lapic_msr_dev);
	return ret;
}
