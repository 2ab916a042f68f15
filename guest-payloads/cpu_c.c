// SPDX-License-Identifier: GPL-2.0
/*
 * cpu_c.c - the instructions a hypervisor must catch, seen from the guest.
 *
 * Concept: some instructions cannot simply run inside a virtual machine.
 * They would read or change state that belongs to the host (the time
 * stamp counter's offset, the debug registers, the caches, TSC_AUX), or
 * tell the guest things the hypervisor wants to say differently (CPUID),
 * or hand the guest hardware it must not have (VMRUN, MONITOR).  So thv.ko
 * intercepts them: the instruction causes a VM exit, thv.ko does what the
 * manual says the instruction does, but on the guest's own copy of the
 * state, and resumes the guest after it.  The guest cannot tell.  This
 * payload checks, from the inside, that the result is what a real CPU
 * would give (docs/abi.md "What the guest sees"):
 *
 *   TSC        RDTSC runs natively but with the guest's TSC offset added
 *              by the hardware; WRMSR IA32_TSC moves that offset (SDM Vol.
 *              3B 18.17, APM Vol. 2 15.30.5), RDMSR IA32_TSC reads it.
 *   RDTSCP     the TSC plus IA32_TSC_AUX in ECX (SDM Vol. 2B RDTSCP).  thv
 *              emulates it: natively ECX would be the host's TSC_AUX.
 *              TSC_AUX has 32 bits; setting bits 63:32 is a #GP.
 *   PAUSE      exits every time (the host may run something else); the
 *              guest only sees that its spin loop runs.
 *   DR0-DR7    MOV to/from debug registers is emulated (SDM Vol. 3B 18.2):
 *              values are kept per vCPU, DR6/DR7 with their fixed bits,
 *              bits 63:32 of DR6/DR7 are reserved (#GP), and DR4/DR5 are
 *              other names for DR6/DR7 while CR4.DE = 0.
 *   INVD       exits and is a no-op: natively it would throw away dirty
 *   WBINVD     cache lines, the host's among them.
 *   CPUID      answered by thv.ko: the hypervisor bit (leaf 1 ECX[31]),
 *              the signature leaf 0x40000000, the APIC ID, hidden features.
 *   INT3       not intercepted at all: the CPU delivers #BP and INT 0x80
 *   INT n      through the guest's own IDT, with no exit.
 *   #UD        for VMRUN and MONITOR: CPUID says the CPU has neither SVM
 *              nor MONITOR, so they must fault as on such a CPU.
 *
 * A fault (#GP, #UD) leaves RIP on the faulting instruction; the handler
 * here checks that it was expected, notes vector, error code and RIP, and
 * moves RIP past the instruction.  A trap (INT3, INT n) reports the RIP of
 * the next instruction instead.
 *
 * Built twice (CPAYLOADS): cpu64.elf in long mode and cpu32.elf in 32-bit
 * protected mode.  The checks of bit 32 of DR6/DR7 need 64-bit registers
 * and are only in cpu64.elf.
 *
 * Run:      thv run cpu64.elf      (or cpu32.elf)
 * Prints:   "cpu: tsc ok\n"
 *           "cpu: rdtscp ok\n"
 *           "cpu: pause x1000 ok\n"
 *           "cpu: debug registers ok\n"
 *           "cpu: invd and wbinvd ok\n"
 *           "cpu: cpuid ok\n"
 *           "cpu: xsave (leaf 1 ECX[26]) = 0\n"    (or 1 where thv offers it)
 *           "cpu: int3 and int $0x80 ok\n"
 *           "cpu: #UD for vmrun and monitor ok\n"
 *           "cpu: all checks passed (64-bit)\n"    (or "(32-bit)")
 * Status:   0 (ucall DONE); an ASSERT ucall (status 1) with the file, line
 *           and values of the first check that failed.
 */
#include "guest.h"

#define MSR_TSC			0x10		/* SDM Vol. 4 table 2-2 */
#define MSR_TSC_AUX		0xc0000103

