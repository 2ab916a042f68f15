// SPDX-License-Identifier: GPL-2.0
/*
 * devices_c.c - the PC devices that need no interrupts: the CMOS clock,
 * the firmware-config port, PCI configuration space, and a port nobody
 * claims.
 *
 * Concept: a guest learns about its machine by reading devices at
 * well-known addresses.  The CMOS RTC (ports 0x70/0x71) has the date and
 * time and, from the BIOS days, the RAM size; fw_cfg (0x510/0x511) says
 * RAM size and CPU count in so many bytes; PCI mechanism #1 (0xcf8/0xcfc)
 * answers 0xffffffff for every slot when the bus is empty.  Every IN and
 * OUT here is a VM exit that a device model in user/devices/ answers.
 *
 * Run:      thv run --memory 32M --rtc 2026-11-21T10:20:30 devices64.elf
 *           (or devices32.elf)
 * Prints:   "devices: rtc raw 30 20 10 07 21 11 26 20 (BCD, 24h)\n"
 *           "devices: rtc date 2026-11-21 time 10:20:30 weekday 7\n"
 *           "devices: rtc binary 30 20 10 21 11 26\n"
 *           "devices: rtc 12h hour 0x10\n"   (0x80 | hour for PM)
 *           "devices: rtc A 0x26 B 0x02 C 0x00 D 0x80\n"
 *           "devices: cmos base 640K ext 31744K ext2 31744K above16M 256\n"
 *           "devices: fw_cfg signature THV id 0x1\n"
 *           "devices: fw_cfg ram 33554432 cpus 1 past-end 0 unknown 0\n"
 *           "devices: pci addr 0x80001808 data 0xffffffff byte 0xff\n"
 *           "devices: port 0x3e0 reads 0xff\n"
 *           "devices: done\n"
 *           (the RTC and memory lines follow --rtc and --memory)
 * Status:   0 (ucall DONE).  With --strict the OUT to port 0x3e0 ends
 *           the run first (status 79).
 */
#include "guest.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511
#define PCI_ADDR	0xcf8
#define PCI_DATA	0xcfc
#define UNCLAIMED_PORT	0x3e0

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, 0x80 | reg);	/* bit 7: keep NMIs masked */
	return inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(CMOS_INDEX, 0x80 | reg);
	outb(CMOS_DATA, v);
}

static unsigned int bcd(uint8_t v)
{
	return (v >> 4) * 10 + (v & 0xf);
}

static unsigned int cmos_read16(uint8_t reg)
{
	return cmos_read(reg) | cmos_read(reg + 1) << 8;
}

static void test_rtc(void)
{
	static const uint8_t regs[] = { 0, 2, 4, 6, 7, 8, 9, 0x32 };
	uint8_t raw[8], b;
	unsigned int i;

	for (i = 0; i < 8; i++)
		raw[i] = cmos_read(regs[i]);
	b = cmos_read(0x0b);
	guest_printf("devices: rtc raw %02x %02x %02x %02x %02x %02x %02x %02x (%s, %s)\n",
		     raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6],
		     raw[7], (b & 4) ? "binary" : "BCD",
		     (b & 2) ? "24h" : "12h");
	guest_printf("devices: rtc date %02u%02u-%02u-%02u time %02u:%02u:%02u weekday %u\n",
		     bcd(raw[7]), bcd(raw[6]), bcd(raw[5]), bcd(raw[4]),
		     bcd(raw[2]), bcd(raw[1]), bcd(raw[0]), bcd(raw[3]));

	/* Register B bit 2 (DM): binary fields. */
	cmos_write(0x0b, b | 0x04);
	guest_printf("devices: rtc binary %u %u %u %u %u %u\n",
		     cmos_read(0), cmos_read(2), cmos_read(4), cmos_read(7),
		     cmos_read(8), cmos_read(9));
	/* Bit 1 clear: 12-hour clock (BCD again). */
	cmos_write(0x0b, b & ~0x06);
	guest_printf("devices: rtc 12h hour 0x%02x\n", cmos_read(4));
	cmos_write(0x0b, b);
	guest_printf("devices: rtc A 0x%02x B 0x%02x C 0x%02x D 0x%02x\n",
		     cmos_read(0x0a), cmos_read(0x0b), cmos_read(0x0c),
		     cmos_read(0x0d));
	guest_printf("devices: cmos base %uK ext %uK ext2 %uK above16M %u\n",
		     cmos_read16(0x15), cmos_read16(0x17), cmos_read16(0x30),
		     cmos_read16(0x34));
}

static void fw_cfg_select(uint16_t key)
{
	outw(FW_CFG_SEL, key);
}

static uint64_t fw_cfg_read(unsigned int len)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < len; i++)
		v |= (uint64_t)inb(FW_CFG_DATA) << (8 * i);
	return v;
}

static void test_fw_cfg(void)
{
	char sig[5] = { 0 };
	uint64_t ram, cpus, past, id, unknown;
	unsigned int i;

	fw_cfg_select(0x0000);
	for (i = 0; i < 4; i++)
		sig[i] = inb(FW_CFG_DATA);
	fw_cfg_select(0x0001);
	id = fw_cfg_read(4);
	fw_cfg_select(0x0003);
	ram = fw_cfg_read(8);
	fw_cfg_select(0x0005);
	cpus = fw_cfg_read(2);
	past = fw_cfg_read(4);		/* beyond the 2-byte item */
	fw_cfg_select(0x4242);
	unknown = fw_cfg_read(4);
	guest_printf("devices: fw_cfg signature %s id 0x%llx\n", sig,
		     (unsigned long long)id);
	guest_printf("devices: fw_cfg ram %llu cpus %llu past-end %llu unknown %llu\n",
		     (unsigned long long)ram, (unsigned long long)cpus,
		     (unsigned long long)past, (unsigned long long)unknown);
}

static void test_pci(void)
{
	uint32_t addr, data;
	uint8_t byte;

	/* Bus 0, device 3, function 0, register 8 (class code). */
	outl(PCI_ADDR, 0x80000000u | (3 << 11) | 8 | 0x7f000003u);
	addr = inl(PCI_ADDR);
	data = inl(PCI_DATA);
	byte = inb(PCI_DATA + 2);
	outl(PCI_DATA, 0x12345678);	/* goes nowhere */
	guest_printf("devices: pci addr 0x%x data 0x%x byte 0x%x\n", addr,
		     data, byte);
}

int main(void)
{
	uint8_t v;

	test_rtc();
	test_fw_cfg();
	test_pci();

	/* No device there: the write vanishes, the read gives all ones. */
	outb(UNCLAIMED_PORT, 0x5a);
	v = inb(UNCLAIMED_PORT);
	guest_printf("devices: port 0x%x reads 0x%x\n", UNCLAIMED_PORT, v);
	guest_printf("devices: done\n");
	return 0;
}
