// SPDX-License-Identifier: GPL-2.0
/*
 * mmio_test.c - libthv's userspace MMIO emulator (thv_mmio_emulate(),
 * user/lib/thv_mmio_emul.c) on real exits of /dev/thv.
 *
 * thv.ko decodes plain MOVs to MMIO itself; any other instruction exits
 * with thv_run.mmio.user_decode = 1 and RIP still on it.  Each test here
 * runs a guest that touches a fake device at 0x20000 (two pages, above
 * guest RAM), emulates those exits through a device that logs every
 * access, and checks what the device saw, the registers and flags the
 * guest got back and where RIP went.  The device reports four regions
 * of 0x800 bytes, so that a REP STOS has to stop at a region's end.
 */
#include "kselftest_harness.h"
#include "test_util.h"

#define MT_MEM_SIZE		0x10000UL
#define MT_TABLES_GPA		(MT_MEM_SIZE - THV_LONG64_TABLES_SIZE)
#define MT_DEV_GPA		0x20000UL
#define MT_DEV_LEN		0x2000UL
#define MT_REGION		0x800UL
#define MT_LOG_MAX		64

/* RFLAGS bits (SDM Vol. 1 3.4.3). */
#define CF	0x001ULL
#define PF	0x004ULL
#define AF	0x010ULL
#define ZF	0x040ULL
#define SF	0x080ULL
#define DF	0x400ULL
#define OF	0x800ULL
#define ARITH	(CF | PF | AF | ZF | SF | OF)

struct access {
	uint64_t gpa;
	unsigned int len;
	int is_write;
	uint64_t val;
};

/* The fake device: memory-like bytes and a log of every access. */
struct tdev {
	uint8_t mem[MT_DEV_LEN];
	struct access log[MT_LOG_MAX];
	unsigned int nlog;
};

static int tdev_log(struct tdev *d, uint64_t gpa, unsigned int len,
		    int is_write, uint64_t val)
{
	if (gpa < MT_DEV_GPA || gpa + len > MT_DEV_GPA + MT_DEV_LEN ||
	    d->nlog == MT_LOG_MAX)
		return -EIO;
	d->log[d->nlog++] = (struct access){ gpa, len, is_write, val };
	return 0;
}

static int tdev_read(void *opaque, uint64_t gpa, unsigned int len,
		     uint64_t *val)
{
	struct tdev *d = opaque;
	int ret;

	*val = 0;
	if (gpa >= MT_DEV_GPA && gpa + len <= MT_DEV_GPA + MT_DEV_LEN)
		memcpy(val, &d->mem[gpa - MT_DEV_GPA], len);
	ret = tdev_log(d, gpa, len, 0, *val);
	return ret;
}

static int tdev_write(void *opaque, uint64_t gpa, unsigned int len,
		      uint64_t val)
{
	struct tdev *d = opaque;
	int ret = tdev_log(d, gpa, len, 1, val);

	if (!ret)
		memcpy(&d->mem[gpa - MT_DEV_GPA], &val, len);
	return ret;
}

static int tdev_region(void *opaque, uint64_t gpa, uint64_t *base,
		       uint64_t *len)
{
	(void)opaque;
	if (gpa < MT_DEV_GPA || gpa >= MT_DEV_GPA + MT_DEV_LEN)
		return -ENOENT;
	*base = gpa & ~(MT_REGION - 1);
	*len = MT_REGION;
	return 0;
}

static const struct thv_mmio_ops tdev_ops = {
	.read = tdev_read,
	.write = tdev_write,
	.region = tdev_region,
};

static uint64_t dev_get(struct tdev *d, uint64_t gpa, unsigned int len)
{
	uint64_t v = 0;

	memcpy(&v, &d->mem[gpa - MT_DEV_GPA], len);
	return v;
}

static void dev_put(struct tdev *d, uint64_t gpa, unsigned int len,
		    uint64_t v)
{
	memcpy(&d->mem[gpa - MT_DEV_GPA], &v, len);
}

FIXTURE(mmio) {
	struct thv_vm vm;
	struct tdev dev;
};

FIXTURE_SETUP(mmio)
{
	THV_REQUIRE_DEV();
	memset(&self->dev, 0, sizeof(self->dev));
	vm_create(_metadata, &self->vm, MT_MEM_SIZE);
}

