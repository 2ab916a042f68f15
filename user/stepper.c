// SPDX-License-Identifier: GPL-2.0
/*
 * stepper.c - `thv run --step`: stop at VM exits and look around.
 *
 * Every VM exit is a moment where the CPU has left the guest (VMX
 * non-root mode, SVM guest mode) and the hypervisor runs (root mode,
 * host mode).  The stepper stops the run at those moments, after the
 * runner has handled the exit and before the next THV_RUN re-enters the
 * guest, and lets you look: the exit, the registers, guest memory, the
 * code at RIP, the raw VMCS/VMCB, and an explanation of what the
 * hardware did (explain.c).  `step` runs one guest instruction at a
 * time (THV_DEBUG_SINGLESTEP: the monitor trap flag on VMX, RFLAGS.TF
 * and a #DB intercept on SVM and on a VMX CPU without MTF).
 *
 * At a stop the registers are the guest's as they are now: RIP still
 * points AT the exiting instruction (thv.ko finishes it on the next RUN,
 * the "completion rule" of include/uapi/thv.h), unless thv.ko handled
 * the exit itself (a KERNEL exit: RIP has already moved on).
 *
 * Input: libedit (line editing, history) when stdin is a terminal,
 * plain lines otherwise, so that tests can pipe commands in.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <histedit.h>
#include <curses.h>
#include <term.h>

#include "thv.h"

#define PROMPT		"(thv) "
#define LINE_MAX_LEN	256
#define X_DEFAULT_LEN	64
#define X_MAX_LEN	4096
#define DISAS_DEFAULT	5
#define DISAS_MAX	100

#define COL_CHANGED	"\033[1;33m"	/* bold yellow: changed since last stop */
#define COL_RESET	"\033[0m"

/* How the guest goes on when the REPL returns. */
enum stepper_go {
	GO_CONTINUE,	/* to the next exit the break filter matches */
	GO_NEXT,	/* to the next exit, whatever it is */
	GO_STEP,	/* one guest instruction (THV_DEBUG_SINGLESTEP) */
};

static struct {
	uint64_t mask;		/* the break filter, bits of stop_names[] */
	enum stepper_go go;
	bool tty;		/* stdin is a terminal: libedit */
	EditLine *el;
	History *hist;
	FILE *el_err;		/* libedit's error stream, if not stderr */
	char last[LINE_MAX_LEN];	/* what an empty line repeats */
	/* registers at this stop and at the last one */
	struct thv_regs regs, prev_regs;
	struct thv_sregs sregs, prev_sregs;
	bool have_regs, have_prev;
} st;

/*
 * The names --break and `break` know: every exit reason (THV_EXIT_*) and
 * every exit kind (THV_KIND_*), lower case, each once ("io" is both).
 * An exit's stop name is its exit reason, or its kind for a KERNEL exit.
 */
#define STOP_NAMES_MAX	64
static char stop_names[STOP_NAMES_MAX][24];
static unsigned int nr_stop_names;

static void stepper__add_name(const char *name)
{
	char low[24];
	unsigned int i;

	for (i = 0; name[i] && i + 1 < sizeof(low); i++)
		low[i] = tolower((unsigned char)name[i]);
	low[i] = '\0';
	if (!strcmp(low, "unknown") || !strcmp(low, "none") ||
	    !strcmp(low, "kernel"))
		return;
	for (i = 0; i < nr_stop_names; i++)
		if (!strcmp(stop_names[i], low))
			return;
	if (nr_stop_names < STOP_NAMES_MAX)
		strcpy(stop_names[nr_stop_names++], low);
}

static void stepper__names_init(void)
{
	uint32_t i;

	if (nr_stop_names)
		return;
	for (i = 0; i < THV_EXIT_MAX; i++)
		stepper__add_name(thv_exit_name(i));
	for (i = 0; i < THV_KIND_NR; i++)
		stepper__add_name(thv_kind_name(i));
}

static int stepper__name_index(const char *name)
{
	char low[24];
	unsigned int i;

	for (i = 0; name[i] && i + 1 < sizeof(low); i++)
		low[i] = tolower((unsigned char)name[i]);
	low[i] = '\0';
	for (i = 0; i < nr_stop_names; i++)
		if (!strcmp(stop_names[i], low))
			return i;
	return -1;
}

