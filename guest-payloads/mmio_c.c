// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_c.c - every instruction form a driver uses on a device register,
 * done on MMIO and checked against the same instruction on RAM.
 *
 * Concept: instruction emulation.  An access to MMIO stops the guest
 * (nested page fault, APM Vol. 2 15.25.6 / EPT violation, SDM Vol. 3C
 * 29.3.3) and someone must then do what the instruction would have done.
 * thv.ko decodes the plain MOVs itself (kmod/emulate.c); everything else
 * (OR, ADD, CMP, XCHG, BTS, REP STOS...) goes to the runner with the
 * instruction bytes (thv_run.mmio.user_decode), which decodes it with
 * capstone and emulates it: the device access, the result register, the
 * arithmetic flags, RIP (user/lib/thv_mmio_emul.c).
 *
 * How the guest checks that: the runner's demo device has a register
 * bank at 0xd0000100 that behaves like memory (user/devices/mmio_demo.c).
 * Each form runs twice with the same inputs: once on the bank, emulated,
 * once on a RAM variable, by the CPU itself.  Memory, register and the
 * flags the instruction defines (PUSHF right after it) must come out the
 * same, for operand sizes 1, 2, 4 and 8 and a set of values picked to
 * make carries, borrows, signed overflow, zero and parity happen.
 *
 * 64-bit only (mmio64.elf): it uses 8-byte operands and R registers.
 *
 * Run:      thv run mmio64.elf
 * Prints:   "mmio: <form> ok (N cases)\n" for each entry of forms[]
 *           ("mov store", "or", "or to reg", "cmp imm8", "lock xchg",
 *           "bts mod width", "movzx/movsx", ...), then
 *           "mmio: known flags ok\n", "mmio: stos ok\n",
 *           "mmio: rep stos ok\n", "mmio: all forms ok\n"
 *           (and the demo device logs every write on stderr, unless -q)
 * Status:   0 (ucall DONE); an ASSERT ucall with file, line and both
 *           values at the first difference.
 */
#include "guest.h"

#ifndef __x86_64__
#error "mmio_c.c is a 64-bit guest only (mmio64.elf)"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* The demo device's register bank: 256 bytes that act like memory. */
#define BANK		0xd0000100UL
#define BANK_LEN	0x100

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define F_CF		0x001UL
#define F_PF		0x004UL
#define F_AF		0x010UL
#define F_ZF		0x040UL
#define F_SF		0x080UL
#define F_DF		0x400UL
#define F_OF		0x800UL
#define F_ARITH		(F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define F_FIXED		0x002UL		/* bit 1 is always 1 */

/* Inputs: each is cut to the operand size by the C conversion. */
static const uint64_t vals[] = {
	0, 1, 0x7f, 0x80, 0xff, 0x8000, 0x7fffffff, 0x80000000,
	0xffffffffffffffffULL, 0x8000000000000000ULL, 0x123456789abcdef0ULL,
	0x0f0f0f0f0f0f0f0fULL,
};

/* Register operands: fewer, to keep the number of exits down. */
static const uint64_t rvals[] = {
	0, 1, 0x08, 0x80, 0xffffffffffffffffULL, 0x8000000000000000ULL,
	0x0f0f0f0f0f0f0f0fULL,
};

static uint8_t ram_page[BANK_LEN] __attribute__((aligned(64)));

static volatile void *bank(unsigned int off)
{
	return (volatile void *)(BANK + off);
}

/* ------------------------------------------------------------------ */
/* The forms, one function per instruction and size.                  */

/*
 * op_fn: run one instruction on the memory at p with *reg as its
 * register operand and RFLAGS = fl before it; returns RFLAGS after it.
 * POPF/PUSHF around it: the flags in and out of exactly that
 * instruction.  (IF stays 0 and DF 0: fl only carries arithmetic bits.)
 */
typedef uint64_t (*op_fn)(volatile void *p, uint64_t *reg, uint64_t fl);

#define DEF(fn, type, body)						\
static uint64_t fn(volatile void *p, uint64_t *reg, uint64_t fl)	\
{									\
	volatile type *m = p;						\
	uint64_t r = *reg;						\
									\
	asm volatile("push %[f]\n\tpopf\n\t" body				\
		     "\n\tpushf\n\tpop %[f]"					\
		     : [f] "+r"(fl), [m] "+m"(*m), [r] "+q"(r)		\
		     : : "cc", "memory");				\
	*reg = r;							\
	return fl;							\
}

