// SPDX-License-Identifier: GPL-2.0
/*
 * thv_mmio_emul.c - emulate, in userspace, an instruction that touched
 * MMIO and that thv.ko did not decode (thv_run.mmio.user_decode = 1).
 *
 * Why this exists: a nested page fault (APM Vol. 2 15.25.6) or an EPT
 * violation (SDM Vol. 3C 29.3.3) tells the hypervisor the guest-physical
 * address and whether the access was a write, nothing more.  thv.ko
 * decodes the plain MOV forms itself (kmod/emulate.c).  Everything else a
 * driver may do to a device register (OR a bit in, XCHG, a REP STOS that
 * clears a frame buffer...) arrives here with the instruction bytes, RIP
 * still on the instruction.  We then do what the CPU would have done:
 *
 *   1. decode the bytes with capstone, in the guest's current mode
 *      (16, 32 or 64 bit: CS.L, CS.D and CR0.PE, SDM Vol. 3A 3.4.5);
 *   2. read the device (ops->read) if the instruction reads memory;
 *   3. compute the result and the arithmetic flags;
 *   4. write the device (ops->write) if it writes memory;
 *   5. write the destination register, RFLAGS and the next RIP back with
 *      THV_SET_REGS.
 *
 * The memory operand's address is NOT recomputed from base + index *
 * scale + displacement: the hardware already told us the guest-physical
 * address (thv_run.mmio.phys_addr), after segmentation and the guest's
 * own paging.  We only check that the instruction has exactly one memory
 * operand, so that the address belongs to it.
 *
 * Flags: SDM Vol. 1 3.4.3.1 and appendix A ("EFLAGS cross-reference")
 * say which instruction sets which of CF, PF, AF, ZF, SF and OF.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <capstone/capstone.h>

#include "thv_lib.h"

#define MMIO_PAGE_SIZE		4096ULL

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define FL_CF		(1ULL << 0)	/* carry out of the top bit */
#define FL_PF		(1ULL << 2)	/* low byte has even parity */
#define FL_AF		(1ULL << 4)	/* carry out of bit 3 (BCD) */
#define FL_ZF		(1ULL << 6)	/* result is zero */
#define FL_SF		(1ULL << 7)	/* top bit of the result */
#define FL_DF		(1ULL << 10)	/* string ops go down */
#define FL_OF		(1ULL << 11)	/* signed overflow */
#define FL_ARITH	(FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

/* The guest registers at the exit, and what the instruction changes. */
struct emul {
	const cs_insn *insn;
	const cs_x86 *x;
	struct thv_regs regs;
	int mode;			/* 16, 32 or 64 */
	uint64_t gpa;			/* run->mmio.phys_addr */
	const struct thv_mmio_ops *ops;
	void *opaque;
	struct thv_mmio_result *res;
	char *err;
	size_t errlen;
};

/* ------------------------------------------------------------------ */
/* General-purpose registers, as capstone names them.                 */

/*
 * Every capstone register name of the 16 GPRs: which field of struct
 * thv_regs it lives in, its width and where in the field (AH is bits
 * 15:8 of RAX).
 */
struct gpr {
	x86_reg reg;
	size_t off;			/* offsetof(struct thv_regs, ...) */
	uint8_t size;			/* bytes */
	uint8_t shift;			/* 8 for AH, CH, DH, BH */
};

