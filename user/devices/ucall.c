// SPDX-License-Identifier: GPL-2.0
/*
 * ucall.c - port 0xf5: C guests talk to the runner (see user/ucall.h).
 *
 * A guest built on the runtime in guest-payloads/lib fills a struct
 * thv_ucall in its memory and writes its guest-physical address to this
 * port with one 32-bit OUT.  The OUT exits to us like any port access;
 * we read the struct out of guest RAM and act on it:
 *   DONE    the guest finished: end the run with status 0
 *   ASSERT  a GUEST_ASSERT failed: print where, end with status 1
 *   PRINT   print the guest's line on stdout, go on
 *   SYNC    a checkpoint: shown by --trace, go on
 * The struct is untrusted guest data: its address is checked against
 * guest RAM and its text is cut at the buffer's end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"
#include "ucall.h"

#define UCALL_STATUS_ASSERT	1

static void ucall__io(struct thv_runner *r, struct ioport_dev *dev,
		      uint16_t port, uint8_t *data, unsigned int size,
		      bool is_write, char *desc, size_t desc_len)
{
	struct thv_ucall uc;
	uint32_t gpa = 0;

	(void)dev;
	(void)port;
	if (!is_write || size != 4) {
		memset(data, 0xff, size);
		snprintf(desc, desc_len, "ucall: not a 32-bit OUT, ignored");
		return;
	}
	memcpy(&gpa, data, 4);
	if (gpa >= r->vm.mem_size || r->vm.mem_size - gpa < sizeof(uc)) {
		snprintf(desc, desc_len, "ucall: 0x%x is outside guest RAM",
			 gpa);
		runner__finish(r, THV_STATUS_INTERNAL,
			       "guest ucall at 0x%x is outside guest RAM", gpa);
		return;
	}
	memcpy(&uc, thv_gpa_to_hva(&r->vm, gpa), sizeof(uc));
	uc.buf[sizeof(uc.buf) - 1] = '\0';

	switch (uc.cmd) {
	case THV_UCALL_DONE:
		snprintf(desc, desc_len, "ucall DONE");
		runner__finish(r, THV_STATUS_OK, "guest done (ucall)");
		break;
	case THV_UCALL_ASSERT:
		snprintf(desc, desc_len, "ucall ASSERT");
		runner__finish(r, UCALL_STATUS_ASSERT,
			       "guest assertion failed: %.120s", uc.buf);
		break;
	case THV_UCALL_PRINT:
		snprintf(desc, desc_len, "ucall PRINT");
		console__guest_write(uc.buf, strlen(uc.buf));
		if (!*uc.buf || uc.buf[strlen(uc.buf) - 1] != '\n')
			console__guest_write("\n", 1);
		fflush(stdout);
		break;
	case THV_UCALL_SYNC:
		snprintf(desc, desc_len, "ucall SYNC stage %" PRIu64
			 " (0x%" PRIx64 ", 0x%" PRIx64 ", 0x%" PRIx64 ")",
			 uc.args[0], uc.args[1], uc.args[2], uc.args[3]);
		break;
	default:
		snprintf(desc, desc_len, "ucall: unknown command %" PRIu64,
			 uc.cmd);
		runner__finish(r, THV_STATUS_INTERNAL,
			       "guest made an unknown ucall %" PRIu64, uc.cmd);
		break;
	}
}

static struct ioport_dev ucall_dev = {
	.name	= "ucall",
	.base	= THV_UCALL_PORT,
	.len	= 1,
	.io	= ucall__io,
};

int ucall__init(void)
{
	return ioport__register(&ucall_dev);
}
