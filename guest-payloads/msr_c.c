// SPDX-License-Identifier: GPL-2.0
/*
 * msr_c.c - the model-specific registers a 64-bit OS needs, and the proof
 * that thv keeps them per guest.
 *
 * Concept: a 64-bit kernel sets up the CPU through MSRs as much as through
 * control registers.  EFER turns on long mode (LME), SYSCALL (SCE) and
 * no-execute pages (NXE); STAR, LSTAR, CSTAR and SFMASK say where SYSCALL
 * goes and which RFLAGS bits it clears; FS_BASE and GS_BASE are the
 * segment bases behind thread-local storage and per-CPU data, and SWAPGS
 * exchanges GS_BASE with KERNEL_GS_BASE on the way into the kernel;
 * SYSENTER_CS/ESP/EIP are the 32-bit fast system call; PAT gives the
 * memory types that page-table entries pick from.
 *
 * The host kernel keeps its own values in these very registers, on the
 * same CPU.  So the hypervisor must give each guest its own copy: every
 * RDMSR/WRMSR here exits to thv.ko, which checks a new value as the CPU
 * would (a non-canonical address or a reserved bit is a #GP, and the MSR
 * keeps its old value) and keeps it in the guest's context, in the
 * VMCB/VMCS or loaded around VM entry.  MSRs that thv.ko does not know go
 * to userspace, and `thv run` answers them with #GP.
 *
 * Reading a value back only shows that something remembered it.  That
 * the CPU really uses the guest's values while the guest runs shows in
 * the instructions that read them: %fs:0 and %gs:0 go through FS_BASE and
 * GS_BASE, SWAPGS exchanges GS_BASE and KERNEL_GS_BASE, and SYSCALL jumps
 * to LSTAR.  With the host's LSTAR, the guest's SYSCALL would jump to the
 * host kernel's entry point, an address the guest has not mapped: a #PF,
 * which the runtime reports as an unexpected exception (with no IDT it
 * would be a triple fault).
 *
 * A #GP from RDMSR or WRMSR is a fault: RIP stays on the instruction.  The
 * #GP handler here counts it, notes where it was, and moves RIP past the
 * 2-byte instruction (RDMSR is 0f 32, WRMSR 0f 30).
 *
 * 64-bit only (msr64.elf): SYSCALL, SWAPGS and the 64-bit bases are long
 * mode things.
 *
 * Run:      thv run msr64.elf
 * Prints:   "msr: efer ok\n"
 *           "msr: round trips ok\n"
 *           "msr: #GP on bad values ok\n"
 *           "msr: fs/gs base and swapgs ok\n"
 *           "msr: syscall went to the guest's LSTAR 3 times\n"
 *           "msr: tsc ok\n"
 *           "msr: apic base ok\n"
 *           "msr: unknown MSR 0x1234 ok\n"
 *           "msr: all MSR checks passed\n"
 * Status:   0 (ucall DONE); an ASSERT ucall (status 1) with the file, line
 *           and values of the first check that failed.
 */
#include "guest.h"

#ifndef __x86_64__
#error "msr_c.c is a 64-bit guest only (msr64.elf)"
#endif

/* MSR numbers (SDM Vol. 4, APM Vol. 2 appendix A); EFER is in guest.h. */
#define MSR_TSC			0x10
#define MSR_APIC_BASE		0x1b
#define MSR_SYSENTER_CS		0x174
#define MSR_SYSENTER_ESP	0x175
#define MSR_SYSENTER_EIP	0x176
#define MSR_MISC_ENABLE		0x1a0
#define MSR_PAT			0x277
#define MSR_STAR		0xc0000081	/* SYSCALL/SYSRET CS and SS */
#define MSR_LSTAR		0xc0000082	/* SYSCALL RIP, 64-bit mode */
#define MSR_CSTAR		0xc0000083	/* SYSCALL RIP, compat mode */
#define MSR_SFMASK		0xc0000084	/* RFLAGS bits SYSCALL clears */
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102	/* SWAPGS's other GS base */
#define MSR_UNKNOWN		0x1234		/* not an MSR thv knows */

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

#define EFER_RESERVED_BIT	(1ULL << 2)
#define APIC_BASE_X2APIC	(1ULL << 10)
#define RFLAGS_IF		(1ULL << 9)

/* ------------------------------------------------------------------ */
/* #GP: count it, note it, skip the RDMSR/WRMSR.                      */

