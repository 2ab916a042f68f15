/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lib32.S - tiny 32-bit protected-mode helpers shared by the payloads.
 * #include it at the END of a payload: the first byte of a flat binary
 * is where the vCPU starts, so _start must come first.
 *
 * The UART is a 16550 at COM1 (0x3f8).  A real driver waits until the
 * Line Status Register (0x3fd) says the transmit holding register is empty
 * (bit 5, THRE) before it writes the next byte to 0x3f8; we do the same,
 * so each character costs two exits: IN from 0x3fd, OUT to 0x3f8.
 * `out imm8, al` reaches only ports 0-255, hence `mov dx, port`.
 */

/* putc: send AL.  Preserves all registers. */
putc:
	push	edx
	push	eax
	mov	dx, 0x3fd		/* LSR */
1:	in	al, dx
	test	al, 0x20		/* THRE: ready for a byte? */
	jz	1b
	pop	eax
	mov	dx, 0x3f8		/* THR */
	out	dx, al
	pop	edx
	ret

/* puts: send the NUL-terminated string at DS:ESI.  Preserves registers. */
puts:
	push	eax
	push	esi
1:	lodsb
	test	al, al
	jz	2f
	call	putc
	jmp	1b
2:	pop	esi
	pop	eax
	ret

/* puthex32: print EAX as "0x" and 8 hex digits.  Preserves registers. */
puthex32:
	push	eax
	mov	al, '0'
	call	putc
	mov	al, 'x'
	call	putc
	pop	eax
	/* fall through */

/* hex8: print EAX as 8 hex digits, no "0x".  Preserves registers. */
hex8:
	push	eax
	push	ecx
	mov	ecx, 8
1:	rol	eax, 4			/* next nibble into the low bits */
	push	eax
	and	al, 0x0f
	add	al, '0'
	cmp	al, '9'
	jbe	2f
	add	al, 'a' - '0' - 10
2:	call	putc
	pop	eax
	loop	1b
	pop	ecx
	pop	eax
	ret

/* newline: send '\n'.  Preserves registers. */
newline:
	push	eax
	mov	al, '\n'
	call	putc
	pop	eax
	ret

/* exit: end the run with status AL (port 0xf4 is thv's exit port). */
exit:
	out	0xf4, al
	hlt				/* not reached under thv */
	jmp	exit
