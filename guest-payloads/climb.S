/* SPDX-License-Identifier: GPL-2.0 */
/*
 * climb.S - climb from 16-bit real mode to 64-bit long mode by hand.
 *
 * Concept: x86 operating modes, and what a boot loader does to move
 * between them.  The runner starts this payload the way a PC starts: in
 * real mode (16-bit code, segment * 16 + offset addressing, no
 * protection).  Nothing else is set up for us.  We climb two steps:
 *
 *   1. real mode -> 32-bit protected mode (SDM Vol. 3A 10.9.1, "Switching
 *      to Protected Mode"; 9.9.1 in older editions): build a GDT,
 *      load GDTR, set CR0.PE, far-jump to a 32-bit code segment, reload
 *      the data segment registers.
 *   2. protected mode -> IA-32e (long) mode (SDM Vol. 3A 10.8.5,
 *      "Initializing IA-32e Mode"; 9.8.5 in older editions): long mode
 *      requires paging, so build 4-level page tables (SDM Vol. 3A 4.5),
 *      set CR4.PAE, point CR3 at the PML4, set EFER.LME, set CR0.PG (the
 *      CPU now sets EFER.LMA: IA-32e mode, but still running 32-bit
 *      "compatibility mode" code), then far-jump to a code segment with
 *      L = 1: 64-bit mode.
 *
 * Each stage prints one line on the UART, using only what that mode can
 * execute (the 16-, 32- and 64-bit print helpers are different code).
 *
 * Memory used (guest-physical, needs 0x13000 bytes of RAM; 2 MiB is the
 * default): this code at 0x1000, the real-mode stack the runner gives us
 * below 0x10000, our stack below 0x10000 after that, page tables at
 * 0x10000 (PML4), 0x11000 (PDPT) and 0x12000 (PD).
 *
 * Run:      thv run climb.bin        (16-bit real mode at 0x1000, the default)
 * Prints:   "climb: real mode: CS=0x00000000 CR0=0x00000010\n"
 *           "climb: protected mode: CS=0x00000008 CR0=0x00000011\n"
 *           "climb: long mode: EFER=0x0000000000000500 "
 *             "CR0=0x0000000080000011\n"
 *           "climb: EFER.LMA=1, 1 << 40 = 0x0000010000000000\n"
 * Status:   0; 1 and "climb: FAIL: EFER.LMA is clear" if the CPU did not
 *           enter IA-32e mode.
 */
	.intel_syntax noprefix
	.text
	.globl	_start

/* Selectors: byte offsets of the descriptors in our GDT (below). */
#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18

/* Control register and MSR bits (SDM Vol. 3A 2.5 and 2.2.1). */
#define CR0_PE		(1 << 0)	/* protection enable */
#define CR0_PG		(1 << 31)	/* paging */
#define CR4_PAE		(1 << 5)	/* physical address extension */
#define MSR_EFER	0xc0000080	/* extended feature enable register */
#define EFER_LME	(1 << 8)	/* long mode enable (we set it) */
#define EFER_LMA	(1 << 10)	/* long mode active (the CPU sets it) */

/* Page tables: three 4 KiB-aligned pages above this image. */
#define PML4		0x10000
#define PDPT		0x11000
#define PD		0x12000
#define PTE_P		(1 << 0)	/* present */
#define PTE_RW		(1 << 1)	/* writable */
#define PTE_PS		(1 << 7)	/* in a PD entry: a 2 MiB page */
#define STACK_TOP	0x10000		/* grows down, just below the PML4 */

/* ------------------------------------------------------------------ */
	.code16
_start:
	/*
	 * Real mode.  No interrupts while we change modes: a real-mode IVT
	 * entry would be read as a protected-mode IDT gate (SDM 10.9.1
	 * step 1).  Set our own segments rather than trust the runner's.
	 */
	cli
	cld
	xor	ax, ax
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	sp, STACK_TOP - 0x10	/* 0x10000 does not fit in 16 bits */

	mov	si, offset s_real
	call	puts
	xor	eax, eax
	mov	ax, cs
	call	puthex32
	mov	si, offset s_cr0
	call	puts
	mov	eax, cr0		/* allowed in real mode: CPL is 0 */
	call	puthex32
	mov	al, '\n'
	call	putc

	/*
	 * Step 1a: load GDTR with the base and limit of our GDT (SDM 10.9.1
	 * step 2).  The descriptors are only read when a segment register
	 * is loaded, which is the far jump below.
	 */
	lgdt	[gdt_desc]

	/* Step 1b: set CR0.PE (step 3).  We are in protected mode... */
	mov	eax, cr0
	or	eax, CR0_PE
	mov	cr0, eax

	/*
	 * ...but CS still holds its real-mode hidden state (16-bit).  The
	 * far jump right after MOV CR0 (step 4) loads CS from GDT entry 0x08,
	 * a 32-bit code segment, and flushes the prefetched 16-bit code.
	 */
	jmp	SEL_CODE32:pm_entry

