/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest.h - the C runtime for thv guests: everything a payload or a
 * self-test guest written in C may use.
 *
 * A guest has no operating system below it: no libc, no system calls, no
 * page-fault handler, not even a stack until start64.S/start32.S loads
 * one.  This header gives it the few things it needs, each a thin layer
 * over an instruction or a device:
 *
 *   CPU access    inb..outl, rdmsr/wrmsr, cpuid, read_crN/write_crN,
 *                 rdtsc, hlt, cli, sti, pause, invlpg   (inlines below)
 *   output        guest_putc, guest_puts, guest_printf  (16550 UART)
 *   strings       guest_snprintf, guest_vsnprintf, memset, memcpy,
 *                 memmove, memcmp, strlen
 *   the host      GUEST_SYNC, GUEST_PRINT, GUEST_DONE, GUEST_ASSERT*,
 *                 GUEST_FAIL (ucalls, see user/ucall.h), guest_exit
 *   exceptions    idt_init, idt_set_handler, struct ex_regs
 *   paging        pt_map_4k and PT_* flags (64-bit guests only)
 *
 * The same source builds as a 64-bit guest (long mode, paging on, memory
 * identity-mapped) and as a 32-bit one (protected mode, paging off); use
 * `#ifdef __x86_64__` where they differ.  In both, a pointer's value is the
 * guest-physical address it points at.
 *
 * The runtime calls main() with interrupts off, on a 16 KiB stack, .bss
 * zeroed, its own GDT and an IDT loaded.  main() returning 0 ends the run
 * with a DONE ucall (pass), returning N != 0 with exit status N & 0xff.
 *
 * Build flags (guest-payloads/Makefile): -ffreestanding -nostdlib
 * -mgeneral-regs-only -mno-red-zone ...: no floating point or SSE, since
 * nobody enabled them (CR4.OSFXSR is 0, so an SSE instruction would #UD).
 */
#ifndef THV_GUEST_H
#define THV_GUEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ucall.h"

#define __guest_noreturn	__attribute__((__noreturn__))
#define __guest_printf(f, a)	__attribute__((__format__(printf, f, a)))

/* ------------------------------------------------------------------ */
/* Devices: the runner's ports (guest-payloads/README.md).            */

#define GUEST_UART_THR		0x3f8	/* COM1 transmit holding register */
#define GUEST_UART_LSR		0x3fd	/* line status register */
#define GUEST_UART_LSR_THRE	0x20	/* THR empty: ready for a byte */
#define GUEST_EXIT_PORT		0xf4	/* outb N: end the run, status N */

/* ------------------------------------------------------------------ */
/* Port I/O.  Each IN/OUT is a VM exit that the runner handles.       */

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %w1, %b0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %w1, %w0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %w1, %k0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %w0, %w1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %k0, %w1" : : "a"(v), "Nd"(port));
}

/* ------------------------------------------------------------------ */
/* Model-specific registers, CPUID, time stamp counter.               */

#define MSR_EFER		0xc0000080
#define EFER_SCE		(1ULL << 0)	/* SYSCALL enable */
#define EFER_LME		(1ULL << 8)	/* long mode enable */
#define EFER_LMA		(1ULL << 10)	/* long mode active */
#define EFER_NXE		(1ULL << 11)	/* no-execute bit usable */

/* RDMSR/WRMSR: ECX = MSR number, EDX:EAX = value (in both modes). */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr"
		     : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
		     : "memory");
}

