// SPDX-License-Identifier: GPL-2.0
/*
 * lapic_c.c - the local APIC: its timer, EOI, task priority and
 * self-IPIs, first through the xAPIC page, then as x2APIC MSRs.
 *
 * Concept: every modern x86 CPU has its own interrupt controller, the
 * local APIC.  In xAPIC mode its registers are a 4 KiB page of memory-
 * mapped I/O at 0xfee00000 (under thv: MMIO exits); in x2APIC mode
 * (IA32_APIC_BASE bit 10) the same registers are MSRs 0x800-0x8ff
 * (under thv: MSR exits).  `thv run` models one in userspace
 * (user/devices/lapic.c) and says so in CPUID leaf 1.
 *
 *   - timer: LVT timer = vector | periodic, divide by 1, initial count
 *     1000000 at the runner's 100 MHz bus clock: every 10 ms;
 *   - EOI: the handler writes 0 to EOI, which clears the vector's ISR
 *     bit; without it no interrupt of the same or lower priority class
 *     would come again;
 *   - TPR: with TPR = 0x60, a vector of class 5 (0x50-0x5f) waits in
 *     the IRR; lowering TPR lets it in (SDM Vol. 3A 11.8.3);
 *   - self-IPI: ICR with the "self" shorthand (and in x2APIC mode the
 *     SELF_IPI register) sends a vector to this CPU.
 *
 * Run:      thv run lapic64.elf
 * Prints:   "lapic: CPUID says APIC and x2APIC\n"
 *           "lapic: xAPIC id 0 version 0x50014\n"
 *           "lapic: xAPIC timer: 10 ticks on vector 0x40\n"
 *           "lapic: xAPIC self-IPI vector 0x50 arrived\n"
 *           "lapic: TPR 0x60 held vector 0x51 in the IRR; TPR 0 let it in\n"
 *           "lapic: x2APIC on: APIC_BASE 0xfee00d00\n"
 *           "lapic: x2APIC id 0 version 0x50014\n"
 *           "lapic: x2APIC timer: 10 ticks on vector 0x41\n"
 *           "lapic: x2APIC ICR self-IPI vector 0x52 arrived\n"
 *           "lapic: x2APIC SELF_IPI vector 0x53 arrived\n"
 *           "lapic: ok\n"
 * Status:   0 (ucall DONE); an ASSERT ucall (1) on a failed check.
 */
#include "guest.h"
#include "pc.h"

#define TIMER_VEC_X	0x40
#define TIMER_VEC_X2	0x41
#define IPI_VEC		0x50
#define TPR_VEC		0x51
#define ICR_VEC_X2	0x52
#define SELF_VEC_X2	0x53
#define TIMER_COUNT	1000000		/* 10 ms at 100 MHz */
#define WANT_TICKS	10

static volatile unsigned int ticks;
static volatile unsigned int last_vector, ipi_count;
static bool x2apic_mode;

static void apic_eoi(void)
{
	if (x2apic_mode)
		x2apic_write(APIC_EOI, 0);
	else
		xapic_write(APIC_EOI, 0);
}

static void on_timer(struct ex_regs *regs)
{
	(void)regs;
	ticks++;
	apic_eoi();
}

static void on_ipi(struct ex_regs *regs)
{
	last_vector = regs->vector;
	ipi_count++;
	apic_eoi();
}

static void wait_ticks(void)
{
	for (;;) {
		cli();
		if (ticks >= WANT_TICKS)
			break;
		sti_hlt();
	}
}

/* Let a pending interrupt in: one instruction with IF = 1. */
static void open_window(void)
{
	asm volatile("sti\n\tnop\n\tcli" : : : "memory");
}

