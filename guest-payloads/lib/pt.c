// SPDX-License-Identifier: GPL-2.0
/*
 * pt.c - change the guest's own page tables, one 4 KiB page at a time
 * (64-bit guests only).
 *
 * x86-64 4-level paging: a virtual address is cut into four 9-bit
 * indexes and a 12-bit offset (APM Vol. 2 5.3, SDM Vol. 3A 4.5):
 *
 *   47    39 38    30 29    21 20    12 11         0
 *   | PML4  | PDPT   | PD     | PT     | offset     |
 *
 * CR3 holds the physical address of the PML4; each entry holds the
 * physical address of the next table, and flags.  A PDPT entry or a PD
 * entry with PS = 1 maps a 1 GiB or 2 MiB page itself and the walk stops
 * there.  The runner identity-maps guest RAM with 2 MiB pages, so to
 * change one 4 KiB page we split its 2 MiB page into a page table of 512
 * entries that keep the old mapping, then edit one of them.
 *
 * The tables are in guest RAM and RAM is identity-mapped, so a table's
 * physical address is also a pointer to it (that holds for the pool
 * below too, which is in .bss).
 */
#include "guest.h"

#define PAGE_SIZE		4096
#define ENTRIES			512
#define PT_PAT_4K		(1ULL << 7)	/* PAT bit of a 4 KiB PTE */
#define PT_PAT_LARGE		(1ULL << 12)	/* PAT bit of a 2M/1G entry */
#define CR4_LA57		(1UL << 12)	/* 5-level paging */

/* Levels: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT. */
static unsigned int pt_index(uint64_t va, int level)
{
	return (va >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

static uint64_t *pt_table(uint64_t entry)
{
	return (uint64_t *)(uintptr_t)(entry & PT_ADDR_MASK);
}

/* Page tables must be 4 KiB aligned: so is the pool. */
static uint8_t pt_pool[PT_POOL_PAGES][PAGE_SIZE]
	__attribute__((aligned(PAGE_SIZE)));
static unsigned int pt_pool_used;

static uint64_t *pt_alloc(void)
{
	uint64_t *t;

	if (pt_pool_used >= PT_POOL_PAGES)
		GUEST_FAIL("pt_map_4k: all %d page-table pages in use",
			   PT_POOL_PAGES);
	t = (uint64_t *)pt_pool[pt_pool_used++];
	memset(t, 0, PAGE_SIZE);
	return t;
}

/*
 * *entry (at level 3 or 2) maps a 1 GiB or 2 MiB page.  Build a table of
 * 512 pages of the next size down that map the same memory with the same
 * flags, and point *entry at it.  The table is complete before *entry
 * changes, so the switch is one 64-bit store: code running in that very
 * page (ours, at 1 MiB, is) sees the same memory before and after.
 */
static void pt_split(uint64_t *entry, int level)
{
	uint64_t old = *entry;
	uint64_t size = 1ULL << (12 + 9 * (level - 1));	/* 2M or 1G */
	uint64_t child_size = size / ENTRIES;
	uint64_t base = old & PT_ADDR_MASK & ~(size - 1);
	uint64_t flags = old & ~PT_ADDR_MASK;		/* incl. PS, NX */
	uint64_t *t = pt_alloc();

	if (level == 2) {
		/* 4 KiB PTEs: no PS bit, and PAT moves from bit 12 to 7. */
		flags &= ~PT_PS;
		if (old & PT_PAT_LARGE)
			flags |= PT_PAT_4K;
	} else if (old & PT_PAT_LARGE) {
		flags |= PT_PAT_LARGE;		/* 2 MiB PDEs keep bit 12 */
	}
	for (int i = 0; i < ENTRIES; i++)
		t[i] = (base + i * child_size) | flags;

	/*
	 * A table pointer restricts nothing: the 512 entries carry the old
	 * page's W, U and NX now.  (D and G mean nothing at this level.)
	 */
	*entry = (uint64_t)(uintptr_t)t | PT_P | PT_W | PT_U | PT_A;
}

static bool pt_canonical(uint64_t va)
{
	/* Bits 63:47 all equal (48-bit virtual addresses). */
	return (uint64_t)((int64_t)(va << 16) >> 16) == va;
}

/* NX is a reserved bit (a #PF on use) until EFER.NXE is set. */
static void pt_enable_nx(void)
{
	uint32_t a, b, c, d;
	uint64_t efer = rdmsr(MSR_EFER);

	if (efer & EFER_NXE)
		return;
	cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000001)
		cpuid(0x80000001, 0, &a, &b, &c, &d);
	else
		d = 0;
	if (!(d & (1U << 20)))
		GUEST_FAIL("pt_map_4k: PT_NX, but no NX (CPUID 0x80000001 EDX[20])");
	wrmsr(MSR_EFER, efer | EFER_NXE);
}

void pt_map_4k(uint64_t gva, uint64_t gpa, uint64_t flags)
{
	uint64_t *table, *e;
	int level;

	if ((gva | gpa) & (PAGE_SIZE - 1))
		GUEST_FAIL("pt_map_4k(0x%llx, 0x%llx): not 4 KiB aligned",
			   (unsigned long long)gva, (unsigned long long)gpa);
	if (!pt_canonical(gva))
		GUEST_FAIL("pt_map_4k: 0x%llx is not canonical",
			   (unsigned long long)gva);
	if (gpa & ~PT_ADDR_MASK)
		GUEST_FAIL("pt_map_4k: gpa 0x%llx too high",
			   (unsigned long long)gpa);
	if (read_cr4() & CR4_LA57)
		GUEST_FAIL("pt_map_4k: 5-level paging is not supported");
	if (flags & PT_NX)
		pt_enable_nx();

	table = pt_table(read_cr3());
	for (level = 4; level > 1; level--) {
		e = &table[pt_index(gva, level)];
		if (!(*e & PT_P)) {
			*e = (uint64_t)(uintptr_t)pt_alloc() |
			     PT_P | PT_W | PT_U | PT_A;
		} else if (*e & PT_PS) {
			if (level == 4)
				GUEST_FAIL("pt_map_4k: PS set in a PML4 entry");
			pt_split(e, level);
		}
		/*
		 * Access is what every level allows, so make sure the levels
		 * above allow what flags ask for.  (Other pages under this
		 * entry keep their own, stricter, leaf flags.)
		 */
		*e |= flags & (PT_W | PT_U);
		if (!(flags & PT_NX))
			*e &= ~PT_NX;
		table = pt_table(*e);
	}
	table[pt_index(gva, 1)] = gpa | flags;

	/*
	 * The TLB may still hold the old translation (the 2 MiB one if we
	 * split).  INVLPG drops every TLB entry for gva, of any page size,
	 * and the cached upper-level entries too (SDM Vol. 3A 4.10.4.1).
	 */
	invlpg((void *)(uintptr_t)gva);
}

uint64_t pt_get_entry(uint64_t gva)
{
	uint64_t *table = pt_table(read_cr3());
	uint64_t e = 0;

	for (int level = 4; level >= 1; level--) {
		e = table[pt_index(gva, level)];
		if (!(e & PT_P))
			return 0;
		if (level == 1 || (level < 4 && (e & PT_PS)))
			return e;
		table = pt_table(e);
	}
	return e;
}