/* CPUID always exits to the hypervisor, which may edit the answer. */
static inline void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t *a,
			 uint32_t *b, uint32_t *c, uint32_t *d)
{
	uint32_t ra, rb, rc, rd;

	asm volatile("cpuid"
		     : "=a"(ra), "=b"(rb), "=c"(rc), "=d"(rd)
		     : "a"(leaf), "c"(subleaf));
	*a = ra;
	*b = rb;
	*c = rc;
	*d = rd;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* ------------------------------------------------------------------ */
/* Control registers.  unsigned long is the register width: 64 or 32. */

#define CR0_PE			(1UL << 0)	/* protected mode */
#define CR0_ET			(1UL << 4)
#define CR0_NE			(1UL << 5)
#define CR0_WP			(1UL << 16)	/* write protect at CPL 0 */
#define CR0_PG			(1UL << 31)	/* paging */
#define CR4_PSE			(1UL << 4)
#define CR4_PAE			(1UL << 5)
#define CR4_PGE			(1UL << 7)
#define CR4_OSFXSR		(1UL << 9)

#define __GUEST_CR(n)							\
static inline unsigned long read_cr##n(void)				\
{									\
	unsigned long v;						\
									\
	asm volatile("mov %%cr" #n ", %0" : "=r"(v) : : "memory");	\
	return v;							\
}									\
static inline void write_cr##n(unsigned long v)				\
{									\
	asm volatile("mov %0, %%cr" #n : : "r"(v) : "memory");		\
}
__GUEST_CR(0)
__GUEST_CR(2)
__GUEST_CR(3)
__GUEST_CR(4)
#undef __GUEST_CR

static inline uint16_t read_cs(void)
{
	uint16_t cs;

	asm volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static inline unsigned long read_flags(void)
{
	unsigned long f;

	asm volatile("pushf\n\tpop %0" : "=r"(f));
	return f;
}

/* Drop the TLB entry (and paging-structure caches) for one address. */
static inline void invlpg(const volatile void *addr)
{
	asm volatile("invlpg (%0)" : : "r"(addr) : "memory");
}

/* ------------------------------------------------------------------ */
/* Interrupt flag, HLT, PAUSE.                                        */

static inline void cli(void)
{
	asm volatile("cli" : : : "memory");
}

static inline void sti(void)
{
	asm volatile("sti" : : : "memory");
}

/* HLT exits to the hypervisor; `thv run` ends the run there (status 0). */
static inline void hlt(void)
{
	asm volatile("hlt" : : : "memory");
}

static inline void pause(void)
{
	asm volatile("pause" : : : "memory");
}

/* cli; hlt forever: for when the host must not (and will not) resume us. */
static inline __guest_noreturn void guest_halt_forever(void)
{
	for (;;)
		asm volatile("cli\n\thlt" : : : "memory");
}

/* ------------------------------------------------------------------ */
/* Output on the UART (runtime.c, printf.c).                          */

void guest_putc(char c);
/* Send a string as it is: no newline added (unlike libc's puts). */
void guest_puts(const char *s);
/*
 * printf subset: %d %i %u %x %X %p %s %c %%; flags '-' and '0'; a width
 * (digits or *); a precision (.N or .*: minimum digits, or the most
 * characters of a %s); length modifiers hh h l ll z.  No floating point.
 * Return the number of characters produced (snprintf: that would have
 * been produced; the buffer always ends in NUL when size > 0).
 */
int guest_printf(const char *fmt, ...) __guest_printf(1, 2);
int guest_vprintf(const char *fmt, va_list ap) __guest_printf(1, 0);
int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
	__guest_printf(3, 4);
int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__guest_printf(3, 0);

/* ------------------------------------------------------------------ */
/* The bits of libc the compiler may call on its own (runtime.c).     */

void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* ------------------------------------------------------------------ */
/* Ending the run, talking to the host (runtime.c).                   */

/* Port 0xf4: the run ends with status code; no ucall. */
__guest_noreturn void guest_exit(uint8_t code);

/*
 * ucalls (user/ucall.h): fill one static struct thv_ucall, OUT its
 * address to THV_UCALL_PORT.  The host reads the struct while the guest
 * is stopped in the OUT, so one struct is enough (not reentrant: do not
 * ucall from an exception handler that interrupted a ucall).
 *
 *   GUEST_SYNC(stage)               cmd SYNC, args = { stage, 0, 0, 0 };
 *   GUEST_SYNC_ARGS(stage, a, b, c) cmd SYNC, args = { stage, a, b, c };
 *                                   the guest goes on when the host
 *                                   resumes it
 *   GUEST_PRINT(fmt, ...)           cmd PRINT, buf = the formatted text
 *   GUEST_DONE()                    cmd DONE: passed; never returns
 *   GUEST_ASSERT(cond)              if !cond: cmd ASSERT, buf =
 *                                   "file:line: assertion failed: cond",
 *                                   args[0] = line; never returns
 *   GUEST_ASSERT_EQ(a, b)           if a != b: cmd ASSERT, buf =
 *                                   "file:line: a == b failed: 0x.. != 0x..",
 *                                   args = { line, a, b }; never returns
 *   GUEST_ASSERT_NE(a, b)           the same for a == b
 *   GUEST_FAIL(fmt, ...)            cmd ASSERT, buf = "file:line: " + text
 *
 * "Never returns": after the OUT the guest loops on cli; hlt.  The host
 * does not resume it after DONE or ASSERT, and if one did, it would halt.
 */
void ucall_sync(uint64_t stage, uint64_t a, uint64_t b, uint64_t c);
void ucall_print(const char *fmt, ...) __guest_printf(1, 2);
__guest_noreturn void guest_done(void);
__guest_noreturn void __guest_assert(const char *file, int line, uint64_t a,
				     uint64_t b, const char *fmt, ...)
	__guest_printf(5, 6);

/* __FILE_NAME__ (GCC 12+) is "foo.c" where __FILE__ may be a long path. */
#ifdef __FILE_NAME__
#define __GUEST_FILE		__FILE_NAME__
#else
#define __GUEST_FILE		__FILE__
#endif

#define GUEST_SYNC(stage)		ucall_sync((stage), 0, 0, 0)
#define GUEST_SYNC_ARGS(stage, a, b, c)	ucall_sync((stage), (a), (b), (c))
#define GUEST_PRINT(fmt, ...)		ucall_print(fmt, ##__VA_ARGS__)
#define GUEST_DONE()			guest_done()

#define GUEST_FAIL(fmt, ...)						\
	__guest_assert(__GUEST_FILE, __LINE__, 0, 0, fmt, ##__VA_ARGS__)

#define GUEST_ASSERT(cond)						\
do {									\
	if (!(cond))							\
		__guest_assert(__GUEST_FILE, __LINE__, 0, 0,		\
			       "assertion failed: %s", #cond);		\
} while (0)

/*
 * Compare with C's own rules (so GUEST_ASSERT_EQ(u, 1) works for an
 * unsigned u without a sign-compare warning); each argument is evaluated
 * once.  For the message, copy each operand's bits into a zero-extended
 * uint64_t: a (uint64_t) cast would warn for pointers in 32-bit code, and
 * a (uintptr_t) one would cut 64-bit integers there.  The (const void *)
 * drops a volatile that __typeof__ may have copied from the operand.
 */
#define __GUEST_ASSERT_CMP(a, b, op, nop)				\
do {									\
	__typeof__(a) __a = (a);					\
	__typeof__(b) __b = (b);					\
	uint64_t __va = 0, __vb = 0;					\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wsign-compare\"")		\
	bool __ok = __a op __b;						\
	_Pragma("GCC diagnostic pop")					\
	if (!__ok) {							\
		__builtin_memcpy(&__va, (const void *)&__a,		\
				 sizeof(__a) < 8 ? sizeof(__a) : 8);	\
		__builtin_memcpy(&__vb, (const void *)&__b,		\
				 sizeof(__b) < 8 ? sizeof(__b) : 8);	\
		__guest_assert(__GUEST_FILE, __LINE__, __va, __vb,	\
			       "%s " #op " %s failed: 0x%llx " nop " 0x%llx",\
			       #a, #b, (unsigned long long)__va,	\
			       (unsigned long long)__vb);		\
	}								\
} while (0)

#define GUEST_ASSERT_EQ(a, b)	__GUEST_ASSERT_CMP(a, b, ==, "!=")
#define GUEST_ASSERT_NE(a, b)	__GUEST_ASSERT_CMP(a, b, !=, "==")

/* ------------------------------------------------------------------ */
/* Exceptions and interrupts (idt.c, isr64.S, isr32.S).               */

#define VEC_DE			0	/* divide error */
#define VEC_DB			1	/* debug */
#define VEC_NMI			2
#define VEC_BP			3	/* INT3 breakpoint */
#define VEC_OF			4	/* INTO overflow */
#define VEC_BR			5	/* BOUND range */
#define VEC_UD			6	/* invalid opcode */
#define VEC_NM			7	/* device not available */
#define VEC_DF			8	/* double fault */
#define VEC_TS			10	/* invalid TSS */
#define VEC_NP			11	/* segment not present */
#define VEC_SS			12	/* stack fault */
#define VEC_GP			13	/* general protection */
#define VEC_PF			14	/* page fault (address in CR2) */
#define VEC_MF			16	/* x87 floating point */
#define VEC_AC			17	/* alignment check */
#define VEC_MC			18	/* machine check */
#define VEC_XM			19	/* SIMD floating point */
#define VEC_VE			20	/* virtualization exception */
#define VEC_CP			21	/* control protection */
#define IDT_VECTORS		256

/*
 * What an exception handler sees, laid out as the stubs leave it on the
 * stack (lowest address first): the general-purpose registers the stub
 * pushed, the vector and error code (0 for the vectors that have none),
 * then the frame the CPU pushed.  A handler may change any field; the
 * stub loads them all back and IRETs, so `regs->rip += 2` skips a UD2.
 */
#ifdef __x86_64__
struct ex_regs {
	unsigned long rax, rcx, rdx, rbx, rbp, rsi, rdi;
	unsigned long r8, r9, r10, r11, r12, r13, r14, r15;
	unsigned long vector;
	unsigned long error_code;
	unsigned long rip;	/* the CPU's frame (always with RSP, SS) */
	unsigned long cs;
	unsigned long rflags;
	unsigned long rsp;
	unsigned long ss;
};
#else
/*
 * 32-bit: PUSHAD's order.  The CPU pushes no ESP/SS for an exception at
 * the same privilege level; the interrupted ESP is the address just past
 * eflags.  rip/rflags are other names for eip/eflags so handlers can be
 * shared with 64-bit guests.
 */
struct ex_regs {
	unsigned long edi, esi, ebp;
	unsigned long pushad_esp;	/* ESP inside the stub: not useful */
	unsigned long ebx, edx, ecx, eax;
	unsigned long vector;
	unsigned long error_code;
	union {
		unsigned long eip;
		unsigned long rip;
	};
	unsigned long cs;
	union {
		unsigned long eflags;
		unsigned long rflags;
	};
};
#endif

typedef void (*ex_handler_t)(struct ex_regs *regs);

/*
 * Fill and load (LIDT) a 256-entry IDT of interrupt gates, one stub per
 * vector.  The runtime has done it before main(); calling it again
 * rewrites the same table and reloads IDTR (handlers are kept).  A
 * vector with no handler ends the run with GUEST_FAIL("unexpected
 * exception ...").
 */
void idt_init(void);
/* Route vector to handler (NULL: back to "unexpected"). */
void idt_set_handler(unsigned int vector, ex_handler_t handler);
/* "#UD", "#GP", ...; "reserved" or "interrupt" for the others. */
const char *ex_name(unsigned int vector);

/* ------------------------------------------------------------------ */
/* Paging (pt.c, 64-bit only).                                        */

#ifdef __x86_64__
#define PT_P			(1ULL << 0)	/* present */
#define PT_W			(1ULL << 1)	/* writable */
#define PT_U			(1ULL << 2)	/* user (CPL 3) may access */
#define PT_PWT			(1ULL << 3)	/* write-through */
#define PT_PCD			(1ULL << 4)	/* cache disable */
#define PT_A			(1ULL << 5)	/* accessed (set by the CPU) */
#define PT_D			(1ULL << 6)	/* dirty (set by the CPU) */
#define PT_PS			(1ULL << 7)	/* large page, in a PDE/PDPTE */
#define PT_G			(1ULL << 8)	/* global */
#define PT_NX			(1ULL << 63)	/* no execute (if EFER.NXE) */
#define PT_ADDR_MASK		0x000ffffffffff000ULL	/* bits 51:12 */
#define PT_POOL_PAGES		16

/*
 * Map the 4 KiB page at virtual address gva to guest-physical gpa with
 * flags (PT_P | PT_W | ..., PT_P left out makes the page not present) in
 * the page tables CR3 points at, then INVLPG gva.  Missing tables come
 * from a static pool of PT_POOL_PAGES pages; a 2 MiB (or 1 GiB) page on
 * the way is first split into 512 smaller pages that map the same memory
 * as before.  Upper-level entries get PT_W/PT_U added when flags ask for
 * them.  PT_NX turns on EFER.NXE if it is off.  Both addresses must be
 * 4 KiB aligned, gva canonical; errors end the run with GUEST_FAIL.
 */
void pt_map_4k(uint64_t gva, uint64_t gpa, uint64_t flags);
/* The leaf entry that maps gva now (a PTE, or a 2M/1G PDE/PDPTE), or 0. */
uint64_t pt_get_entry(uint64_t gva);
#endif

/* The runtime calls it before main (runtime.c). */
void guest_init(void);
int main(void);

#endif /* THV_GUEST_H */
