/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pc.h - the PC's interrupt hardware as `thv run` models it, for C
 * guests: the 8259A PIC pair, the 8254 PIT and the local APIC (xAPIC
 * page and x2APIC MSRs).  Header-only helpers; see user/devices/ for the
 * device side and user/README.md for what is modelled.
 */
#ifndef THV_GUEST_PC_H
#define THV_GUEST_PC_H

#include "guest.h"

/* ---- 8259A (8259A datasheet) ---- */
#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20	/* OCW2: non-specific EOI */
#define PIC_READ_IRR	0x0a	/* OCW3 */
#define PIC_READ_ISR	0x0b

/*
 * ICW1-ICW4: edge triggered, cascaded, ICW4 needed; vectors base1.. for
 * IRQ0-7 and base2.. for IRQ8-15; slave on IRQ2; 8086 mode.  Then mask
 * every line but the cascade.
 */
static inline void pic_init(uint8_t base1, uint8_t base2)
{
	outb(PIC1_CMD, 0x11);
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, base1);
	outb(PIC2_DATA, base2);
	outb(PIC1_DATA, 1 << 2);	/* ICW3 master: slave on IR2 */
	outb(PIC2_DATA, 2);		/* ICW3 slave: my ID is 2 */
	outb(PIC1_DATA, 0x01);		/* ICW4: 8086 mode */
	outb(PIC2_DATA, 0x01);
	outb(PIC1_DATA, 0xfb);
	outb(PIC2_DATA, 0xff);
}

static inline void pic_eoi(unsigned int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

static inline uint8_t pic_master_irr(void)
{
	outb(PIC1_CMD, PIC_READ_IRR);
	return inb(PIC1_CMD);
}

/* ---- 8254 (8254 datasheet) ---- */
#define PIT_CH0		0x40
#define PIT_CMD		0x43
#define PIT_HZ		1193182u

/* Counter 0, LSB then MSB, mode 2 (rate generator): IRQ0 at hz. */
static inline void pit_periodic(unsigned int hz)
{
	unsigned int reload = (PIT_HZ + hz / 2) / hz;

	outb(PIT_CMD, 0x34);
	outb(PIT_CH0, reload & 0xff);
	outb(PIT_CH0, reload >> 8);
}

/* Counter latch command, then the latched count, LSB first. */
static inline uint16_t pit_read_count(void)
{
	uint16_t lo, hi;

	outb(PIT_CMD, 0x00);
	lo = inb(PIT_CH0);
	hi = inb(PIT_CH0);
	return lo | hi << 8;
}

/* ---- local APIC (SDM Vol. 3A chapter 11) ---- */
#define MSR_IA32_APIC_BASE	0x1b
#define APIC_BASE_EXTD		(1ULL << 10)	/* x2APIC mode */
#define XAPIC_BASE		0xfee00000UL

#define APIC_ID			0x020
#define APIC_VERSION		0x030
#define APIC_TPR		0x080
#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_ISR		0x100
#define APIC_IRR		0x200
#define APIC_ICR		0x300
#define APIC_LVT_TIMER		0x320
#define APIC_TIMER_INITIAL	0x380
#define APIC_TIMER_CURRENT	0x390
#define APIC_TIMER_DIVIDE	0x3e0
#define APIC_SELF_IPI		0x3f0	/* x2APIC only */

#define APIC_SVR_ENABLE		0x100
#define APIC_LVT_PERIODIC	(1u << 17)
#define APIC_LVT_MASKED		(1u << 16)
#define APIC_ICR_SELF		(1u << 18)	/* destination shorthand 01 */
#define APIC_DIVIDE_1		0xb

/* x2APIC: register offset / 16 + 0x800 (SDM table 11-6). */
#define X2APIC_MSR(off)		(0x800 + ((off) >> 4))

static inline uint32_t xapic_read(unsigned int off)
{
	return *(volatile uint32_t *)(XAPIC_BASE + off);
}

static inline void xapic_write(unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(XAPIC_BASE + off) = v;
}

static inline uint64_t x2apic_read(unsigned int off)
{
	return rdmsr(X2APIC_MSR(off));
}

static inline void x2apic_write(unsigned int off, uint64_t v)
{
	wrmsr(X2APIC_MSR(off), v);
}

/* Is vector v set in the ISR/IRR at base (APIC_ISR or APIC_IRR)? */
static inline bool xapic_test_bit(unsigned int base, unsigned int v)
{
	return xapic_read(base + (v / 32) * 16) & (1u << (v % 32));
}

/* STI; HLT: the STI shadow lets no interrupt in between the two. */
static inline void sti_hlt(void)
{
	asm volatile("sti\n\thlt" : : : "memory");
}

#endif /* THV_GUEST_PC_H */