int stepper__parse_break(const char *s, uint64_t *mask, char *err,
			 size_t err_len)
{
	char buf[LINE_MAX_LEN], *tok, *save;
	uint64_t m = 0;
	size_t off;
	unsigned int i;
	int idx;

	stepper__names_init();
	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf)) {
		snprintf(err, err_len, "too long");
		return -1;
	}
	for (tok = strtok_r(buf, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save)) {
		if (!strcmp(tok, "all")) {
			m = ~0ULL;
			continue;
		}
		if (!strcmp(tok, "none"))
			continue;
		idx = stepper__name_index(tok);
		if (idx < 0) {
			off = snprintf(err, err_len, "unknown exit kind '%s' "
				       "(known: all, none", tok);
			for (i = 0; i < nr_stop_names && off < err_len; i++)
				off += snprintf(err + off, err_len - off,
						", %s", stop_names[i]);
			if (off < err_len)
				snprintf(err + off, err_len - off, ")");
			return -1;
		}
		m |= 1ULL << idx;
	}
	*mask = m;
	return 0;
}

static bool stepper__matches(struct thv_runner *r)
{
	int idx = stepper__name_index(thv_run_exit_name(r->vm.run));

	return idx >= 0 && (st.mask & (1ULL << idx));
}

static void stepper__show_break(void)
{
	unsigned int i, n = 0;

	if (st.mask == ~0ULL) {
		printf("break: all (every exit stops `continue`)\n");
		return;
	}
	printf("break:");
	for (i = 0; i < nr_stop_names; i++)
		if (st.mask & (1ULL << i))
			printf("%s %s", n++ ? "," : "", stop_names[i]);
	printf("%s\n", n ? "" : " none (`continue` runs to the end)");
}

static char *stepper__prompt(EditLine *el)
{
	(void)el;
	return PROMPT;
}

int stepper__init(struct thv_runner *r)
{
	HistEvent ev;
	int err;

	stepper__names_init();
	st.mask = r->opt.break_kinds ? r->opt.break_mask : ~0ULL;
	st.go = GO_CONTINUE;
	st.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!r->debug_ok)
		fprintf(stderr, "thv: note: this thv.ko has no "
			"THV_SET_GUEST_DEBUG: exits it handles itself do not "
			"stop, `step` cannot work\n");
	if (!st.tty)
		return 0;
	/*
	 * Without a terminfo entry for $TERM (the test VM's initramfs has
	 * none) libedit falls back to a dumb terminal, which works, but
	 * says so on its error stream: give it /dev/null then.
	 */
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		st.el_err = fopen("/dev/null", "w");
	st.el = el_init("thv", stdin, stdout, st.el_err ? st.el_err : stderr);
	st.hist = history_init();
	if (!st.el || !st.hist) {
		thv_err("--step: cannot set up line editing (libedit)");
		return THV_STATUS_OSERR;
	}
	history(st.hist, &ev, H_SETSIZE, 500);
	el_set(st.el, EL_HIST, history, st.hist);
	el_set(st.el, EL_PROMPT, stepper__prompt);
	el_set(st.el, EL_EDITOR, "emacs");
	return 0;
}

void stepper__exit(struct thv_runner *r)
{
	(void)r;
	if (st.el)
		el_end(st.el);
	if (st.hist)
		history_end(st.hist);
	if (st.el_err)
		fclose(st.el_err);
	st.el = NULL;
	st.hist = NULL;
	st.el_err = NULL;
}

void stepper__before_run(struct thv_runner *r)
{
	uint32_t flags = r->debug_flags & ~THV_DEBUG_SINGLESTEP;

	if (st.go == GO_STEP)
		flags |= THV_DEBUG_SINGLESTEP;
	if (trace__set_debug(r, flags) && st.go == GO_STEP)
		st.go = GO_NEXT;	/* cannot happen: `step` checked it */
}

/* ---- commands -------------------------------------------------------- */

