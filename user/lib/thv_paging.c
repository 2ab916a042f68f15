// SPDX-License-Identifier: GPL-2.0
/*
 * thv_paging.c - the guest's page tables, walked in software.
 *
 * The stepper and --trace show the instruction at the guest's RIP.  RIP
 * is a linear address (after the segment base), and once the guest has
 * turned paging on it means nothing to us until we translate it the way
 * the CPU's page walker does: start at CR3, take some bits of the
 * address as the index into each table, follow the entry's address to
 * the next table, until an entry maps a page (SDM Vol. 3A chapter 4,
 * "Paging"; APM Vol. 2 5.3 and 5.4).
 *
 * Which tables there are depends on the paging mode (SDM Vol. 3A 4.1.1,
 * Table 4-1):
 *
 *   mode     CR0.PG CR4.PAE EFER.LME CR4.LA57  levels  entry  pages
 *   32-bit     1       0       0        -        2      4 B    4K, 4M
 *   PAE        1       1       0        -        3      8 B    4K, 2M
 *   4-level    1       1       1        0        4      8 B    4K, 2M, 1G
 *   5-level    1       1       1        1        5      8 B    4K, 2M, 1G
 *
 * Each level takes 9 bits of the address (10 with 4-byte entries; 2 for
 * PAE's 4-entry PDPT); the last 12 bits are the offset in a 4 KiB page.
 * An entry with PS (bit 7) set at the PDE (or PDPTE) level maps a large
 * page and ends the walk early.
 *
 * What we leave out: accessed/dirty bits are not set, protection keys
 * and SMEP/SMAP are not checked (the walk reports rights, it does not
 * enforce them), and PAE's PDPTEs are read from memory, whereas the CPU
 * loads them into registers when CR3 is written (SDM Vol. 3A 4.4.1).
 */
#include <errno.h>
#include <string.h>

#include "thv_lib.h"

#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LME	(1ULL << 8)
#define EFER_LMA	(1ULL << 10)

/* Bits of a paging-structure entry (SDM Vol. 3A 4.3, 4.4.2, 4.5.4). */
#define PTE_P		(1ULL << 0)	/* present */
#define PTE_RW		(1ULL << 1)	/* writable */
#define PTE_US		(1ULL << 2)	/* user-mode accessible */
#define PTE_PS		(1ULL << 7)	/* page size: maps a large page */
#define PTE_NX		(1ULL << 63)	/* execute-disable (PAE and up) */
/* Bits 51:12: the physical address of the next table or the 4K page. */
#define PTE_ADDR	0x000ffffffffff000ULL

enum thv_paging_mode thv_paging_mode(uint64_t cr0, uint64_t cr4,
				     uint64_t efer)
{
	if (!(cr0 & CR0_PG))
		return THV_PAGING_OFF;
	if (!(cr4 & CR4_PAE))
		return THV_PAGING_32;
	/* LMA is what the CPU uses; LME alone (PG still 0) is not enough. */
	if (!(efer & (EFER_LMA | EFER_LME)))
		return THV_PAGING_PAE;
	return (cr4 & CR4_LA57) ? THV_PAGING_5LEVEL : THV_PAGING_4LEVEL;
}

const char *thv_paging_mode_name(enum thv_paging_mode mode)
{
	switch (mode) {
	case THV_PAGING_OFF:	return "off";
	case THV_PAGING_32:	return "32-bit";
	case THV_PAGING_PAE:	return "PAE";
	case THV_PAGING_4LEVEL:	return "4-level";
	case THV_PAGING_5LEVEL:	return "5-level";
	}
	return "?";
}

/*
 * One level of a walk: which bits of the address index the table, how
 * big an entry is, and what a PS entry at this level maps.
 */
struct level {
	const char *name;
	unsigned int shift;	/* lowest address bit of the index */
	unsigned int bits;	/* how many bits the index has */
	uint64_t large;		/* page size if PS is allowed here, else 0 */
};

/* SDM Vol. 3A Figure 4-2 (32-bit), 4-5 (PAE), 4-8 (4-level). */
static const struct level lv32[] = {
	{ "PDE", 22, 10, 4ULL << 20 },		/* 4 MiB with CR4.PSE */
	{ "PTE", 12, 10, 0 },
};
static const struct level lvpae[] = {
	{ "PDPTE", 30, 2, 0 },
	{ "PDE", 21, 9, 2ULL << 20 },
	{ "PTE", 12, 9, 0 },
};
static const struct level lv5[] = {
	{ "PML5E", 48, 9, 0 },
	{ "PML4E", 39, 9, 0 },
	{ "PDPTE", 30, 9, 1ULL << 30 },
	{ "PDE", 21, 9, 2ULL << 20 },
	{ "PTE", 12, 9, 0 },
};

/* 4-level paging is 5-level paging without its first level. */
static const struct level *walk_levels(enum thv_paging_mode mode,
				       unsigned int *n)
{
	switch (mode) {
	case THV_PAGING_32:
		*n = 2;
		return lv32;
	case THV_PAGING_PAE:
		*n = 3;
		return lvpae;
	case THV_PAGING_4LEVEL:
		*n = 4;
		return lv5 + 1;
	default:
		*n = 5;
		return lv5;
	}
}

