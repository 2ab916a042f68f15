// SPDX-License-Identifier: GPL-2.0
/*
 * oneshot_c.c - the local APIC timer in one-shot mode: it counts down
 * once and raises one interrupt at zero.
 *
 * Concept: in one-shot mode (LVT timer bit 17 = 0) the timer loads the
 * initial count, decrements the current count at the bus clock divided
 * by the divide configuration, raises the LVT timer's vector when it
 * reaches zero, and stays at zero (SDM Vol. 3A 11.5.4).  Under thv the
 * bus clock is 100 MHz, so an initial count of 100000000 with divide by
 * 1 is one second.
 *
 * Right after arming, the current count must still be above zero and
 * no interrupt may have come: the deadline is a second away.  That also
 * holds when `thv run --step` holds the guest at a stop in between,
 * for as long as the user likes: the runner stops guest time while it
 * waits at its prompt (user/timer.c), as a debugger should, and
 * tests/stepper_test.c checks exactly that with a pause of two seconds
 * at the write of the initial count.
 *
 * The LAPIC's registers are MMIO here (xAPIC page at 0xfee00000), so
 * `--step --break mmio` stops at each access: SVR, divide, LVT timer,
 * initial count (the 4th stop), current count, ...
 *
 * Run:      thv run oneshot64.elf
 * Prints:   "oneshot: armed for 1 s; right after: count above 0, no tick\n"
 *           "oneshot: one tick at the deadline, count now 0\n"
 *           "oneshot: ok\n"
 * Status:   0 (ucall DONE); an ASSERT ucall (1) on a failed check.
 */
#include "guest.h"
#include "pc.h"

#define TIMER_VEC	0x40
#define DEADLINE	100000000	/* 1 s at the runner's 100 MHz */

static volatile unsigned int ticks;

static void on_timer(struct ex_regs *regs)
{
	(void)regs;
	ticks++;
	xapic_write(APIC_EOI, 0);
}

int main(void)
{
	uint32_t count;
	unsigned int early;

	idt_set_handler(TIMER_VEC, on_timer);
	xapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	xapic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_1);
	xapic_write(APIC_LVT_TIMER, TIMER_VEC);	/* one-shot, unmasked */

	/* IF = 1: a tick that came too early would be taken at once. */
	sti();
	xapic_write(APIC_TIMER_INITIAL, DEADLINE);
	count = xapic_read(APIC_TIMER_CURRENT);
	early = ticks;
	cli();
	GUEST_ASSERT_EQ(early, 0);
	GUEST_ASSERT(count > 0 && count <= DEADLINE);
	guest_printf("oneshot: armed for 1 s; right after: count above 0, "
		     "no tick\n");

	/* Sleep until the one interrupt (CLI, check, STI; HLT: no race). */
	for (;;) {
		cli();
		if (ticks)
			break;
		sti_hlt();
	}
	GUEST_ASSERT_EQ(ticks, 1);
	GUEST_ASSERT_EQ(xapic_read(APIC_TIMER_CURRENT), 0);
	guest_printf("oneshot: one tick at the deadline, count now 0\n");
	guest_printf("oneshot: ok\n");
	return 0;
}
