// SPDX-License-Identifier: GPL-2.0
/*
 * npt_c.c - guest-physical memory is mapped the first time it is touched.
 *
 * Concept: EPT/NPT, the second level of address translation.  The guest's
 * own page tables turn its virtual addresses into guest-physical ones;
 * the hypervisor's nested page tables (EPT on Intel, NPT on AMD; SDM
 * Vol. 3C 29.3, APM Vol. 2 15.25) turn guest-physical into host-physical.
 * thv.ko starts every VM with empty nested tables.  The first access to
 * each 4 KiB guest page stops the CPU with a nested page fault (an EPT
 * violation / #VMEXIT(NPF)); thv.ko finds the page of the memory slot
 * that backs it, adds one entry, and resumes the guest, which retries
 * the access and never knows (kmod/exit.c thv_handle_npf, kmod/mmu.c).
 * None of these exits reaches userspace: `thv run` only sees them in
 * the summary line, "N VM exits in all, M of them handled inside
 * thv.ko".
 *
 * This guest writes one word into each of 256 pages it has not touched
 * before (1 MiB at 4 MiB), then reads them all back: 256 first touches,
 * at least 256 exits handled in the kernel, and the second pass costs
 * none (the entries are there now).
 *
 * Run:      thv run -m 8M npt64.elf
 * Prints:   "npt: wrote 256 fresh pages\n"
 *           "npt: read back 256 pages ok\n"
 * Status:   0 (ucall DONE); an ASSERT ucall if a page lost its word.
 */
#include "guest.h"

#define NPT_BASE	(4UL << 20)	/* above the image, the stack, tables */
#define NPT_PAGES	256
#define PAGE		4096UL

int main(void)
{
	volatile uint64_t *p;
	unsigned long i;

	for (i = 0; i < NPT_PAGES; i++) {
		p = (volatile uint64_t *)(NPT_BASE + i * PAGE);
		*p = 0x7468760000000000ULL | i;		/* "thv" and the index */
	}
	guest_printf("npt: wrote %u fresh pages\n", NPT_PAGES);
	for (i = 0; i < NPT_PAGES; i++) {
		p = (volatile uint64_t *)(NPT_BASE + i * PAGE);
		GUEST_ASSERT_EQ(*p, 0x7468760000000000ULL | i);
	}
	guest_printf("npt: read back %u pages ok\n", NPT_PAGES);
	return 0;
}