/* ------------------------------------------------------------------ */
	.code32
pm_entry:
	/*
	 * 32-bit protected mode.  Reload every data segment register from
	 * the GDT (step 9), so that none keeps a real-mode hidden part.
	 */
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	fs, ax
	mov	gs, ax
	mov	ss, ax
	mov	esp, STACK_TOP

	mov	esi, offset s_prot
	call	pm_puts
	xor	eax, eax
	mov	ax, cs
	call	pm_puthex32
	mov	esi, offset s_cr0
	call	pm_puts
	mov	eax, cr0
	call	pm_puthex32
	mov	al, '\n'
	call	pm_putc

	/*
	 * Step 2a: page tables (SDM Vol. 3A 4.5, 4-level paging).  A linear
	 * address is split 9/9/9/9/12: PML4 index, PDPT index, PD index,
	 * then (with PD.PS = 1) a 21-bit offset into a 2 MiB page.  We
	 * identity-map the first 8 MiB (linear == physical), so the code
	 * that turns paging on keeps running at the same address after.
	 * Zero the three tables first: a non-zero entry would be "present".
	 */
	mov	edi, PML4
	xor	eax, eax
	mov	ecx, 3 * 4096 / 4
	rep stosd
	mov	dword ptr [PML4], PDPT | PTE_P | PTE_RW	/* 0-512 GiB */
	mov	dword ptr [PDPT], PD | PTE_P | PTE_RW	/* 0-1 GiB */
	mov	edi, PD
	mov	eax, PTE_P | PTE_RW | PTE_PS		/* 0-2 MiB */
	mov	ecx, 4					/* 4 x 2 MiB */
1:	mov	[edi], eax				/* low half of the entry */
	add	eax, 0x200000				/* the next 2 MiB */
	add	edi, 8					/* entries are 8 bytes */
	loop	1b

	/* Step 2b: CR4.PAE, 64-bit page table entries (SDM 10.8.5 step 2). */
	mov	eax, cr4
	or	eax, CR4_PAE
	mov	cr4, eax

	/* Step 2c: CR3 = physical address of the PML4 (step 3). */
	mov	eax, PML4
	mov	cr3, eax

	/* Step 2d: EFER.LME = 1 with WRMSR (step 4). */
	mov	ecx, MSR_EFER
	rdmsr				/* EDX:EAX = EFER */
	or	eax, EFER_LME
	wrmsr

	/*
	 * Step 2e: CR0.PG = 1 (step 5).  With LME set, this activates
	 * IA-32e mode: the CPU sets EFER.LMA.  CS is still the 32-bit
	 * segment, so we run in compatibility mode until...
	 */
	mov	eax, cr0
	or	eax, CR0_PG
	mov	cr0, eax

	/* ...this far jump loads CS from a descriptor with L = 1. */
	jmp	SEL_CODE64:lm_entry

/* ------------------------------------------------------------------ */
	.code64
lm_entry:
	/*
	 * 64-bit mode.  The bases and limits of DS, ES, SS are ignored now
	 * (flat by definition, SDM Vol. 3A 3.2.4), but SS must still hold a
	 * valid selector or a null one; ours is the data segment.
	 */
	mov	ax, SEL_DATA
	mov	ds, ax
	mov	es, ax
	mov	ss, ax
	mov	rsp, STACK_TOP

	/*
	 * Writing a 32-bit register zeroes bits 63:32 of the 64-bit one:
	 * `mov esi, offset s` loads the whole RSI (our code is below 4 GiB).
	 */
	mov	esi, offset s_long
	call	lm_puts
	mov	ecx, MSR_EFER
	rdmsr				/* EDX:EAX, as in every mode */
	shl	rdx, 32
	or	rax, rdx
	mov	rbx, rax		/* keep EFER */
	call	lm_puthex64
	mov	esi, offset s_cr0
	call	lm_puts
	mov	rax, cr0		/* a 64-bit control register now */
	call	lm_puthex64
	mov	al, '\n'
	call	lm_putc

	/* The proof the CPU gives us: EFER.LMA, set by the CPU itself. */
	test	rbx, EFER_LMA
	jz	lm_fail

	/* And a 64-bit register: 1 << 40 does not fit in 32 bits. */
	mov	esi, offset s_lma
	call	lm_puts
	mov	eax, 1			/* writing EAX zeroes bits 63:32 */
	shl	rax, 40
	call	lm_puthex64
	mov	al, '\n'
	call	lm_putc

	xor	eax, eax
	out	0xf4, al		/* exit port: status 0 */
	hlt

