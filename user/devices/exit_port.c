// SPDX-License-Identifier: GPL-2.0
/*
 * exit_port.c - port 0xf4: the guest ends the run with an exit status.
 *
 * The guest writes one byte: `mov al, 3; out 0xf4, al` ends `thv run`
 * with status 3 (0 means success).  This is the idea of QEMU's
 * isa-debug-exit device, without its (value << 1) | 1 encoding, so that a
 * test payload can report pass or fail to the script that runs it.
 * Reads return 0.
 */
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define EXIT_PORT	0xf4

static void exit_port__io(struct thv_runner *r, struct ioport_dev *dev,
			  uint16_t port, uint8_t *data, unsigned int size,
			  bool is_write, char *desc, size_t desc_len)
{
	(void)dev;
	(void)port;
	if (!is_write) {
		memset(data, 0, size);
		snprintf(desc, desc_len, "exit port (read)");
		return;
	}
	snprintf(desc, desc_len, "exit port: status %u", data[0]);
	runner__finish(r, data[0], data[0] ? "guest exited with code %u" :
		       "guest exited with code %u (success)", data[0]);
}

static struct ioport_dev exit_port_dev = {
	.name	= "exit-port",
	.base	= EXIT_PORT,
	.len	= 1,
	.io	= exit_port__io,
};

int exit_port__init(void)
{
	return ioport__register(&exit_port_dev);
}
