/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hypercall.S - call the hypervisor on purpose.
 *
 * Concept: a hypercall is to a hypervisor what a system call is to a
 * kernel.  VMMCALL (AMD, 0f 01 d9) always exits to the hypervisor when it
 * is intercepted (APM Vol. 2 15.9, "VMMCALL"); VMCALL (0f 01 c1) is
 * Intel's spelling (SDM Vol. 3C 26.1.3) and thv accepts both.  Calling
 * convention (KVM's): number in RAX, arguments in RBX, RCX, RDX, RSI,
 * result back in RAX.  The table is user/hypercalls.h, included here too.
 * thv.ko sees the VMMCALL, reports THV_EXIT_HYPERCALL to the runner, and
 * on the next THV_RUN puts the runner's answer into RAX and moves RIP
 * past the 3-byte instruction.
 *
 * Run:      thv run hypercall.bin
 * Prints:   "hypercall: version -> 0x00000001\n"
 *           "hypercall: add(1, 2, 3, 4) -> 0x0000000a\n"
 *           "Hello through the puts hypercall!\n"
 *           "hypercall: puts -> 0x00000022\n"
 *           "hypercall: unknown nr 0x1234 -> 0xffffffff\n"
 *           "hypercall: add via VMCALL -> 0x0000000a\n"
 *           "hypercall: all results as expected\n"
 * Status:   0 (the exit hypercall); 1 and a "FAIL" line if a result is
 *           wrong.
 */
#include "hypercalls.h"

	.code16
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	/* Upper halves of the 64-bit registers are 0 at entry; keep it so. */

	mov	eax, THV_HC_VERSION
	vmmcall
	mov	si, offset s_version
	mov	edi, THV_HC_ABI_VERSION
	call	report

	mov	eax, THV_HC_ADD
	mov	ebx, 1
	mov	ecx, 2
	mov	edx, 3
	mov	esi, 4
	vmmcall
	mov	si, offset s_add
	mov	edi, 10
	call	report

	mov	eax, THV_HC_PUTS
	mov	ebx, offset s_hello	/* guest-physical: DS is 0 */
	vmmcall
	mov	si, offset s_puts
	mov	edi, offset s_hello_len
	call	report

	mov	eax, 0x1234		/* no such hypercall */
	vmmcall
	mov	si, offset s_unknown
	mov	edi, 0xffffffff
	call	report

	mov	eax, THV_HC_ADD
	mov	ebx, 1
	mov	ecx, 2
	mov	edx, 3
	mov	esi, 4
	vmcall				/* Intel's encoding, same exit */
	mov	si, offset s_vmcall
	mov	edi, 10
	call	report

	mov	si, offset s_ok
	call	puts
	mov	eax, THV_HC_EXIT	/* end the run through a hypercall */
	xor	ebx, ebx
	vmmcall
	mov	al, 2			/* the exit hypercall returned?! */
	call	exit

/*
 * report: print the string at SI, " -> ", EAX and a newline; if EAX is
 * not EDI, print FAIL and end the run with status 1.
 */
report:
	call	puts
	push	si
	mov	si, offset s_arrow
	call	puts
	pop	si
	call	puthex32
	push	ax
	mov	al, '\n'
	call	putc
	pop	ax
	cmp	eax, edi
	jne	1f
	ret
1:	mov	si, offset s_fail
	call	puts
	mov	al, 1
	call	exit

s_version:	.asciz	"hypercall: version"
s_add:		.asciz	"hypercall: add(1, 2, 3, 4)"
s_puts:		.asciz	"hypercall: puts"
s_unknown:	.asciz	"hypercall: unknown nr 0x1234"
s_vmcall:	.asciz	"hypercall: add via VMCALL"
s_arrow:	.asciz	" -> "
s_ok:		.asciz	"hypercall: all results as expected\n"
s_fail:		.asciz	"hypercall: FAIL: unexpected result\n"
s_hello:	.ascii	"Hello through the puts hypercall!\n"
	.set	s_hello_len, . - s_hello
	.byte	0

#include "lib16.S"