static volatile unsigned int gp_count;
static volatile unsigned long gp_vector, gp_error, gp_rip;

static void on_gp(struct ex_regs *regs)
{
	const uint8_t *insn = (const uint8_t *)regs->rip;

	gp_count++;
	gp_vector = regs->vector;
	gp_error = regs->error_code;
	gp_rip = regs->rip;

	/*
	 * The CPU pushes an error code for a #GP.  A #GP injected without
	 * one shifts the frame by a slot (CS would hold RFLAGS), and IRETQ
	 * would go astray: stop here with the evidence.
	 */
	if (regs->cs != read_cs())
		GUEST_FAIL("#GP frame: cs 0x%lx rip 0x%lx error 0x%lx (no error code pushed?)",
			   regs->cs, regs->rip, regs->error_code);
	/* Skip only an RDMSR or a WRMSR: any other #GP is a bug. */
	if (insn[0] != 0x0f || (insn[1] != 0x32 && insn[1] != 0x30))
		GUEST_FAIL("#GP at rip 0x%lx (error 0x%lx), not on an RDMSR/WRMSR",
			   regs->rip, regs->error_code);
	regs->rip += 2;
}

/*
 * After one RDMSR/WRMSR at address insn: did it #GP?  If it did, it must
 * have been exactly once, with error code 0, and at the instruction.
 */
static bool gp_at(unsigned long insn)
{
	if (!gp_count)
		return false;
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(gp_vector, VEC_GP);
	GUEST_ASSERT_EQ(gp_error, 0);
	GUEST_ASSERT_EQ(gp_rip, insn);
	return true;
}

/*
 * WRMSR/RDMSR that report a #GP instead of dying of it.  The LEA notes
 * the instruction's address; "=&r": it is written before WRMSR reads its
 * inputs, so it must not share their registers.  The "memory" clobber
 * keeps the compiler from moving the accesses to gp_count across.
 */
static bool wrmsr_faults(uint32_t msr, uint64_t val)
{
	unsigned long insn;

	gp_count = 0;
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "1: wrmsr"
		     : "=&r"(insn)
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	return gp_at(insn);
}

/* *val is 0 after a #GP (EDX:EAX start at 0; RDMSR leaves them then). */
static bool rdmsr_faults(uint32_t msr, uint64_t *val)
{
	uint32_t lo = 0, hi = 0;
	unsigned long insn;

	gp_count = 0;
	asm volatile("lea 1f(%%rip), %2\n\t"
		     "1: rdmsr"
		     : "+a"(lo), "+d"(hi), "=&r"(insn)
		     : "c"(msr)
		     : "memory");
	*val = ((uint64_t)hi << 32) | lo;
	return gp_at(insn);
}

/* RDMSR/WRMSR that must not fault. */
static uint64_t msr_read(uint32_t msr)
{
	uint64_t val;

	if (rdmsr_faults(msr, &val))
		GUEST_FAIL("rdmsr 0x%x: unexpected #GP", msr);
	return val;
}

static void msr_write(uint32_t msr, uint64_t val)
{
	if (wrmsr_faults(msr, val))
		GUEST_FAIL("wrmsr 0x%x <- 0x%llx: unexpected #GP", msr,
			   (unsigned long long)val);
}

/* Write val; the MSR must then read expect (what the register keeps). */
static void check_round_trip(const char *name, uint32_t msr, uint64_t val,
			     uint64_t expect)
{
	uint64_t got;

	msr_write(msr, val);
	got = msr_read(msr);
	if (got != expect)
		GUEST_FAIL("%s (0x%x): wrote 0x%llx, read 0x%llx, expected 0x%llx",
			   name, msr, (unsigned long long)val,
			   (unsigned long long)got, (unsigned long long)expect);
}

/* Writing bad must #GP and leave the MSR as it was. */
static void check_write_gp(const char *name, uint32_t msr, uint64_t bad)
{
	uint64_t before = msr_read(msr);
	uint64_t after;

	if (!wrmsr_faults(msr, bad))
		GUEST_FAIL("%s (0x%x): writing 0x%llx did not #GP", name, msr,
			   (unsigned long long)bad);
	after = msr_read(msr);
	if (after != before)
		GUEST_FAIL("%s (0x%x): the faulting write of 0x%llx changed it from 0x%llx to 0x%llx",
			   name, msr, (unsigned long long)bad,
			   (unsigned long long)before, (unsigned long long)after);
}