/*
 * name1/2/4/8 for one mnemonic: S is the AT&T size suffix, R the operand
 * modifier that names the register at that size (%b[r] = %al, %w[r] =
 * %ax, %k[r] = %eax, %q[r] = %rax).  args(R) gives the operands.
 */
#define DEF4(name, op, args)						\
	DEF(name##1, uint8_t, op "b " args("b"))			\
	DEF(name##2, uint16_t, op "w " args("w"))			\
	DEF(name##4, uint32_t, op "l " args("k"))			\
	DEF(name##8, uint64_t, op "q " args("q"))
#define DEF248(name, op, args)						\
	DEF(name##2, uint16_t, op "w " args("w"))			\
	DEF(name##4, uint32_t, op "l " args("k"))			\
	DEF(name##8, uint64_t, op "q " args("q"))

/*
 * The operands (AT&T order: source, destination).  RM: reg to memory;
 * MR: memory to reg; I2 is a sign-extended imm8; B2's bit number is
 * taken modulo the operand width.
 */
#define A_RM(R)		"%" R "[r], %[m]"
#define A_MR(R)		"%[m], %" R "[r]"
#define A_I1(R)		"$0x41, %[m]"
#define A_I2(R)		"$-0x80, %[m]"
#define A_M(R)		"%[m]"
#define A_B1(R)		"$5, %[m]"
#define A_B2(R)		"$35, %[m]"

DEF4(or_rm, "or", A_RM)
DEF4(or_mr, "or", A_MR)
DEF4(or_i1, "or", A_I1)
DEF4(and_rm, "and", A_RM)
DEF4(and_mr, "and", A_MR)
DEF4(and_i2, "and", A_I2)
DEF4(xor_rm, "xor", A_RM)
DEF4(xor_mr, "xor", A_MR)
DEF4(xor_i1, "xor", A_I1)
DEF4(add_rm, "add", A_RM)
DEF4(add_mr, "add", A_MR)
DEF4(add_i1, "add", A_I1)
DEF4(add_i2, "add", A_I2)
DEF4(sub_rm, "sub", A_RM)
DEF4(sub_mr, "sub", A_MR)
DEF4(sub_i1, "sub", A_I1)
DEF4(sub_i2, "sub", A_I2)
DEF4(inc_m, "inc", A_M)
DEF4(dec_m, "dec", A_M)
DEF4(not_m, "not", A_M)
DEF4(neg_m, "neg", A_M)
DEF4(test_rm, "test", A_RM)
DEF4(test_i2, "test", A_I2)
DEF4(cmp_rm, "cmp", A_RM)		/* flags of mem - reg */
DEF4(cmp_mr, "cmp", A_MR)		/* flags of reg - mem */
DEF4(cmp_i1, "cmp", A_I1)
DEF4(cmp_i2, "cmp", A_I2)
DEF4(xchg_rm, "xchg", A_RM)
DEF4(lock_or_rm, "lock or", A_RM)
DEF4(lock_xchg_rm, "lock xchg", A_RM)
DEF248(bt_b1, "bt", A_B1)
DEF248(bt_b2, "bt", A_B2)
DEF248(bts_b1, "bts", A_B1)
DEF248(bts_b2, "bts", A_B2)
DEF248(btr_b1, "btr", A_B1)
DEF248(btr_b2, "btr", A_B2)
DEF248(lock_bts_b2, "lock bts", A_B2)

/* Loads: MOV of each size, MOVZX, MOVSX, MOVSXD, MOV moffs. */
DEF4(mov_mr, "mov", A_MR)
DEF4(mov_rm, "mov", A_RM)
DEF(movzbl, uint8_t, "movzbl %[m], %k[r]")
DEF(movzwq, uint16_t, "movzwq %[m], %q[r]")
DEF(movsbw, uint8_t, "movsbw %[m], %w[r]")
DEF(movsbq, uint8_t, "movsbq %[m], %q[r]")
DEF(movswl, uint16_t, "movswl %[m], %k[r]")
DEF(movslq, uint32_t, "movslq %[m], %q[r]")	/* MOVSXD: 63 /r */

/*
 * One form: its name, the four sizes (NULL: that size does not exist),
 * which flags to compare (the SDM leaves some "undefined": AF after a
 * logical op, all but CF after BT), and whether the register operand
 * matters (then every value is tried in it too).
 */
struct form {
	const char *name;
	op_fn fn[4];
	uint64_t flags;
	bool reg;
};

#define FN4(n)		{ n##1, n##2, n##4, n##8 }
#define FN248(n)	{ NULL, n##2, n##4, n##8 }
#define F_LOGIC		(F_ARITH & ~F_AF)

static const struct form forms[] = {
	{ "mov store", FN4(mov_rm), F_ARITH, true },
	{ "mov load", FN4(mov_mr), F_ARITH, true },
	{ "or", FN4(or_rm), F_LOGIC, true },
	{ "or to reg", FN4(or_mr), F_LOGIC, true },
	{ "or imm", FN4(or_i1), F_LOGIC, false },
	{ "and", FN4(and_rm), F_LOGIC, true },
	{ "and to reg", FN4(and_mr), F_LOGIC, true },
	{ "and imm", FN4(and_i2), F_LOGIC, false },
	{ "xor", FN4(xor_rm), F_LOGIC, true },
	{ "xor to reg", FN4(xor_mr), F_LOGIC, true },
	{ "xor imm", FN4(xor_i1), F_LOGIC, false },
	{ "add", FN4(add_rm), F_ARITH, true },
	{ "add to reg", FN4(add_mr), F_ARITH, true },
	{ "add imm", FN4(add_i1), F_ARITH, false },
	{ "add imm8", FN4(add_i2), F_ARITH, false },
	{ "sub", FN4(sub_rm), F_ARITH, true },
	{ "sub to reg", FN4(sub_mr), F_ARITH, true },
	{ "sub imm", FN4(sub_i1), F_ARITH, false },
	{ "sub imm8", FN4(sub_i2), F_ARITH, false },
	{ "inc", FN4(inc_m), F_ARITH, false },
	{ "dec", FN4(dec_m), F_ARITH, false },
	{ "bitwise not", FN4(not_m), F_ARITH, false },
	{ "neg", FN4(neg_m), F_ARITH, false },
	{ "test", FN4(test_rm), F_LOGIC, true },
	{ "test imm", FN4(test_i2), F_LOGIC, false },
	{ "cmp mem-reg", FN4(cmp_rm), F_ARITH, true },
	{ "cmp reg-mem", FN4(cmp_mr), F_ARITH, true },
	{ "cmp imm", FN4(cmp_i1), F_ARITH, false },
	{ "cmp imm8", FN4(cmp_i2), F_ARITH, false },
	{ "xchg", FN4(xchg_rm), F_ARITH, true },
	{ "lock or", FN4(lock_or_rm), F_LOGIC, true },
	{ "lock xchg", FN4(lock_xchg_rm), F_ARITH, true },
	{ "bt", FN248(bt_b1), F_CF, false },
	{ "bt mod width", FN248(bt_b2), F_CF, false },
	{ "bts", FN248(bts_b1), F_CF, false },
	{ "bts mod width", FN248(bts_b2), F_CF, false },
	{ "btr", FN248(btr_b1), F_CF, false },
	{ "btr mod width", FN248(btr_b2), F_CF, false },
	{ "lock bts", FN248(lock_bts_b2), F_CF, false },
	{ "movzx/movsx", { movzbl, movzwq, movslq, NULL }, F_ARITH, true },
	{ "movsx narrow", { movsbw, movswl, movsbq, NULL }, F_ARITH, true },
};

static const unsigned int sizes[4] = { 1, 2, 4, 8 };

/* Plain MOVs (done by thv.ko) to set up and read back the bank. */
static void bank_put(unsigned int off, unsigned int size, uint64_t v)
{
	switch (size) {
	case 1:
		*(volatile uint8_t *)bank(off) = v;
		break;
	case 2:
		*(volatile uint16_t *)bank(off) = v;
		break;
	case 4:
		*(volatile uint32_t *)bank(off) = v;
		break;
	default:
		*(volatile uint64_t *)bank(off) = v;
	}
}

static uint64_t bank_get64(unsigned int off)
{
	return *(volatile uint64_t *)bank(off);
}

/*
 * Run form f at size index s with memory value mv and register value rv
 * on the bank and on RAM; everything must agree.  The operand sits at a
 * different bank offset per size; the 8 bytes around it are compared,
 * so a write of the wrong width shows.
 */
static void check_one(const struct form *f, unsigned int s, uint64_t mv,
		      uint64_t rv, uint64_t fl_in)
{
	unsigned int size = sizes[s], off = 0x10 + 0x10 * s;
	volatile uint64_t *ram = (volatile uint64_t *)&ram_page[off];
	uint64_t r_mmio = rv, r_ram = rv, f_mmio, f_ram, m_mmio, init;

	/* The operand in the low bytes of a filled 8-byte word. */
	init = 0xa5a5a5a5a5a5a5a5ULL;
	__builtin_memcpy(&init, &mv, size);
	bank_put(off, 8, init);
	*ram = init;

	f_mmio = f->fn[s](bank(off), &r_mmio, fl_in);
	f_ram = f->fn[s](ram, &r_ram, fl_in);
	m_mmio = bank_get64(off);

	if (m_mmio != *ram || r_mmio != r_ram ||
	    (f_mmio & f->flags) != (f_ram & f->flags))
		guest_printf("mmio: %s, %u bytes, mem 0x%llx reg 0x%llx flags "
			     "0x%llx: MMIO gave mem 0x%llx reg 0x%llx flags "
			     "0x%llx, RAM mem 0x%llx reg 0x%llx flags 0x%llx\n",
			     f->name, size, (unsigned long long)init,
			     (unsigned long long)rv,
			     (unsigned long long)fl_in,
			     (unsigned long long)m_mmio,
			     (unsigned long long)r_mmio,
			     (unsigned long long)(f_mmio & f->flags),
			     (unsigned long long)*ram,
			     (unsigned long long)r_ram,
			     (unsigned long long)(f_ram & f->flags));
	GUEST_ASSERT_EQ(m_mmio, *ram);
	GUEST_ASSERT_EQ(r_mmio, r_ram);
	GUEST_ASSERT_EQ(f_mmio & f->flags, f_ram & f->flags);
}

static void check_form(const struct form *f)
{
	unsigned int s, i, j, n = 0;

	for (s = 0; s < 4; s++) {
		if (!f->fn[s])
			continue;
		for (i = 0; i < ARRAY_SIZE(vals); i++) {
			for (j = 0; j < (f->reg ? ARRAY_SIZE(rvals) : 1); j++) {
				/* flags in: all clear or all set (INC keeps CF) */
				uint64_t fl = F_FIXED |
					      ((i + j) & 1 ? F_ARITH : 0);
				uint64_t rv = f->reg ? rvals[j] :
					      0xdeadbeefcafe1234ULL;

				check_one(f, s, vals[i], rv, fl);
				n++;
			}
		}
	}
	guest_printf("mmio: %s ok (%u cases)\n", f->name, n);
}

/* ------------------------------------------------------------------ */
/* Known answers: the flags a driver actually tests.                   */

static void check_known(void)
{
	uint64_t r, fl;

	/* cmp of equal values: ZF = 1, CF = 0. */
	bank_put(0x80, 4, 0x1234);
	r = 0x1234;
	fl = cmp_rm4(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & (F_ZF | F_CF), F_ZF);
	/* 0x1234 - 0x1235: a borrow, negative. */
	r = 0x1235;
	fl = cmp_rm4(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & (F_ZF | F_CF | F_SF), F_CF | F_SF);
	/* test of a clear bit: ZF = 1; of a set one: ZF = 0. */
	r = 0x8;
	fl = test_rm4(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & F_ZF, F_ZF);
	r = 0x4;
	fl = test_rm4(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & F_ZF, 0);
	/* bts then btr of bit 5: CF = old bit. */
	fl = bts_b14(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & F_CF, F_CF);		/* 0x34 has bit 5 */
	fl = btr_b14(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & F_CF, F_CF);
	fl = bt_b14(bank(0x80), &r, F_FIXED);
	GUEST_ASSERT_EQ(fl & F_CF, 0);
	GUEST_ASSERT_EQ(bank_get64(0x80) & 0xffffffff, 0x1214);
	guest_printf("mmio: known flags ok\n");
}

/* ------------------------------------------------------------------ */
/* STOS and REP STOS, counting up and down.                           */

/*
 * "rep stosX" (or a plain stosX when rep is false) with RDI = dst, RCX =
 * count, RAX = val and DF as asked; returns RDI and RCX after it.
 */
#define DEF_STOS(fn, insn)						\
static void fn(uint64_t *rdi, uint64_t *rcx, uint64_t val, bool down)	\
{									\
	uint64_t di = *rdi, cx = *rcx;					\
									\
	asm volatile("test %[d], %[d]\n\tjz 1f\n\tstd\n1:\t" insn	\
		     "\n\tcld"						\
		     : "+D"(di), "+c"(cx) : "a"(val), [d] "r"(down)	\
		     : "cc", "memory");					\
	*rdi = di;							\
	*rcx = cx;							\
}
DEF_STOS(stosb1, "stosb")
DEF_STOS(stosw1, "stosw")
DEF_STOS(stosl1, "stosl")
DEF_STOS(stosq1, "stosq")
DEF_STOS(rep_stosb, "rep stosb")
DEF_STOS(rep_stosw, "rep stosw")
DEF_STOS(rep_stosl, "rep stosl")
DEF_STOS(rep_stosq, "rep stosq")

typedef void (*stos_fn)(uint64_t *rdi, uint64_t *rcx, uint64_t val,
			bool down);

static void bank_fill(uint64_t v)
{
	unsigned int off;

	for (off = 0; off < BANK_LEN; off += 8)
		bank_put(off, 8, v);
	for (off = 0; off < BANK_LEN; off += 8)
		*(volatile uint64_t *)&ram_page[off] = v;
}

static void bank_compare(const char *what)
{
	unsigned int off;

	for (off = 0; off < BANK_LEN; off += 8) {
		uint64_t m = bank_get64(off);
		uint64_t r = *(volatile uint64_t *)&ram_page[off];

		if (m != r)
			guest_printf("mmio: %s: bank+0x%x is 0x%llx, RAM 0x%llx\n",
				     what, off, (unsigned long long)m,
				     (unsigned long long)r);
		GUEST_ASSERT_EQ(m, r);
	}
}

/* start: byte offset of the first element in the bank; count elements. */
static void check_stos(const char *what, stos_fn fn, unsigned int start,
		       uint64_t count, bool down)
{
	uint64_t di_m = BANK + start, cx_m = count;
	uint64_t di_r = (uintptr_t)&ram_page[start], cx_r = count;
	const uint64_t val = 0x8877665544332211ULL;

	bank_fill(0x0123456789abcdefULL);
	fn(&di_m, &cx_m, val, down);
	fn(&di_r, &cx_r, val, down);
	bank_compare(what);
	/* RDI moved by as much on both sides; RCX counted down alike. */
	GUEST_ASSERT_EQ(di_m - BANK, di_r - (uintptr_t)ram_page);
	GUEST_ASSERT_EQ(cx_m, cx_r);
	GUEST_ASSERT_EQ(read_flags() & F_DF, 0);
}

static void test_stos(void)
{
	static const stos_fn one[4] = { stosb1, stosw1, stosl1, stosq1 };
	static const stos_fn rep[4] = { rep_stosb, rep_stosw, rep_stosl,
					rep_stosq };
	unsigned int s;

	for (s = 0; s < 4; s++) {
		check_stos("stos", one[s], 0x40, 7, false);
		check_stos("stos down", one[s], 0x40, 7, true);
		check_stos("rep stos", rep[s], 0x20, 64 / sizes[s] + 3, false);
		check_stos("rep stos down", rep[s], 0xc0, 64 / sizes[s] + 5,
			   true);
		check_stos("rep stos 0", rep[s], 0x20, 0, false);
	}
	guest_printf("mmio: stos ok\n");
	guest_printf("mmio: rep stos ok\n");
}

int main(void)
{
	unsigned int i;

	GUEST_ASSERT_EQ(*(volatile uint32_t *)0xd0000000UL, 0x21564854);
	for (i = 0; i < ARRAY_SIZE(forms); i++)
		check_form(&forms[i]);
	check_known();
	test_stos();
	guest_printf("mmio: all forms ok\n");
	return 0;
}
