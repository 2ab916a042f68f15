// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - `thv run --trace`: one line per exit, on stderr.
 *
 *   thv: #2 IO: OUT port 0x3f8, 1 byte, value 0x48 (UART THR 'H');
 *        rip 0x1031 real: out dx, al; sent to user space
 *
 * (one line; wrapped here).  The parts:
 *   #2          the exit's sequence number in this run
 *   IO          why the guest stopped (THV_EXIT_*, or for an exit thv.ko
 *               handled by itself the exit kind THV_KIND_*)
 *   OUT ...     what the exit was about, decoded
 *   rip ...     where the guest was, in which CPU mode, and the
 *               instruction there (read through the guest's page tables
 *               and disassembled: user/lib/thv_paging.c, thv_disas.c)
 *   sent to...  who handled it: "handled in the kernel" (thv.ko did it
 *               and only told us, THV_DEBUG_EXIT_ALL) or "sent to user
 *               space" (this runner did the work)
 *
 * Colour: on when stderr is a terminal and NO_COLOR (no-color.org) is
 * not set, or with --color=always; never with --color=never.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thv.h"

#define COL_RESET	"\033[0m"
#define COL_USER	"\033[1;36m"	/* bold cyan: sent to user space */
#define COL_KERNEL	"\033[35m"	/* magenta: handled in the kernel */
#define COL_INSN	"\033[32m"	/* green: the instruction */
#define COL_DIM		"\033[2m"

static bool trace__want_color(enum thv_color c, int fd)
{
	const char *no = getenv("NO_COLOR");

	if (c == THV_COLOR_ALWAYS)
		return true;
	if (c == THV_COLOR_NEVER || (no && *no))
		return false;
	return isatty(fd);
}

const char *trace__color(bool on, const char *code)
{
	return on ? code : "";
}

int trace__set_debug(struct thv_runner *r, uint32_t flags)
{
	int ret;

	if (flags == r->debug_flags)
		return 0;
	ret = thv_set_guest_debug(&r->vm, flags);
	if (!ret)
		r->debug_flags = flags;
	return ret;
}

void trace__init(struct thv_runner *r)
{
	struct thv_caps caps;

	r->color_err = trace__want_color(r->opt.color, STDERR_FILENO);
	r->color_out = trace__want_color(r->opt.color, STDOUT_FILENO);
	if (!thv_get_caps(r->vm.sys_fd, &caps))
		r->backend = caps.backend;
	if (!r->opt.trace && !r->opt.step && !r->opt.svg_path)
		return;
	/*
	 * Ask thv.ko to report the exits it handles by itself (CPUID,
	 * nested page faults on RAM, host interrupts).  A thv.ko without
	 * THV_SET_GUEST_DEBUG says ENOTTY: then the trace shows only the
	 * exits that come to user space anyway, as it always did.
	 */
	r->debug_ok = !trace__set_debug(r, THV_DEBUG_EXIT_ALL);
}

void trace__insn_at(struct thv_runner *r, uint64_t rip, char *buf,
		    size_t len)
{
	struct thv_sregs sregs;
	struct thv_regs regs;
	enum thv_cpu_mode mode;
	uint8_t code[THV_RUN_INSN_MAX];
	char err[128], text[96];
	uint64_t la;
	size_t n = sizeof(code);
	int ret;

	if (thv_get_sregs(&r->vm, &sregs) || thv_get_regs(&r->vm, &regs)) {
		snprintf(buf, len, "?: (no registers)");
		return;
	}
	mode = thv_cpu_mode(&sregs, regs.rflags);
	la = thv_code_linear(&sregs, regs.rflags, rip);
	ret = thv_read_linear(&sregs, la, code, n, thv_vm_read_phys, &r->vm,
			      err, sizeof(err));
	if (ret && (la & 0xfff) + n > 4096) {
		/* The next page may be unmapped: try up to the page end. */
		n = 4096 - (la & 0xfff);
		ret = thv_read_linear(&sregs, la, code, n, thv_vm_read_phys,
				      &r->vm, err, sizeof(err));
	}
	if (ret) {
		snprintf(buf, len, "%s: (cannot read: %s)",
			 thv_cpu_mode_name(mode), err);
		return;
	}
	thv_disas(code, n, rip, thv_cpu_mode_bits(mode), text, sizeof(text));
	snprintf(buf, len, "%s: %s%s%s", thv_cpu_mode_name(mode),
		 trace__color(r->color_err, COL_INSN), text,
		 trace__color(r->color_err, COL_RESET));
}

void trace__exit(struct thv_runner *r, const char *name, const char *detail)
{
	struct thv_run *run = r->vm.run;
	bool kernel = run->exit_reason == THV_EXIT_KERNEL;
	uint64_t rip = run->exit_rip;
	struct thv_regs regs;
	char insn[256];

	if (r->opt.svg_path && run->exit_reason != THV_EXIT_INTR)
		svg__record(r->exits, name, !kernel);
	if (!r->opt.trace && !r->opt.step)
		return;
	/* After a single step RIP is the next instruction: show that one. */
	if (run->exit_reason == THV_EXIT_DEBUG && !thv_get_regs(&r->vm, &regs))
		rip = regs.rip;
	trace__insn_at(r, rip, insn, sizeof(insn));
	snprintf(r->exit_line, sizeof(r->exit_line),
		 "thv: %s#%" PRIu64 "%s %s%s%s%s%s; rip 0x%" PRIx64
		 " %s; %s", trace__color(r->color_err, COL_DIM), r->exits,
		 trace__color(r->color_err, COL_RESET),
		 trace__color(r->color_err, kernel ? COL_KERNEL : COL_USER),
		 name, trace__color(r->color_err, COL_RESET),
		 detail[0] ? ": " : "", detail, rip, insn,
		 kernel ? "handled in the kernel" : "sent to user space");
	if (!r->opt.trace)
		return;
	/*
	 * No fflush(stdout) here: stdout is line buffered while tracing, so
	 * the guest's text comes out in whole lines between trace lines
	 * instead of one character glued to the front of each.  Bytes the
	 * guest's partial line already has on the screen (after a stop of
	 * the stepper) get their row ended first: console.c.
	 */
	console__fresh_line();
	fprintf(stderr, "%s\n", r->exit_line);
}