#define CR4_DE			(1UL << 3)	/* debugging extensions */
#define CR4_OSXSAVE		(1UL << 18)	/* the OS uses XSAVE/XSETBV */

/* CPUID bits (SDM Vol. 2A table 3-10, APM Vol. 3 E.4.2). */
#define CPUID1_ECX_MONITOR	(1U << 3)
#define CPUID1_ECX_XSAVE	(1U << 26)
#define CPUID1_ECX_OSXSAVE	(1U << 27)
#define CPUID1_ECX_HYPERVISOR	(1U << 31)
#define CPUID81_ECX_SVM		(1U << 2)

/* DR6/DR7 at reset (SDM Vol. 3B 18.2.3, 18.2.4). */
#define DR6_RESET		0xffff0ff0UL
#define DR7_RESET		0x400UL

#define MODE_NAME		(sizeof(long) == 8 ? "64-bit" : "32-bit")

/* The accumulator in an exception frame, under its name in each mode. */
#ifdef __x86_64__
#define REG_AX(regs)		((regs)->rax)
#else
#define REG_AX(regs)		((regs)->eax)
#endif

/* ------------------------------------------------------------------ */
/* Expected faults: #GP and #UD.                                      */

static volatile bool fault_armed;
static volatile unsigned int fault_count;
static volatile unsigned long fault_vector, fault_error, fault_rip;

/*
 * The length of the few instructions this file makes fault, read from
 * their bytes: an optional REX prefix (64-bit mode only: 0x40-0x4f is
 * INC/DEC in 32-bit mode), then
 *   0f 30 WRMSR, 0f 32 RDMSR                     2 bytes
 *   0f 21 /r MOV from DR, 0f 23 /r MOV to DR     3 bytes (ModRM)
 *   0f 01 d8 VMRUN, 0f 01 c8 MONITOR             3 bytes
 *   0f 01 d1 XSETBV                              3 bytes
 * Anything else: 0, and the handler gives up.
 */
static unsigned int insn_len(const uint8_t *insn)
{
	unsigned int rex = 0;

#ifdef __x86_64__
	if ((insn[0] & 0xf0) == 0x40)
		rex = 1;
#endif
	insn += rex;
	if (insn[0] != 0x0f)
		return 0;
	if (insn[1] == 0x30 || insn[1] == 0x32)
		return rex + 2;
	if (insn[1] == 0x21 || insn[1] == 0x23)
		return rex + 3;
	if (insn[1] == 0x01 &&
	    (insn[2] == 0xd8 || insn[2] == 0xc8 || insn[2] == 0xd1))
		return rex + 3;
	return 0;
}

static void on_fault(struct ex_regs *regs)
{
	unsigned int len = insn_len((const uint8_t *)regs->rip);

	if (!fault_armed)
		GUEST_FAIL("unexpected %s at rip 0x%lx error 0x%lx",
			   ex_name(regs->vector), regs->rip, regs->error_code);
	/*
	 * #GP pushes an error code, #UD does not (the stub pushed a 0 for
	 * it).  A #GP injected without its error code would shift the frame
	 * by one slot: CS would hold RFLAGS and IRET would go astray.
	 */
	if (regs->cs != read_cs())
		GUEST_FAIL("%s frame: cs 0x%lx rip 0x%lx (error code missing?)",
			   ex_name(regs->vector), regs->cs, regs->rip);
	if (!len)
		GUEST_FAIL("%s at rip 0x%lx: not an instruction we made fault",
			   ex_name(regs->vector), regs->rip);
	fault_count++;
	fault_vector = regs->vector;
	fault_error = regs->error_code;
	fault_rip = regs->rip;
	regs->rip += len;
}

static void fault_arm(void)
{
	fault_count = 0;
	fault_armed = true;
}

/*
 * After one instruction at address insn: did it fault?  If it did, it
 * must have been exactly once, with the expected vector, error code 0,
 * and RIP on the instruction itself.
 */