static void test_xapic(void)
{
	uint32_t id = xapic_read(APIC_ID) >> 24;
	uint32_t ver = xapic_read(APIC_VERSION);

	GUEST_ASSERT_EQ(id, 0);
	GUEST_ASSERT_EQ(ver, 0x50014);
	guest_printf("lapic: xAPIC id %u version 0x%x\n", id, ver);

	xapic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	xapic_write(APIC_TPR, 0);
	xapic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_1);
	xapic_write(APIC_LVT_TIMER, TIMER_VEC_X | APIC_LVT_PERIODIC);
	xapic_write(APIC_TIMER_INITIAL, TIMER_COUNT);
	GUEST_ASSERT(xapic_read(APIC_TIMER_CURRENT) <= TIMER_COUNT);
	wait_ticks();
	xapic_write(APIC_TIMER_INITIAL, 0);	/* stop */
	xapic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	guest_printf("lapic: xAPIC timer: %u ticks on vector 0x%x\n",
		     WANT_TICKS, TIMER_VEC_X);

	/* Self-IPI with IF = 0: it waits in the IRR until STI. */
	ipi_count = 0;
	xapic_write(APIC_ICR, APIC_ICR_SELF | IPI_VEC);
	GUEST_ASSERT_EQ(ipi_count, 0);
	GUEST_ASSERT(xapic_test_bit(APIC_IRR, IPI_VEC));
	open_window();
	GUEST_ASSERT_EQ(ipi_count, 1);
	GUEST_ASSERT_EQ(last_vector, IPI_VEC);
	GUEST_ASSERT(!xapic_test_bit(APIC_IRR, IPI_VEC));
	GUEST_ASSERT(!xapic_test_bit(APIC_ISR, IPI_VEC));	/* EOI'd */
	guest_printf("lapic: xAPIC self-IPI vector 0x%x arrived\n", IPI_VEC);

	/* TPR class 6 blocks class 5. */
	ipi_count = 0;
	xapic_write(APIC_TPR, 0x60);
	xapic_write(APIC_ICR, APIC_ICR_SELF | TPR_VEC);
	open_window();
	GUEST_ASSERT_EQ(ipi_count, 0);
	GUEST_ASSERT(xapic_test_bit(APIC_IRR, TPR_VEC));
	xapic_write(APIC_TPR, 0);
	open_window();
	GUEST_ASSERT_EQ(ipi_count, 1);
	GUEST_ASSERT_EQ(last_vector, TPR_VEC);
	guest_printf("lapic: TPR 0x60 held vector 0x%x in the IRR; TPR 0 let it in\n",
		     TPR_VEC);
}

static void test_x2apic(void)
{
	uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
	uint64_t id, ver;

	wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
	base = rdmsr(MSR_IA32_APIC_BASE);
	GUEST_ASSERT(base & APIC_BASE_EXTD);
	x2apic_mode = true;
	guest_printf("lapic: x2APIC on: APIC_BASE 0x%llx\n",
		     (unsigned long long)base);

	id = x2apic_read(APIC_ID);
	ver = x2apic_read(APIC_VERSION);
	GUEST_ASSERT_EQ(id, 0);
	GUEST_ASSERT_EQ(ver, 0x50014);
	guest_printf("lapic: x2APIC id %llu version 0x%llx\n",
		     (unsigned long long)id, (unsigned long long)ver);

	ticks = 0;
	x2apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_1);
	x2apic_write(APIC_LVT_TIMER, TIMER_VEC_X2 | APIC_LVT_PERIODIC);
	x2apic_write(APIC_TIMER_INITIAL, TIMER_COUNT);
	wait_ticks();
	x2apic_write(APIC_TIMER_INITIAL, 0);
	x2apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
	guest_printf("lapic: x2APIC timer: %u ticks on vector 0x%x\n",
		     WANT_TICKS, TIMER_VEC_X2);

	/* The x2APIC ICR is one 64-bit MSR: destination in bits 63-32. */
	ipi_count = 0;
	x2apic_write(APIC_ICR, APIC_ICR_SELF | ICR_VEC_X2);
	open_window();
	GUEST_ASSERT_EQ(ipi_count, 1);
	GUEST_ASSERT_EQ(last_vector, ICR_VEC_X2);
	guest_printf("lapic: x2APIC ICR self-IPI vector 0x%x arrived\n",
		     ICR_VEC_X2);

	ipi_count = 0;
	x2apic_write(APIC_SELF_IPI, SELF_VEC_X2);
	open_window();
	GUEST_ASSERT_EQ(ipi_count, 1);
	GUEST_ASSERT_EQ(last_vector, SELF_VEC_X2);
	guest_printf("lapic: x2APIC SELF_IPI vector 0x%x arrived\n",
		     SELF_VEC_X2);
}

int main(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(d & (1u << 9));
	GUEST_ASSERT(c & (1u << 21));
	guest_printf("lapic: CPUID says APIC and x2APIC\n");

	idt_set_handler(TIMER_VEC_X, on_timer);
	idt_set_handler(TIMER_VEC_X2, on_timer);
	idt_set_handler(IPI_VEC, on_ipi);
	idt_set_handler(TPR_VEC, on_ipi);
	idt_set_handler(ICR_VEC_X2, on_ipi);
	idt_set_handler(SELF_VEC_X2, on_ipi);

	test_xapic();
	test_x2apic();
	guest_printf("lapic: ok\n");
	return 0;
}
