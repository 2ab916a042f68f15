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
 * Paging is on while the loops run, as in any OS kernel: PAE paging
 * with 2 MiB global pages (CR4.PAE, PSE, PGE; CR0.PG, WP), so every
 * guest access goes through the guest's page tables and then the
 * hypervisor's nested ones.  This is also what a 64-bit Linux host has
 * in those bits, which matters under QEMU's TCG: each world switch that
 * changes CR0.PG/WP or CR4.PAE/PSE/PGE costs the emulator another flush
 * of its whole software TLB (docs/performance.md, "The emulator's share").
 *
 * Run by:   thv-bench (not by `thv run`: there is no UART output)
 * Entry:    flat 32-bit protected mode at BENCH_LOAD_ADDR, paging off
 */
#include "tools/bench.h"

/* Control register bits (SDM Vol. 3A 2.5) and PAE entries (4.4.2). */
#define CR0_WP		(1 << 16)	/* write protect, in ring 0 too */
#define CR0_PG		(1 << 31)	/* paging */
#define CR4_PSE		(1 << 4)	/* large pages */
#define CR4_PAE		(1 << 5)	/* 64-bit entries, 2 MiB pages */
#define CR4_PGE		(1 << 7)	/* global pages */
#define PDPTE_P		(1 << 0)	/* a PAE PDPTE has no R/W or U/S */
#define PDE_2M		((1 << 0) | (1 << 1) | (1 << 7) | (1 << 8))
					/* present, writable, 2 MiB, global */

	.code32
	.intel_syntax noprefix
	.text
	.globl	_start
_start:
	mov	esp, BENCH_STACK
	/*
	 * Four page directories of 512 2 MiB pages: guest-linear equals
	 * guest-physical for the low 4 GiB, BENCH_MMIO_GPA included.
	 */
	mov	edi, BENCH_PD
	mov	eax, PDE_2M
	mov	ecx, 4 * 512
	mov	edx, 0x200000
	call	fill_entries
	/* The PDPT: four entries, one per GiB, each to its directory. */
	mov	edi, BENCH_PDPT
	mov	eax, BENCH_PD + PDPTE_P
	mov	ecx, 4
	mov	edx, 0x1000
	call	fill_entries
	/* PAE first, then CR3, then PG (SDM Vol. 3A 10.9.1). */
	mov	eax, cr4
	or	eax, CR4_PSE | CR4_PAE | CR4_PGE
	mov	cr4, eax
	mov	eax, BENCH_PDPT
	mov	cr3, eax
	mov	eax, cr0
	or	eax, CR0_PG | CR0_WP
	mov	cr0, eax
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
 * ECX 8-byte table entries from EDI on: EAX, EAX + EDX, EAX + 2 * EDX...
 * (the high halves 0: every address here is below 4 GiB).
 */
fill_entries:
	mov	dword ptr [edi], eax
	mov	dword ptr [edi + 4], 0
	add	eax, edx
	add	edi, 8
	dec	ecx
	jnz	fill_entries
	ret

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
 * guest's page tables and the guest-physical to host-physical
 * translation of EPT/NPT.
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