static bool fault_disarm(unsigned long insn, unsigned long vector)
{
	fault_armed = false;
	if (!fault_count)
		return false;
	GUEST_ASSERT_EQ(fault_count, 1);
	GUEST_ASSERT_EQ(fault_vector, vector);
	GUEST_ASSERT_EQ(fault_error, 0);
	GUEST_ASSERT_EQ(fault_rip, insn);
	return true;
}

/*
 * "mov $1f, %0" puts the address of label 1 (the instruction) in a
 * register, in either mode: the payload is linked at 1 MiB, not position
 * independent, so the address fits in an immediate.  "=&r": it is written
 * before the instruction reads its inputs, so it must not share their
 * registers.
 */
static bool try_wrmsr(uint32_t msr, uint64_t val)
{
	unsigned long insn;

	fault_arm();
	asm volatile("mov $1f, %0\n\t"
		     "1: wrmsr"
		     : "=&r"(insn)
		     : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	return fault_disarm(insn, VEC_GP);
}

/* ------------------------------------------------------------------ */
/* 1. The time stamp counter.                                         */

static void test_tsc(void)
{
	const uint64_t base = 1ULL << 50;
	/* 2^44 cycles: more than an hour at 4 GHz; the test takes less. */
	const uint64_t slack = 1ULL << 44;
	uint64_t t1, t2, m;

	/*
	 * The TSC never goes back, and it moves on.  Two reads in a row
	 * may be equal: Bochs advances its clock in steps, not per
	 * instruction (the SDM promises "increments", not a new value for
	 * every read), so read until it changes, a bounded number of times.
	 */
	t1 = rdtsc();
	for (m = 0; m < 1000000; m++) {
		t2 = rdtsc();
		if (t2 != t1)
			break;
	}
	if (t2 <= t1)
		GUEST_FAIL("RDTSC did not go up: 0x%llx, then 0x%llx after %llu reads",
			   (unsigned long long)t1, (unsigned long long)t2,
			   (unsigned long long)m);

	/*
	 * The TSC started at 0 when the vCPU was created, so it is far
	 * below 2^50.  Writing IA32_TSC does not touch the host's counter:
	 * thv.ko sets the offset that the hardware adds to every RDTSC.
	 */
	GUEST_ASSERT(t2 < base);
	GUEST_ASSERT(!try_wrmsr(MSR_TSC, base));
	t1 = rdtsc();
	if (t1 < base || t1 >= base + slack)
		GUEST_FAIL("RDTSC after writing 2^50 to IA32_TSC: 0x%llx",
			   (unsigned long long)t1);

	/* RDMSR IA32_TSC: the same counter, read between two RDTSCs. */
	m = rdmsr(MSR_TSC);
	t2 = rdtsc();
	if (m < t1 || m > t2)
		GUEST_FAIL("RDMSR IA32_TSC 0x%llx not between RDTSC 0x%llx and 0x%llx",
			   (unsigned long long)m, (unsigned long long)t1,
			   (unsigned long long)t2);
	guest_printf("cpu: tsc ok\n");
}

/* ------------------------------------------------------------------ */
/* 2. RDTSCP and IA32_TSC_AUX.                                        */

static uint64_t rdtscp(uint32_t *aux)
{
	uint32_t lo, hi, c;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c));
	*aux = c;
	return ((uint64_t)hi << 32) | lo;
}

static void test_rdtscp(void)
{
	uint64_t t0, t1;
	uint32_t aux;

	/* An OS puts the CPU number in TSC_AUX, so RDTSCP tells both. */
	GUEST_ASSERT(!try_wrmsr(MSR_TSC_AUX, 0x1234));
	GUEST_ASSERT_EQ(rdmsr(MSR_TSC_AUX), 0x1234);

	t0 = rdtsc();
	t1 = rdtscp(&aux);
	GUEST_ASSERT_EQ(aux, 0x1234);
	/* The same guest TSC as RDTSC: with the offset from test_tsc(). */
	if (t1 < t0)
		GUEST_FAIL("RDTSCP 0x%llx is behind RDTSC 0x%llx",
			   (unsigned long long)t1, (unsigned long long)t0);

	/* TSC_AUX bits 63:32 are reserved: #GP, and the MSR keeps 0x1234. */
	GUEST_ASSERT(try_wrmsr(MSR_TSC_AUX, (1ULL << 32) | 0x5678));
	rdtscp(&aux);
	GUEST_ASSERT_EQ(aux, 0x1234);
	guest_printf("cpu: rdtscp ok\n");
}

