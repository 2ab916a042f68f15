// SPDX-License-Identifier: GPL-2.0
/*
 * pci.c - PCI configuration mechanism #1 with no devices behind it.
 *
 * PCI Local Bus Specification 3.0, 3.2.2.3.2 "Software Generation of
 * Configuration Transactions": two 32-bit registers in I/O space,
 *
 *   0xcf8  CONFIG_ADDRESS: bit 31 enable, 23-16 bus, 15-11 device,
 *          10-8 function, 7-2 register; bits 30-24 are reserved and read
 *          0, bits 1-0 read 0.  Only a 32-bit access reaches it; the
 *          spec leaves byte/word accesses of 0xcf8-0xcfb to other
 *          devices (on a PIIX, 0xcf9 is the reset control register), so
 *          here they read all ones and writes are dropped.
 *   0xcfc  CONFIG_DATA: the register CONFIG_ADDRESS names, any size at
 *          0xcfc-0xcff.
 *
 * With no device on the bus every configuration read ends in a master
 * abort, which returns all ones: vendor ID 0xffff is how an OS learns
 * that a slot is empty (3.6.1 "Configuration Space Organization").
 * Writes go nowhere.  Not modelled: mechanism #2, ECAM (PCIe MMIO
 * config space), any host bridge at 00:00.0.
 */
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define PCI_CONFIG_ADDRESS	0xcf8
#define PCI_CONFIG_DATA		0xcfc
#define PCI_ADDR_RESERVED	0x7f000003u	/* bits 30-24 and 1-0 */

static uint32_t pci_config_address;

static void pci__io(struct thv_runner *r, struct ioport_dev *dev,
		    uint16_t port, uint8_t *data, unsigned int size,
		    bool is_write, char *desc, size_t desc_len)
{
	uint32_t a = pci_config_address;
	unsigned int i;

	(void)r;
	(void)dev;
	if (port == PCI_CONFIG_ADDRESS && size == 4) {
		if (is_write) {
			pci_config_address = (data[0] | data[1] << 8 |
					      data[2] << 16 |
					      (uint32_t)data[3] << 24) &
					     ~PCI_ADDR_RESERVED;
			a = pci_config_address;
			snprintf(desc, desc_len, "PCI CONFIG_ADDRESS %s "
				 "%02x:%02x.%x reg 0x%02x",
				 (a >> 31) ? "on" : "off", (a >> 16) & 0xff,
				 (a >> 11) & 0x1f, (a >> 8) & 7, a & 0xfc);
			return;
		}
		for (i = 0; i < 4; i++)
			data[i] = a >> (8 * i);
		snprintf(desc, desc_len, "PCI CONFIG_ADDRESS (read)");
		return;
	}
	if (port >= PCI_CONFIG_DATA)
		snprintf(desc, desc_len, "PCI CONFIG_DATA %s: no device",
			 is_write ? "write" : "read");
	else
		snprintf(desc, desc_len, "PCI port 0x%x size %u: ignored",
			 port, size);
	if (!is_write)
		memset(data, 0xff, size);
}

static struct ioport_dev pci_dev = {
	.name	= "pci",
	.base	= PCI_CONFIG_ADDRESS,
	.len	= 8,
	.io	= pci__io,
};

int pci__init(void)
{
	return ioport__register(&pci_dev);
}
