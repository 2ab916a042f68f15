// SPDX-License-Identifier: GPL-2.0
/*
 * printf.c - a small printf for guests: integers, strings, characters.
 *
 * One formatter, two destinations: a buffer (guest_vsnprintf, used for
 * ucall messages) or the UART (guest_printf, character by character, so
 * there is no length limit).  The conversions are listed in guest.h.
 *
 * 32-bit guests have no libgcc, so a 64-bit division (for %llu) would be
 * an undefined call to __udivdi3.  do_div() below splits it into two
 * 32-bit DIV instructions instead.
 */
#include "guest.h"

struct out {
	char *buf;		/* NULL: write to the UART */
	size_t size;
	size_t len;		/* characters produced so far */
};

static void out_c(struct out *o, char c)
{
	if (!o->buf)
		guest_putc(c);
	else if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		out_c(o, c);
}

/* *n /= base, return the remainder. */
static unsigned int do_div(unsigned long long *n, unsigned int base)
{
#ifdef __x86_64__
	unsigned int rem = *n % base;

	*n /= base;
	return rem;
#else
	/*
	 * Long division by hand, one 32-bit "digit" at a time: first the
	 * high half, then DIV divides EDX:EAX (remainder of the high half :
	 * low half) by base.  The remainder is below base, so the quotient
	 * fits in 32 bits and DIV cannot fault.
	 */
	uint32_t hi = *n >> 32, lo = (uint32_t)*n, rem;

	rem = hi % base;
	hi /= base;
	asm("divl %2" : "+a"(lo), "+d"(rem) : "rm"(base));
	*n = ((unsigned long long)hi << 32) | lo;
	return rem;
#endif
}

struct spec {
	bool left;		/* '-': pad on the right */
	bool zero;		/* '0': pad with zeros */
	int width;		/* -1: none */
	int prec;		/* -1: none */
};

static void out_num(struct out *o, const struct spec *sp,
		    unsigned long long v, bool neg, unsigned int base,
		    bool upper, const char *prefix)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];		/* 2^64 has 20 decimal digits */
	int n = 0, zeros, pad, plen = neg + (int)strlen(prefix);

	do
		tmp[n++] = digits[do_div(&v, base)];
	while (v);

	zeros = sp->prec > n ? sp->prec - n : 0;
	pad = sp->width - plen - zeros - n;
	/* C: with a precision, '0' is ignored for integers. */
	if (sp->zero && !sp->left && sp->prec < 0) {
		zeros += pad > 0 ? pad : 0;
		pad = 0;
	}
	if (!sp->left)
		out_pad(o, ' ', pad);
	if (neg)
		out_c(o, '-');
	while (*prefix)
		out_c(o, *prefix++);
	out_pad(o, '0', zeros);
	while (n)
		out_c(o, tmp[--n]);
	if (sp->left)
		out_pad(o, ' ', pad);
}

static void out_str(struct out *o, const struct spec *sp, const char *s)
{
	int n = 0, pad;

	if (!s)
		s = "(null)";
	while (s[n] && (sp->prec < 0 || n < sp->prec))
		n++;
	pad = sp->width - n;
	if (!sp->left)
		out_pad(o, ' ', pad);
	for (int i = 0; i < n; i++)
		out_c(o, s[i]);
	if (sp->left)
		out_pad(o, ' ', pad);
}

static int format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		struct spec sp = { .width = -1, .prec = -1 };
		int lng = 0;		/* -2 hh, -1 h, 1 l, 2 ll, 3 z */
		unsigned long long u;
		long long s;

		if (*fmt != '%') {
			out_c(o, *fmt);
			continue;
		}
		fmt++;

		/* flags */
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = true;
			else if (*fmt == '0')
				sp.zero = true;
			else
				break;
		}
		/* width */
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.left = true;
				sp.width = -sp.width;
			}
			fmt++;
		} else {
			for (; *fmt >= '0' && *fmt <= '9'; fmt++)
				sp.width = (sp.width < 0 ? 0 : sp.width * 10) +
					   (*fmt - '0');
		}
		/* precision */
		if (*fmt == '.') {
			fmt++;
			sp.prec = 0;
			if (*fmt == '*') {
				sp.prec = va_arg(ap, int);
				fmt++;
			} else {
				for (; *fmt >= '0' && *fmt <= '9'; fmt++)
					sp.prec = sp.prec * 10 + (*fmt - '0');
			}
		}
		/* length */
		if (*fmt == 'h') {
			lng = -1;
			if (*++fmt == 'h') {
				lng = -2;
				fmt++;
			}
		} else if (*fmt == 'l') {
			lng = 1;
			if (*++fmt == 'l') {
				lng = 2;
				fmt++;
			}
		} else if (*fmt == 'z') {
			lng = 3;
			fmt++;
		}

		switch (*fmt) {
		case 'd':
		case 'i':
			switch (lng) {
			case 2:
				s = va_arg(ap, long long);
				break;
			case 1:
				s = va_arg(ap, long);
				break;
			case 3:		/* the signed type of size_t */
				s = (long)va_arg(ap, size_t);
				break;
			default:
				s = va_arg(ap, int);
				if (lng == -1)
					s = (short)s;
				else if (lng == -2)
					s = (signed char)s;
			}
			u = s < 0 ? -(unsigned long long)s :
				    (unsigned long long)s;
			out_num(o, &sp, u, s < 0, 10, false, "");
			break;
		case 'u':
		case 'x':
		case 'X':
			switch (lng) {
			case 2:
				u = va_arg(ap, unsigned long long);
				break;
			case 1:
				u = va_arg(ap, unsigned long);
				break;
			case 3:
				u = va_arg(ap, size_t);
				break;
			default:
				u = va_arg(ap, unsigned int);
				if (lng == -1)
					u = (unsigned short)u;
				else if (lng == -2)
					u = (unsigned char)u;
			}
			out_num(o, &sp, u, false, *fmt == 'u' ? 10 : 16,
				*fmt == 'X', "");
			break;
		case 'p':
			u = (uintptr_t)va_arg(ap, void *);
			out_num(o, &sp, u, false, 16, false, "0x");
			break;
		case 's':
			out_str(o, &sp, va_arg(ap, const char *));
			break;
		case 'c':
			out_pad(o, ' ', sp.left ? 0 : sp.width - 1);
			out_c(o, (char)va_arg(ap, int));
			out_pad(o, ' ', sp.left ? sp.width - 1 : 0);
			break;
		case '%':
			out_c(o, '%');
			break;
		case '\0':		/* a lone '%' at the end */
			out_c(o, '%');
			fmt--;
			break;
		default:		/* unknown: print it as it is */
			out_c(o, '%');
			out_c(o, *fmt);
		}
	}
	return (int)o->len;
}

int guest_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	/* A NULL buffer would mean "the UART" to out_c(). */
	static char dummy[1];
	struct out o = { .buf = buf ? buf : dummy, .size = buf ? size : 0 };
	int n = format(&o, fmt, ap);

	if (o.size)
		o.buf[o.len < o.size ? o.len : o.size - 1] = '\0';
	return n;
}

int guest_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int guest_vprintf(const char *fmt, va_list ap)
{
	struct out o = { .buf = NULL };

	return format(&o, fmt, ap);
}

int guest_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = guest_vprintf(fmt, ap);
	va_end(ap);
	return n;
}
