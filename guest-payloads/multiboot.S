/* SPDX-License-Identifier: GPL-2.0 */
/*
 * multiboot.S - a tiny Multiboot (v1) kernel: what a boot loader hands over.
 *
 * Concept: the boot protocol.  A kernel does not start out of nowhere:
 * a boot loader (GRUB, QEMU's -kernel, and here `thv run`) loads it and
 * tells it about the machine.  The Multiboot Specification 0.6.96 is one
 * such contract:
 *   - the kernel carries a header (section 3.1) in its first 8 KiB:
 *     magic 0x1BADB002, flags (what it needs), a checksum that makes the
 *     three add up to 0, and with flag bit 16 (the "a.out kludge") the
 *     addresses to load it at;
 *   - the loader enters it in flat 32-bit protected mode, paging off,
 *     interrupts off (section 3.2), with EAX = 0x2BADB002 and EBX = the
 *     physical address of the Multiboot information structure (3.3):
 *     memory sizes, the command line, a memory map...
 * This kernel checks EAX, then prints what the information says.  It
 * makes its own stack first: the spec leaves ESP undefined.
 *
 * Built twice from this file:
 *   multiboot.elf       an ELF32 kernel linked at 1 MiB; the loader finds
 *                       the segments in the ELF program headers.
 *   multiboot_aout.bin  (multiboot_aout.S) a flat binary with the a.out
 *                       kludge fields: header, load, load end, bss end and
 *                       entry addresses (section 3.1.3).
 *
 * Run:      thv run --memory 16M --cmdline "hello world" multiboot.elf
 * Prints:   "multiboot: hello from an ELF kernel\n"  (or "an a.out kludge")
 *           "multiboot: magic 0x2badb002\n"
 *           "multiboot: info at 0x..., flags 0x00000245\n"
 *           "multiboot: mem_lower 640 KiB, mem_upper 15360 KiB\n"
 *           "multiboot: cmdline \"hello world\"\n"
 *           "multiboot: boot loader \"thv\"\n"
 *           "multiboot: mmap base 0x0000000000000000 len 0x... type 1\n"
 *           ... one line per memory map entry ...
 *           "multiboot: done\n"
 * Status:   0; 1 and a FAIL line if EAX is wrong or the memory info
 *           (flag bit 0) is missing.
 */
	.code32
	.intel_syntax noprefix

#define MB_HEADER_MAGIC		0x1BADB002	/* section 3.1.2 */
#define MB_BOOTLOADER_MAGIC	0x2BADB002	/* section 3.2, in EAX */
#define MB_PAGE_ALIGN		(1 << 0)
#define MB_MEMORY_INFO		(1 << 1)
#define MB_AOUT_KLUDGE		(1 << 16)
#ifdef MB_AOUT
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE)
#else
#define MB_FLAGS	(MB_PAGE_ALIGN | MB_MEMORY_INFO)
#endif
#define STACK_SIZE	0x4000

/* Offsets in the Multiboot information structure (section 3.3). */
#define MBI_FLAGS		0
#define MBI_MEM_LOWER		4
#define MBI_MEM_UPPER		8
#define MBI_CMDLINE		16
#define MBI_MMAP_LENGTH		44
#define MBI_MMAP_ADDR		48
#define MBI_LOADER_NAME		64

	.text
	.globl	_start
/*
 * The header, first in .text so that it is in the first 8 KiB of the
 * file, 4-byte aligned (section 3.1.1).
 */
	.balign	4
mb_header:
	.long	MB_HEADER_MAGIC
	.long	MB_FLAGS
	.long	(-(MB_HEADER_MAGIC + MB_FLAGS)) & 0xffffffff	/* checksum */
#ifdef MB_AOUT
	/*
	 * Section 3.1.3.  The flat binary starts with this header, so the
	 * header and the first byte to load have the same address.
	 */
	.long	mb_header		/* header_addr */
	.long	mb_header		/* load_addr: file byte 0 goes here */
	.long	load_end		/* load_end_addr: end of the file */
	.long	stack_top		/* bss_end_addr: the loader zeroes up to here */
	.long	_start			/* entry_addr */
#endif