static void stepper__help(void)
{
	printf("commands (the first letter works too; an empty line repeats "
	       "the last one):\n"
	       "  next|n          run to the next exit, whatever it is\n"
	       "  continue|c      run to the next exit the break filter "
	       "matches, or to the end\n"
	       "  step|s          run one guest instruction, show RIP and "
	       "the next one\n"
	       "  regs|r          the registers; * (or colour): changed since "
	       "the last stop\n"
	       "  x ADDR [LEN]    hex dump of guest memory at a linear "
	       "address (through the\n"
	       "                  guest's page tables); x/p ADDR [LEN]: "
	       "guest-physical.\n"
	       "                  ADDR may be a register: x rsp 32\n"
	       "  disas|d [N]     disassemble N instructions at RIP "
	       "(default %d)\n"
	       "  vmcs|vmcb|v     the raw VMCS/VMCB fields of this vCPU\n"
	       "  explain|e       what the hardware did at this exit, and "
	       "where the manual says so\n"
	       "  break|b [KINDS] show or set the filter of `continue`: "
	       "b all, b none, b io,cpuid\n"
	       "  help|h          this list\n"
	       "  quit|q          end the run (Ctrl-D too)\n", DISAS_DEFAULT);
}

/* The general-purpose registers, in struct thv_regs order. */
static const struct {
	const char *name;
	size_t off;
} gprs[] = {
#define GPR(n) { #n, offsetof(struct thv_regs, n) }
	GPR(rax), GPR(rbx), GPR(rcx), GPR(rdx),
	GPR(rsi), GPR(rdi), GPR(rsp), GPR(rbp),
	GPR(r8), GPR(r9), GPR(r10), GPR(r11),
	GPR(r12), GPR(r13), GPR(r14), GPR(r15),
	GPR(rip), GPR(rflags),
#undef GPR
};

static uint64_t reg_at(const struct thv_regs *regs, size_t off)
{
	return *(const uint64_t *)((const char *)regs + off);
}

/* Print "name value" with the value marked if it changed. */
static void stepper__reg(struct thv_runner *r, const char *name, uint64_t v,
			 bool changed)
{
	printf("%-6s %s0x%016" PRIx64 "%s%c ", name,
	       changed ? trace__color(r->color_out, COL_CHANGED) : "", v,
	       changed ? trace__color(r->color_out, COL_RESET) : "",
	       changed && !r->color_out ? '*' : ' ');
}

/* RFLAGS bits by name (SDM Vol. 1 3.4.3, Figure 3-8). */
static void stepper__rflags(uint64_t f)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} flags[] = {
		{ 0, "CF" }, { 2, "PF" }, { 4, "AF" }, { 6, "ZF" },
		{ 7, "SF" }, { 8, "TF" }, { 9, "IF" }, { 10, "DF" },
		{ 11, "OF" }, { 14, "NT" }, { 16, "RF" }, { 17, "VM" },
		{ 18, "AC" },
	};
	unsigned int i;

	printf("[");
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (f & (1ULL << flags[i].bit))
			printf(" %s", flags[i].name);
	printf(" IOPL=%u ]", (unsigned int)(f >> 12) & 3);
}

static void stepper__segment(const char *name, const struct thv_segment *s)
{
	printf("%-3s 0x%04x base 0x%08" PRIx64 " limit 0x%08x %s\n", name,
	       s->selector, (uint64_t)s->base, s->limit,
	       s->unusable ? "unusable" : s->l ? "L=1 (64-bit code)" :
	       s->db ? "D/B=1 (32-bit)" : "D/B=0 (16-bit)");
}

static void stepper__regs(struct thv_runner *r)
{
	const struct thv_regs *p = &st.prev_regs;
	const struct thv_sregs *sp = &st.prev_sregs, *s = &st.sregs;
	unsigned int i;
	uint64_t v;

	if (!st.have_regs) {
		thv_err("regs: cannot read the registers");
		return;
	}
	for (i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++) {
		v = reg_at(&st.regs, gprs[i].off);
		stepper__reg(r, gprs[i].name, v, st.have_prev &&
			     v != reg_at(p, gprs[i].off));
		if (i % 3 == 2 || i + 1 == sizeof(gprs) / sizeof(gprs[0]))
			printf("\n");
	}
	printf("flags  ");
	stepper__rflags(st.regs.rflags);
	printf("\n");
	stepper__reg(r, "cr0", s->cr0, st.have_prev && s->cr0 != sp->cr0);
	stepper__reg(r, "cr2", s->cr2, st.have_prev && s->cr2 != sp->cr2);
	stepper__reg(r, "cr3", s->cr3, st.have_prev && s->cr3 != sp->cr3);
	printf("\n");
	stepper__reg(r, "cr4", s->cr4, st.have_prev && s->cr4 != sp->cr4);
	stepper__reg(r, "efer", s->efer, st.have_prev && s->efer != sp->efer);
	printf("\n");
	stepper__segment("cs", &s->cs);
	stepper__segment("ds", &s->ds);
	stepper__segment("ss", &s->ss);
	printf("gdt base 0x%" PRIx64 " limit 0x%x, idt base 0x%" PRIx64
	       " limit 0x%x\n", (uint64_t)s->gdt.base, s->gdt.limit,
	       (uint64_t)s->idt.base, s->idt.limit);
	printf("mode %s, paging %s\n",
	       thv_cpu_mode_name(thv_cpu_mode(s, st.regs.rflags)),
	       thv_paging_mode_name(thv_paging_mode(s->cr0, s->cr4, s->efer)));
}

