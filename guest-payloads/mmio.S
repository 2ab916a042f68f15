/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mmio.S - talk to a memory-mapped device.
 *
 * Concept: MMIO.  Device registers can live in the physical address space
 * instead of the port space; the guest uses ordinary MOV instructions.
 * The hypervisor leaves such addresses out of the nested page tables, so
 * an access makes the CPU take a nested page fault (#VMEXIT NPF, APM
 * Vol. 2 15.25.6).  The fault tells thv.ko only the address; it reads the
 * guest's instruction and decodes it (which MOV, how wide, which
 * register) and sends THV_EXIT_MMIO to the runner.  For a read, the
 * runner's answer lands in the destination register on the next THV_RUN.
 *
 * The runner's demo device at guest-physical 0xd0000000
 * (user/devices/mmio_demo.c):
 *   +0 MAGIC   reads 0x21564854 ("THV!")
 *   +4 COUNTER reads 1, 2, 3, ...
 *   +8 SCRATCH read/write
 *
 * The device is at 0xd0000000, far above what 16-bit real mode can
 * address, so this payload runs in flat 32-bit mode (--entry 32).  It
 * uses several MOV encodings on purpose: A1 (moffs), 8B /r, C7 /0 (store
 * immediate), 89 /r and 0F B6 (MOVZX byte); then an OR and a CMP on
 * SCRATCH, which the runner emulates (see below).
 *
 * Run:      thv run --entry 32 mmio.bin
 * Prints:   "mmio: MAGIC = 0x21564854\n"
 *           "mmio: COUNTER = 0x00000001, then 0x00000002\n"
 *           "mmio: SCRATCH = 0xcafef00d after writing 0xcafef00d\n"
 *           "mmio: SCRATCH = 0x12345678 after writing 0x12345678\n"
 *           "mmio: SCRATCH | 0x100 = 0x12345778 (OR, CMP emulated)\n"
 *           "mmio: low byte of MAGIC = 0x00000054 ('T')\n"
 *           "mmio: all reads as expected\n"
 *           and on stderr the runner logs the two writes.
 * Status:   0; 1 and a FAIL line if a read returns something else.
 */
	.code32
	.intel_syntax noprefix
	.text
	.globl	_start

	.set	DEMO_BASE, 0xd0000000
	.set	DEMO_MAGIC, DEMO_BASE + 0
	.set	DEMO_COUNTER, DEMO_BASE + 4
	.set	DEMO_SCRATCH, DEMO_BASE + 8

_start:
	cld
	/* MAGIC with MOV EAX, moffs32 (opcode A1) */
	mov	eax, dword ptr ds:[DEMO_MAGIC]
	mov	esi, offset s_magic
	call	puts
	call	puthex32
	call	newline
	cmp	eax, 0x21564854
	jne	fail

	/* COUNTER twice with MOV r32, [EBX + disp8] (opcode 8B /r) */
	mov	ebx, DEMO_BASE
	mov	ecx, dword ptr [ebx + 4]
	mov	edx, dword ptr [ebx + 4]
	mov	esi, offset s_counter
	call	puts
	mov	eax, ecx
	call	puthex32
	mov	esi, offset s_then
	call	puts
	mov	eax, edx
	call	puthex32
	call	newline
	inc	ecx
	cmp	ecx, edx		/* each read counts up by one */
	jne	fail

	/* SCRATCH: store an immediate (C7 /0), read it back (8B /r) */
	mov	dword ptr ds:[DEMO_SCRATCH], 0xcafef00d
	mov	ecx, dword ptr [ebx + 8]
	mov	esi, offset s_scratch
	call	puts
	mov	eax, ecx
	call	puthex32
	mov	esi, offset s_after
	call	puts
	mov	eax, 0xcafef00d
	call	puthex32
	call	newline
	cmp	ecx, eax
	jne	fail

	/* SCRATCH: store a register (89 /r), read it back */
	mov	edi, 0x12345678
	mov	dword ptr [ebx + 8], edi
	mov	eax, dword ptr [ebx + 8]
	mov	esi, offset s_scratch
	call	puts
	call	puthex32
	mov	esi, offset s_after
	call	puts
	push	eax
	mov	eax, edi
	call	puthex32
	pop	eax
	call	newline
	cmp	eax, edi
	jne	fail

	/*
	 * Not a MOV: OR a bit into SCRATCH (81 /1 id), then CMP it with
	 * an immediate (81 /7 id).  thv.ko decodes MOVs only; these come
	 * to the runner whole (thv_run.mmio.user_decode), which decodes
	 * them with capstone and does the read, the OR, the write and the
	 * flags (user/lib/thv_mmio_emul.c).
	 */
	or	dword ptr [ebx + 8], 0x100
	cmp	dword ptr [ebx + 8], 0x12345778
	jne	fail
	mov	esi, offset s_or
	call	puts

	/* One byte of MAGIC with MOVZX r32, byte [mem] (0F B6 /r) */
	movzx	eax, byte ptr ds:[DEMO_MAGIC]
	mov	esi, offset s_byte
	call	puts
	call	puthex32
	mov	esi, offset s_T
	call	puts
	cmp	eax, 'T'
	jne	fail

	mov	esi, offset s_ok
	call	puts
	xor	al, al
	call	exit

fail:
	mov	esi, offset s_fail
	call	puts
	mov	al, 1
	call	exit

s_magic:	.asciz	"mmio: MAGIC = "
s_counter:	.asciz	"mmio: COUNTER = "
s_then:		.asciz	", then "
s_scratch:	.asciz	"mmio: SCRATCH = "
s_after:	.asciz	" after writing "
s_byte:		.asciz	"mmio: low byte of MAGIC = "
s_T:		.asciz	" ('T')\n"
s_or:		.asciz	"mmio: SCRATCH | 0x100 = 0x12345778 (OR, CMP emulated)\n"
s_ok:		.asciz	"mmio: all reads as expected\n"
s_fail:		.asciz	"mmio: FAIL: unexpected value\n"

#include "lib32.S"
