// SPDX-License-Identifier: GPL-2.0
/*
 * assert_c.c - what a failed GUEST_ASSERT looks like from the host.
 *
 * Concept: a guest cannot print a backtrace or call abort(); the
 * runtime's GUEST_ASSERT_EQ fills a struct thv_ucall with the file, the
 * line and both values and hands its address to the host with one OUT
 * to port 0xf5 (user/ucall.h).  The runner reads the struct out of guest
 * RAM and ends the run with status 1.  KVM's selftests report guest
 * failures the same way.
 *
 * Run:      thv run assert64.elf           (or assert32.elf)
 * Prints:   "assert_c: about to check that 2 + 2 == 5\n"
 * Stderr:   "thv: guest assertion failed: assert_c.c:NN: two + two == 5
 *           failed: 0x4 != 0x5 ..."
 * Status:   1
 */
#include "guest.h"

int main(void)
{
	volatile int two = 2;

	guest_printf("assert_c: about to check that 2 + 2 == 5\n");
	GUEST_ASSERT_EQ(two + two, 5);
	guest_printf("assert_c: not reached\n");
	return 0;
}