/* ------------------------------------------------------------------ */
/* 1. EFER.                                                           */

static void test_efer(void)
{
	uint64_t efer = msr_read(MSR_EFER);

	/* 0xd01 = SCE | LME | LMA | NXE: long mode on, SCE and NXE off. */
	GUEST_ASSERT_EQ(efer & 0xd01, 0x500);

	/* Read-modify-write, as an OS does: LMA is written back as read. */
	msr_write(MSR_EFER, efer | EFER_SCE);
	efer = msr_read(MSR_EFER);
	GUEST_ASSERT_EQ(efer & 0xd01, 0x501);

	check_write_gp("EFER", MSR_EFER, efer | EFER_RESERVED_BIT);
	guest_printf("msr: efer ok\n");
}

/* ------------------------------------------------------------------ */
/* 2. Round trips: each MSR keeps what the guest wrote.               */

static void test_round_trips(void)
{
	uint64_t pat = msr_read(MSR_PAT);
	uint64_t misc = msr_read(MSR_MISC_ENABLE);

	/* WB WT UC- UC, twice: the PAT at reset. */
	GUEST_ASSERT_EQ(pat, 0x0007040600070406ULL);

	check_round_trip("STAR", MSR_STAR, 0x123456789abcdef0ULL,
			 0x123456789abcdef0ULL);
	check_round_trip("LSTAR", MSR_LSTAR, 0xffff800000001000ULL,
			 0xffff800000001000ULL);
	check_round_trip("CSTAR", MSR_CSTAR, 0x00007fff12345000ULL,
			 0x00007fff12345000ULL);
	check_round_trip("SFMASK", MSR_SFMASK, 0x47700, 0x47700);
	check_round_trip("FS_BASE", MSR_FS_BASE, 0x00007fffffffe000ULL,
			 0x00007fffffffe000ULL);
	check_round_trip("GS_BASE", MSR_GS_BASE, 0xffff888000002000ULL,
			 0xffff888000002000ULL);
	check_round_trip("KERNEL_GS_BASE", MSR_KERNEL_GS_BASE,
			 0x00007f0000003000ULL, 0x00007f0000003000ULL);
	/* SYSENTER_CS keeps bits 31:0 only. */
	check_round_trip("SYSENTER_CS", MSR_SYSENTER_CS, 0x1234567800000010ULL,
			 0x10);
	/* High-half values: all 64 bits must come back, on AMD too. */
	check_round_trip("SYSENTER_ESP", MSR_SYSENTER_ESP,
			 0xffffc90000004000ULL, 0xffffc90000004000ULL);
	check_round_trip("SYSENTER_EIP", MSR_SYSENTER_EIP,
			 0xffffffff81005000ULL, 0xffffffff81005000ULL);
	/* WB (6) in PA0-PA6, UC (0) in PA7; then the reset value again. */
	check_round_trip("PAT", MSR_PAT, 0x0006060606060606ULL,
			 0x0006060606060606ULL);
	check_round_trip("PAT", MSR_PAT, pat, pat);
	check_round_trip("MISC_ENABLE", MSR_MISC_ENABLE, 0xfedcba9876543210ULL,
			 0xfedcba9876543210ULL);
	check_round_trip("MISC_ENABLE", MSR_MISC_ENABLE, misc, misc);
	guest_printf("msr: round trips ok\n");
}

/* ------------------------------------------------------------------ */
/* 3. Values the CPU refuses: #GP, and the MSR keeps its old value.   */

static const struct {
	const char *name;
	uint32_t msr;
} canonical_msrs[] = {
	{ "LSTAR", MSR_LSTAR },
	{ "CSTAR", MSR_CSTAR },
	{ "FS_BASE", MSR_FS_BASE },
	{ "GS_BASE", MSR_GS_BASE },
	{ "KERNEL_GS_BASE", MSR_KERNEL_GS_BASE },
	{ "SYSENTER_ESP", MSR_SYSENTER_ESP },
	{ "SYSENTER_EIP", MSR_SYSENTER_EIP },
};

/* Bits 63:47 not all equal (48-bit addresses; the guest has no LA57). */
static const uint64_t noncanonical[] = {
	0x0000800000000000ULL,	/* just above the lower half */
	0xffff7ffffffff000ULL,	/* just below the upper half */
};

