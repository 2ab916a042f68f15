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
 * Copy guest-physical memory.  Called from THV_RUN, while nr_running keeps
 * the memory slots from changing.  Returns 0 or -EFAULT if any byte is not
 * backed by RAM.
 */
int thv_read_guest_phys(struct thv_vm *vm, u64 gpa, void *buf, size_t len)
{
	u8 *dst = buf;

	while (len) {
		struct thv_memslot *slot = thv_gpa_to_slot(vm, gpa);
		size_t off = offset_in_page(gpa);
		size_t n = min_t(size_t, len, PAGE_SIZE - off);
		void *src;

		if (!slot)
			return -EFAULT;
		src = kmap_local_page(slot->pages[(gpa - slot->gpa) >>
						  PAGE_SHIFT]);
		memcpy(dst, src + off, n);
		kunmap_local(src);
		dst += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/*
 * Fetch up to len instruction bytes at CS:RIP.  With paging off (real mode
 * or flat protected mode) the linear address is the physical one.  Guest
 * page-table walks are not done yet: -EOPNOTSUPP.  Returns bytes read.
 */
int thv_fetch_insn(struct thv_vcpu *vcpu, u8 *buf, size_t len)
{
	struct thv_sregs s;
	u64 linear;
	size_t got = 0;

	thv_ops->get_sregs(vcpu, &s);
	if (s.cr0 & X86_CR0_PG)
		return -EOPNOTSUPP;
	linear = (s.cs.base + vcpu->rip) & 0xffffffffULL;

	/* Byte by byte near the end of RAM, so a short fetch still works. */
	if (!thv_read_guest_phys(vcpu->vm, linear, buf, len))
		return len;
	while (got < len && !thv_read_guest_phys(vcpu->vm, linear + got,
						 buf + got, 1))
		got++;
	return got ? got : -EFAULT;
}

/* The CPU's default operand/address size at the exit, in bytes. */
static int thv_insn_mode(struct thv_vcpu *vcpu)
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