/* A number, or a register name ("rsp"): 0, or -1. */
static int stepper__value(const char *s, uint64_t *v)
{
	unsigned int i;
	char *end;

	for (i = 0; i < sizeof(gprs) / sizeof(gprs[0]); i++) {
		if (!strcmp(s, gprs[i].name)) {
			if (!st.have_regs)
				return -1;
			*v = reg_at(&st.regs, gprs[i].off);
			return 0;
		}
	}
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-' ? -1 : 0;
}

/* x ADDR [LEN], x/p ADDR [LEN] */
static void stepper__x(struct thv_runner *r, bool phys, char *a1, char *a2)
{
	uint8_t buf[X_MAX_LEN];
	uint64_t addr, len = X_DEFAULT_LEN, i, j;
	char err[160];
	int ret;

	if (!a1 || stepper__value(a1, &addr)) {
		thv_err("x: want an address: x ADDR [LEN] (x 0x1000 32, "
			"x rsp, x/p 0xb8000)");
		return;
	}
	if (a2 && (stepper__value(a2, &len) || !len || len > X_MAX_LEN)) {
		thv_err("x: LEN '%s': want 1..%d bytes", a2, X_MAX_LEN);
		return;
	}
	if (phys)
		ret = thv_vm_read_phys(&r->vm, addr, buf, len) ?
		      thv_errf(err, sizeof(err), -EFAULT, "gpa 0x%" PRIx64
			       " + %" PRIu64 " is outside guest RAM", addr,
			       len) : 0;
	else
		ret = thv_read_linear(&st.sregs, addr, buf, len,
				      thv_vm_read_phys, &r->vm, err,
				      sizeof(err));
	if (ret) {
		thv_err("x: %s", err);
		return;
	}
	for (i = 0; i < len; i += 16) {
		printf("%s0x%08" PRIx64 ": ", phys ? "p " : "", addr + i);
		for (j = i; j < i + 16; j++) {
			if (j < len)
				printf("%02x ", buf[j]);
			else
				printf("   ");
		}
		printf(" ");
		for (j = i; j < i + 16 && j < len; j++)
			putchar(isprint(buf[j]) ? buf[j] : '.');
		printf("\n");
	}
}

/* disas [N]: N instructions from RIP on. */
static void stepper__disas(struct thv_runner *r, char *a1)
{
	enum thv_cpu_mode mode;
	uint64_t n = DISAS_DEFAULT, rip, la, i;
	uint8_t code[THV_RUN_INSN_MAX];
	char err[160], text[96];
	unsigned int bits;
	int len, k;

	(void)r;
	if (a1 && (stepper__value(a1, &n) || !n || n > DISAS_MAX)) {
		thv_err("disas: N '%s': want 1..%d instructions", a1,
			DISAS_MAX);
		return;
	}
	if (!st.have_regs) {
		thv_err("disas: cannot read the registers");
		return;
	}
	mode = thv_cpu_mode(&st.sregs, st.regs.rflags);
	bits = thv_cpu_mode_bits(mode);
	rip = st.regs.rip;
	for (i = 0; i < n; i++) {
		size_t want = sizeof(code);

		la = thv_code_linear(&st.sregs, st.regs.rflags, rip);
		/* Near a page end, read only what is mapped. */
		while (want && thv_read_linear(&st.sregs, la, code, want,
					       thv_vm_read_phys, &r->vm, err,
					       sizeof(err)))
			want = want > 4096 - (la & 0xfff) ?
			       4096 - (la & 0xfff) : 0;
		if (!want) {
			thv_err("disas: rip 0x%" PRIx64 ": %s", rip, err);
			return;
		}
		len = thv_disas(code, want, rip, bits, text, sizeof(text));
		printf("%s 0x%08" PRIx64 ": ", i ? "  " : "=>", rip);
		for (k = 0; k < 8; k++) {
			if (len > 0 && k < len)
				printf("%02x", code[k]);
			else
				printf("  ");
		}
		printf("%s %s\n", len > 8 ? "+" : " ", text);
		if (len <= 0)
			return;
		rip += len;
	}
	printf("(%s mode)\n", thv_cpu_mode_name(mode));
}

