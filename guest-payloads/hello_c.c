// SPDX-License-Identifier: GPL-2.0
/*
 * hello_c.c - the first guest written in C.
 *
 * Concept: a runtime.  C code expects things no CPU provides on reset: a
 * stack, zeroed static variables, printf, someone to return to from
 * main().  guest-payloads/lib supplies them: lib/start64.S or
 * lib/start32.S is _start (stack, GDT, .bss, then main), lib/runtime.c
 * and lib/printf.c print on the UART, and returning 0 from main() sends
 * the host a ucall DONE (user/ucall.h).  The same file is built twice, as
 * an ELF64 for long mode and an ELF32 for protected mode; `thv run`
 * picks the CPU mode from the ELF header and loads the segments at their
 * physical addresses (1 MiB).
 *
 * It then shows the C side of the hardware: CPUID and control registers
 * through inline asm, and (64-bit only) an exception handler: UD2 raises
 * #UD (vector 6); the IDT sends it to the stub in lib/isr64.S, which
 * calls on_ud() with the saved registers; on_ud() moves RIP past the
 * 2-byte UD2, and IRETQ resumes there.
 *
 * Run:      thv run hello64.elf           (or hello32.elf)
 * Prints:   "hello_c: Hello from 64-bit C!\n"     (32-bit: "32-bit C!")
 *           "hello_c: CPU vendor AuthenticAMD\n"  (GenuineIntel on VMX)
 *           "hello_c: CR0=0x... CR4=0x...\n"      (whatever the runner set)
 *           "hello_c: 1 4 9 16 25\n"
 *           "hello_c: caught #UD at 0x...\n"      (64-bit only: UD2's address)
 * Status:   0 (ucall DONE); an ASSERT ucall if the #UD handler ran other
 *           than once or saw another address.
 */
#include "guest.h"

#ifdef __x86_64__
#define BITS	64
#else
#define BITS	32
#endif

#ifdef __x86_64__
static volatile unsigned int ud_count;
static volatile unsigned long ud_rip;

/* #UD handler: regs is the interrupted state (lib/isr64.S). */
static void on_ud(struct ex_regs *regs)
{
	ud_count++;
	ud_rip = regs->rip;	/* where the UD2 is */
	regs->rip += 2;		/* UD2 is 0f 0b: resume after it */
}

static void ud_demo(void)
{
	unsigned long ud2_addr;

	idt_set_handler(VEC_UD, on_ud);
	/* Note UD2's address (RIP-relative LEA of label 1), then run it. */
	asm volatile("lea 1f(%%rip), %0\n\t"
		     "1: ud2"
		     : "=r"(ud2_addr) : : "memory");
	GUEST_ASSERT_EQ(ud_count, 1);
	GUEST_ASSERT_EQ(ud_rip, ud2_addr);
	guest_printf("hello_c: caught #UD at 0x%lx\n", ud_rip);
	idt_set_handler(VEC_UD, NULL);
}
#endif

int main(void)
{
	uint32_t max_leaf, vendor[3];

	guest_printf("hello_c: Hello from %d-bit C!\n", BITS);

	/* CPUID leaf 0: the vendor string is in EBX, EDX, ECX, in order. */
	cpuid(0, 0, &max_leaf, &vendor[0], &vendor[2], &vendor[1]);
	guest_printf("hello_c: CPU vendor %.12s\n", (const char *)vendor);

	guest_printf("hello_c: CR0=0x%lx CR4=0x%lx\n", read_cr0(), read_cr4());

	guest_printf("hello_c:");
	for (int i = 1; i <= 5; i++)
		guest_printf(" %d", i * i);
	guest_printf("\n");

#ifdef __x86_64__
	ud_demo();
#endif
	return 0;
}