/* Is la canonical: bits 63..va_bits-1 all equal (SDM Vol. 1 3.3.7.1)? */
static int canonical(uint64_t la, unsigned int va_bits)
{
	int64_t s = (int64_t)(la << (64 - va_bits)) >> (64 - va_bits);

	return (uint64_t)s == la;
}

/*
 * The physical address a large-page entry maps, SDM Vol. 3A Table 4-4
 * (a 4 MiB page: bits 31:22 of the PDE, plus bits 39:32 from PDE bits
 * 20:13 with PSE-36) and Tables 4-17/4-19 (2 MiB and 1 GiB pages).
 */
static uint64_t large_base(uint64_t e, uint64_t size, int four_byte)
{
	if (four_byte)
		return (e & 0xffc00000ULL) | (((e >> 13) & 0xffULL) << 32);
	return e & PTE_ADDR & ~(size - 1);
}

int thv_walk(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
	     uint64_t la, thv_read_phys_fn read, void *opaque,
	     struct thv_walk *w, char *err, size_t err_len)
{
	const struct level *lv;
	unsigned int n, i, esize;
	uint64_t table, e;

	memset(w, 0, sizeof(*w));
	w->mode = thv_paging_mode(cr0, cr4, efer);
	w->writable = w->user = 1;
	if (w->mode == THV_PAGING_OFF) {
		/* Linear addresses are physical, 32 bits wide (SDM 4.1.1). */
		w->gpa = la & 0xffffffffULL;
		w->page_size = 4096;
		return 0;
	}
	lv = walk_levels(w->mode, &n);
	esize = w->mode == THV_PAGING_32 ? 4 : 8;
	if (w->mode == THV_PAGING_32 || w->mode == THV_PAGING_PAE) {
		la &= 0xffffffffULL;
		/* CR3 bits 31:12 (32-bit) or 31:5 (PAE's 32-byte PDPT). */
		table = cr3 & (w->mode == THV_PAGING_PAE ? 0xffffffe0ULL :
			       0xfffff000ULL);
	} else {
		if (!canonical(la, w->mode == THV_PAGING_5LEVEL ? 57 : 48))
			return thv_errf(err, err_len, -EFAULT,
					"linear address 0x%llx is not canonical",
					(unsigned long long)la);
		table = cr3 & PTE_ADDR;
	}

	for (i = 0; i < n; i++) {
		uint64_t idx = (la >> lv[i].shift) & ((1ULL << lv[i].bits) - 1);
		uint64_t at = table + idx * esize;
		uint32_t e32;

		w->name[i] = lv[i].name;
		w->entry_gpa[i] = at;
		w->levels = i + 1;
		if (esize == 4) {
			if (read(opaque, at, &e32, 4))
				goto outside;
			e = e32;
		} else if (read(opaque, at, &e, 8)) {
			goto outside;
		}
		w->entry[i] = e;
		if (!(e & PTE_P))
			return thv_errf(err, err_len, -EFAULT,
					"%s at gpa 0x%llx is not present "
					"(linear 0x%llx)", lv[i].name,
					(unsigned long long)at,
					(unsigned long long)la);
		/* PAE's PDPTEs have no R/W, U/S or NX bits (SDM 4.4.1). */
		if (!(w->mode == THV_PAGING_PAE && i == 0)) {
			w->writable &= !!(e & PTE_RW);
			w->user &= !!(e & PTE_US);
			if (esize == 8 && (e & PTE_NX))
				w->nx = 1;
		}
		if (lv[i].large && (e & PTE_PS) &&
		    (esize == 8 || (cr4 & CR4_PSE))) {
			w->page_size = lv[i].large;
			w->gpa = large_base(e, lv[i].large, esize == 4) |
				 (la & (lv[i].large - 1));
			return 0;
		}
		table = esize == 4 ? (e & 0xfffff000ULL) : (e & PTE_ADDR);
	}
	w->page_size = 4096;
	w->gpa = table | (la & 0xfff);
	return 0;

outside:
	return thv_errf(err, err_len, -EFAULT, "%s of linear 0x%llx at gpa "
			"0x%llx is outside guest RAM", lv[i].name,
			(unsigned long long)la, (unsigned long long)w->entry_gpa[i]);
}

int thv_read_linear(const struct thv_sregs *sregs, uint64_t la, void *buf,
		    size_t len, thv_read_phys_fn read, void *opaque,
		    char *err, size_t err_len)
{
	unsigned char *p = buf;
	struct thv_walk w;
	int ret;

	while (len) {
		/* Never cross a 4 KiB boundary: the next page maps elsewhere. */
		size_t chunk = 4096 - (la & 0xfff);

		if (chunk > len)
			chunk = len;
		ret = thv_walk(sregs->cr0, sregs->cr3, sregs->cr4, sregs->efer,
			       la, read, opaque, &w, err, err_len);
		if (ret)
			return ret;
		if (read(opaque, w.gpa, p, chunk))
			return thv_errf(err, err_len, -EFAULT, "linear 0x%llx "
					"-> gpa 0x%llx is outside guest RAM",
					(unsigned long long)la,
					(unsigned long long)w.gpa);
		p += chunk;
		la += chunk;
		len -= chunk;
	}
	return 0;
}
