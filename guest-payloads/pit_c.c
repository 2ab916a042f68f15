// SPDX-License-Identifier: GPL-2.0
/*
 * pit_c.c - timer interrupts from the 8254 PIT through the 8259A PIC.
 *
 * Concept: the oldest PC timer.  The PIT's counter 0 counts 1.193182 MHz
 * down from a reload value and pulses IRQ0 each time round; the master
 * PIC turns IRQ0 into a vector (here 0x20, after "remapping" it away
 * from the CPU's exception vectors) and the CPU takes it when IF = 1.
 * The handler must tell the PIC it is done (EOI), or the PIC will not
 * pass another IRQ0 (it stays "in service").  Under thv the PIT and PIC
 * are device models in `thv run`; a host timer stands in for the
 * crystal, and the runner injects the vector with THV_INTERRUPT.
 *
 * HLT with IF = 1 is "sleep until the next interrupt": the runner waits
 * for its timer instead of ending the run.  The loop below is the
 * classic race-free idle: CLI, check, then STI; HLT (an interrupt can
 * only come after the HLT has begun, thanks to the STI shadow).
 *
 * Then the mask: with IRQ0 masked in the IMR, the timer's edges wait in
 * the IRR and no interrupt comes; after unmasking, the one waiting edge
 * is delivered at once.
 *
 * Run:      thv run pit64.elf
 * Prints:   "pit: PIC remapped to 0x20, PIT at 100 Hz\n"
 *           "pit: counted 20 IRQ0s, EOI after each\n"
 *           "pit: counter latch reads 1..11932 and counts down\n"
 *           "pit: masked IRQ0: none delivered in 5 periods, IRR bit 0 set\n"
 *           "pit: unmasked: the waiting IRQ0 came at once\n"
 *           "pit: ok\n"
 * Status:   0 (ucall DONE); an ASSERT ucall (1) on a failed check.
 */
#include "guest.h"
#include "pc.h"

#define IRQ0_VECTOR	0x20
#define PIT_RELOAD	11932		/* (1193182 + 50) / 100 */
#define WANT_TICKS	20
#define COUNT_TRIES	8		/* pairs of counter reads, below */

static volatile unsigned int ticks;

static void on_irq0(struct ex_regs *regs)
{
	(void)regs;
	ticks++;
	pic_eoi(0);
}

/* Busy-wait n PIT periods by watching counter 0 wrap around. */
static void wait_periods(unsigned int n)
{
	uint16_t last = pit_read_count(), now;

	while (n) {
		now = pit_read_count();
		if (now > last)		/* reloaded: one period over */
			n--;
		last = now;
	}
}

int main(void)
{
	uint16_t c1, c2;
	int i;

	idt_set_handler(IRQ0_VECTOR, on_irq0);
	pic_init(IRQ0_VECTOR, IRQ0_VECTOR + 8);
	outb(PIC1_DATA, 0xfa);		/* unmask IRQ0 (and the cascade) */
	pit_periodic(100);
	guest_printf("pit: PIC remapped to 0x%x, PIT at 100 Hz\n",
		     IRQ0_VECTOR);

	for (;;) {
		cli();
		if (ticks >= WANT_TICKS)
			break;
		sti_hlt();
	}
	GUEST_ASSERT(ticks >= WANT_TICKS);
	guest_printf("pit: counted %u IRQ0s, EOI after each\n", WANT_TICKS);

	/*
	 * Two latched reads in a row: the second is a little lower.  Each
	 * read is three exits to the runner, a fraction of the 10 ms period,
	 * but the host may stop this whole test VM for longer than a period
	 * (the PIT keeps host time), and then the pair straddles a reload
	 * and proves nothing: take another pair.  A counter counting up
	 * would fail every try; so would one that did not move.
	 */
	for (i = 0; i < COUNT_TRIES; i++) {
		c1 = pit_read_count();
		c2 = pit_read_count();
		GUEST_ASSERT(c1 >= 1 && c1 <= PIT_RELOAD);
		GUEST_ASSERT(c2 >= 1 && c2 <= PIT_RELOAD);
		if (c2 < c1 && c1 - c2 < PIT_RELOAD / 2)
			break;
	}
	GUEST_ASSERT(i < COUNT_TRIES);
	guest_printf("pit: counter latch reads 1..%u and counts down\n",
		     PIT_RELOAD);

	/* Mask IRQ0; run with IF = 1 for 5 periods: nothing may come. */
	outb(PIC1_DATA, 0xfb);
	ticks = 0;
	sti();
	wait_periods(5);
	cli();
	GUEST_ASSERT_EQ(ticks, 0);
	GUEST_ASSERT(pic_master_irr() & 1);
	guest_printf("pit: masked IRQ0: none delivered in 5 periods, IRR bit 0 set\n");

	/* Unmask with IF = 0: still waiting; STI lets it in. */
	outb(PIC1_DATA, 0xfa);
	GUEST_ASSERT_EQ(ticks, 0);
	asm volatile("sti\n\tnop\n\tcli" : : : "memory");
	GUEST_ASSERT(ticks >= 1);
	guest_printf("pit: unmasked: the waiting IRQ0 came at once\n");

	outb(PIC1_DATA, 0xff);
	outb(PIT_CMD, 0x30);		/* mode 0, no count: stopped */
	guest_printf("pit: ok\n");
	return 0;
}