/* vmcs / vmcb: THV_GET_HW_FIELDS, grouped by area. */
static void stepper__hw(struct thv_runner *r)
{
	static const char * const vmx_areas[] = {
		"VM-execution, VM-exit and VM-entry controls",
		"guest-state area", "host-state area",
		"VM-exit information fields",
	};
	static const char * const svm_areas[] = {
		"control area", "state save area", "(host: none)",
		"exit information (in the control area)",
	};
	struct thv_hw_fields *f;
	unsigned int area, i;
	bool vmx;
	int err;

	f = thv_get_hw_fields(&r->vm, &err);
	if (!f) {
		thv_err("vmcs: THV_GET_HW_FIELDS failed: %s%s", strerror(-err),
			err == -ENOTTY ? " (this thv.ko cannot show them)" :
			"");
		return;
	}
	vmx = f->backend == THV_BACKEND_VMX;
	printf("%s of vCPU 0 (%s), %u fields; %s\n", vmx ? "VMCS" : "VMCB",
	       vmx ? "Intel VMX" : "AMD SVM", f->nfields,
	       vmx ? "encodings: SDM Vol. 3D appendix B" :
	       "offsets: APM Vol. 2 appendix B");
	for (area = THV_HW_AREA_CONTROL; area <= THV_HW_AREA_EXIT; area++) {
		bool header = false;

		for (i = 0; i < f->nfields; i++) {
			struct thv_hw_field *h = &f->fields[i];
			unsigned int w = h->width <= 8 && h->width ? h->width : 8;

			if (h->area != area)
				continue;
			if (!header) {
				printf("%s:\n", vmx ? vmx_areas[area] :
				       svm_areas[area]);
				header = true;
			}
			h->name[THV_HW_NAME_LEN - 1] = '\0';
			printf("  %-36s %s0x%04x = 0x%0*" PRIx64 "\n", h->name,
			       vmx ? "" : "+", h->encoding, w * 2,
			       (uint64_t)h->value);
		}
	}
	free(f);
}

static bool stepper__is(const char *cmd, const char *full, const char *abbr)
{
	return !strcmp(cmd, full) || (abbr && !strcmp(cmd, abbr));
}

/* Run one command line; true when the guest should go on. */
static bool stepper__command(struct thv_runner *r, char *line)
{
	char *save, *cmd, *a1, *a2, err[512];
	uint64_t mask;

	cmd = strtok_r(line, " \t\n", &save);
	if (!cmd)
		return false;
	a1 = strtok_r(NULL, " \t\n", &save);
	a2 = strtok_r(NULL, " \t\n", &save);

	if (stepper__is(cmd, "next", "n")) {
		st.go = GO_NEXT;
		return true;
	}
	if (stepper__is(cmd, "continue", "c")) {
		st.go = GO_CONTINUE;
		return true;
	}
	if (stepper__is(cmd, "step", "s")) {
		int ret = trace__set_debug(r, r->debug_flags |
					   THV_DEBUG_SINGLESTEP);

		if (ret) {
			thv_err("step: THV_SET_GUEST_DEBUG: %s%s",
				strerror(-ret), ret == -ENOTTY ?
				" (this thv.ko cannot single-step)" : "");
			return false;
		}
		st.go = GO_STEP;
		return true;
	}
	if (stepper__is(cmd, "quit", "q")) {
		runner__finish(r, THV_STATUS_OK, "stopped by the user");
		return true;
	}
	if (stepper__is(cmd, "regs", "r"))
		stepper__regs(r);
	else if (stepper__is(cmd, "x", NULL))
		stepper__x(r, false, a1, a2);
	else if (stepper__is(cmd, "x/p", NULL))
		stepper__x(r, true, a1, a2);
	else if (stepper__is(cmd, "disas", "d"))
		stepper__disas(r, a1);
	else if (stepper__is(cmd, "vmcs", "vmcb") || !strcmp(cmd, "v"))
		stepper__hw(r);
	else if (stepper__is(cmd, "explain", "e"))
		explain__exit(stdout, r);
	else if (stepper__is(cmd, "break", "b") && !a1)
		stepper__show_break();
	else if (stepper__is(cmd, "break", "b")) {
		if (stepper__parse_break(a1, &mask, err, sizeof(err)))
			thv_err("break: %s", err);
		else {
			st.mask = mask;
			stepper__show_break();
		}
	} else if (stepper__is(cmd, "help", "h"))
		stepper__help();
	else
		thv_err("unknown command '%s' (help lists them)", cmd);
	return false;
}