/* ------------------------------------------------------------------ */
/* 3. PAUSE.                                                          */

static void test_pause(void)
{
	unsigned int i;

	/* A spin-wait loop's body: each PAUSE is a VM exit on thv. */
	for (i = 0; i < 1000; i++)
		pause();
	GUEST_ASSERT_EQ(i, 1000);
	guest_printf("cpu: pause x%u ok\n", i);
}

/* ------------------------------------------------------------------ */
/* 4. Debug registers.                                                */

/*
 * MOV to/from DRn: n is part of the instruction, so one function per
 * register.  try_write_drN reports a #GP instead of dying of it.
 */
#define DEFINE_DR(n)							\
static inline unsigned long read_dr##n(void)				\
{									\
	unsigned long v;						\
									\
	asm volatile("mov %%dr" #n ", %0" : "=r"(v) : : "memory");	\
	return v;							\
}									\
static inline void write_dr##n(unsigned long v)				\
{									\
	asm volatile("mov %0, %%dr" #n : : "r"(v) : "memory");		\
}									\
static inline __attribute__((unused)) bool				\
try_write_dr##n(unsigned long v)					\
{									\
	unsigned long insn;						\
									\
	fault_arm();							\
	asm volatile("mov $1f, %0\n\t"					\
		     "1: mov %1, %%dr" #n				\
		     : "=&r"(insn) : "r"(v) : "memory");		\
	return fault_disarm(insn, VEC_GP);				\
}
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(4)
DEFINE_DR(5)
DEFINE_DR(6)
DEFINE_DR(7)
#undef DEFINE_DR

/*
 * Breakpoint addresses: places where nothing runs (the payload is at
 * 1 MiB), so the breakpoint enabled below could never fire, even on a
 * hypervisor that loaded it into the real DR0.
 */
#ifdef __x86_64__
static const unsigned long dr_addr[4] = {
	0x1000, 0x2000, 0x3000, 0xffff800000004000UL,
};
#else
static const unsigned long dr_addr[4] = {
	0x1000, 0x2000, 0x3000, 0xfffff000UL,
};
#endif

static void test_debug_regs(void)
{
	/* At reset: no breakpoints enabled, no debug status. */
	GUEST_ASSERT_EQ(read_dr7(), DR7_RESET);
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET);

	/* DR0-DR3 hold linear addresses: all bits come back. */
	write_dr0(dr_addr[0]);
	write_dr1(dr_addr[1]);
	write_dr2(dr_addr[2]);
	write_dr3(dr_addr[3]);
	GUEST_ASSERT_EQ(read_dr0(), dr_addr[0]);
	GUEST_ASSERT_EQ(read_dr1(), dr_addr[1]);
	GUEST_ASSERT_EQ(read_dr2(), dr_addr[2]);
	GUEST_ASSERT_EQ(read_dr3(), dr_addr[3]);

	/* DR7: L0 | G0 enable breakpoint 0; bit 10 always reads 1. */
	write_dr7(3);
	GUEST_ASSERT_EQ(read_dr7(), 0x403);

	/* DR6: B0 is writable; bits 4-11 and 16-31 always read 1. */
	write_dr6(1);
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET | 1);
	write_dr6(0);
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET);

	/*
	 * CR4.DE = 0 (the runtime never sets it): DR4 and DR5 are other
	 * names for DR6 and DR7, a leftover from the 386.  With DE = 1 they
	 * would be #UD.
	 */
	GUEST_ASSERT_EQ(read_cr4() & CR4_DE, 0);
	GUEST_ASSERT_EQ(read_dr5(), 0x403);
	GUEST_ASSERT_EQ(read_dr4(), DR6_RESET);
	write_dr5(DR7_RESET | 2);			/* G0 only */
	GUEST_ASSERT_EQ(read_dr7(), 0x402);
	write_dr4(1);
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET | 1);
	GUEST_ASSERT_EQ(read_dr4(), DR6_RESET | 1);

