// SPDX-License-Identifier: GPL-2.0
/*
 * hlt_masked_c.c - HLT with IF = 1 while the only timer's line is masked.
 *
 * Concept: `thv run` ends a run at HLT only when no interrupt could ever
 * wake the guest.  Here the PIT runs at 100 Hz but IRQ0 is masked in the
 * PIC: the ticks pile up in the IRR and none is delivered, yet the guest
 * could unmask it (on real hardware an NMI or SMI could come too).  So
 * the runner keeps waiting, without spinning, until --timeout.
 *
 * Run:      thv run --timeout 2 hlt_masked64.elf
 * Prints:   "hlt_masked: IRQ0 masked, sti; hlt\n"
 * Status:   124 (--timeout); never DONE.
 */
#include "guest.h"
#include "pc.h"

int main(void)
{
	pic_init(0x20, 0x28);
	outb(PIC1_DATA, 0xff);		/* IRQ0 masked */
	pit_periodic(100);
	guest_printf("hlt_masked: IRQ0 masked, sti; hlt\n");
	for (;;)
		sti_hlt();
	return 0;
}
