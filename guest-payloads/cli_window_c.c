// SPDX-License-Identifier: GPL-2.0
/*
 * cli_window_c.c - an interrupt that arrives while IF = 0 is delivered
 * right after STI: the interrupt window.
 *
 * Concept: the hypervisor can only inject an external interrupt when
 * the guest could take it: RFLAGS.IF = 1 and no STI/MOV SS "shadow"
 * (SDM Vol. 3A 6.8.3, APM Vol. 2 8.5).  When an interrupt is pending
 * and the guest runs with IF = 0, `thv run` sets
 * run->request_interrupt_window; thv.ko makes the CPU exit as soon as
 * the window opens (VMX "interrupt-window exiting", SVM's virtual
 * interrupt intercept), and the runner injects then.  So the interrupt
 * must arrive after the STI (and the one instruction of its shadow),
 * and not before.
 *
 * Twice: with an IRQ0 from the PIT (it becomes pending by itself while
 * we spin with IF = 0), and with a local APIC self-IPI.  `stage` says
 * where the guest was when the handler ran.
 *
 * Run:      thv run cli_window64.elf
 * Prints:   "cli_window: PIT IRQ0 pending in the IRR while IF=0\n"
 *           "cli_window: PIT IRQ0 delivered right after STI\n"
 *           "cli_window: self-IPI pending in the IRR while IF=0\n"
 *           "cli_window: self-IPI delivered right after STI\n"
 *           "cli_window: ok\n"
 * Status:   0 (ucall DONE); an ASSERT ucall (1) on a failed check.
 */
#include "guest.h"
#include "pc.h"

#define IRQ0_VECTOR	0x20
#define IPI_VECTOR	0x60

/* 0: IF = 0 still; 1: between STI and the store after it; 2: later. */
static volatile unsigned int stage;
static volatile unsigned int hits, hit_stage;

static void on_irq(struct ex_regs *regs)
{
	hits++;
	hit_stage = stage;
	if (regs->vector == IRQ0_VECTOR) {
		/*
		 * Mask IRQ0 before the EOI: the PIT keeps ticking, and a
		 * tick raised while we were slow would otherwise come in
		 * right after our IRET, before the guest's CLI.
		 */
		outb(PIC1_DATA, 0xff);
		pic_eoi(0);
	} else
		xapic_write(APIC_EOI, 0);
}

/* STI, one instruction of shadow, then stage 2 with IF still 1. */
static void sti_and_mark(void)
{
	stage = 1;
	asm volatile("sti\n\tnop" : : : "memory");
	stage = 2;
	cli();
}

int main(void)
{
	idt_set_handler(IRQ0_VECTOR, on_irq);
	idt_set_handler(IPI_VECTOR, on_irq);

	/* PIT at 100 Hz, IRQ0 unmasked, but IF = 0. */
	pic_init(IRQ0_VECTOR, IRQ0_VECTOR + 8);
	outb(PIC1_DATA, 0xfa);
	pit_periodic(100);
	stage = 0;
	/* Each IN is an exit, where the runner turns ticks into IRQs. */
	while (!(pic_master_irr() & 1))
		pause();
	GUEST_ASSERT_EQ(hits, 0);
	guest_printf("cli_window: PIT IRQ0 pending in the IRR while IF=0\n");
	sti_and_mark();
	outb(PIC1_DATA, 0xff);		/* no more IRQ0s */
	outb(PIT_CMD, 0x30);		/* and stop the PIT */
	GUEST_ASSERT_EQ(hits, 1);
	GUEST_ASSERT_EQ(hit_stage, 1);
	guest_printf("cli_window: PIT IRQ0 delivered right after STI\n");

	/* The same with a self-IPI from the local APIC. */
	hits = 0;
	stage = 0;
	xapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	xapic_write(APIC_ICR, APIC_ICR_SELF | IPI_VECTOR);
	GUEST_ASSERT(xapic_test_bit(APIC_IRR, IPI_VECTOR));
	GUEST_ASSERT_EQ(hits, 0);
	guest_printf("cli_window: self-IPI pending in the IRR while IF=0\n");
	sti_and_mark();
	GUEST_ASSERT_EQ(hits, 1);
	GUEST_ASSERT_EQ(hit_stage, 1);
	guest_printf("cli_window: self-IPI delivered right after STI\n");

	guest_printf("cli_window: ok\n");
	return 0;
}
