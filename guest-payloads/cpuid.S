/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cpuid.S - ask the (virtual) CPU who it is.
 *
 * Concept: exits the kernel handles alone.  CPUID is intercepted (APM
 * Vol. 2 15.9 "Instruction Intercepts"), but thv.ko answers it inside the
 * kernel and re-enters the guest without waking the runner.  The summary
 * line's "VM exits in all" counts them.  --trace asks thv.ko to report
 * them anyway (THV_DEBUG_EXIT_ALL): "CPUID: CPUID leaf 0x1, ...; handled
 * in the kernel" lines among the UART's IO exits; try also
 * `thv run --step --break cpuid cpuid.bin` and `explain` at the stop.  The answers are mostly
 * the host CPU's, filtered: leaf 1 ECX bit 31 says "a hypervisor is
 * present" (see virt.S).
 *
 * Leaf 0: EAX = highest standard leaf, EBX-EDX-ECX = vendor string
 * (APM Vol. 3 "CPUID Fn0000_0000"; note the order EBX, EDX, ECX).
 * Leaf 1: family/model/stepping in EAX, feature bits in ECX and EDX.
 * CPUID clobbers EAX, EBX, ECX and EDX.
 *
 * Run:      thv run cpuid.bin
 * Prints:   "cpuid: leaf 0: max leaf 0x..., vendor \"AuthenticAMD\"\n"
 *           "cpuid: leaf 1: eax 0x... ebx 0x... ecx 0x... edx 0x...\n"
 *           "cpuid: hypervisor bit (leaf 1 ECX[31]) = 1\n"
 * Status:   0 (exit port)
 */
	.code16
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	xor	eax, eax		/* leaf 0 */
	xor	ecx, ecx
	cpuid
	mov	[vendor], ebx		/* the vendor string: EBX, EDX, ECX */
	mov	[vendor + 4], edx
	mov	[vendor + 8], ecx
	mov	si, offset s_leaf0
	call	puts
	call	puthex32		/* EAX: highest standard leaf */
	mov	si, offset s_vendor
	call	puts
	mov	si, offset vendor
	call	puts
	mov	si, offset s_quote_nl
	call	puts

	mov	eax, 1			/* leaf 1 */
	xor	ecx, ecx
	cpuid
	mov	[leaf1_ecx], ecx
	mov	si, offset s_leaf1
	call	puts
	call	puthex32
	mov	si, offset s_ebx
	call	puts
	mov	eax, ebx
	call	puthex32
	mov	si, offset s_ecx
	call	puts
	mov	eax, ecx
	call	puthex32
	mov	si, offset s_edx
	call	puts
	mov	eax, edx
	call	puthex32
	mov	al, '\n'
	call	putc

	mov	si, offset s_hv
	call	puts
	mov	al, '0'
	bt	dword ptr [leaf1_ecx], 31	/* CF = the hypervisor bit */
	adc	al, 0
	call	putc
	mov	al, '\n'
	call	putc

	xor	al, al
	call	exit

s_leaf0:	.asciz	"cpuid: leaf 0: max leaf "
s_vendor:	.asciz	", vendor \""
s_quote_nl:	.asciz	"\"\n"
s_leaf1:	.asciz	"cpuid: leaf 1: eax "
s_ebx:		.asciz	" ebx "
s_ecx:		.asciz	" ecx "
s_edx:		.asciz	" edx "
s_hv:		.asciz	"cpuid: hypervisor bit (leaf 1 ECX[31]) = "
vendor:		.fill	13, 1, 0	/* 12 characters and a NUL */
	.balign	4
leaf1_ecx:	.long	0

#include "lib16.S"
