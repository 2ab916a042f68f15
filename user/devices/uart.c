// SPDX-License-Identifier: GPL-2.0
/*
 * uart.c - a 16550A UART at the PC's COM1 ports 0x3f8-0x3ff.
 *
 * Just enough of the chip for a polling guest: a byte written to THR goes
 * to our stdout at once, so LSR always says "transmitter empty and ready"
 * (THRE | TEMT = 0x60) and never "data ready".  The other registers keep
 * what the guest writes so that probing code reads back sensible values.
 * No interrupts: thv injects none.
 *
 * Register map (offset from 0x3f8; DLAB is LCR bit 7):
 *   0  RBR (read) / THR (write)    DLAB=1: DLL, divisor low
 *   1  IER                         DLAB=1: DLM, divisor high
 *   2  IIR (read) / FCR (write)
 *   3  LCR    4  MCR    5  LSR    6  MSR    7  SCR (scratch)
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"

#define UART_BASE	0x3f8
#define UART_LEN	8

#define UART_LCR_DLAB	0x80
#define UART_LSR_THRE	0x20	/* transmit holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty */
#define UART_IIR_NO_INT	0x01
#define UART_IIR_FIFO	0xc0	/* FIFOs enabled (16550A) */
#define UART_FCR_ENABLE	0x01
#define UART_MSR_IDLE	0xb0	/* DCD, DSR, CTS: a cable that is "there" */

struct uart_state {
	uint8_t ier, fcr, lcr, mcr, scr, dll, dlm;
};

static struct uart_state uart_state = { .dll = 1 };	/* 115200 baud */

static const char * const uart_reg_names[2][UART_LEN] = {
	/* reads */
	{ "RBR", "IER", "IIR", "LCR", "MCR", "LSR", "MSR", "SCR" },
	/* writes */
	{ "THR", "IER", "FCR", "LCR", "MCR", "LSR(ro)", "MSR(ro)", "SCR" },
};

/* The byte the guest sends: to stdout; the trace note shows it too. */
static void uart__transmit(uint8_t c, char *desc, size_t desc_len)
{
	console__guest_write(&c, 1);
	if (c == '\n')
		fflush(stdout);
	if (c == '\n')
		snprintf(desc, desc_len, "UART THR '\\n'");
	else if (c == '\r')
		snprintf(desc, desc_len, "UART THR '\\r'");
	else if (isprint(c))
		snprintf(desc, desc_len, "UART THR '%c'", c);
	else
		snprintf(desc, desc_len, "UART THR (unprintable)");
}

static void uart__write(struct uart_state *s, unsigned int reg, uint8_t v,
			char *desc, size_t desc_len)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	switch (reg) {
	case 0:
		if (dlab)
			s->dll = v;
		else
			uart__transmit(v, desc, desc_len);
		return;
	case 1:
		if (dlab)
			s->dlm = v;
		else
			s->ier = v & 0x0f;
		break;
	case 2:
		s->fcr = v;
		break;
	case 3:
		s->lcr = v;
		break;
	case 4:
		s->mcr = v & 0x1f;
		break;
	case 7:
		s->scr = v;
		break;
	default:
		/* LSR and MSR are read-only: the write is dropped. */
		break;
	}
	snprintf(desc, desc_len, "UART %s", dlab && reg < 2 ?
		 (reg ? "DLM" : "DLL") : uart_reg_names[1][reg]);
}

static uint8_t uart__read(struct uart_state *s, unsigned int reg,
			  char *desc, size_t desc_len)
{
	bool dlab = s->lcr & UART_LCR_DLAB;

	snprintf(desc, desc_len, "UART %s", dlab && reg < 2 ?
		 (reg ? "DLM" : "DLL") : uart_reg_names[0][reg]);
	switch (reg) {
	case 0:
		return dlab ? s->dll : 0;	/* no input: RBR reads 0 */
	case 1:
		return dlab ? s->dlm : s->ier;
	case 2:
		return UART_IIR_NO_INT |
		       ((s->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0);
	case 3:
		return s->lcr;
	case 4:
		return s->mcr;
	case 5:
		return UART_LSR_THRE | UART_LSR_TEMT;
	case 6:
		return UART_MSR_IDLE;
	default:
		return s->scr;
	}
}

/* The 16550 is an 8-bit device: wider accesses use the low byte only. */
static void uart__io(struct thv_runner *r, struct ioport_dev *dev,
		     uint16_t port, uint8_t *data, unsigned int size,
		     bool is_write, char *desc, size_t desc_len)
{
	struct uart_state *s = dev->priv;
	unsigned int reg = port - dev->base;

	(void)r;
	if (is_write) {
		uart__write(s, reg, data[0], desc, desc_len);
		return;
	}
	memset(data, 0, size);
	data[0] = uart__read(s, reg, desc, desc_len);
}

static struct ioport_dev uart_dev = {
	.name	= "uart",
	.base	= UART_BASE,
	.len	= UART_LEN,
	.io	= uart__io,
	.priv	= &uart_state,
};

int uart__init(void)
{
	return ioport__register(&uart_dev);
}