lm_fail:
	mov	esi, offset s_fail
	call	lm_puts
	mov	al, 1
	out	0xf4, al
	hlt

/* ---- 32-bit helpers (the 16-bit ones come from lib16.S) ----------- */
	.code32

/* pm_putc: send AL to the UART when it is ready.  Keeps registers. */
pm_putc:
	push	edx
	push	eax
	mov	dx, 0x3fd		/* LSR */
1:	in	al, dx
	test	al, 0x20		/* THRE */
	jz	1b
	pop	eax
	mov	dx, 0x3f8		/* THR */
	out	dx, al
	pop	edx
	ret

/* pm_puts: send the C string at ESI.  Keeps registers. */
pm_puts:
	push	eax
	push	esi
1:	lodsb
	test	al, al
	jz	2f
	call	pm_putc
	jmp	1b
2:	pop	esi
	pop	eax
	ret

/* pm_puthex32: "0x" and the 8 hex digits of EAX.  Keeps registers. */
pm_puthex32:
	push	eax
	push	ecx
	push	eax
	mov	al, '0'
	call	pm_putc
	mov	al, 'x'
	call	pm_putc
	pop	eax
	mov	ecx, 8
1:	rol	eax, 4
	push	eax
	and	al, 0x0f
	add	al, '0'
	cmp	al, '9'
	jbe	2f
	add	al, 'a' - '0' - 10
2:	call	pm_putc
	pop	eax
	loop	1b
	pop	ecx
	pop	eax
	ret

/* ---- 64-bit helpers: PUSH/POP take 64-bit registers in this mode -- */
	.code64

/* lm_putc: send AL.  Keeps registers. */
lm_putc:
	push	rdx
	push	rax
	mov	dx, 0x3fd
1:	in	al, dx
	test	al, 0x20
	jz	1b
	pop	rax
	mov	dx, 0x3f8
	out	dx, al
	pop	rdx
	ret

/* lm_puts: send the C string at RSI.  Keeps registers. */
lm_puts:
	push	rax
	push	rsi
1:	lodsb
	test	al, al
	jz	2f
	call	lm_putc
	jmp	1b
2:	pop	rsi
	pop	rax
	ret

/* lm_puthex64: "0x" and the 16 hex digits of RAX.  Keeps registers. */
lm_puthex64:
	push	rax
	push	rcx
	push	rax
	mov	al, '0'
	call	lm_putc
	mov	al, 'x'
	call	lm_putc
	pop	rax
	mov	ecx, 16
1:	rol	rax, 4
	push	rax
	and	al, 0x0f
	add	al, '0'
	cmp	al, '9'
	jbe	2f
	add	al, 'a' - '0' - 10
2:	call	lm_putc
	pop	rax
	loop	1b
	pop	rcx
	pop	rax
	ret

/* ---- data ---------------------------------------------------------- */

/*
 * The GDT (SDM Vol. 3A 3.4.5, "Segment Descriptors").  Each descriptor is
 * 8 bytes: limit 15:0, base 23:0, access byte (P, DPL, S, type), flags
 * (G, D/B, L) with limit 19:16, base 31:24.  All: base 0, limit 0xfffff
 * in 4 KiB units (G = 1), i.e. the whole 4 GiB.
 *   access 0x9a: present, DPL 0, code, execute/read
 *   access 0x92: present, DPL 0, data, read/write
 *   flags 0xc: G = 1, D = 1 (32-bit);  flags 0xa: G = 1, L = 1 (64-bit,
 *   D must be 0 then)
 */
	.balign	8
gdt:
	.quad	0			/* 0x00: the null descriptor */
	.quad	0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: data */
	.quad	0x00af9a000000ffff	/* 0x18: 64-bit code */
gdt_end:

/* The 6-byte operand of LGDT: limit (size - 1), then the linear base. */
gdt_desc:
	.word	gdt_end - gdt - 1
	.long	gdt

s_real:		.asciz	"climb: real mode: CS="
s_prot:		.asciz	"climb: protected mode: CS="
s_long:		.asciz	"climb: long mode: EFER="
s_cr0:		.asciz	" CR0="
s_lma:		.asciz	"climb: EFER.LMA=1, 1 << 40 = "
s_fail:		.asciz	"climb: FAIL: EFER.LMA is clear\n"

	.code16
#include "lib16.S"