FIXTURE_TEARDOWN(mmio)
{
	thv_vm_destroy(&self->vm);
}

static void start_long64(struct __test_metadata *_metadata, struct thv_vm *vm,
			 const unsigned char *start, const unsigned char *end)
{
	int ret;

	guest_load(_metadata, vm, start, end);
	ret = thv_vcpu_set_long64(vm, GUEST_CODE_GPA, GUEST_STACK_TOP,
				  MT_TABLES_GPA);
	ASSERT_EQ(0, ret) TH_LOG("set long mode: %s", strerror(-ret));
}

/* One MMIO exit that thv.ko left to us; emulate it, which must work. */
static void expect_emulated(struct __test_metadata *_metadata,
			    struct thv_vm *vm, struct tdev *d,
			    struct thv_mmio_result *res)
{
	struct thv_run *run = vcpu_run_expect(_metadata, vm, THV_EXIT_MMIO);
	char err[256];
	int ret;

	ASSERT_EQ(1, run->mmio.user_decode)
		TH_LOG("MMIO exit at rip 0x%llx not left to userspace",
		       (unsigned long long)run->exit_rip);
	ret = thv_mmio_emulate(vm, run, &tdev_ops, d, res, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("thv_mmio_emulate: %d: %s", ret, err);
}

static void get_regs(struct __test_metadata *_metadata, struct thv_vm *vm,
		     struct thv_regs *regs)
{
	int ret = thv_get_regs(vm, regs);

