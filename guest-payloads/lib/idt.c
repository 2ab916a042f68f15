// SPDX-License-Identifier: GPL-2.0
/*
 * idt.c - exceptions: the interrupt descriptor table and the C side of
 * the stubs in isr64.S / isr32.S.
 *
 * On an exception the CPU looks up the vector's gate in the IDT (IDTR
 * says where the table is), loads CS:RIP from the gate and pushes the
 * interrupted RIP, CS, RFLAGS (in long mode also RSP and SS), and for some
 * vectors an error code (SDM Vol. 3A 6.12, APM Vol. 2 8.9).  Each gate
 * here points at a small stub that makes the frame uniform and calls
 * ex_dispatch() with a struct ex_regs (guest.h).
 *
 * The runner enters with no IDT (IDTR limit 0): without this, any
 * exception is a triple fault.
 */
#include "guest.h"

/* isr64.S / isr32.S: 256 stubs, one every ISR_STUB_SIZE bytes. */
#define ISR_STUB_SIZE		16
extern const char isr_stubs[];

void ex_dispatch(struct ex_regs *regs);

/*
 * A gate: where the handler is (selector:offset) and what kind of gate.
 * Type 0xe is an interrupt gate (clears IF on entry; a trap gate would
 * not); P = 1, DPL = 0.  In long mode the same type means a 64-bit gate,
 * 16 bytes with the upper half of the offset (APM Vol. 2 4.8.4).
 */
#define GATE_INTERRUPT		0x8e

#ifdef __x86_64__
struct idt_gate {
	uint16_t offset_0_15;
	uint16_t selector;
	uint8_t ist;		/* 0: no stack switch */
	uint8_t type_attr;
	uint16_t offset_16_31;
	uint32_t offset_32_63;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit gates are 16 bytes");
_Static_assert(sizeof(struct ex_regs) == 22 * 8, "isr64.S frame");
_Static_assert(offsetof(struct ex_regs, vector) == 15 * 8, "isr64.S frame");
#else
struct idt_gate {
	uint16_t offset_0_15;
	uint16_t selector;
	uint8_t zero;
	uint8_t type_attr;
	uint16_t offset_16_31;
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 8, "32-bit gates are 8 bytes");
_Static_assert(sizeof(struct ex_regs) == 13 * 4, "isr32.S frame");
_Static_assert(offsetof(struct ex_regs, vector) == 8 * 4, "isr32.S frame");
#endif

/* What LIDT reads: the limit (size - 1), then the linear base address. */
struct idt_ptr {
	uint16_t limit;
	unsigned long base;
} __attribute__((packed));

static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));
static ex_handler_t handlers[IDT_VECTORS];

void idt_init(void)
{
	uint16_t cs = read_cs();	/* the runtime's GDT code segment */
	struct idt_ptr ptr;

	for (unsigned int v = 0; v < IDT_VECTORS; v++) {
		uintptr_t addr = (uintptr_t)isr_stubs + v * ISR_STUB_SIZE;
		struct idt_gate *g = &idt[v];

		g->offset_0_15 = addr & 0xffff;
		g->selector = cs;
		g->type_attr = GATE_INTERRUPT;
		g->offset_16_31 = (addr >> 16) & 0xffff;
#ifdef __x86_64__
		g->ist = 0;
		g->offset_32_63 = (uint64_t)addr >> 32;
		g->reserved = 0;
#else
		g->zero = 0;
#endif
	}

	ptr.limit = sizeof(idt) - 1;
	ptr.base = (unsigned long)idt;
	asm volatile("lidt %0" : : "m"(ptr) : "memory");
}

void idt_set_handler(unsigned int vector, ex_handler_t handler)
{
	if (vector >= IDT_VECTORS)
		GUEST_FAIL("idt_set_handler: vector %u out of range", vector);
	handlers[vector] = handler;
}

const char *ex_name(unsigned int vector)
{
	static const char *const names[32] = {
		[VEC_DE] = "#DE", [VEC_DB] = "#DB", [VEC_NMI] = "NMI",
		[VEC_BP] = "#BP", [VEC_OF] = "#OF", [VEC_BR] = "#BR",
		[VEC_UD] = "#UD", [VEC_NM] = "#NM", [VEC_DF] = "#DF",
		[VEC_TS] = "#TS", [VEC_NP] = "#NP", [VEC_SS] = "#SS",
		[VEC_GP] = "#GP", [VEC_PF] = "#PF", [VEC_MF] = "#MF",
		[VEC_AC] = "#AC", [VEC_MC] = "#MC", [VEC_XM] = "#XM",
		[VEC_VE] = "#VE", [VEC_CP] = "#CP", [28] = "#HV",
		[29] = "#VC", [30] = "#SX",
	};

	if (vector < 32)
		return names[vector] ? names[vector] : "reserved";
	return "interrupt";
}

/* Called by the stubs, on the interrupted stack, with IF = 0. */
void ex_dispatch(struct ex_regs *regs)
{
	unsigned int v = regs->vector;

	if (v < IDT_VECTORS && handlers[v]) {
		handlers[v](regs);
		return;
	}
	if (v == VEC_PF)
		GUEST_FAIL("unexpected exception %u (%s) at rip 0x%lx error 0x%lx cr2 0x%lx",
			   v, ex_name(v), regs->rip, regs->error_code,
			   read_cr2());
	GUEST_FAIL("unexpected exception %u (%s) at rip 0x%lx error 0x%lx",
		   v, ex_name(v), regs->rip, regs->error_code);
}
