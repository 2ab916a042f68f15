// SPDX-License-Identifier: GPL-2.0
/*
 * mmu.c - nested page tables (AMD NPT, Intel EPT): guest-physical to
 * host-physical.
 *
 * TOUR(4.1 thv_mmu_map): Two-dimensional paging.  With nested paging the CPU
 * walks two sets of page tables on a TLB miss: the guest's own (guest-virtual
 * to guest-physical, which the guest controls and we never touch) and ours
 * (guest-physical to host-physical).  Ours are plain radix trees of 512
 * entries per page, 4 or 5 levels like the host's; only the bits in an entry
 * differ by vendor, so the backend describes them in thv_mmu_fmt and this file
 * does the walking for both.  See APM Vol. 2 15.25 (nested paging) and SDM
 * Vol. 3C 29.3 (EPT).
 *
 * We only ever map 4 KiB pages, one at a time, on the nested page fault
 * that first touches them; tables are freed all at once.
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include "thv.h"

#define THV_PTE_ADDR_MASK	GENMASK_ULL(51, 12)
#define THV_PT_ENTRIES		512

static u64 *thv_mmu_alloc_table(struct thv_mmu *mmu)
{
	u64 *table = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

	if (table)
		mmu->nr_tables++;
	return table;
}

int thv_mmu_init(struct thv_mmu *mmu, const struct thv_mmu_fmt *fmt)
{
	mmu->fmt = fmt;
	mmu->nr_tables = 0;
	mmu->root = thv_mmu_alloc_table(mmu);
	return mmu->root ? 0 : -ENOMEM;
}

u64 thv_mmu_root_pa(struct thv_mmu *mmu)
{
	return __pa(mmu->root);
}

/* Free a table and, below it, every table it points to (not the leaves). */
static void thv_mmu_free_table(struct thv_mmu *mmu, u64 *table, int level)
{
	int i;

	if (level > 1) {
		for (i = 0; i < THV_PT_ENTRIES; i++) {
			u64 e = table[i];

			if (e & mmu->fmt->present_mask)
				thv_mmu_free_table(mmu,
					__va(e & THV_PTE_ADDR_MASK), level - 1);
		}
	}
	free_page((unsigned long)table);
	mmu->nr_tables--;
}

void thv_mmu_destroy(struct thv_mmu *mmu)
{
	if (!mmu->root)
		return;
	thv_mmu_free_table(mmu, mmu->root, mmu->fmt->levels);
	mmu->root = NULL;
	WARN_ON_ONCE(mmu->nr_tables);
}

static unsigned int thv_mmu_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & (THV_PT_ENTRIES - 1);
}

/*
 * Map one 4 KiB guest page.  Returns 0, -EEXIST if gpa was already mapped
 * (the caller must not loop on such a fault) or -ENOMEM.
 */
int thv_mmu_map(struct thv_mmu *mmu, u64 gpa, u64 hpa)
{
	const struct thv_mmu_fmt *fmt = mmu->fmt;
	u64 *table = mmu->root;
	int level;

	for (level = fmt->levels; level > 1; level--) {
		u64 *e = &table[thv_mmu_index(gpa, level)];

		if (!(*e & fmt->present_mask)) {
			u64 *next = thv_mmu_alloc_table(mmu);

			if (!next)
				return -ENOMEM;
			*e = __pa(next) | fmt->table_bits;
		}
		table = __va(*e & THV_PTE_ADDR_MASK);
	}

	table += thv_mmu_index(gpa, 1);
	if (*table & fmt->present_mask)
		return -EEXIST;
	*table = (hpa & THV_PTE_ADDR_MASK) | fmt->leaf_bits;
	return 0;
}

/*
 * Bit 7 of a non-leaf entry, "PS" in NPT (the ordinary x86-64 format,
 * APM Vol. 2 5.3.4) and in EPT (SDM Vol. 3C 29.3.2): the entry maps a
 * 2 MiB (level 2) or 1 GiB (level 3) page instead of pointing to a
 * table.  thv maps only 4 KiB pages, but the walker reads what is there.
 */
#define THV_PTE_LARGE		BIT_ULL(7)

static void thv_mmu_walk_table(struct thv_mmu *mmu, u64 *table, int level,
			       u64 gpa_base, thv_mmu_leaf_fn fn, void *arg)
{
	u64 span = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	int i;

	for (i = 0; i < THV_PT_ENTRIES; i++) {
		u64 e = table[i];
		u64 gpa = gpa_base + i * span;

		if (!(e & mmu->fmt->present_mask))
			continue;
		if (level == 1 || (level <= 3 && (e & THV_PTE_LARGE)))
			fn(arg, gpa, e, level);
		else
			thv_mmu_walk_table(mmu, __va(e & THV_PTE_ADDR_MASK),
					   level - 1, gpa, fn, arg);
	}
}

/*
 * Call fn for every present leaf, in ascending guest-physical order:
 * its GPA, the raw entry (host-physical address and permission bits)
 * and its level (1: 4 KiB).  The caller holds vm->lock, so the tables
 * cannot change or go away meanwhile.  debugfs "npt" uses it.
 */
void thv_mmu_walk(struct thv_mmu *mmu, thv_mmu_leaf_fn fn, void *arg)
{
	if (mmu->root)
		thv_mmu_walk_table(mmu, mmu->root, mmu->fmt->levels, 0, fn,
				   arg);
}