static bool has_x2apic(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	return c & (1u << 21);
}

static void test_gp(void)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(canonical_msrs); i++)
		for (j = 0; j < ARRAY_SIZE(noncanonical); j++)
			check_write_gp(canonical_msrs[i].name,
				       canonical_msrs[i].msr, noncanonical[j]);

	/* SFMASK: bits 63:32 are reserved. */
	check_write_gp("SFMASK", MSR_SFMASK, (1ULL << 32) | RFLAGS_IF);
	check_write_gp("SFMASK", MSR_SFMASK, 1ULL << 63);

	/* PAT: memory types 2 and 3 do not exist, nor do 8 and up. */
	check_write_gp("PAT", MSR_PAT, 0x0007040600070402ULL);	/* byte 0 */
	check_write_gp("PAT", MSR_PAT, 0x0307040600070406ULL);	/* byte 7 */
	check_write_gp("PAT", MSR_PAT, 0x0007040608070406ULL);	/* byte 3 */

	/*
	 * APIC_BASE: bits 0-7 and 9 are reserved; x2APIC mode (bit 10)
	 * exists only where CPUID.1:ECX[21] says so (`thv run` emulates a
	 * local APIC and does; a bare VM does not).  With x2APIC, the SDM's
	 * mode rules (Vol. 3A 11.12.5): x2APIC -> xAPIC directly is a #GP,
	 * through "disabled" (EN = 0) it is allowed.
	 */
	if (has_x2apic()) {
		msr_write(MSR_APIC_BASE, 0xfee00900ULL | APIC_BASE_X2APIC);
		GUEST_ASSERT_EQ(msr_read(MSR_APIC_BASE),
				0xfee00900ULL | APIC_BASE_X2APIC);
		check_write_gp("APIC_BASE", MSR_APIC_BASE, 0xfee00900ULL);
		msr_write(MSR_APIC_BASE, 0xfee00100ULL);	/* EN = 0 */
		msr_write(MSR_APIC_BASE, 0xfee00900ULL);
		GUEST_ASSERT_EQ(msr_read(MSR_APIC_BASE), 0xfee00900ULL);
	} else {
		check_write_gp("APIC_BASE", MSR_APIC_BASE,
			       0xfee00900ULL | APIC_BASE_X2APIC);
	}
	check_write_gp("APIC_BASE", MSR_APIC_BASE, 0xfee00901ULL);
	check_write_gp("APIC_BASE", MSR_APIC_BASE, 0xfee00b00ULL);
	guest_printf("msr: #GP on bad values ok\n");
}

/* ------------------------------------------------------------------ */
/* 4. FS_BASE and GS_BASE are what %fs: and %gs: add; SWAPGS.         */

static volatile uint64_t fs_word = 0x1122334455667788ULL;
static volatile uint64_t gs_word = 0x99aabbccddeeff00ULL;
static volatile uint64_t kgs_word = 0x0123456789abcdefULL;

/* Absolute address 0 in the segment: the segment base itself. */
static inline uint64_t read_fs0(void)
{
	uint64_t v;

	asm volatile("mov %%fs:0, %0" : "=r"(v) : : "memory");
	return v;
}

static inline uint64_t read_gs0(void)
{
	uint64_t v;

	asm volatile("mov %%gs:0, %0" : "=r"(v) : : "memory");
	return v;
}

static inline void swapgs(void)
{
	asm volatile("swapgs" : : : "memory");
}

static void test_segment_bases(void)
{
	uint64_t fs = (uintptr_t)&fs_word;
	uint64_t gs = (uintptr_t)&gs_word;
	uint64_t kgs = (uintptr_t)&kgs_word;

	msr_write(MSR_FS_BASE, fs);
	GUEST_ASSERT_EQ(read_fs0(), 0x1122334455667788ULL);

	msr_write(MSR_GS_BASE, gs);
	msr_write(MSR_KERNEL_GS_BASE, kgs);
	GUEST_ASSERT_EQ(read_gs0(), 0x99aabbccddeeff00ULL);

	/* SWAPGS: GS_BASE <-> KERNEL_GS_BASE, with no exit. */
	swapgs();
	GUEST_ASSERT_EQ(read_gs0(), 0x0123456789abcdefULL);
	GUEST_ASSERT_EQ(msr_read(MSR_GS_BASE), kgs);
	GUEST_ASSERT_EQ(msr_read(MSR_KERNEL_GS_BASE), gs);

	swapgs();
	GUEST_ASSERT_EQ(read_gs0(), 0x99aabbccddeeff00ULL);
	GUEST_ASSERT_EQ(msr_read(MSR_GS_BASE), gs);
	GUEST_ASSERT_EQ(msr_read(MSR_KERNEL_GS_BASE), kgs);

	/* Back to the bases the runtime started with. */
	msr_write(MSR_FS_BASE, 0);
	msr_write(MSR_GS_BASE, 0);
	msr_write(MSR_KERNEL_GS_BASE, 0);
	guest_printf("msr: fs/gs base and swapgs ok\n");
}

