// SPDX-License-Identifier: GPL-2.0
/*
 * runtime.c - the guest runtime's core: the UART, the exit port, ucalls
 * and the few libc functions that C needs even in a freestanding program.
 *
 * Built twice, with -m64 and -m32, into $(OUT)/lib64 and $(OUT)/lib32.
 */
#include "guest.h"

/* ------------------------------------------------------------------ */
/* Output.                                                            */

/*
 * A 16550 takes a byte only when its transmit holding register is empty
 * (LSR bit 5), like lib32.S's putc.  Under thv both the IN and the OUT
 * are VM exits: two exits per character.
 */
void guest_putc(char c)
{
	while (!(inb(GUEST_UART_LSR) & GUEST_UART_LSR_THRE))
		;
	outb(GUEST_UART_THR, (uint8_t)c);
}

void guest_puts(const char *s)
{
	while (*s)
		guest_putc(*s++);
}

/* ------------------------------------------------------------------ */
/* Ending the run.                                                    */

void guest_exit(uint8_t code)
{
	outb(GUEST_EXIT_PORT, code);
	/* The runner stops at the OUT; halt should one ever resume us. */
	guest_halt_forever();
}

/* ------------------------------------------------------------------ */
/* ucalls (user/ucall.h).                                             */

/*
 * One struct in .bss.  Its address is below 4 GiB (payloads are linked
 * at 1 MiB) and is its guest-physical address (memory is mapped 1:1), so
 * it fits the 32-bit OUT.
 */
static struct thv_ucall ucall_struct;

static void ucall_fill(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2,
		       uint64_t a3)
{
	ucall_struct.cmd = cmd;
	ucall_struct.args[0] = a0;
	ucall_struct.args[1] = a1;
	ucall_struct.args[2] = a2;
	ucall_struct.args[3] = a3;
}

/*
 * The exit: OUT EAX to THV_UCALL_PORT.  The "memory" clobber tells the
 * compiler that the asm reads memory, so every store to ucall_struct
 * above is really done before the OUT, not kept in registers or moved
 * after it: the host reads the struct from guest RAM during this exit.
 */
static void ucall_send(void)
{
	uint32_t addr = (uint32_t)(uintptr_t)&ucall_struct;

	asm volatile("outl %k0, %w1"
		     : : "a"(addr), "Nd"(THV_UCALL_PORT) : "memory");
}

void ucall_sync(uint64_t stage, uint64_t a, uint64_t b, uint64_t c)
{
	ucall_fill(THV_UCALL_SYNC, stage, a, b, c);
	ucall_struct.buf[0] = '\0';
	ucall_send();
}

void ucall_print(const char *fmt, ...)
{
	va_list ap;

	ucall_fill(THV_UCALL_PRINT, 0, 0, 0, 0);
	va_start(ap, fmt);
	guest_vsnprintf(ucall_struct.buf, sizeof(ucall_struct.buf), fmt, ap);
	va_end(ap);
	ucall_send();
}

void guest_done(void)
{
	ucall_fill(THV_UCALL_DONE, 0, 0, 0, 0);
	ucall_struct.buf[0] = '\0';
	ucall_send();
	guest_halt_forever();
}

/* buf = "file:line: " and the formatted message; args = { line, a, b }. */
void __guest_assert(const char *file, int line, uint64_t a, uint64_t b,
		    const char *fmt, ...)
{
	char *buf = ucall_struct.buf;
	size_t size = sizeof(ucall_struct.buf);
	int n;
	va_list ap;

	ucall_fill(THV_UCALL_ASSERT, (uint64_t)line, a, b, 0);
	n = guest_snprintf(buf, size, "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= size)
		n = size - 1;
	va_start(ap, fmt);
	guest_vsnprintf(buf + n, size - n, fmt, ap);
	va_end(ap);
	ucall_send();
	guest_halt_forever();
}

/* ------------------------------------------------------------------ */
/* Start-up.                                                          */

/* Called by start64.S/start32.S after .bss is zeroed, before main(). */
void guest_init(void)
{
	/*
	 * An IDT from the start: a stray exception becomes a readable
	 * GUEST_FAIL instead of a triple fault (SHUTDOWN).
	 */
	idt_init();
}

/* ------------------------------------------------------------------ */
/* libc.  GCC may turn struct copies and initialisers into calls to    */
/* memcpy and memset, so these must exist even if nobody calls them.  */

/*
 * REP STOSB / REP MOVSB: the CPU's own loops (count in (E/R)CX).  Written
 * in asm also because GCC may turn a C byte loop in memset() back into a
 * call to memset(): itself.  DF is 0 (start code and stubs do CLD).
 */
void *memset(void *s, int c, size_t n)
{
	void *d = s;

	asm volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	return s;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	asm volatile("rep movsb"
		     : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	/* Overlap with dst above src: copy backwards (STD ... CLD). */
	d += n - 1;
	s += n - 1;
	asm volatile("std\n\trep movsb\n\tcld"
		     : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return p - s;
}
