/* SPDX-License-Identifier: GPL-2.0 */
/*
 * multiboot_aout.S - multiboot.S as a flat binary with the "a.out kludge".
 *
 * Concept: a kernel that is not ELF can still be booted, if its Multiboot
 * header sets flag bit 16 and gives the addresses itself (Multiboot
 * 0.6.96 section 3.1.3): header_addr (where the header lands),
 * load_addr (where file byte "header offset - (header_addr - load_addr)"
 * lands), load_end_addr (end of what is copied from the file),
 * bss_end_addr (end of the zeroed memory after it) and entry_addr.
 * Linked at 1 MiB and turned into a raw image by objcopy: byte 0 is the
 * header, so header_addr = load_addr = 1 MiB.  The stack is its "bss".
 *
 * Run:      thv run --memory 4M multiboot_aout.bin
 * Prints:   the lines of multiboot.S, the first one being
 *           "multiboot: hello from an a.out kludge kernel\n"
 * Status:   0; 1 on a wrong EAX or missing memory info.
 */
#define MB_AOUT 1
#include "multiboot.S"
