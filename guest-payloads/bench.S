/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench.S - the guest of `make bench` (user/tools/bench.c).
 *
 * Concept: what does a VM exit cost?  Every loop below repeats one
 * instruction that leaves non-root mode (or, for the compute loop, none
 * at all), so the host can time N of them and divide.  The same bytes
 * run on thv and on KVM, in the same test VM, so the two hypervisors are
 * compared on exactly the same guest work.
 *
 * Protocol (user/tools/bench.h): OUT to BENCH_PORT_READY, then read the
 * command the host left in the mailbox, run it, and start again.
 *
 * Run by:   thv-bench (not by `thv run`: there is no UART output)
 * Entry:    flat 32-bit protected mode at BENCH_LOAD_ADDR, paging off
 */
#include "tools/bench.h"

	.code32
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	mov	esp, BENCH_STACK
ready:
	mov	dx, BENCH_PORT_READY
	out	dx, al				/* exit: the host fills the mailbox */
	mov	eax, dword ptr [BENCH_MBOX_CMD]
	mov	esi, dword ptr [BENCH_MBOX_COUNT]
	mov	edi, dword ptr [BENCH_MBOX_ARG]
	test	esi, esi
	jz	ready
	cmp	eax, BENCH_CMD_CPUID
	je	loop_cpuid
	cmp	eax, BENCH_CMD_HYPERCALL
	je	loop_hypercall
	cmp	eax, BENCH_CMD_IO
	je	loop_io
	cmp	eax, BENCH_CMD_MMIO
	je	loop_mmio
	cmp	eax, BENCH_CMD_COMPUTE
	je	loop_compute
	jmp	ready				/* NOP or unknown: nothing */

/*
 * CPUID is intercepted on both vendors (SVM: an intercept bit the
 * hypervisor sets, APM Vol. 2 15.9; VMX: always, SDM Vol. 3C 26.1.2) and
 * answered inside the kernel: the shortest full world switch there is.
 */
loop_cpuid:
	xor	eax, eax
	cpuid
	dec	esi
	jnz	loop_cpuid
	jmp	ready

/*
 * A hypercall with KVM's register convention (RAX = number, RBX, RCX,
 * RDX = arguments).  Number 12 with a page-aligned GPA and one page is
 * KVM_HC_MAP_GPA_RANGE, which KVM sends to userspace when asked to
 * (KVM_CAP_EXIT_HYPERCALL); thv sends every hypercall to userspace.  So
 * both make the same trip: guest -> kernel -> VMM -> kernel -> guest.
 * The instruction is the vendor's own (the other one #UDs first).
 */
loop_hypercall:
	cmp	edi, BENCH_HC_VMCALL
	je	loop_vmcall
1:	mov	eax, BENCH_HC_NR
	mov	ebx, BENCH_HC_GPA
	mov	ecx, 1
	xor	edx, edx
	vmmcall					/* AMD: APM Vol. 3, VMMCALL */
	dec	esi
	jnz	1b
	jmp	ready
loop_vmcall:
	mov	eax, BENCH_HC_NR
	mov	ebx, BENCH_HC_GPA
	mov	ecx, 1
	xor	edx, edx
	vmcall					/* Intel: SDM Vol. 2B, VMCALL */
	dec	esi
	jnz	loop_vmcall
	jmp	ready

/* An OUT the VMM in userspace emulates: RUN returns for every one. */
loop_io:
	mov	dx, BENCH_PORT_IO
1:	out	dx, al
	dec	esi
	jnz	1b
	jmp	ready

/*
 * A load from guest-physical memory no slot backs: a nested page fault
 * (EPT violation), decoded in the kernel, the value asked of userspace.
 */
loop_mmio:
	mov	eax, dword ptr [BENCH_MMIO_GPA]
	dec	esi
	jnz	loop_mmio
	jmp	ready

/*
 * No exits at all: six instructions an iteration, one load every 64
 * bytes of a 256 KiB buffer (64 pages), so every load goes through the
 * guest-physical to host-physical translation of EPT/NPT.
 */
loop_compute:
	xor	eax, eax
	xor	edi, edi
1:	add	eax, dword ptr [BENCH_BUF + edi]
	imul	eax, eax, 31
	add	edi, 64
	and	edi, BENCH_BUF_MASK
	dec	esi
	jnz	1b
	jmp	ready