#ifdef __x86_64__
	/*
	 * Bits 63:32 of DR6 and DR7 are reserved: #GP(0), and the register
	 * keeps its value (SDM Vol. 2B MOV - Move to/from Debug Registers).
	 * Through the aliases as well.
	 */
	GUEST_ASSERT(try_write_dr7(1UL << 32));
	GUEST_ASSERT_EQ(read_dr7(), 0x402);
	GUEST_ASSERT(try_write_dr6(1UL << 32));
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET | 1);
	GUEST_ASSERT(try_write_dr5((1UL << 32) | 3));
	GUEST_ASSERT_EQ(read_dr7(), 0x402);
	GUEST_ASSERT(try_write_dr4(1UL << 63));
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET | 1);
	/* DR0-DR3 have no such bits: a 64-bit address is fine. */
	GUEST_ASSERT(!try_write_dr0(0xffffffff80001000UL));
	GUEST_ASSERT_EQ(read_dr0(), 0xffffffff80001000UL);
#endif

	/* Leave them as at reset. */
	write_dr7(0);
	write_dr6(0);
	write_dr0(0);
	write_dr1(0);
	write_dr2(0);
	write_dr3(0);
	GUEST_ASSERT_EQ(read_dr7(), DR7_RESET);
	GUEST_ASSERT_EQ(read_dr6(), DR6_RESET);
	GUEST_ASSERT_EQ(read_dr0(), 0);
	guest_printf("cpu: debug registers ok\n");
}

/* ------------------------------------------------------------------ */
/* 5. INVD and WBINVD.                                                */

static volatile uint32_t cache_word;

static void test_invd(void)
{
	/*
	 * WBINVD writes dirty cache lines back to memory and empties the
	 * caches; INVD empties them without writing anything back.  On a
	 * real CPU a store still in the cache is lost by INVD.  thv.ko makes
	 * both no-ops, so the store stays (the cache is the host's to keep).
	 */
	cache_word = 0xc0ffee;
	asm volatile("wbinvd" : : : "memory");
	GUEST_ASSERT_EQ(cache_word, 0xc0ffee);
	cache_word = 0xdecaf;
	asm volatile("invd" : : : "memory");
	GUEST_ASSERT_EQ(cache_word, 0xdecaf);
	guest_printf("cpu: invd and wbinvd ok\n");
}

/* ------------------------------------------------------------------ */
/* 6. CPUID.                                                          */

static void test_cpuid(void)
{
	uint32_t a, b, c, d;
	char sig[13];

	cpuid(1, 0, &a, &b, &c, &d);
	/* Reserved on real CPUs: "a hypervisor is present". */
	GUEST_ASSERT_EQ(c & CPUID1_ECX_HYPERVISOR, CPUID1_ECX_HYPERVISOR);
	/* EBX[31:24]: the initial APIC ID, the vCPU's number: 0. */
	GUEST_ASSERT_EQ(b >> 24, 0);
	/* Hidden (docs/abi.md): MONITOR/MWAIT are #UD, see test_denied(). */
	GUEST_ASSERT_EQ(c & CPUID1_ECX_MONITOR, 0);
	/*
	 * XSAVE: whether the guest may save its registers with XSAVE and
	 * enable more state with XSETBV.  It depends on the host CPU and on
	 * what thv.ko can switch, so it is only reported.
	 */
	guest_printf("cpu: xsave (leaf 1 ECX[26]) = %u\n",
		     !!(c & CPUID1_ECX_XSAVE));

	/* The hypervisor leaves: the highest one, and who we are. */
	cpuid(0x40000000, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0x40000001);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 1;		/* not part of the signature */
	if (memcmp(sig, "thvthvthv\0\0\0", 12))
		GUEST_FAIL("signature 0x%08x 0x%08x 0x%08x, not \"thvthvthv\"",
			   b, c, d);
	guest_printf("cpu: cpuid ok\n");
}

