// SPDX-License-Identifier: GPL-2.0
/*
 * platform_c.c - one 64-bit guest that uses the whole small PC `thv run`
 * offers: interrupts, MMIO and MSRs, with a report that is the same on
 * every run and on both vendors (AMD SVM and Intel VMX).
 *
 * Concept: what a hypervisor gives a guest is a platform, not just a
 * CPU.  Here each piece takes a different road out of the guest:
 *
 *   interrupts  PIT -> PIC -> vector 0x20, and the LAPIC timer -> 0x30:
 *               host timers in the runner, injected with THV_INTERRUPT
 *   MMIO        the xAPIC page (0xfee00000) and the MMIO demo device
 *               (0xd0000000): nested page faults that thv.ko decodes
 *   MSRs        the x2APIC registers (0x800-0x8ff): THV_EXIT_MSR to the
 *               runner; IA32_PAT and the TSC: kept by thv.ko itself
 *   ports       the RTC's status, fw_cfg's RAM size and CPU count
 *
 * Only exact facts are printed: register values the hardware defines
 * and counts the guest itself decided (it stops at N ticks), never
 * times.
 *
 * Run:      thv run --memory 32M platform64.elf
 * Prints:   "platform: fw_cfg: 32 MiB of RAM, 1 CPU\n"
 *           "platform: RTC status D 0x80 (valid)\n"
 *           "platform: MMIO: demo MAGIC 0x21564854, xAPIC version 0x50014\n"
 *           "platform: MSR: PAT 0x7040600070406, TSC counts up\n"
 *           "platform: PIT: 5 timer interrupts on vector 0x20\n"
 *           "platform: x2APIC: id 0 version 0x50014\n"
 *           "platform: x2APIC timer: 5 interrupts on vector 0x30\n"
 *           "platform: ok\n"
 * Status:   0 (ucall DONE); an ASSERT ucall (1) on a failed check.
 */
#include "guest.h"
#include "pc.h"

#define PIT_VECTOR	0x20
#define LAPIC_VECTOR	0x30
#define MSR_IA32_PAT	0x277
#define MSR_IA32_TSC	0x10
#define MMIO_DEMO	0xd0000000UL
#define WANT_TICKS	5

static volatile unsigned int pit_ticks, lapic_ticks;

static void on_pit(struct ex_regs *regs)
{
	(void)regs;
	pit_ticks++;
	pic_eoi(0);
}

static void on_lapic(struct ex_regs *regs)
{
	(void)regs;
	lapic_ticks++;
	x2apic_write(APIC_EOI, 0);
}

static void wait_for(volatile unsigned int *count)
{
	for (;;) {
		cli();
		if (*count >= WANT_TICKS)
			break;
		sti_hlt();
	}
}

static uint64_t fw_cfg_read(uint16_t key, unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	outw(0x510, key);
	for (i = 0; i < len; i++)
		v |= (uint64_t)inb(0x511) << (8 * i);
	return v;
}

int main(void)
{
	uint64_t ram = fw_cfg_read(0x0003, 8), cpus = fw_cfg_read(0x0005, 2);
	uint32_t magic, ver;
	uint64_t pat, t1, t2;

	guest_printf("platform: fw_cfg: %llu MiB of RAM, %llu CPU%s\n",
		     (unsigned long long)(ram >> 20), (unsigned long long)cpus,
		     cpus == 1 ? "" : "s");
	outb(0x70, 0x8d);
	guest_printf("platform: RTC status D 0x%x (valid)\n", inb(0x71));

	magic = *(volatile uint32_t *)MMIO_DEMO;
	ver = xapic_read(APIC_VERSION);
	GUEST_ASSERT_EQ(magic, 0x21564854);
	GUEST_ASSERT_EQ(ver, 0x50014);
	guest_printf("platform: MMIO: demo MAGIC 0x%x, xAPIC version 0x%x\n",
		     magic, ver);

	pat = rdmsr(MSR_IA32_PAT);
	t1 = rdmsr(MSR_IA32_TSC);
	t2 = rdmsr(MSR_IA32_TSC);
	GUEST_ASSERT(t2 > t1);
	guest_printf("platform: MSR: PAT 0x%llx, TSC counts up\n",
		     (unsigned long long)pat);

	idt_set_handler(PIT_VECTOR, on_pit);
	idt_set_handler(LAPIC_VECTOR, on_lapic);

	pic_init(PIT_VECTOR, PIT_VECTOR + 8);
	outb(PIC1_DATA, 0xfa);
	pit_periodic(100);
	wait_for(&pit_ticks);
	outb(PIC1_DATA, 0xff);
	outb(PIT_CMD, 0x30);
	guest_printf("platform: PIT: %u timer interrupts on vector 0x%x\n",
		     WANT_TICKS, PIT_VECTOR);

	wrmsr(MSR_IA32_APIC_BASE, rdmsr(MSR_IA32_APIC_BASE) | APIC_BASE_EXTD);
	GUEST_ASSERT_EQ(x2apic_read(APIC_ID), 0);
	GUEST_ASSERT_EQ(x2apic_read(APIC_VERSION), 0x50014);
	guest_printf("platform: x2APIC: id %llu version 0x%llx\n",
		     (unsigned long long)x2apic_read(APIC_ID),
		     (unsigned long long)x2apic_read(APIC_VERSION));
	x2apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
	x2apic_write(APIC_TIMER_DIVIDE, APIC_DIVIDE_1);
	x2apic_write(APIC_LVT_TIMER, LAPIC_VECTOR | APIC_LVT_PERIODIC);
	x2apic_write(APIC_TIMER_INITIAL, 1000000);	/* 10 ms */
	wait_for(&lapic_ticks);
	x2apic_write(APIC_TIMER_INITIAL, 0);
	guest_printf("platform: x2APIC timer: %u interrupts on vector 0x%x\n",
		     WANT_TICKS, LAPIC_VECTOR);

	guest_printf("platform: ok\n");
	return 0;
}
