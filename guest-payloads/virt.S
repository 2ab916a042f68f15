/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virt.S - "am I running in a virtual machine?"
 *
 * Concept: how a guest discovers its hypervisor.  By convention CPUID
 * leaf 1 ECX bit 31 is reserved for hypervisors to set (real CPUs return
 * 0) (APM Vol. 3 "CPUID Fn0000_0001_ECX", bit 31 "reserved for use by
 * hypervisor").  If it is set, leaves 0x40000000 and up belong to the
 * hypervisor: 0x40000000 returns the highest hypervisor leaf in EAX and a
 * 12-byte signature in EBX, ECX, EDX.  KVM says "KVMKVMKVM\0\0\0",
 * Hyper-V "Microsoft Hv", thv says "thvthvthv\0\0\0".  Linux reads it
 * the same way at boot (arch/x86/kernel/cpu/hypervisor.c).
 *
 * Run:      thv run virt.bin
 * Prints:   "virt: hypervisor bit (CPUID.1:ECX[31]) is set\n"
 *           "virt: leaf 0x40000000: max leaf 0x40000001, signature \"thvthvthv\"\n"
 *           "virt: I am running on thv\n"
 * Status:   0 on thv; 1 under another hypervisor; 2 on bare metal
 *           ("virt: bare metal: ...").
 */
	.code16
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	cld
	mov	eax, 1
	xor	ecx, ecx
	cpuid
	bt	ecx, 31			/* the hypervisor-present bit */
	jnc	bare_metal
	mov	si, offset s_hvbit
	call	puts

	mov	eax, 0x40000000
	xor	ecx, ecx
	cpuid
	mov	[sig], ebx		/* signature order: EBX, ECX, EDX */
	mov	[sig + 4], ecx
	mov	[sig + 8], edx
	mov	si, offset s_leaf
	call	puts
	call	puthex32		/* EAX: highest hypervisor leaf */
	mov	si, offset s_sig
	call	puts
	mov	si, offset sig
	call	puts
	mov	si, offset s_quote_nl
	call	puts

	mov	si, offset sig		/* all 12 bytes, NULs included */
	mov	di, offset thv_sig
	mov	cx, 12
	repe	cmpsb
	jne	other_hv
	mov	si, offset s_thv
	call	puts
	xor	al, al
	call	exit

other_hv:
	mov	si, offset s_other
	call	puts
	mov	al, 1
	call	exit

bare_metal:
	mov	si, offset s_bare
	call	puts
	mov	al, 2
	call	exit

s_hvbit:	.asciz	"virt: hypervisor bit (CPUID.1:ECX[31]) is set\n"
s_leaf:		.asciz	"virt: leaf 0x40000000: max leaf "
s_sig:		.asciz	", signature \""
s_quote_nl:	.asciz	"\"\n"
s_thv:		.asciz	"virt: I am running on thv\n"
s_other:	.asciz	"virt: a hypervisor, but not thv\n"
s_bare:		.asciz	"virt: bare metal: CPUID.1:ECX[31] is clear\n"
thv_sig:	.ascii	"thvthvthv\0\0\0"
sig:		.fill	13, 1, 0	/* 12 bytes and a NUL for puts */

#include "lib16.S"