	ASSERT_EQ(0, ret) TH_LOG("GET_REGS: %s", strerror(-ret));
}

static void expect_access(struct __test_metadata *_metadata, struct tdev *d,
			  unsigned int i, uint64_t gpa, unsigned int len,
			  int is_write, uint64_t val)
{
	ASSERT_LT(i, d->nlog) TH_LOG("access %u never happened", i);
	EXPECT_EQ(gpa, d->log[i].gpa) TH_LOG("access %u: gpa", i);
	EXPECT_EQ(len, d->log[i].len) TH_LOG("access %u: len", i);
	EXPECT_EQ(is_write, d->log[i].is_write) TH_LOG("access %u: direction", i);
	EXPECT_EQ(val, d->log[i].val)
		TH_LOG("access %u: value 0x%llx, expected 0x%llx", i,
		       (unsigned long long)d->log[i].val,
		       (unsigned long long)val);
}

/* ------------------------------------------------------------------ */
/* 32-bit: OR with an immediate, LOCK XCHG.                           */

GUEST_SYMBOL(or_done);
GUEST_SYMBOL(xchg_done);
GUEST_CODE32(or_xchg,
	"mov $0x20000, %ebx\n"
	"stc\n"				/* OR must clear CF */
	"orl $0x10, (%ebx)\n"
	GUEST_LABEL(or_done)
	G_REPORT_EAX
	"mov $0xdeadbeef, %ecx\n"
	"lock xchg %ecx, 4(%ebx)\n"
	GUEST_LABEL(xchg_done)
	G_REPORT_EAX
	"hlt\n");

TEST_F(mmio, or_and_lock_xchg_32)
{
	struct thv_mmio_result res;
	struct thv_regs regs;
	struct thv_run *run;

	dev_put(&self->dev, MT_DEV_GPA, 4, 0x12340001);
	dev_put(&self->dev, MT_DEV_GPA + 4, 4, 0x55667788);
	guest_start_flat32(_metadata, &self->vm, or_xchg_start, or_xchg_end);

	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_STREQ("or dword ptr [ebx], 0x10", res.text);
	EXPECT_EQ(1, res.rip_moved);
	/* The device saw one 4-byte read, then the write of old | 0x10. */
	EXPECT_EQ(2, self->dev.nlog);
	expect_access(_metadata, &self->dev, 0, MT_DEV_GPA, 4, 0, 0x12340001);
	expect_access(_metadata, &self->dev, 1, MT_DEV_GPA, 4, 1, 0x12340011);
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	EXPECT_EQ(guest_rip(or_xchg, or_done), run->exit_rip)
		TH_LOG("after the OR the guest went on at 0x%llx",
		       (unsigned long long)run->exit_rip);
	get_regs(_metadata, &self->vm, &regs);
	/* 0x12340011: not zero, positive, 0x11 has two bits: PF = 1. */
	EXPECT_EQ(PF, regs.rflags & ARITH)
		TH_LOG("flags after OR: 0x%llx",
		       (unsigned long long)regs.rflags & ARITH);

	self->dev.nlog = 0;
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_STREQ("lock xchg dword ptr [ebx + 4], ecx", res.text);
	EXPECT_EQ(2, self->dev.nlog);
	expect_access(_metadata, &self->dev, 0, MT_DEV_GPA + 4, 4, 0,
		      0x55667788);
	expect_access(_metadata, &self->dev, 1, MT_DEV_GPA + 4, 4, 1,
		      0xdeadbeef);
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	EXPECT_EQ(guest_rip(or_xchg, xchg_done), run->exit_rip);
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(0x55667788, regs.rcx);
	EXPECT_EQ(PF, regs.rflags & ARITH) TH_LOG("XCHG changed flags");
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* 16-bit: INC m16 through DS = 0x2000.                               */

GUEST_SYMBOL(inc16_done);
GUEST_CODE16(inc16,
	"mov $0x2000, %ax\n"
	"mov %ax, %ds\n"
	"incw 0x10\n"			/* ff 06 10 00: gpa 0x20010 */
	GUEST_LABEL(inc16_done)
	G_REPORT_EAX
	"hlt\n");

TEST_F(mmio, inc_m16_real_mode)
{
	struct thv_mmio_result res;
	struct thv_regs regs;
	struct thv_run *run;

	dev_put(&self->dev, MT_DEV_GPA + 0x10, 2, 0x7fff);
	guest_start_real(_metadata, &self->vm, inc16_start, inc16_end);
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_EQ(0x8000, dev_get(&self->dev, MT_DEV_GPA + 0x10, 4));
	expect_access(_metadata, &self->dev, 0, MT_DEV_GPA + 0x10, 2, 0,
		      0x7fff);
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	EXPECT_EQ(guest_rip(inc16, inc16_done), run->exit_rip);
	get_regs(_metadata, &self->vm, &regs);
	/* 0x7fff + 1: signed overflow, negative, carry out of bit 3. */
	EXPECT_EQ(OF | SF | AF | PF, regs.rflags & ARITH)
		TH_LOG("flags after INC: 0x%llx",
		       (unsigned long long)regs.rflags & ARITH);
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* 64-bit: one instruction at a time, known inputs and outputs.       */

/*
 * Each instruction is followed by HLT: the host points RIP at it, sets
 * RBX = the device, RCX, RAX and RFLAGS, runs, emulates the one MMIO
 * exit, and the next exit must be that HLT (RIP moved by exactly the
 * instruction's length).
 */
#define ONE(label, insn)	GUEST_LABEL(label) insn "\n" "hlt\n"
GUEST_SYMBOL(k_add_l); GUEST_SYMBOL(k_add_b); GUEST_SYMBOL(k_sub_q);
GUEST_SYMBOL(k_cmp_l); GUEST_SYMBOL(k_cmp_b); GUEST_SYMBOL(k_inc_q);
GUEST_SYMBOL(k_dec_w); GUEST_SYMBOL(k_neg_l); GUEST_SYMBOL(k_not_b);
GUEST_SYMBOL(k_test_b); GUEST_SYMBOL(k_and_q); GUEST_SYMBOL(k_xor_w);
GUEST_SYMBOL(k_bts_q); GUEST_SYMBOL(k_btr_w); GUEST_SYMBOL(k_bt_l);
GUEST_SYMBOL(k_xchg_ch); GUEST_SYMBOL(k_or_to_r); GUEST_SYMBOL(k_movsxd);
GUEST_SYMBOL(k_movabs); GUEST_SYMBOL(k_stosq);
GUEST_CODE64(known,
	ONE(k_add_l, "addl %ecx, (%rbx)")
	ONE(k_add_b, "addb %cl, (%rbx)")
	ONE(k_sub_q, "subq %rcx, (%rbx)")
	ONE(k_cmp_l, "cmpl %ecx, (%rbx)")
	ONE(k_cmp_b, "cmpb $0x01, (%rbx)")
	ONE(k_inc_q, "lock incq (%rbx)")
	ONE(k_dec_w, "decw (%rbx)")
	ONE(k_neg_l, "negl (%rbx)")
	ONE(k_not_b, "notb (%rbx)")
	ONE(k_test_b, "testb $0x80, (%rbx)")
	ONE(k_and_q, "andq $-16, (%rbx)")
	ONE(k_xor_w, "xorw %cx, (%rbx)")
	ONE(k_bts_q, "btsq $40, (%rbx)")
	ONE(k_btr_w, "btrw $17, (%rbx)")	/* 17 mod 16 = bit 1 */
	ONE(k_bt_l, "btl $31, (%rbx)")
	ONE(k_xchg_ch, "xchg %ch, (%rbx)")
	ONE(k_or_to_r, "orl (%rbx), %ecx")
	ONE(k_movsxd, "movslq (%rbx), %rcx")
	ONE(k_movabs, "movabs 0x20000, %eax")
	ONE(k_stosq, "stosq"));

struct known_case {
	const char *name;
	const unsigned char *insn;
	uint64_t mem, rcx, flags_in;	/* device qword, RCX, RFLAGS */
	uint64_t mem_out, rcx_out, flags_out;
	unsigned int accesses;		/* device reads + writes */
};

static const struct known_case known_cases[] = {
	/* 0xffffffff + 1 = 0: carry out, zero, carry out of bit 3. */
	{ "add l carry", k_add_l, 0xffffffff, 1, 0,
	  0, 1, CF | ZF | AF | PF, 2 },
	/* 0x7f + 1 = 0x80: signed overflow, negative; one bit: PF = 0. */
	{ "add b overflow", k_add_b, 0x7f, 1, 0,
	  0x80, 1, OF | SF | AF, 2 },
	/* 8 + 8 = 0x10: a carry out of bit 3 only (AF); one bit: PF = 0. */
	{ "add b half carry", k_add_b, 0x08, 0x08, CF | ZF,
	  0x10, 0x08, AF, 2 },
	/* 0 - 1 = -1: borrow. */
	{ "sub q borrow", k_sub_q, 0, 1, 0,
	  ~0ULL, 1, CF | SF | AF | PF, 2 },
	/* equal: ZF, and CMP does not write. */
	{ "cmp l equal", k_cmp_l, 0x1234, 0x1234, CF | SF,
	  0x1234, 0x1234, ZF | PF, 1 },
	/* 0x80 - 1 = 0x7f: signed overflow, no borrow. */
	{ "cmp b overflow", k_cmp_b, 0x80, 0, 0,
	  0x80, 0, OF | AF, 1 },
	/* INC keeps CF: set before and no carry now, clear and a wrap. */
	{ "inc q keeps CF set", k_inc_q, 0x7fffffffffffffffULL, 0, CF,
	  0x8000000000000000ULL, 0, CF | OF | SF | AF | PF, 2 },
	{ "inc q keeps CF clear", k_inc_q, ~0ULL, 0, 0,
	  0, 0, ZF | AF | PF, 2 },
	/* DEC keeps CF (clear before), 0 - 1 in a word. */
	{ "dec w", k_dec_w, 0x55550000, 0, 0,
	  0x5555ffff, 0, SF | AF | PF, 2 },
	/* -0x80000000 = 0x80000000: OF; NEG of non-zero sets CF. */
	{ "neg l min", k_neg_l, 0x80000000, 0, 0,
	  0x80000000, 0, CF | OF | SF | PF, 2 },
	{ "neg l zero", k_neg_l, 0, 0, CF | SF,
	  0, 0, ZF | PF, 2 },
	/* NOT changes no flag. */
	{ "not b", k_not_b, 0x0f, 0, CF | ZF | OF,
	  0xf0, 0, CF | ZF | OF, 2 },
	{ "test b zero", k_test_b, 0x7f, 0, CF | OF,
	  0x7f, 0, ZF | PF, 1 },
	{ "and q imm8", k_and_q, 0x12345678abcdefffULL, 0, CF,
	  0x12345678abcdeff0ULL, 0, PF, 2 },
	{ "xor w to zero", k_xor_w, 0xaaaa5a5a, 0x5a5a, 0,
	  0xaaaa0000, 0x5a5a, ZF | PF, 2 },
	{ "bts q bit 40", k_bts_q, 0, 0, CF,
	  1ULL << 40, 0, 0, 2 },
	{ "btr w bit 17 mod 16", k_btr_w, 0xffff, 0, 0,
	  0xfffd, 0, CF, 2 },
	{ "bt l bit 31", k_bt_l, 0x80000000, 0, 0,
	  0x80000000, 0, CF, 1 },
	/* CH = 0x11 goes to memory, the old byte into CH. */
	{ "xchg ch", k_xchg_ch, 0x99, 0x1122, OF,
	  0x11, 0x9922, OF, 2 },
	/* A 32-bit register result clears bits 63:32. */
	{ "or to r32", k_or_to_r, 0x10, 0xffffffff00000001ULL, CF,
	  0x10, 0x11, PF, 1 },
	{ "movsxd", k_movsxd, 0x80000000, 0, 0,
	  0x80000000, 0xffffffff80000000ULL, 0, 1 },
};

TEST_F(mmio, known_answers_64)
{
	struct thv_mmio_result res;
	struct thv_regs regs;
	struct thv_run *run;
	unsigned int i;
	int ret;

	start_long64(_metadata, &self->vm, known_start, known_end);
	for (i = 0; i < ARRAY_SIZE(known_cases); i++) {
		const struct known_case *c = &known_cases[i];
		uint64_t insn_rip = guest_rip(known, c->insn);

		get_regs(_metadata, &self->vm, &regs);
		regs.rip = insn_rip;
		regs.rbx = MT_DEV_GPA + 0x100;
		regs.rcx = c->rcx;
		regs.rflags = 0x2 | c->flags_in;
		ret = thv_set_regs(&self->vm, &regs);
		ASSERT_EQ(0, ret);
		dev_put(&self->dev, MT_DEV_GPA + 0x100, 8, c->mem);
		self->dev.nlog = 0;

		expect_emulated(_metadata, &self->vm, &self->dev, &res);
		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_HLT);
		get_regs(_metadata, &self->vm, &regs);
		EXPECT_EQ(c->mem_out, dev_get(&self->dev, MT_DEV_GPA + 0x100, 8))
			TH_LOG("%s (%s): memory 0x%llx, expected 0x%llx",
			       c->name, res.text,
			       (unsigned long long)dev_get(&self->dev,
							   MT_DEV_GPA + 0x100, 8),
			       (unsigned long long)c->mem_out);
		EXPECT_EQ(c->rcx_out, regs.rcx)
			TH_LOG("%s (%s): RCX 0x%llx, expected 0x%llx", c->name,
			       res.text, (unsigned long long)regs.rcx,
			       (unsigned long long)c->rcx_out);
		EXPECT_EQ(c->flags_out, regs.rflags & ARITH)
			TH_LOG("%s (%s): flags 0x%llx, expected 0x%llx", c->name,
			       res.text, (unsigned long long)regs.rflags & ARITH,
			       (unsigned long long)c->flags_out);
		EXPECT_EQ(c->accesses, self->dev.nlog)
			TH_LOG("%s (%s): %u device accesses, expected %u",
			       c->name, res.text, self->dev.nlog, c->accesses);
		/* RIP moved past the instruction, onto its HLT. */
		EXPECT_LT(insn_rip, run->exit_rip);
		EXPECT_EQ(0xf4, ((uint8_t *)self->vm.mem)[run->exit_rip])
			TH_LOG("%s (%s): went on at 0x%llx, not at the HLT",
			       c->name, res.text,
			       (unsigned long long)run->exit_rip);
	}
}

/* MOV forms thv.ko would normally do, if they come here: moffs, STOSQ. */
TEST_F(mmio, mov_moffs_and_stosq_64)
{
	struct thv_mmio_result res;
	struct thv_regs regs;
	struct thv_run run_copy;
	struct thv_run *run;
	char err[256];
	int ret;

	start_long64(_metadata, &self->vm, known_start, known_end);
	dev_put(&self->dev, MT_DEV_GPA, 8, 0x1122334455667788ULL);
	get_regs(_metadata, &self->vm, &regs);
	regs.rip = guest_rip(known, k_movabs);
	regs.rax = 0xffffffffffffffffULL;
	ASSERT_EQ(0, thv_set_regs(&self->vm, &regs));

	/*
	 * thv.ko decodes A1 itself; a copy of the exit with user_decode
	 * set stands for one it did not (RIP is still on the MOV after a
	 * kernel-decoded exit too, until the next RUN).
	 */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	run_copy = *run;
	run_copy.mmio.user_decode = 1;
	ret = thv_mmio_emulate(&self->vm, &run_copy, &tdev_ops, &self->dev,
			       &res, err, sizeof(err));
	ASSERT_EQ(0, ret) TH_LOG("%s", err);
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(0x55667788, regs.rax) TH_LOG("RAX 0x%llx",
					       (unsigned long long)regs.rax);
	EXPECT_EQ(guest_rip(known, k_movabs) + 9, regs.rip);

	/* STOSQ without REP: one element, RDI += 8, RCX untouched. */
	regs.rip = guest_rip(known, k_stosq);
	regs.rdi = MT_DEV_GPA + 0x40;
	regs.rcx = 5;
	regs.rax = 0x0123456789abcdefULL;
	ASSERT_EQ(0, thv_set_regs(&self->vm, &regs));
	self->dev.nlog = 0;
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_EQ(1, self->dev.nlog);
	expect_access(_metadata, &self->dev, 0, MT_DEV_GPA + 0x40, 8, 1,
		      0x0123456789abcdefULL);
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(MT_DEV_GPA + 0x48, regs.rdi);
	EXPECT_EQ(5, regs.rcx);
	EXPECT_EQ(guest_rip(known, k_stosq) + 2, regs.rip);
}

/* ------------------------------------------------------------------ */
/* REP STOS across a region boundary, up and down.                    */

GUEST_SYMBOL(rep_up);
GUEST_SYMBOL(rep_down);
GUEST_SYMBOL(rep_down_done);
GUEST_CODE64(rep_stos,
	"mov $0xa1b2c3d4, %eax\n"
	"mov $0x207f8, %edi\n"
	"mov $6, %ecx\n"
	GUEST_LABEL(rep_up)
	"rep stosl\n"
	G_REPORT_EAX
	"mov $0xbeef, %eax\n"
	"mov $0x20804, %edi\n"
	"mov $5, %ecx\n"
	"std\n"
	GUEST_LABEL(rep_down)
	"rep stosw\n"			/* 66 f3 ab */
	GUEST_LABEL(rep_down_done)
	"cld\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(mmio, rep_stos_chunks_64)
{
	struct thv_mmio_result res;
	struct thv_regs regs;
	struct thv_run *run;
	unsigned int i;

	memset(self->dev.mem, 0x5a, sizeof(self->dev.mem));
	start_long64(_metadata, &self->vm, rep_stos_start, rep_stos_end);

	/* Up: 0x207f8 and 0x207fc are in region 0, the rest in region 1. */
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_EQ(2, res.elements);
	EXPECT_EQ(0, res.rip_moved) TH_LOG("RIP moved with RCX = 4 left");
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(guest_rip(rep_stos, rep_up), regs.rip);
	EXPECT_EQ(4, regs.rcx);
	EXPECT_EQ(0x20800, regs.rdi);
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_EQ(4, res.elements);
	EXPECT_EQ(1, res.rip_moved);
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	EXPECT_EQ(guest_rip(rep_stos, rep_up) + 2, run->exit_rip);
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(0x20810, regs.rdi);
	ASSERT_EQ(6, self->dev.nlog);
	for (i = 0; i < 6; i++)
		expect_access(_metadata, &self->dev, i, 0x207f8 + 4 * i, 4, 1,
			      0xa1b2c3d4);
	EXPECT_EQ(0x5a5a5a5a, dev_get(&self->dev, 0x20810, 4));
	EXPECT_EQ(0x5a5a5a5a, dev_get(&self->dev, 0x207f4, 4));

	/* Down (DF = 1), 2 bytes: 0x20804..0x20800, then 0x207fe, 0x207fc. */
	memset(self->dev.mem, 0x5a, sizeof(self->dev.mem));
	self->dev.nlog = 0;
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_EQ(3, res.elements);
	EXPECT_EQ(0, res.rip_moved);
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(2, regs.rcx);
	EXPECT_EQ(0x207fe, regs.rdi);
	EXPECT_EQ(guest_rip(rep_stos, rep_down), regs.rip);
	expect_emulated(_metadata, &self->vm, &self->dev, &res);
	EXPECT_EQ(2, res.elements);
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	EXPECT_EQ(guest_rip(rep_stos, rep_down_done) + 1, run->exit_rip);
	get_regs(_metadata, &self->vm, &regs);
	EXPECT_EQ(0, regs.rcx);
	EXPECT_EQ(0x207fa, regs.rdi);
	ASSERT_EQ(5, self->dev.nlog);
	for (i = 0; i < 5; i++)
		expect_access(_metadata, &self->dev, i, 0x20804 - 2 * i, 2, 1,
			      0xbeef);
	EXPECT_EQ(0x5a5a, dev_get(&self->dev, 0x20806, 2));
	EXPECT_EQ(0x5a5a, dev_get(&self->dev, 0x207fa, 2));
	guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* What is not emulated: an error with the mnemonic, nothing touched. */

GUEST_SYMBOL(u_fld);
GUEST_SYMBOL(u_btreg);
GUEST_SYMBOL(u_page);
GUEST_SYMBOL(u_region);
GUEST_CODE64(unsupported,
	ONE(u_fld, "fldl (%rbx)")
	ONE(u_btreg, "btsl %ecx, (%rbx)")
	/* 0x20ffe: crosses a page; 0x207fe: crosses a region */
	ONE(u_page, "orl $1, 0xffe(%rbx)")
	ONE(u_region, "orl $1, 0x7fe(%rbx)"));

struct bad_case {
	const unsigned char *insn;
	const char *err;
};

TEST_F(mmio, unsupported_instructions_fail_cleanly)
{
	const struct bad_case cases[] = {
		{ u_fld, "MMIO: cannot emulate 'fld' at rip 0x" },
		{ u_btreg, "only the immediate bit offset form" },
		{ u_page, "crosses a page boundary" },
		{ u_region, "crosses the end of the device" },
	};
	struct thv_mmio_result res;
	struct thv_regs regs, after;
	struct thv_run *run;
	unsigned int i;
	char err[256];
	int ret;

	start_long64(_metadata, &self->vm, unsupported_start, unsupported_end);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		get_regs(_metadata, &self->vm, &regs);
		regs.rip = guest_rip(unsupported, cases[i].insn);
		regs.rbx = MT_DEV_GPA;
		regs.rcx = 3;
		ASSERT_EQ(0, thv_set_regs(&self->vm, &regs));
		self->dev.nlog = 0;

		run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
		ASSERT_EQ(1, run->mmio.user_decode);
		ret = thv_mmio_emulate(&self->vm, run, &tdev_ops, &self->dev,
				       &res, err, sizeof(err));
		EXPECT_GT(0, ret) TH_LOG("case %u (%s) was emulated", i,
					 res.text);
		EXPECT_NE(NULL, strstr(err, cases[i].err))
			TH_LOG("case %u: error \"%s\", expected \"%s\"", i, err,
			       cases[i].err);
		EXPECT_EQ(0, self->dev.nlog)
			TH_LOG("case %u: the device was touched", i);
		get_regs(_metadata, &self->vm, &after);
		EXPECT_EQ(regs.rip, after.rip) TH_LOG("case %u: RIP moved", i);
		EXPECT_EQ(0, memcmp(&regs, &after, sizeof(regs)))
			TH_LOG("case %u: registers changed", i);
	}

	/* Not an exit to emulate at all: refused, no crash. */
	run = self->vm.run;
	run->exit_reason = THV_EXIT_IO;
	ret = thv_mmio_emulate(&self->vm, run, &tdev_ops, &self->dev, NULL,
			       err, sizeof(err));
	EXPECT_EQ(-EINVAL, ret);
	/* Bytes that are no instruction: refused with the bytes. */
	run->exit_reason = THV_EXIT_MMIO;
	run->mmio.user_decode = 1;
	run->mmio.insn_len = 2;
	run->mmio.insn[0] = 0x0f;
	run->mmio.insn[1] = 0x3b;		/* 0f 3b: no such opcode */
	ret = thv_mmio_emulate(&self->vm, run, &tdev_ops, &self->dev, NULL,
			       err, sizeof(err));
	EXPECT_GT(0, ret);
	EXPECT_NE(NULL, strstr(err, "cannot decode")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