/* ------------------------------------------------------------------ */
/* 7. INT3 and INT 0x80: the guest's own IDT, no exit.                */

static volatile unsigned int bp_count, int80_count;
static volatile unsigned long bp_rip, int80_rip;

/*
 * INT3 is a trap: the frame's RIP is the next instruction, so returning
 * from the handler goes on after it (a debugger that put the INT3 over an
 * instruction moves RIP back by one itself).
 */
static void on_bp(struct ex_regs *regs)
{
	bp_count++;
	bp_rip = regs->rip;
}

/*
 * INT 0x80: how 32-bit Linux programs made system calls.  The "system
 * call" here adds 1 to EAX, so the caller sees the handler's answer.
 */
static void on_int80(struct ex_regs *regs)
{
	int80_count++;
	int80_rip = regs->rip;
	REG_AX(regs) += 1;
}

static void test_soft_int(void)
{
	unsigned long after, ax = 41;

	idt_set_handler(VEC_BP, on_bp);
	idt_set_handler(0x80, on_int80);

	asm volatile("int3\n\t"
		     "1: mov $1b, %0"
		     : "=r"(after) : : "memory");
	GUEST_ASSERT_EQ(bp_count, 1);
	GUEST_ASSERT_EQ(bp_rip, after);

	asm volatile("int $0x80\n\t"
		     "1: mov $1b, %1"
		     : "+a"(ax), "=r"(after) : : "memory");
	GUEST_ASSERT_EQ(int80_count, 1);
	GUEST_ASSERT_EQ(int80_rip, after);
	GUEST_ASSERT_EQ(ax, 42);

	idt_set_handler(VEC_BP, NULL);
	idt_set_handler(0x80, NULL);
	guest_printf("cpu: int3 and int $0x80 ok\n");
}

/* ------------------------------------------------------------------ */
/* 8. #UD for the instructions thv refuses.                           */

static bool try_vmrun(void)
{
	unsigned long insn;

	fault_arm();
	/* VMRUN takes the VMCB's physical address in rAX: none here. */
	asm volatile("mov $1f, %0\n\t"
		     "1: .byte 0x0f, 0x01, 0xd8"
		     : "=&r"(insn) : "a"(0) : "memory");
	return fault_disarm(insn, VEC_UD);
}

static bool try_monitor(void)
{
	static volatile uint32_t watched;
	unsigned long insn;

	fault_arm();
	/* MONITOR: address in rAX, extensions in ECX, hints in EDX. */
	asm volatile("mov $1f, %0\n\t"
		     "1: .byte 0x0f, 0x01, 0xc8"
		     : "=&r"(insn) : "a"(&watched), "c"(0), "d"(0)
		     : "memory");
	return fault_disarm(insn, VEC_UD);
}