_start:
	cli
	cld
	mov	esp, offset stack_top	/* our own stack, in our .bss */
	mov	edi, eax		/* keep the magic */
	mov	ebp, ebx		/* and the information structure */

	mov	esi, offset s_hello
	call	puts

	mov	esi, offset s_magic
	call	puts
	mov	eax, edi
	call	puthex32
	call	newline
	cmp	edi, MB_BOOTLOADER_MAGIC
	jne	fail

	mov	esi, offset s_info
	call	puts
	mov	eax, ebp
	call	puthex32
	mov	esi, offset s_flags
	call	puts
	mov	ebx, [ebp + MBI_FLAGS]
	mov	eax, ebx
	call	puthex32
	call	newline

	/* Bit 0: mem_lower / mem_upper, which our flag bit 1 asked for. */
	test	ebx, 1 << 0
	jz	fail
	mov	esi, offset s_mem_lower
	call	puts
	mov	eax, [ebp + MBI_MEM_LOWER]
	call	putdec
	mov	esi, offset s_mem_upper
	call	puts
	mov	eax, [ebp + MBI_MEM_UPPER]
	call	putdec
	mov	esi, offset s_kib
	call	puts

	/* Bit 2: the command line, a C string somewhere in memory. */
	test	ebx, 1 << 2
	jz	1f
	mov	esi, offset s_cmdline
	call	puts
	mov	esi, [ebp + MBI_CMDLINE]
	call	puts
	mov	esi, offset s_quote_nl
	call	puts
1:
	/* Bit 9: the boot loader's name. */
	test	ebx, 1 << 9
	jz	1f
	mov	esi, offset s_loader
	call	puts
	mov	esi, [ebp + MBI_LOADER_NAME]
	call	puts
	mov	esi, offset s_quote_nl
	call	puts
1:
	/*
	 * Bit 6: the memory map, mmap_length bytes at mmap_addr.  Each entry
	 * is { u32 size; u64 base_addr; u64 length; u32 type; } and 'size'
	 * does not count itself: the next entry is at this + size + 4.
	 */
	test	ebx, 1 << 6
	jz	3f
	mov	esi, [ebp + MBI_MMAP_ADDR]
	mov	ecx, esi
	add	ecx, [ebp + MBI_MMAP_LENGTH]	/* end of the map */
2:	cmp	esi, ecx
	jae	3f
	push	esi
	mov	esi, offset s_mmap_base
	call	puts
	pop	esi
	mov	eax, [esi + 8]		/* base_addr, high half */
	call	puthex32
	mov	eax, [esi + 4]		/* low half */
	call	hex8
	push	esi
	mov	esi, offset s_mmap_len
	call	puts
	pop	esi
	mov	eax, [esi + 16]		/* length, high half */
	call	puthex32
	mov	eax, [esi + 12]
	call	hex8
	push	esi
	mov	esi, offset s_mmap_type
	call	puts
	pop	esi
	mov	eax, [esi + 20]		/* type: 1 available, else reserved */
	call	putdec
	call	newline
	mov	eax, [esi]		/* size */
	lea	esi, [esi + eax + 4]
	jmp	2b
3:
	mov	esi, offset s_done
	call	puts
	xor	al, al
	call	exit

fail:
	mov	esi, offset s_fail
	call	puts
	mov	al, 1
	call	exit

/* putdec: print EAX in decimal.  Preserves registers. */
putdec:
	push	eax
	push	ebx
	push	ecx
	push	edx
	mov	ebx, 10
	xor	ecx, ecx
1:	xor	edx, edx
	div	ebx			/* EAX = quotient, EDX = next digit */
	push	edx
	inc	ecx
	test	eax, eax
	jnz	1b
2:	pop	eax			/* most significant digit first */
	add	al, '0'
	call	putc
	loop	2b
	pop	edx
	pop	ecx
	pop	ebx
	pop	eax
	ret

#ifdef MB_AOUT
s_hello:	.asciz	"multiboot: hello from an a.out kludge kernel\n"
#else
s_hello:	.asciz	"multiboot: hello from an ELF kernel\n"
#endif
s_magic:	.asciz	"multiboot: magic "
s_info:		.asciz	"multiboot: info at "
s_flags:	.asciz	", flags "
s_mem_lower:	.asciz	"multiboot: mem_lower "
s_mem_upper:	.asciz	" KiB, mem_upper "
s_kib:		.asciz	" KiB\n"
s_cmdline:	.asciz	"multiboot: cmdline \""
s_loader:	.asciz	"multiboot: boot loader \""
s_quote_nl:	.asciz	"\"\n"
s_mmap_base:	.asciz	"multiboot: mmap base "
s_mmap_len:	.asciz	" len "
s_mmap_type:	.asciz	" type "
s_done:		.asciz	"multiboot: done\n"
s_fail:		.asciz	"multiboot: FAIL\n"

#include "lib32.S"

#ifdef MB_AOUT
	/*
	 * The end of the file is the end of what the loader copies; the
	 * stack lies in the "bss" after it, which only the header's
	 * bss_end_addr describes: nothing of it is in the file.
	 */
	.balign	4
load_end:
	.set	stack_top, load_end + STACK_SIZE
#else
	.bss
	.balign	16
	.skip	STACK_SIZE
stack_top:
#endif