/* One line from the user: 1, 0 at the end of input, -1 on a signal. */
static int stepper__read(char *buf, size_t len)
{
	const char *line;
	HistEvent ev;
	int count;

	if (st.el) {
		errno = 0;
		line = el_gets(st.el, &count);
		if (!line || count <= 0)
			return errno == EINTR ? -1 : 0;
		snprintf(buf, len, "%s", line);
		if (strspn(buf, " \t\n") != strlen(buf))
			history(st.hist, &ev, H_ENTER, buf);
		return 1;
	}
	fputs(PROMPT, stdout);
	fflush(stdout);
	if (!fgets(buf, len, stdin))
		return ferror(stdin) && errno == EINTR ? -1 : 0;
	/* A line longer than buf: drop the rest of it. */
	if (!strchr(buf, '\n') && !feof(stdin)) {
		int c;

		while ((c = getchar()) != EOF && c != '\n')
			;
	}
	return 1;
}

void stepper__after_exit(struct thv_runner *r)
{
	char line[LINE_MAX_LEN];
	int ret;

	if (st.go == GO_CONTINUE && !stepper__matches(r))
		return;
	/*
	 * `step` is about the guest's instructions.  A host interrupt that
	 * arrives while the guest runs one is not (the CPU left the guest
	 * for the host's sake: APM Vol. 2 15.21.1, SDM Vol. 3C 26.2), and
	 * the instruction has not run yet: keep stepping, do not stop.
	 */
	if (st.go == GO_STEP && r->vm.run->exit_reason == THV_EXIT_KERNEL &&
	    r->vm.run->kernel.kind == THV_KIND_HOST_INTR)
		return;
	st.have_regs = !thv_get_regs(&r->vm, &st.regs) &&
		       !thv_get_sregs(&r->vm, &st.sregs);
	/*
	 * Out with the guest's text so far, so that the screen shows what
	 * the guest did before this exit.  A partial line gets its row ended
	 * before the exit line (console.c); with --trace, trace.c printed
	 * the exit line already.
	 */
	fflush(stdout);
	if (!r->opt.trace) {
		console__fresh_line();
		fprintf(stderr, "%s\n", r->exit_line);
	}
	if (r->done)
		printf("(the run ends when you go on: %s)\n", r->end_msg);
	/* No guest time passes while we wait for the user (timer.c). */
	host_timer__pause();
	for (;;) {
		ret = stepper__read(line, sizeof(line));
		if (ret < 0) {
			/* Ctrl-C: the next THV_RUN returns at once, -EINTR. */
			st.go = GO_NEXT;
			break;
		}
		if (ret == 0) {
			/* Ctrl-D or the end of piped commands. */
			printf("\n");
			runner__finish(r, THV_STATUS_OK, "stopped by the user");
			break;
		}
		if (strspn(line, " \t\n") == strlen(line))
			snprintf(line, sizeof(line), "%s", st.last);
		else
			snprintf(st.last, sizeof(st.last), "%s", line);
		if (stepper__command(r, line))
			break;
		fflush(stdout);
	}
	host_timer__resume();
	fflush(stdout);
	st.prev_regs = st.regs;
	st.prev_sregs = st.sregs;
	st.have_prev = st.have_regs;
}
