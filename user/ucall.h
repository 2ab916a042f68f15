/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ucall.h - how a C guest talks to the program that runs it.
 *
 * The idea of KVM selftests' "ucall": the guest fills a struct ucall in
 * its own memory and hands its address to the host with one 32-bit OUT
 * to THV_UCALL_PORT (EAX = guest-physical address of the struct, which
 * must lie below 4 GiB; guests of the runtime in guest-payloads/lib map
 * memory 1:1, so a pointer is that address).  The OUT is a VM exit
 * (THV_EXIT_IO); the host reads the struct from guest RAM, acts on it and
 * resumes the guest, which then continues after the OUT.
 *
 * Used by both sides: the guest runtime (guest-payloads/lib) and the host
 * (`thv run`, the self-tests through libthv).  Only fixed-size types, the
 * same layout in 32- and 64-bit code.
 */
#ifndef THV_UCALL_H
#define THV_UCALL_H

#define THV_UCALL_PORT		0xf5

/* ucall.cmd */
#define THV_UCALL_DONE		1	/* the guest finished: pass */
#define THV_UCALL_ASSERT	2	/* GUEST_ASSERT failed: buf says where */
#define THV_UCALL_SYNC		3	/* a checkpoint: args[0] stage, args[1..] values */
#define THV_UCALL_PRINT		4	/* buf: a line for the host's log */

#define THV_UCALL_BUF_LEN	256

#ifndef __ASSEMBLER__
#include <stdint.h>

struct thv_ucall {
	uint64_t cmd;
	uint64_t args[4];
	char buf[THV_UCALL_BUF_LEN];	/* NUL-terminated */
};
#endif

#endif /* THV_UCALL_H */
