// SPDX-License-Identifier: GPL-2.0
/*
 * emulate.c - just enough instruction decoding to emulate MMIO.
 *
 * A nested page fault tells us the guest-physical address and whether the
 * access was a write, but not its size or which register was involved.
 * So we fetch the instruction at the guest's RIP and decode it.  Only the
 * MOV family that device drivers use for registers is understood here
 * (SDM Vol. 2 "MOV", "MOVZX", "MOVSX"); anything else is reported to
 * userspace as THV_INTERNAL_EMULATION with the instruction bytes.
 */
#include <linux/highmem.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include "thv.h"

/*
 * Copy guest-physical memory.  Called from THV_RUN, while vm->run_lock keeps
 * the memory slots from changing; may sleep (a page used for the first
 * time is pinned, vm.c).  Returns 0 or -EFAULT if any byte is not backed
 * by RAM.
 */
int thv_read_guest_phys(struct thv_vm *vm, u64 gpa, void *buf, size_t len)
{
	u8 *dst = buf;

	while (len) {
		struct thv_memslot *slot = thv_gpa_to_slot(vm, gpa);
		size_t off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct page *page;
		void *src;

		if (!slot)
			return -EFAULT;
		page = thv_slot_page(vm, slot, (gpa - slot->gpa) >> PAGE_SHIFT);
		if (!page)
			return -EFAULT;
		src = kmap_local_page(page);
		memcpy(dst, src + off, n);
		kunmap_local(src);
		dst += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* Copy into guest-physical memory; 0 or -EFAULT (nothing partial is undone). */
int thv_write_guest_phys(struct thv_vm *vm, u64 gpa, const void *buf,
			 size_t len)
{
	const u8 *src = buf;

	while (len) {
		struct thv_memslot *slot = thv_gpa_to_slot(vm, gpa);
		size_t off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		struct page *page;
		void *dst;

		if (!slot)
			return -EFAULT;
		page = thv_slot_page(vm, slot, (gpa - slot->gpa) >> PAGE_SHIFT);
		if (!page)
			return -EFAULT;
		dst = kmap_local_page(page);
		memcpy(dst + off, src, n);
		kunmap_local(dst);
		src += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/* Read one paging-structure entry of width bytes (4 or 8). */
static int thv_read_pte(struct thv_vm *vm, u64 gpa, int width, u64 *pte)
{
	*pte = 0;
	return thv_read_guest_phys(vm, gpa, pte, width);
}

#define THV_PTE_P		BIT_ULL(0)
#define THV_PTE_PS		BIT_ULL(7)
#define THV_PTE_ADDR		GENMASK_ULL(51, 12)

/*
 * Translate a guest-linear address as the guest's own MMU would, to
 * fetch instruction bytes.  Only the present and page-size bits matter
 * here: the CPU has just fetched from this address, so the guest's
 * permissions allowed it.  The four paging modes, SDM Vol. 3A 4.1.1:
 *   paging off                    linear = physical (32 bits)
 *   32-bit paging (CR4.PAE = 0)   2 levels of 1024 4-byte entries,
 *                                 4 MiB pages with CR4.PSE (4.3)
 *   PAE paging                    4 PDPTEs at CR3, then 2 levels of 512
 *                                 8-byte entries, 2 MiB pages (4.4)
 *   4-/5-level paging (EFER.LMA)  4 or 5 levels (CR4.LA57) of 512,
 *                                 1 GiB and 2 MiB pages (4.5)
 * (APM Vol. 2 5.2-5.3 describes the same.)  -EFAULT when an entry is not
 * present or not in guest RAM.
 */
static int thv_gva_to_gpa(struct thv_vm *vm, const struct thv_sregs *s,
			  u64 gva, u64 *gpa)
{
	int level, levels, width = 8, bits = 9;
	u64 table, pte;
	unsigned int shift;

	if (!(s->cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffffULL;
		return 0;
	}
	if (s->efer & EFER_LMA) {
		levels = (s->cr4 & X86_CR4_LA57) ? 5 : 4;
		table = s->cr3 & THV_PTE_ADDR;
	} else if (s->cr4 & X86_CR4_PAE) {
		/* The PDPTE: bits 31:30 of the address select one of 4. */
		gva &= 0xffffffffULL;
		if (thv_read_pte(vm, (s->cr3 & 0xffffffe0ULL) +
				 ((gva >> 30) & 3) * 8, 8, &pte) ||
		    !(pte & THV_PTE_P))
			return -EFAULT;
		levels = 2;
		table = pte & THV_PTE_ADDR;
	} else {
		gva &= 0xffffffffULL;
		levels = 2;
		width = 4;
		bits = 10;
		table = s->cr3 & 0xfffff000ULL;
	}

	for (level = levels; level >= 1; level--) {
		shift = 12 + bits * (level - 1);
		if (thv_read_pte(vm, table + ((gva >> shift) &
					      ((1U << bits) - 1)) * width,
				 width, &pte) || !(pte & THV_PTE_P))
			return -EFAULT;
		if (level == 1 || (level <= 3 && (pte & THV_PTE_PS) &&
				   (width == 8 || (s->cr4 & X86_CR4_PSE)))) {
			u64 size = 1ULL << shift;

			/* A 4 MiB page of 32-bit paging: PSE-36 address
			 * bits 39:32 are in PDE bits 20:13 (SDM 4.3). */
			if (width == 4 && level == 2)
				pte = (pte & 0xffc00000ULL) |
				      (((pte >> 13) & 0xff) << 32);
			*gpa = (pte & THV_PTE_ADDR & ~(size - 1)) |
			       (gva & (size - 1));
			return 0;
		}
		table = pte & (width == 4 ? 0xfffff000ULL : THV_PTE_ADDR);
	}
	return -EFAULT;
}

/*
 * PAE paging keeps its four page-directory-pointer-table entries in
 * registers, loaded from memory when CR3 is written or when a MOV to CR0
 * or CR4 changes how paging works (SDM Vol. 3A 4.4.1; APM Vol. 2 5.3.3
 * has the same table).  Does a MOV of val to CR<nr>, with cr0, cr4 and
 * efer as they are now, load them?  A vendor that keeps the PDPTEs in
 * its guest state (VMX with EPT) asks this before it commits the MOV.
 */
bool thv_pae_pdptes_reload(int nr, u64 val, u64 cr0, u64 cr4, u64 efer)
{
	u64 new0 = nr == 0 ? val : cr0, new4 = nr == 4 ? val : cr4;

	/* PAE paging after the write: PG and PAE, not long mode. */
	if (!(new0 & X86_CR0_PG) || !(new4 & X86_CR4_PAE) ||
	    (efer & EFER_LME))
		return false;
	if (nr == 0)
		return (val ^ cr0) & (X86_CR0_CD | X86_CR0_NW | X86_CR0_PG);
	if (nr == 4)
		return (val ^ cr4) & (X86_CR4_PAE | X86_CR4_PGE |
				      X86_CR4_PSE | X86_CR4_SMEP);
	return nr == 3;
}

/*
 * Read the PDPTEs at CR3 (bits 31:5 address a 32-byte table) and check
 * them as the MOV would: a present entry with a reserved bit set (2:1,
 * 8:5, and those above MAXPHYADDR, SDM Table 4-8) makes it #GP.  -EINVAL
 * for that, and for a table that no guest RAM backs.  Called with
 * vm->run_lock held (the slots stay put); may sleep.
 */
int thv_read_pae_pdptes(struct thv_vm *vm, u64 cr3, u64 pdpte[4])
{
	u64 rsvd = GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) |
		   ~GENMASK_ULL(boot_cpu_data.x86_phys_bits - 1, 0);
	int i;

	if (thv_read_guest_phys(vm, cr3 & 0xffffffe0ULL, pdpte,
				4 * sizeof(u64)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & THV_PTE_P) && (pdpte[i] & rsvd))
			return -EINVAL;
	return 0;
}

/*
 * Copy len bytes from (write: to) guest-linear address linear, through
 * the guest's page tables, a page at a time.  0 or -EFAULT when a page is
 * not mapped or not RAM.
 */
int thv_copy_guest_linear(struct thv_vcpu *vcpu, const struct thv_sregs *s,
			  u64 linear, void *buf, size_t len, bool write)
{
	u8 *p = buf;
	u64 gpa;
	int ret;

	while (len) {
		size_t n = min_t(size_t, len,
				 PAGE_SIZE - offset_in_page(linear));

		ret = thv_gva_to_gpa(vcpu->vm, s, linear, &gpa);
		if (!ret)
			ret = write ? thv_write_guest_phys(vcpu->vm, gpa, p, n) :
				      thv_read_guest_phys(vcpu->vm, gpa, p, n);
		if (ret)
			return ret;
		p += n;
		linear += n;
		len -= n;
	}
	return 0;
}

/*
 * Fetch up to len instruction bytes at CS:RIP, through the guest's page
 * tables when paging is on, one page at a time (an instruction may
 * straddle two pages).  Returns the bytes read (fewer near the end of
 * what is mapped), or -EFAULT if not even the first could be read.
 */
int thv_fetch_insn(struct thv_vcpu *vcpu, u8 *buf, size_t len)
{
	struct thv_sregs s;
	u64 linear, gpa;
	size_t got = 0;

	thv_ops->get_sregs(vcpu, &s);
	/* In 64-bit mode the CS base is ignored (SDM Vol. 3A 3.4.4). */
	if ((s.efer & EFER_LMA) && s.cs.l)
		linear = vcpu->rip;
	else
		linear = (s.cs.base + vcpu->rip) & 0xffffffffULL;

	while (got < len) {
		size_t n = min_t(size_t, len - got,
				 PAGE_SIZE - offset_in_page(linear + got));

		if (thv_gva_to_gpa(vcpu->vm, &s, linear + got, &gpa))
			break;
		if (thv_read_guest_phys(vcpu->vm, gpa, buf + got, n)) {
			/* Byte by byte near the end of RAM. */
			while (n-- && !thv_read_guest_phys(vcpu->vm, gpa++,
							   buf + got, 1))
				got++;
			break;
		}
		got += n;
	}
	return got ? got : -EFAULT;
}

/* The CPU's default operand/address size at the exit, in bytes. */
int thv_insn_mode(struct thv_vcpu *vcpu)
{
	struct thv_sregs s;

	thv_ops->get_sregs(vcpu, &s);
	if ((s.efer & EFER_LMA) && s.cs.l)
		return 8;
	if ((s.cr0 & X86_CR0_PE) && s.cs.db)
		return 4;
	return 2;
}

/* Length of ModRM + SIB + displacement, or -EINVAL for a register form. */
static int thv_modrm_len(const u8 *p, size_t n, int adsize)
{
	u8 modrm, mod, rm;
	int len = 1;

	if (n < 1)
		return -EINVAL;
	modrm = p[0];
	mod = modrm >> 6;
	rm = modrm & 7;
	if (mod == 3)
		return -EINVAL;		/* a register, not memory */

	if (adsize == 2) {
		if (mod == 1)
			len += 1;
		else if (mod == 2 || (mod == 0 && rm == 6))
			len += 2;
		return len;
	}
	if (rm == 4) {
		if (n < 2)
			return -EINVAL;
		if (mod == 0 && (p[1] & 7) == 5)
			len += 4;
		len += 1;
	}
	if (mod == 1)
		len += 1;
	else if (mod == 2 || (mod == 0 && rm == 5))
		len += 4;
	return len;
}

static u64 thv_get_le(const u8 *p, int n)
{
	u64 v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

int thv_decode_mov(struct thv_vcpu *vcpu, const u8 *insn, size_t n,
		   struct thv_mov *m)
{
	int mode = thv_insn_mode(vcpu);
	int opsize = mode == 8 ? 4 : mode;
	int adsize = mode;
	bool modrm = true, byte_op = false;
	size_t i = 0;
	u8 rex = 0, op;
	int len, imm = 0;

	memset(m, 0, sizeof(*m));
	for (; i < n; i++) {
		switch (insn[i]) {
		case 0x66:
			opsize = mode == 2 ? 4 : 2;
			continue;
		case 0x67:
			adsize = mode == 4 ? 2 : 4;
			continue;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
		case 0x64: case 0x65: case 0xf0:
			continue;
		}
		break;
	}
	if (mode == 8 && i < n && (insn[i] & 0xf0) == 0x40) {
		rex = insn[i++];
		if (rex & 8)
			opsize = 8;
	}
	if (i >= n)
		return -EINVAL;

	op = insn[i++];
	m->size = opsize;
	switch (op) {
	case 0x88:			/* mov r/m8, r8 */
		byte_op = true;
		fallthrough;
	case 0x89:			/* mov r/m, r */
		m->write = true;
		break;
	case 0x8a:			/* mov r8, r/m8 */
		byte_op = true;
		fallthrough;
	case 0x8b:			/* mov r, r/m */
		break;
	case 0xc6:			/* mov r/m8, imm8 */
		byte_op = true;
		imm = 1;
		m->write = true;
		break;
	case 0xc7:			/* mov r/m, imm16/32 */
		imm = opsize == 2 ? 2 : 4;
		m->write = true;
		break;
	case 0xa0: case 0xa1:		/* mov al/rAX, moffs */
	case 0xa2: case 0xa3:		/* mov moffs, al/rAX */
		byte_op = !(op & 1);
		m->write = op >= 0xa2;
		modrm = false;
		if (i + adsize > n)
			return -EINVAL;
		i += adsize;
		break;
	case 0x0f:
		if (i >= n)
			return -EINVAL;
		op = insn[i++];
		if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
			return -EINVAL;
		m->dst_size = opsize;
		m->size = (op & 1) ? 2 : 1;
		m->sign = op >= 0xbe;
		break;
	default:
		return -EINVAL;
	}
	if (byte_op)
		m->size = 1;
	if (!m->dst_size)
		m->dst_size = m->size;

	m->reg = THV_RAX;
	if (modrm) {
		if (i >= n)
			return -EINVAL;
		m->reg = ((insn[i] >> 3) & 7) | ((rex & 4) ? 8 : 0);
		if (imm && (insn[i] & 0x38))
			return -EINVAL;		/* C6/C7 need /0 */
		len = thv_modrm_len(insn + i, n - i, adsize);
		if (len < 0)
			return len;
		i += len;
	}
	/* Without REX, byte registers 4-7 are AH, CH, DH, BH. */
	if (m->dst_size == 1 && !rex && m->reg >= 4 && m->reg < 8) {
		m->reg -= 4;
		m->high8 = true;
	}
	if (imm) {
		if (i + imm > n)
			return -EINVAL;
		m->has_imm = true;
		m->imm = thv_get_le(insn + i, imm);
		if (imm == 4 && opsize == 8)	/* sign-extended imm32 */
			m->imm = (u64)(s64)(s32)m->imm;
		i += imm;
	}
	m->len = i;
	return 0;
}
