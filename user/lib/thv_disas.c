// SPDX-License-Identifier: GPL-2.0
/*
 * thv_disas.c - which mode the guest's CPU is in, and its instructions
 * as text (capstone).
 *
 * The same bytes mean different instructions in different modes: 0x48
 * is "dec eax" in 32-bit code and a REX.W prefix in 64-bit code.  So
 * before we can show "the instruction at RIP" we must know how the CPU
 * decodes now, which three things decide (SDM Vol. 3A 2.2 "Modes of
 * Operation", Vol. 1 3.1; APM Vol. 2 1.2 and Table 1-1):
 *
 *   CR0.PE = 0                      real mode, 16-bit
 *   RFLAGS.VM = 1                   virtual-8086 mode, 16-bit
 *   EFER.LMA = 1 and CS.L = 1       64-bit mode
 *   EFER.LMA = 1 and CS.L = 0       compatibility mode, 16/32 by CS.D
 *   otherwise                       protected mode, 16/32 by CS.D
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <capstone/capstone.h>

#include "thv_lib.h"

#define CR0_PE		(1ULL << 0)
#define EFER_LMA	(1ULL << 10)
#define RFLAGS_VM	(1ULL << 17)

enum thv_cpu_mode thv_cpu_mode(const struct thv_sregs *sregs,
			       uint64_t rflags)
{
	if (!(sregs->cr0 & CR0_PE))
		return THV_MODE_REAL;
	if (sregs->efer & EFER_LMA) {
		if (sregs->cs.l)
			return THV_MODE_LONG64;
		return sregs->cs.db ? THV_MODE_COMPAT32 : THV_MODE_COMPAT16;
	}
	if (rflags & RFLAGS_VM)
		return THV_MODE_VM86;
	return sregs->cs.db ? THV_MODE_PROT32 : THV_MODE_PROT16;
}

const char *thv_cpu_mode_name(enum thv_cpu_mode mode)
{
	static const char * const names[] = {
		[THV_MODE_REAL]		= "real",
		[THV_MODE_VM86]		= "vm86",
		[THV_MODE_PROT16]	= "prot16",
		[THV_MODE_PROT32]	= "prot32",
		[THV_MODE_COMPAT16]	= "compat16",
		[THV_MODE_COMPAT32]	= "compat32",
		[THV_MODE_LONG64]	= "long64",
	};

	if ((unsigned int)mode >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[mode];
}

unsigned int thv_cpu_mode_bits(enum thv_cpu_mode mode)
{
	switch (mode) {
	case THV_MODE_LONG64:
		return 64;
	case THV_MODE_PROT32:
	case THV_MODE_COMPAT32:
		return 32;
	default:
		return 16;
	}
}

uint64_t thv_code_linear(const struct thv_sregs *sregs, uint64_t rflags,
			 uint64_t rip)
{
	enum thv_cpu_mode m = thv_cpu_mode(sregs, rflags);

	/* In 64-bit mode the CS base is treated as 0 (SDM Vol. 3A 3.4.4). */
	if (m == THV_MODE_LONG64)
		return rip;
	/* Elsewhere the linear address wraps at 4 GiB. */
	return (sregs->cs.base + rip) & 0xffffffffULL;
}

/*
 * One capstone handle per mode, opened on first use and kept: opening
 * one costs more than disassembling an instruction, and --trace
 * disassembles at every exit.
 */
static csh disas_handle(unsigned int bits)
{
	static csh handles[3];
	static int opened[3];
	int i = bits == 64 ? 2 : bits == 32 ? 1 : 0;

	if (!opened[i]) {
		if (cs_open(CS_ARCH_X86, bits == 64 ? CS_MODE_64 :
			    bits == 32 ? CS_MODE_32 : CS_MODE_16,
			    &handles[i]) != CS_ERR_OK)
			return 0;
		opened[i] = 1;
	}
	return handles[i];
}

int thv_disas(const void *code, size_t len, uint64_t addr,
	      unsigned int bits, char *out, size_t out_len)
{
	csh cs = disas_handle(bits);
	cs_insn *insn = NULL;
	int n;

	if (cs && len)
		n = cs_disasm(cs, code, len, addr, 1, &insn);
	else
		n = 0;
	if (n < 1) {
		snprintf(out, out_len, "(bad)");
		return -EINVAL;
	}
	if (insn->op_str[0])
		snprintf(out, out_len, "%s %s", insn->mnemonic, insn->op_str);
	else
		snprintf(out, out_len, "%s", insn->mnemonic);
	n = insn->size;
	cs_free(insn, 1);
	return n;
}