#define GPR_LEGACY(l, h, w, d, q, f)					\
	{ X86_REG_##l, offsetof(struct thv_regs, f), 1, 0 },		\
	{ X86_REG_##h, offsetof(struct thv_regs, f), 1, 8 },		\
	{ X86_REG_##w, offsetof(struct thv_regs, f), 2, 0 },		\
	{ X86_REG_##d, offsetof(struct thv_regs, f), 4, 0 },		\
	{ X86_REG_##q, offsetof(struct thv_regs, f), 8, 0 }
#define GPR_INDEX(b, w, d, q, f)					\
	{ X86_REG_##b, offsetof(struct thv_regs, f), 1, 0 },		\
	{ X86_REG_##w, offsetof(struct thv_regs, f), 2, 0 },		\
	{ X86_REG_##d, offsetof(struct thv_regs, f), 4, 0 },		\
	{ X86_REG_##q, offsetof(struct thv_regs, f), 8, 0 }

static const struct gpr gprs[] = {
	GPR_LEGACY(AL, AH, AX, EAX, RAX, rax),
	GPR_LEGACY(BL, BH, BX, EBX, RBX, rbx),
	GPR_LEGACY(CL, CH, CX, ECX, RCX, rcx),
	GPR_LEGACY(DL, DH, DX, EDX, RDX, rdx),
	/* SIL, DIL, SPL, BPL exist with a REX prefix only. */
	GPR_INDEX(SIL, SI, ESI, RSI, rsi),
	GPR_INDEX(DIL, DI, EDI, RDI, rdi),
	GPR_INDEX(SPL, SP, ESP, RSP, rsp),
	GPR_INDEX(BPL, BP, EBP, RBP, rbp),
	GPR_INDEX(R8B, R8W, R8D, R8, r8),
	GPR_INDEX(R9B, R9W, R9D, R9, r9),
	GPR_INDEX(R10B, R10W, R10D, R10, r10),
	GPR_INDEX(R11B, R11W, R11D, R11, r11),
	GPR_INDEX(R12B, R12W, R12D, R12, r12),
	GPR_INDEX(R13B, R13W, R13D, R13, r13),
	GPR_INDEX(R14B, R14W, R14D, R14, r14),
	GPR_INDEX(R15B, R15W, R15D, R15, r15),
};

static const struct gpr *gpr_find(x86_reg reg)
{
	size_t i;

	for (i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++)
		if (gprs[i].reg == reg)
			return &gprs[i];
	return NULL;
}

static uint64_t *gpr_field(struct thv_regs *regs, const struct gpr *g)
{
	return (uint64_t *)((char *)regs + g->off);
}

/* All ones in the low size bytes. */
static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

static uint64_t sign_bit(unsigned int size)
{
	return 1ULL << (8 * size - 1);
}

static uint64_t gpr_get(struct thv_regs *regs, const struct gpr *g)
{
	return (*gpr_field(regs, g) >> g->shift) & size_mask(g->size);
}

/*
 * Writing a register: 8- and 16-bit writes leave the other bits alone,
 * a 32-bit write clears bits 63:32 (SDM Vol. 1 3.4.1.1), a 64-bit write
 * replaces everything.
 */
static void gpr_set(struct thv_regs *regs, const struct gpr *g, uint64_t val)
{
	uint64_t *r = gpr_field(regs, g);
	uint64_t mask = size_mask(g->size) << g->shift;

	if (g->size == 4)
		*r = (uint32_t)val;
	else
		*r = (*r & ~mask) | ((val << g->shift) & mask);
}

/* ------------------------------------------------------------------ */
/* Arithmetic flags.                                                  */

/* PF: set when the LOW BYTE of the result has an even number of ones. */
static uint64_t flag_pf(uint64_t res)
{
	uint8_t b = res;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return (b & 1) ? 0 : FL_PF;
}

/* ZF, SF and PF: they depend on the result alone. */
static uint64_t flags_zsp(uint64_t res, unsigned int size)
{
	uint64_t f = flag_pf(res);

	res &= size_mask(size);
	if (res == 0)
		f |= FL_ZF;
	if (res & sign_bit(size))
		f |= FL_SF;
	return f;
}

/*
 * res = a + b (truncated to size).  CF: the unsigned sum did not fit,
 * which shows as res < a.  OF: a and b have the same sign and res has
 * the other one.  AF: the carry out of bit 3, bit 4 of a ^ b ^ res.
 */
static uint64_t flags_add(uint64_t a, uint64_t b, uint64_t res,
			  unsigned int size)
{
	uint64_t f = flags_zsp(res, size);

	a &= size_mask(size);
	b &= size_mask(size);
	res &= size_mask(size);
	if (res < a)
		f |= FL_CF;
	if (~(a ^ b) & (a ^ res) & sign_bit(size))
		f |= FL_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= FL_AF;
	return f;
}

/*
 * res = a - b (also CMP, NEG as 0 - b, DEC as a - 1).  CF: a borrow,
 * i.e. a < b unsigned.  OF: a and b have different signs and res has
 * b's sign.  AF: the borrow into bit 4.
 */
static uint64_t flags_sub(uint64_t a, uint64_t b, uint64_t res,
			  unsigned int size)
{
	uint64_t f = flags_zsp(res, size);

	a &= size_mask(size);
	b &= size_mask(size);
	if (a < b)
		f |= FL_CF;
	if ((a ^ b) & (a ^ res) & sign_bit(size))
		f |= FL_OF;
	if ((a ^ b ^ res) & 0x10)
		f |= FL_AF;
	return f;
}

/*
 * AND, OR, XOR, TEST: CF = OF = 0, ZF SF PF from the result.  AF is
 * "undefined" in the SDM; we clear it.
 */
static uint64_t flags_logic(uint64_t res, unsigned int size)
{
	return flags_zsp(res, size);
}

/* ------------------------------------------------------------------ */
/* Errors and the device.                                             */

static int emul_fail(struct emul *e, int ret, const char *why)
{
	snprintf(e->err, e->errlen, "MMIO: cannot emulate '%s' at rip 0x%"
		 PRIx64 ": %s", e->insn->mnemonic, (uint64_t)e->regs.rip, why);
	return ret;
}

/* Bytes of the device region from gpa on (the whole page if unknown). */
static uint64_t region_after(struct emul *e, uint64_t gpa)
{
	uint64_t base, len;

	if (e->ops->region && !e->ops->region(e->opaque, gpa, &base, &len) &&
	    gpa >= base && gpa - base < len)
		return base + len - gpa;
	return MMIO_PAGE_SIZE;
}

/* Bytes of the device region up to gpa (DF = 1 goes down). */
static uint64_t region_before(struct emul *e, uint64_t gpa)
{
	uint64_t base, len;

	if (e->ops->region && !e->ops->region(e->opaque, gpa, &base, &len) &&
	    gpa >= base && gpa - base < len)
		return gpa - base;
	return MMIO_PAGE_SIZE;
}

/*
 * One access of size bytes at the hardware's address must stay inside
 * one page (the next page may be RAM, or another device: its address is
 * not simply gpa + 4096 under guest paging) and inside one device.
 */
static int emul_check_span(struct emul *e, unsigned int size)
{
	if ((e->gpa & (MMIO_PAGE_SIZE - 1)) + size > MMIO_PAGE_SIZE)
		return emul_fail(e, -EOPNOTSUPP,
				 "the access crosses a page boundary");
	if (region_after(e, e->gpa) < size)
		return emul_fail(e, -EOPNOTSUPP,
				 "the access crosses the end of the device");
	return 0;
}

static int dev_read(struct emul *e, uint64_t gpa, unsigned int size,
		    uint64_t *val)
{
	int ret;

	*val = 0;
	ret = e->ops->read(e->opaque, gpa, size, val);
	if (ret < 0)
		return emul_fail(e, ret, "the device read failed");
	*val &= size_mask(size);
	e->res->reads++;
	return 0;
}

static int dev_write(struct emul *e, uint64_t gpa, unsigned int size,
		     uint64_t val)
{
	int ret = e->ops->write(e->opaque, gpa, size, val & size_mask(size));

	if (ret < 0)
		return emul_fail(e, ret, "the device write failed");
	e->res->writes++;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Operands.                                                          */

static const cs_x86_op *op(struct emul *e, unsigned int i)
{
	return i < e->x->op_count ? &e->x->operands[i] : NULL;
}

/* The value of a REG or IMM operand, cut to size bytes. */
static int emul_src_value(struct emul *e, const cs_x86_op *o,
			  unsigned int size, uint64_t *val)
{
	const struct gpr *g;

	switch (o->type) {
	case X86_OP_IMM:
		/* capstone has already sign-extended imm8/imm32. */
		*val = (uint64_t)o->imm & size_mask(size);
		return 0;
	case X86_OP_REG:
		g = gpr_find(o->reg);
		if (!g)
			return emul_fail(e, -EOPNOTSUPP,
					 "a register operand that is no GPR");
		*val = gpr_get(&e->regs, g) & size_mask(size);
		return 0;
	default:
		return emul_fail(e, -EOPNOTSUPP, "an unexpected operand");
	}
}

static int emul_reg_dest(struct emul *e, const cs_x86_op *o,
			 const struct gpr **g)
{
	if (!o || o->type != X86_OP_REG || !(*g = gpr_find(o->reg)))
		return emul_fail(e, -EOPNOTSUPP,
				 "the destination is no GPR");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The instructions.                                                  */

enum alu { ALU_ADD, ALU_SUB, ALU_AND, ALU_OR, ALU_XOR };

/* res = a OP b, *flags = the arithmetic flags it produces. */
static uint64_t alu(enum alu kind, uint64_t a, uint64_t b, unsigned int size,
		    uint64_t *flags)
{
	uint64_t res;

	switch (kind) {
	case ALU_ADD:
		res = (a + b) & size_mask(size);
		*flags = flags_add(a, b, res, size);
		return res;
	case ALU_SUB:
		res = (a - b) & size_mask(size);
		*flags = flags_sub(a, b, res, size);
		return res;
	case ALU_AND:
		res = a & b;
		break;
	case ALU_OR:
		res = a | b;
		break;
	default:
		res = a ^ b;
		break;
	}
	res &= size_mask(size);
	*flags = flags_logic(res, size);
	return res;
}

/*
 * Two operands, one of them the MMIO memory: OR, AND, XOR, ADD, SUB with
 * the memory or a register as destination, and CMP/TEST, which only set
 * flags.  op0 OP op1, as the SDM writes them (Intel operand order).
 */
static int emul_alu2(struct emul *e, enum alu kind, bool store)
{
	const cs_x86_op *dst = op(e, 0), *src = op(e, 1);
	const struct gpr *g = NULL;
	unsigned int size = dst->size;
	uint64_t a, b, res, flags;
	int ret;

	if (dst->type == X86_OP_MEM) {
		ret = dev_read(e, e->gpa, size, &a);
		if (!ret)
			ret = emul_src_value(e, src, size, &b);
	} else {
		/* reg OP mem: the memory is the source. */
		if (store)
			ret = emul_reg_dest(e, dst, &g);
		else
			ret = emul_src_value(e, dst, size, &a);
		if (!ret && g)
			a = gpr_get(&e->regs, g);
		if (!ret)
			ret = dev_read(e, e->gpa, size, &b);
	}
	if (ret)
		return ret;

	res = alu(kind, a, b, size, &flags);
	e->regs.rflags = (e->regs.rflags & ~FL_ARITH) | flags;
	if (!store)
		return 0;
	if (dst->type == X86_OP_MEM)
		return dev_write(e, e->gpa, size, res);
	gpr_set(&e->regs, g, res);
	return 0;
}

/* INC, DEC, NOT, NEG of the memory operand. */
static int emul_unary(struct emul *e, unsigned int id)
{
	unsigned int size = op(e, 0)->size;
	uint64_t a, res, flags, keep = ~FL_ARITH;
	int ret;

	ret = dev_read(e, e->gpa, size, &a);
	if (ret)
		return ret;
	switch (id) {
	case X86_INS_INC:
		/* INC and DEC leave CF alone (SDM Vol. 2A "INC"). */
		res = (a + 1) & size_mask(size);
		flags = flags_add(a, 1, res, size) & ~FL_CF;
		keep |= FL_CF;
		break;
	case X86_INS_DEC:
		res = (a - 1) & size_mask(size);
		flags = flags_sub(a, 1, res, size) & ~FL_CF;
		keep |= FL_CF;
		break;
	case X86_INS_NEG:
		/* 0 - a: CF = (a != 0), OF only for the most negative a. */
		res = (0 - a) & size_mask(size);
		flags = flags_sub(0, a, res, size);
		break;
	default:
		/* NOT changes no flag. */
		res = ~a & size_mask(size);
		flags = 0;
		keep = ~0ULL;
		break;
	}
	e->regs.rflags = (e->regs.rflags & keep) | flags;
	return dev_write(e, e->gpa, size, res);
}

/*
 * BT, BTS, BTR, BTC m, imm8: CF = the bit, then set/clear/flip it.  With
 * an immediate the bit number is taken modulo the operand width (SDM
 * Vol. 2A "BT").  The register form can address bits far outside the
 * operand (a bit string), so another address: not handled.  OF, SF, AF,
 * PF are undefined and ZF unchanged: only CF is written here.
 */
static int emul_bit(struct emul *e, unsigned int id)
{
	const cs_x86_op *dst = op(e, 0), *src = op(e, 1);
	unsigned int size = dst->size, bit;
	uint64_t a, res;
	int ret;

	if (dst->type != X86_OP_MEM || src->type != X86_OP_IMM)
		return emul_fail(e, -EOPNOTSUPP,
				 "only the immediate bit offset form is emulated");
	bit = (uint64_t)src->imm & (8 * size - 1);
	ret = dev_read(e, e->gpa, size, &a);
	if (ret)
		return ret;
	e->regs.rflags &= ~FL_CF;
	if ((a >> bit) & 1)
		e->regs.rflags |= FL_CF;
	switch (id) {
	case X86_INS_BTS:
		res = a | (1ULL << bit);
		break;
	case X86_INS_BTR:
		res = a & ~(1ULL << bit);
		break;
	case X86_INS_BTC:
		res = a ^ (1ULL << bit);
		break;
	default:
		return 0;		/* BT only reads */
	}
	return dev_write(e, e->gpa, size, res);
}

/* XCHG reg, mem (LOCK or not: the vCPU is stopped while we do it). */
static int emul_xchg(struct emul *e)
{
	const cs_x86_op *r = op(e, 0)->type == X86_OP_REG ? op(e, 0) : op(e, 1);
	const cs_x86_op *m = op(e, 0)->type == X86_OP_MEM ? op(e, 0) : op(e, 1);
	const struct gpr *g;
	uint64_t old;
	int ret;

	ret = emul_reg_dest(e, r, &g);
	if (!ret)
		ret = dev_read(e, e->gpa, m->size, &old);
	if (!ret)
		ret = dev_write(e, e->gpa, m->size, gpr_get(&e->regs, g));
	if (ret)
		return ret;
	gpr_set(&e->regs, g, old);
	return 0;
}

/*
 * MOV in either direction (MOV moffs included: MOVABS in capstone),
 * MOVZX, MOVSX and MOVSXD: normally thv.ko does these, but a form it
 * does not know comes here.
 */
static int emul_mov(struct emul *e, unsigned int id)
{
	const cs_x86_op *dst = op(e, 0), *src = op(e, 1);
	const struct gpr *g;
	uint64_t val;
	int ret;

	if (dst->type == X86_OP_MEM) {
		ret = emul_src_value(e, src, dst->size, &val);
		return ret ? ret : dev_write(e, e->gpa, dst->size, val);
	}
	ret = emul_reg_dest(e, dst, &g);
	if (!ret)
		ret = dev_read(e, e->gpa, src->size, &val);
	if (ret)
		return ret;
	if ((id == X86_INS_MOVSX || id == X86_INS_MOVSXD) &&
	    (val & sign_bit(src->size)))
		val |= ~size_mask(src->size);	/* sign-extend */
	gpr_set(&e->regs, g, val);
	return 0;
}

/*
 * The element size of a STOS from its opcode and prefixes (SDM Vol. 2B
 * "STOS": AA is STOSB; AB is STOSW/D/Q by the operand size: REX.W gives
 * 8, else 66h switches between the mode's default 4 (2 in 16-bit code)
 * and 2 (4)).  Not capstone's operand size: capstone 4.0.2 decodes
 * "66 f3 ab" (rep stosw as GNU as writes it, 66h before F3h) as rep
 * stosd, 4 bytes.
 */
static unsigned int stos_size(struct emul *e)
{
	bool opsize_prefix = e->x->prefix[2] == X86_PREFIX_OPSIZE;

	if (e->x->opcode[0] == 0xaa)
		return 1;
	if (e->mode == 64 && (e->x->rex & 8))
		return 8;
	if (e->mode == 16)
		return opsize_prefix ? 4 : 2;
	return opsize_prefix ? 2 : 4;
}

/*
 * STOS: store AL/AX/EAX/RAX at ES:rDI, then rDI += size (or -= with
 * RFLAGS.DF = 1).  With REP, RCX times (SDM Vol. 2B "REP").  The address
 * size (16, 32 or 64 bit, prefix 67h) says whether DI/EDI/RDI and
 * CX/ECX/RCX are used.
 *
 * A REP STOS into a device: we store, in one go, every element that
 * falls in the same page and the same device region as the one the CPU
 * faulted on, and move rDI and rCX on by that many.  If rCX is not 0
 * yet, RIP stays on the instruction: the guest executes it again, and
 * the rest goes wherever it goes (RAM natively, another exit here).  A
 * REP string instruction may be interrupted like that between elements
 * on real hardware too (SDM Vol. 2B "REP": "interrupted ... the
 * registers indicate the point of interruption").
 */
static int emul_stos(struct emul *e, bool *rip_done)
{
	const cs_x86_op *src = op(e, 1);
	unsigned int size = stos_size(e), asize = e->x->addr_size;
	bool rep = e->x->prefix[0] == X86_PREFIX_REP ||
		   e->x->prefix[0] == X86_PREFIX_REPNE;
	bool down = e->regs.rflags & FL_DF;
	const struct gpr *di, *cx;
	uint64_t val, count, room, n, i;
	int ret;

	di = gpr_find(asize == 8 ? X86_REG_RDI :
		      asize == 4 ? X86_REG_EDI : X86_REG_DI);
	cx = gpr_find(asize == 8 ? X86_REG_RCX :
		      asize == 4 ? X86_REG_ECX : X86_REG_CX);
	ret = emul_src_value(e, src, size, &val);
	if (ret)
		return ret;

	if (size != op(e, 0)->size)	/* the capstone bug above */
		snprintf(e->res->text, sizeof(e->res->text), "%sstos%c",
			 rep ? "rep " : "", size == 2 ? 'w' : size == 4 ? 'd' :
			 size == 8 ? 'q' : 'b');

	count = rep ? gpr_get(&e->regs, cx) : 1;
	/* How many elements fit before the page or the device ends. */
	if (down) {
		room = e->gpa & (MMIO_PAGE_SIZE - 1);
		if (region_before(e, e->gpa) < room)
			room = region_before(e, e->gpa);
		n = room / size + 1;	/* the one at gpa, and below it */
	} else {
		room = MMIO_PAGE_SIZE - (e->gpa & (MMIO_PAGE_SIZE - 1));
		if (region_after(e, e->gpa) < room)
			room = region_after(e, e->gpa);
		n = room / size;
	}
	if (n > count)
		n = count;

	for (i = 0; i < n; i++) {
		uint64_t gpa = down ? e->gpa - i * size : e->gpa + i * size;

		ret = dev_write(e, gpa, size, val);
		if (ret)
			return ret;
	}
	e->res->elements = n;
	gpr_set(&e->regs, di, down ? gpr_get(&e->regs, di) - n * size :
				     gpr_get(&e->regs, di) + n * size);
	if (rep) {
		gpr_set(&e->regs, cx, count - n);
		*rip_done = count - n == 0;
	}
	return 0;
}

static bool is_stos(unsigned int id)
{
	return id == X86_INS_STOSB || id == X86_INS_STOSW ||
	       id == X86_INS_STOSD || id == X86_INS_STOSQ;
}

/* Does this instruction read / write its memory operand? */
static void emul_access(unsigned int id, const cs_x86_op *mem_op,
			const cs_x86_op *first_op, bool *reads, bool *writes)
{
	switch (id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
		/* mov mem, src stores; mov reg, mem loads. */
		*writes = mem_op == first_op;
		*reads = !*writes;
		return;
	case X86_INS_STOSB: case X86_INS_STOSW:
	case X86_INS_STOSD: case X86_INS_STOSQ:
		*reads = false;
		*writes = true;
		return;
	case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD:
	case X86_INS_CMP: case X86_INS_TEST: case X86_INS_BT:
		*reads = true;
		*writes = false;
		return;
	default:
		*reads = true;
		*writes = true;
	}
}

/* The decode mode from CS and CR0 (SDM Vol. 3A 3.4.5, 5.2.1). */
static int guest_mode(const struct thv_sregs *s)
{
	if ((s->efer & (1ULL << 10)) && s->cs.l)	/* EFER.LMA */
		return 64;
	if ((s->cr0 & 1) && s->cs.db)			/* CR0.PE */
		return 32;
	return 16;
}

static int emul_insn(struct emul *e, bool *rip_done)
{
	unsigned int id = e->insn->id, i, nmem = 0, size;
	const cs_x86_op *mem = NULL;
	bool reads = true, writes = true;
	int ret;

	/* The address the hardware gave must belong to one memory operand. */
	for (i = 0; i < e->x->op_count; i++)
		if (e->x->operands[i].type == X86_OP_MEM) {
			mem = &e->x->operands[i];
			nmem++;
		}
	if (nmem != 1)
		return emul_fail(e, -EOPNOTSUPP, nmem ?
				 "more than one memory operand" :
				 "it has no memory operand");
	size = is_stos(id) ? stos_size(e) : mem->size;
	if (size != 1 && size != 2 && size != 4 && size != 8)
		return emul_fail(e, -EOPNOTSUPP,
				 "not a 1, 2, 4 or 8 byte access");
	ret = emul_check_span(e, size);
	if (ret)
		return ret;

	emul_access(id, mem, op(e, 0), &reads, &writes);
	if (e->res->is_write && !writes)
		return emul_fail(e, -EINVAL,
				 "the CPU reported a write, but it only reads");
	if (!e->res->is_write && !reads)
		return emul_fail(e, -EINVAL,
				 "the CPU reported a read, but it only writes");

	switch (id) {
	case X86_INS_OR:
		return emul_alu2(e, ALU_OR, true);
	case X86_INS_AND:
		return emul_alu2(e, ALU_AND, true);
	case X86_INS_XOR:
		return emul_alu2(e, ALU_XOR, true);
	case X86_INS_ADD:
		return emul_alu2(e, ALU_ADD, true);
	case X86_INS_SUB:
		return emul_alu2(e, ALU_SUB, true);
	case X86_INS_CMP:
		return emul_alu2(e, ALU_SUB, false);
	case X86_INS_TEST:
		return emul_alu2(e, ALU_AND, false);
	case X86_INS_INC: case X86_INS_DEC:
	case X86_INS_NOT: case X86_INS_NEG:
		return emul_unary(e, id);
	case X86_INS_BT: case X86_INS_BTS:
	case X86_INS_BTR: case X86_INS_BTC:
		return emul_bit(e, id);
	case X86_INS_XCHG:
		return emul_xchg(e);
	case X86_INS_MOV: case X86_INS_MOVABS:
	case X86_INS_MOVZX: case X86_INS_MOVSX: case X86_INS_MOVSXD:
		return emul_mov(e, id);
	case X86_INS_STOSB: case X86_INS_STOSW:
	case X86_INS_STOSD: case X86_INS_STOSQ:
		return emul_stos(e, rip_done);
	default:
		return emul_fail(e, -EOPNOTSUPP,
				 "not an instruction thv emulates on MMIO");
	}
}

int thv_mmio_emulate(struct thv_vm *vm, const struct thv_run *run,
		     const struct thv_mmio_ops *ops, void *opaque,
		     struct thv_mmio_result *res, char *err, size_t errlen)
{
	struct thv_mmio_result dummy;
	struct thv_sregs sregs;
	struct emul e = {
		.ops = ops, .opaque = opaque, .err = err, .errlen = errlen,
	};
	bool rip_done = true;
	cs_insn *insn = NULL;
	csh cs;
	int ret;

	if (!res)
		res = &dummy;
	memset(res, 0, sizeof(*res));
	e.res = res;
	if (errlen)
		err[0] = '\0';
	if (run->exit_reason != THV_EXIT_MMIO || !run->mmio.user_decode ||
	    !run->mmio.insn_len || run->mmio.insn_len > THV_RUN_INSN_MAX) {
		snprintf(err, errlen, "MMIO: not an exit to emulate in userspace");
		return -EINVAL;
	}
	res->is_write = run->mmio.is_write;
	e.gpa = run->mmio.phys_addr;

	ret = thv_get_regs(vm, &e.regs);
	if (!ret)
		ret = thv_get_sregs(vm, &sregs);
	if (ret) {
		snprintf(err, errlen, "MMIO: THV_GET_REGS/SREGS: %s",
			 strerror(-ret));
		return ret;
	}
	e.mode = guest_mode(&sregs);

	if (cs_open(CS_ARCH_X86, e.mode == 64 ? CS_MODE_64 :
		    e.mode == 32 ? CS_MODE_32 : CS_MODE_16, &cs) != CS_ERR_OK) {
		snprintf(err, errlen, "MMIO: capstone cannot be opened");
		return -ENOMEM;
	}
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	if (cs_disasm(cs, run->mmio.insn, run->mmio.insn_len, e.regs.rip, 1,
		      &insn) != 1) {
		snprintf(err, errlen, "MMIO: cannot decode the %u bytes at rip 0x%"
			 PRIx64 " (%02x %02x ...) as a %d-bit instruction",
			 run->mmio.insn_len, (uint64_t)e.regs.rip,
			 run->mmio.insn[0], run->mmio.insn_len > 1 ?
			 run->mmio.insn[1] : 0, e.mode);
		cs_close(&cs);
		return -EOPNOTSUPP;
	}
	e.insn = insn;
	e.x = &insn->detail->x86;
	/* "%.*s": a long operand string is cut, on purpose. */
	snprintf(res->text, sizeof(res->text), "%.31s%s%.62s", insn->mnemonic,
		 insn->op_str[0] ? " " : "", insn->op_str);

	ret = emul_insn(&e, &rip_done);
	if (!ret) {
		/* IP wraps at 16 bits, EIP at 32 (SDM Vol. 1 3.5). */
		if (rip_done) {
			e.regs.rip += insn->size;
			if (e.mode == 16)
				e.regs.rip &= 0xffff;
			else if (e.mode == 32)
				e.regs.rip &= 0xffffffff;
		}
		res->rip_moved = rip_done;
		ret = thv_set_regs(vm, &e.regs);
		if (ret)
			snprintf(err, errlen, "MMIO: THV_SET_REGS: %s",
				 strerror(-ret));
	}
	cs_free(insn, 1);
	cs_close(&cs);
	return ret;
}