static void test_denied(void)
{
	uint32_t a, b, c, d;

	/* CPUID says there is neither SVM nor MONITOR... */
	cpuid(0x80000001, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(c & CPUID81_ECX_SVM, 0);
	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(c & CPUID1_ECX_MONITOR, 0);

	/* ...so they fault, as on a CPU without them. */
	if (!try_vmrun())
		GUEST_FAIL("VMRUN did not #UD");
	if (!try_monitor())
		GUEST_FAIL("MONITOR did not #UD");
	guest_printf("cpu: #UD for vmrun and monitor ok\n");
}

/* ------------------------------------------------------------------ */
/* XSETBV: the guest's own XCR0, checked by the hypervisor.            */

/*
 * XSETBV always exits (SVM intercept, VMX unconditionally).  thv.ko
 * checks the value as the CPU would (SDM Vol. 2C XSETBV) and keeps it as
 * this vCPU's XCR0, loaded only while the guest runs.  Returns the fault
 * vector, or 0.
 */
static unsigned long try_xsetbv(uint32_t xcr, uint64_t val)
{
	unsigned long insn;

	fault_arm();
	asm volatile("mov $1f, %0\n\t"
		     "1: xsetbv"
		     : "=&r"(insn)
		     : "c"(xcr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
		     : "memory");
	fault_armed = false;
	if (!fault_count)
		return 0;
	GUEST_ASSERT_EQ(fault_count, 1);
	GUEST_ASSERT_EQ(fault_rip, insn);
	return fault_vector;
}

static uint64_t xgetbv(uint32_t xcr)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
	return ((uint64_t)hi << 32) | lo;
}

static void test_xsetbv(void)
{
	uint32_t a, b, c, d;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_XSAVE)) {
		guest_printf("cpu: xsetbv skipped (no XSAVE)\n");
		return;
	}
	/* Without CR4.OSXSAVE the instruction does not exist: #UD. */
	GUEST_ASSERT_EQ(c & CPUID1_ECX_OSXSAVE, 0);
	GUEST_ASSERT_EQ(try_xsetbv(0, 3), VEC_UD);
	write_cr4(read_cr4() | CR4_OSXSAVE);
	/* CPUID.1 OSXSAVE mirrors CR4.OSXSAVE. */
	cpuid(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(c & CPUID1_ECX_OSXSAVE, CPUID1_ECX_OSXSAVE);
	/* Leaf 0xd: x87 and SSE state at least. */
	cpuid(0xd, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a & 3, 3);
	GUEST_ASSERT_EQ(xgetbv(0), 1);		/* x87 only, at reset */
	GUEST_ASSERT_EQ(try_xsetbv(0, 2), VEC_GP);	/* no x87 bit */
	GUEST_ASSERT_EQ(try_xsetbv(0, 5), VEC_GP);	/* AVX without SSE */
	GUEST_ASSERT_EQ(try_xsetbv(1, 3), VEC_GP);	/* no XCR1 to set */
	GUEST_ASSERT_EQ(try_xsetbv(0, 3), 0);
	GUEST_ASSERT_EQ(xgetbv(0), 3);
	guest_printf("cpu: xsetbv ok (XCR0 = 0x%llx)\n",
		     (unsigned long long)xgetbv(0));
}

/* ------------------------------------------------------------------ */
/* String port I/O: REP OUTSB and REP INSB in one exit each.           */

static void test_string_io(void)
{
	static const char line[] = "cpu: rep outsb reached the UART\n";
	const char *src = line;
	unsigned long n = sizeof(line) - 1;
	uint8_t buf[16], *dst = buf;
	unsigned long i;

	/*
	 * thv.ko reads the bytes from guest memory (through the guest's
	 * page tables) and hands them to the runner in one I/O exit with a
	 * count; the runner's UART prints them.
	 */
	asm volatile("rep outsb"
		     : "+S"(src), "+c"(n)
		     : "d"(0x3f8)
		     : "memory");
	GUEST_ASSERT_EQ(n, 0);
	/* INS from a port nothing claims: all ones, written into memory. */
	memset(buf, 0, sizeof(buf));
	n = sizeof(buf);
	asm volatile("rep insb"
		     : "+D"(dst), "+c"(n)
		     : "d"(0x3e8)
		     : "memory");
	GUEST_ASSERT_EQ(n, 0);
	for (i = 0; i < sizeof(buf); i++)
		GUEST_ASSERT_EQ(buf[i], 0xff);
	guest_printf("cpu: rep insb from an empty port ok\n");
}

int main(void)
{
	idt_set_handler(VEC_GP, on_fault);
	idt_set_handler(VEC_UD, on_fault);

	test_tsc();
	test_rdtscp();
	test_pause();
	test_debug_regs();
	test_invd();
	test_cpuid();
	test_xsetbv();
	test_string_io();
	test_soft_int();
	test_denied();

	idt_set_handler(VEC_GP, NULL);
	idt_set_handler(VEC_UD, NULL);
	guest_printf("cpu: all checks passed (%s)\n", MODE_NAME);
	return 0;
}