/* ------------------------------------------------------------------ */
/* 5. SYSCALL jumps to the guest's LSTAR.                             */

/*
 * SYSCALL: RCX = the next RIP, R11 = RFLAGS, RFLAGS &= ~SFMASK, CS =
 * STAR[47:32], SS = that + 8, RIP = LSTAR; CPL becomes 0, which we
 * already are.  So the entry needs no SYSRET: it counts and jumps back.
 * "used": only this asm writes syscall_count.
 */
static volatile unsigned int syscall_count __attribute__((used));
extern const char msr_syscall_entry[];

asm(".pushsection .text, \"ax\", @progbits\n"
	"	.code64\n"
	"	.balign	16\n"
	"msr_syscall_entry:\n"
	"	incl	syscall_count(%rip)\n"
	"	jmp	*%rcx\n"
	".popsection\n");

static void test_syscall(void)
{
	uint64_t entry = (uintptr_t)msr_syscall_entry;
	int i;

	/* SYSCALL CS = 0x08, SS = 0x10: the runtime's GDT selectors. */
	msr_write(MSR_STAR, 0x0008ULL << 32);
	msr_write(MSR_LSTAR, entry);
	msr_write(MSR_SFMASK, RFLAGS_IF);
	msr_write(MSR_EFER, msr_read(MSR_EFER) | EFER_SCE);
	GUEST_ASSERT_EQ(msr_read(MSR_LSTAR), entry);
	GUEST_ASSERT_EQ(msr_read(MSR_EFER) & EFER_SCE, EFER_SCE);

	syscall_count = 0;
	for (i = 0; i < 3; i++)
		asm volatile("syscall" : : : "rcx", "r11", "cc", "memory");
	GUEST_ASSERT_EQ(syscall_count, 3);
	guest_printf("msr: syscall went to the guest's LSTAR %u times\n",
		     syscall_count);
}

/* ------------------------------------------------------------------ */
/* 6-8. TSC, APIC_BASE, an MSR nobody knows.                          */

static void test_tsc(void)
{
	uint64_t t1 = msr_read(MSR_TSC);
	uint64_t t2 = msr_read(MSR_TSC);

	if (t2 <= t1)
		GUEST_FAIL("TSC did not go up: 0x%llx, then 0x%llx",
			   (unsigned long long)t1, (unsigned long long)t2);
	guest_printf("msr: tsc ok\n");
}

static void test_apic_base(void)
{
	uint64_t apic = msr_read(MSR_APIC_BASE);

	/* Base 0xfee00000, EN (bit 11), BSP (bit 8). */
	GUEST_ASSERT_EQ(apic, 0xfee00900ULL);
	msr_write(MSR_APIC_BASE, apic);
	GUEST_ASSERT_EQ(msr_read(MSR_APIC_BASE), 0xfee00900ULL);
	guest_printf("msr: apic base ok\n");
}

static void test_unknown(void)
{
	uint64_t val;

	/* thv.ko passes it to userspace; `thv run` answers with #GP. */
	GUEST_ASSERT(rdmsr_faults(MSR_UNKNOWN, &val));
	GUEST_ASSERT(wrmsr_faults(MSR_UNKNOWN, 0x5a5a5a5aa5a5a5a5ULL));
	guest_printf("msr: unknown MSR 0x%x ok\n", MSR_UNKNOWN);
}

int main(void)
{
	idt_set_handler(VEC_GP, on_gp);

	test_efer();
	test_round_trips();
	test_gp();
	test_segment_bases();
	test_syscall();
	test_tsc();
	test_apic_base();
	test_unknown();

	idt_set_handler(VEC_GP, NULL);
	guest_printf("msr: all MSR checks passed\n");
	return 0;
}
