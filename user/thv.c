// SPDX-License-Identifier: GPL-2.0
/*
 * thv.c - the userspace runner for /dev/thv.
 *
 *   thv run [options] PAYLOAD    run a flat binary or ELF guest
 *   thv caps                     what thv.ko can do
 *
 * `thv run` creates a VM with one vCPU (thv_lib), copies the payload into
 * guest RAM, sets the entry state and enters the vCPU loop (vcpu.c) until
 * the guest halts, exits, faults, or a signal/--timeout stops it.  It then
 * prints one summary line on stderr; the guest's UART output is the only
 * thing on stdout.
 */
#include <cpuid.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "thv.h"
#include "hypercalls.h"

#define DEFAULT_MEM_SIZE	(2ULL << 20)
#define DEFAULT_LOAD_ADDR	0x1000ULL
#define MAX_MEM_SIZE		(1ULL << 40)	/* sanity; thv.ko has its own */
#define MAX_TIMEOUT_S		(24U * 3600U)
#define PAGE_SIZE_4K		4096ULL
#define REAL_MODE_STACK_TOP	0x10000ULL	/* SS = 0: the first 64 KiB */

void thv_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	console__fresh_line();
	fputs("thv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void runner__log(struct thv_runner *r, const char *fmt, ...)
{
	va_list ap;

	if (r->opt.quiet)
		return;
	fflush(stdout);
	console__fresh_line();
	fputs("thv: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void runner__finish(struct thv_runner *r, int status, const char *fmt, ...)
{
	va_list ap;

	if (r->done)
		return;		/* the first reason to stop wins */
	r->done = true;
	r->status = status;
	va_start(ap, fmt);
	vsnprintf(r->end_msg, sizeof(r->end_msg), fmt, ap);
	va_end(ap);
}

static void thv_usage(FILE *f)
{
	fprintf(f,
		"Usage: thv COMMAND [options]\n"
		"thv runs tiny guests on /dev/thv, the teaching hypervisor.\n"
		"\n"
		"Commands:\n"
		"  run [options] PAYLOAD   run a flat, ELF or multiboot guest (run --help)\n"
		"  caps [--dev PATH]       print what thv.ko can do\n"
		"\n"
		"  -h, --help              this help\n"
		"  -V, --version           print the version\n");
}

static void run_usage(FILE *f)
{
	fprintf(f,
		"Usage: thv run [options] PAYLOAD\n"
		"Run PAYLOAD as a guest with one vCPU.  PAYLOAD is a flat binary\n"
		"(loaded at --load, started there in the --entry mode) or an ELF\n"
		"executable (segments at their physical addresses, started at its\n"
		"entry point: ELF64 in 64-bit mode, ELF32 in 32-bit mode) or a\n"
		"Multiboot v1 kernel (header in its first 8K; ELF or a.out kludge):\n"
		"loaded and started as a Multiboot boot loader does, in flat 32-bit\n"
		"mode with EAX=0x2BADB002 and EBX=the boot information (memory\n"
		"sizes, memory map, command line) in the 4K page after the kernel.\n"
		"\n"
		"Options:\n"
		"  -m, --memory SIZE    guest RAM at guest-physical 0 (default 2M;\n"
		"                       suffixes K, M, G; a multiple of 4K)\n"
		"  -l, --load ADDR      where a flat payload goes and runs (default 0x1000)\n"
		"  -e, --entry MODE     real (default): 16-bit real mode, CS=DS=ES=SS=0,\n"
		"                       IP=ADDR, SP=0xfff0 (or the top of RAM if less\n"
		"                       than 64K); the payload must end below 1 MiB.\n"
		"                       32: flat 32-bit protected mode, no paging,\n"
		"                       CS=0x8 DS..SS=0x10 (base 0, limit 4G, no GDT in\n"
		"                       memory), EIP=ADDR, ESP=top of RAM.\n"
		"                       64: 64-bit long mode, CS=0x8 (L=1) DS..SS=0x10,\n"
		"                       paging on: the runner puts page tables that\n"
		"                       map the first 4 GiB 1:1 (2M pages) and a GDT in\n"
		"                       the top 28K of RAM; RSP=just below them.\n"
		"  -c, --cmdline STRING multiboot kernels only: the command line the\n"
		"                       kernel gets (default: the PAYLOAD path)\n"
		"  -t, --trace          one line per exit on stderr: number, reason,\n"
		"                       details, RIP, CPU mode, the instruction there,\n"
		"                       and who handled it (exits thv.ko handles by\n"
		"                       itself show up too, as kinds: CPUID, NPF, ...)\n"
		"      --color[=WHEN]   colour the trace and the stepper: auto (default:\n"
		"                       on a terminal, unless NO_COLOR is set), always,\n"
		"                       never\n"
		"      --stats          at the end, a table of the exits: count and\n"
		"                       time by kind (thv.ko) and by reason (runner)\n"
		"      --json[=FILE]    at the end, the status, counts and times as one\n"
		"                       JSON object in FILE (default or '-': stdout,\n"
		"                       after the guest's output); `--json FILE\n"
		"                       PAYLOAD` works too\n"
		"      --svg FILE       draw the run's VM exits and entries as an SVG\n"
		"                       picture: guest, thv.ko and runner lanes, the\n"
		"                       first 48 exits (kernel-handled ones too)\n"
		"      --map-svg FILE   at the end, draw the VM's live EPT/NPT as an\n"
		"                       SVG picture: guest-physical runs and the host\n"
		"                       pages behind them (needs debugfs mounted)\n"
		"  -s, --step           the exit stepper: stop at exits and read\n"
		"                       commands (\"help\" lists them: next, continue,\n"
		"                       step, regs, x, disas, vmcs, explain, break,\n"
		"                       quit); plain lines when stdin is not a terminal\n"
		"  -b, --break KINDS    with --step: stop only at these exits, e.g.\n"
		"                       io,cpuid,mmio (lower-case exit names and\n"
		"                       kinds; all, none)\n"
		"  -d, --dev PATH       device (default %s)\n"
		"  -T, --timeout SECS   stop the guest after SECS seconds\n"
		"  -q, --quiet          no summary line or device logs (errors still)\n"
		"      --strict         an access to a port or MMIO address no device\n"
		"                       claims ends the run (status 79) with one line\n"
		"                       naming it, instead of reading all ones\n"
		"      --rtc YYYY-MM-DDTHH:MM:SS\n"
		"                       the CMOS clock shows this UTC time and does not\n"
		"                       move (default: the host's clock), for tests\n"
		"  -h, --help           this help\n"
		"\n"
		"Devices:\n"
		"  0x3f8-0x3ff  16550 UART (COM1): THR -> stdout, LSR reads 0x60\n"
		"  0xf4         exit port: writing byte N ends the run with status N\n"
		"  0xf5         ucall port (C guests, user/ucall.h): DONE ends with 0,\n"
		"               a failed GUEST_ASSERT with 1 and prints where\n"
		"  0x20-0x21, 0xa0-0xa1  8259A PIC pair (IRQ0-15; cascade on IRQ2)\n"
		"  0x40-0x43    8254 PIT: counter 0 drives IRQ0 (modes 0, 2, 3;\n"
		"               periods under 1 ms run at 1 ms)\n"
		"  0x70-0x71    CMOS RTC (MC146818): time, status A-D, memory size\n"
		"  0x510-0x511  fw_cfg: 0x0000 \"THV\\0\", 0x0003 RAM size (8 bytes),\n"
		"               0x0005 CPU count (2 bytes)\n"
		"  0xcf8-0xcff  PCI configuration mechanism #1: no devices (all ones)\n"
		"  0xd0000000   MMIO demo (4K): +0 MAGIC 0x21564854 \"THV!\",\n"
		"               +4 COUNTER (1, 2, 3... per read), +8 SCRATCH (r/w),\n"
		"               +0x100-0x1ff BANK (256 bytes that act like RAM);\n"
		"               writes are logged on stderr\n"
		"  0xfee00000   local APIC (xAPIC page; also x2APIC MSRs 0x800-0x8ff):\n"
		"               timer (100 MHz bus), TPR, EOI, self-IPIs; CPUID leaf 1\n"
		"               shows APIC and x2APIC\n"
		"  MMIO by other instructions than MOV (OR, AND, XOR, ADD, SUB, INC,\n"
		"  DEC, NOT, NEG, TEST, CMP, BT/BTS/BTR/BTC imm, XCHG, [REP] STOS) is\n"
		"  emulated by the runner (capstone); anything else ends the run\n"
		"  with status 70 and \"MMIO: cannot emulate '<insn>' at rip ...\".\n"
		"  other ports and unbacked addresses read all ones, writes are\n"
		"  dropped; they are counted in the summary (see --strict).\n"
		"  MSRs: thv.ko keeps the architectural ones (EFER, STAR, LSTAR, FS/GS\n"
		"  base, PAT, ...); RDMSR/WRMSR of any other raises #GP (counted).\n"
		"  HLT ends the run, unless IF=1 and a timer (PIT or LAPIC) is armed:\n"
		"  then the guest sleeps until the next interrupt.\n"
		"\n"
		"Hypercalls (VMMCALL or VMCALL; RAX=nr, args RBX RCX RDX RSI, result\n"
		"in RAX):\n", THV_DEV_PATH);
	hypercall__print_table(f);
	fprintf(f,
		"\n"
		"Exit status:\n"
		"  0    the guest halted (HLT) or wrote 0 to port 0xf4\n"
		"  N    the guest wrote N to port 0xf4 or used the exit hypercall\n"
		"       (guests should use 1..63)\n"
		"  64   bad option or argument     65  payload empty, too big or malformed\n"
		"  66   payload missing/unreadable  69  %s missing or not thv\n"
		"  70   internal error exit         71  an ioctl or mmap failed\n"
		"  75   guest triple-faulted        76  thv.ko API version mismatch\n"
		"  77   permission denied           78  VM entry failed (bad guest state)\n"
		"  79   --strict: unclaimed access  124 --timeout expired\n"
		"  130  SIGINT, 143 SIGTERM\n",
		THV_DEV_PATH);
}

/* "2M", "512K", "1G", "4096": bytes, or -1 on a malformed number. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *s == '-')
		return -1;
	switch (*end) {
	case 'k': case 'K':
		shift = 10;
		end++;
		break;
	case 'm': case 'M':
		shift = 20;
		end++;
		break;
	case 'g': case 'G':
		shift = 30;
		end++;
		break;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v > (MAX_MEM_SIZE >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*out = v;
	return 0;
}

/*
 * "2026-11-21T10:20:30" (UTC) -> seconds since the epoch; -1 if it is
 * not that form or not a real date (2026-02-30 is refused).
 */
static int parse_rtc(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	struct tm tm;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
		   &n) != 6 || n != 19 || s[n])
		return -1;
	if (y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm() normalises: 02-30 comes back as 03-02. */
	if (t == (time_t)-1 || tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*out = t;
	return 0;
}

/* getopt with opterr = 0: say which option was wrong, in one line. */
static int bad_option(const char *cmd, char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		thv_err("%s: option '%s' needs an argument (see thv %s --help)",
			cmd, arg, cmd);
	else if (optopt && !strchr(arg, '='))
		thv_err("%s: unknown option '-%c' (see thv %s --help)", cmd,
			optopt, cmd);
	else
		thv_err("%s: unknown option '%s' (see thv %s --help)", cmd,
			arg, cmd);
	return THV_STATUS_USAGE;
}

/* Long options without a short form. */
enum {
	OPT_STRICT = 0x100,
	OPT_RTC,
	OPT_STATS,
	OPT_JSON,
	OPT_COLOR,
	OPT_SVG,
	OPT_MAP_SVG,
};

static int run_parse_option(struct thv_options *opt, int c)
{
	uint64_t v;

	switch (c) {
	case 'm':
		if (parse_size(optarg, &opt->mem_size) < 0 ||
		    opt->mem_size < PAGE_SIZE_4K ||
		    opt->mem_size % PAGE_SIZE_4K) {
			thv_err("--memory '%s': want a multiple of 4K, e.g. 2M",
				optarg);
			return THV_STATUS_USAGE;
		}
		return 0;
	case 'l':
		if (parse_u64(optarg, &opt->load_addr) < 0) {
			thv_err("--load '%s': not an address", optarg);
			return THV_STATUS_USAGE;
		}
		opt->load_set = true;
		return 0;
	case 'e':
		if (!strcmp(optarg, "real") || !strcmp(optarg, "16")) {
			opt->entry = THV_ENTRY_REAL;
		} else if (!strcmp(optarg, "32")) {
			opt->entry = THV_ENTRY_FLAT32;
		} else if (!strcmp(optarg, "64")) {
			opt->entry = THV_ENTRY_LONG64;
		} else {
			thv_err("--entry '%s': want 'real', '32' or '64'",
				optarg);
			return THV_STATUS_USAGE;
		}
		opt->entry_set = true;
		return 0;
	case 'T':
		if (parse_u64(optarg, &v) < 0 || !v || v > MAX_TIMEOUT_S) {
			thv_err("--timeout '%s': want whole seconds, 1..%u",
				optarg, MAX_TIMEOUT_S);
			return THV_STATUS_USAGE;
		}
		opt->timeout_s = v;
		return 0;
	case 'c':
		opt->cmdline = optarg;
		return 0;
	case 't':
		opt->trace = true;
		return 0;
	case 'q':
		opt->quiet = true;
		return 0;
	case 'd':
		opt->dev_path = optarg;
		return 0;
	case OPT_STRICT:
		opt->strict = true;
		return 0;
	case OPT_SVG:
		opt->svg_path = optarg;
		return 0;
	case OPT_MAP_SVG:
		opt->map_svg_path = optarg;
		return 0;
	case OPT_STATS:
		opt->stats = true;
		return 0;
	case OPT_JSON:
		opt->json = true;
		opt->json_path = optarg;
		return 0;
	case 's':
		opt->step = true;
		return 0;
	case 'b': {
		char err[256];

		if (stepper__parse_break(optarg, &opt->break_mask, err,
					 sizeof(err))) {
			thv_err("--break '%s': %s", optarg, err);
			return THV_STATUS_USAGE;
		}
		opt->break_kinds = optarg;
		return 0;
	}
	case OPT_COLOR:
		if (!optarg || !strcmp(optarg, "auto")) {
			opt->color = THV_COLOR_AUTO;
		} else if (!strcmp(optarg, "always")) {
			opt->color = THV_COLOR_ALWAYS;
		} else if (!strcmp(optarg, "never")) {
			opt->color = THV_COLOR_NEVER;
		} else {
			thv_err("--color '%s': want auto, always or never",
				optarg);
			return THV_STATUS_USAGE;
		}
		return 0;
	case OPT_RTC:
		if (parse_rtc(optarg, &opt->rtc_time) < 0) {
			thv_err("--rtc '%s': want a UTC time as "
				"YYYY-MM-DDTHH:MM:SS, 1970..2099", optarg);
			return THV_STATUS_USAGE;
		}
		opt->rtc_set = true;
		return 0;
	}
	return THV_STATUS_USAGE;
}

/* Returns -1 to go on, or an exit status (0 after --help). */
static int run_parse(struct thv_options *opt, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "memory",  required_argument, NULL, 'm' },
		{ "load",    required_argument, NULL, 'l' },
		{ "entry",   required_argument, NULL, 'e' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "trace",   no_argument,       NULL, 't' },
		{ "dev",     required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "quiet",   no_argument,       NULL, 'q' },
		{ "strict",  no_argument,       NULL, OPT_STRICT },
		{ "rtc",     required_argument, NULL, OPT_RTC },
		{ "stats",   no_argument,       NULL, OPT_STATS },
		{ "svg",     required_argument, NULL, OPT_SVG },
		{ "map-svg", required_argument, NULL, OPT_MAP_SVG },
		{ "json",    optional_argument, NULL, OPT_JSON },
		{ "color",   optional_argument, NULL, OPT_COLOR },
		{ "colour",  optional_argument, NULL, OPT_COLOR },
		{ "step",    no_argument,       NULL, 's' },
		{ "break",   required_argument, NULL, 'b' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, ret;

	opt->dev_path = THV_DEV_PATH;
	opt->mem_size = DEFAULT_MEM_SIZE;
	opt->load_addr = DEFAULT_LOAD_ADDR;
	opt->entry = THV_ENTRY_REAL;
	opt->nr_cpus = 1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:l:e:c:td:T:qhsb:", longopts,
				NULL)) != -1) {
		if (c == 'h') {
			run_usage(stdout);
			return THV_STATUS_OK;
		}
		if (c == '?' || c == ':')
			return bad_option("run", argv, c);
		ret = run_parse_option(opt, c);
		if (ret)
			return ret;
	}
	/* `--json FILE PAYLOAD`: a bare --json takes the next word too. */
	if (opt->json && !opt->json_path && optind + 2 == argc)
		opt->json_path = argv[optind++];
	if (optind >= argc) {
		thv_err("run: no PAYLOAD given (see thv run --help)");
		return THV_STATUS_USAGE;
	}
	if (opt->break_kinds && !opt->step) {
		thv_err("run: --break needs --step");
		return THV_STATUS_USAGE;
	}
	if (optind + 1 < argc) {
		thv_err("run: unexpected argument '%s' after the payload",
			argv[optind + 1]);
		return THV_STATUS_USAGE;
	}
	opt->payload_path = argv[optind];
	return -1;
}

/*
 * The runner emulates a local APIC (devices/lapic.c), so CPUID must say
 * there is one: leaf 1 EDX bit 9 (APIC) and ECX bit 21 (x2APIC) (SDM
 * Vol. 2A, CPUID, table 3-10/3-11).  Leaf 1 is the host's, which thv.ko
 * filters down to what it supports; setting these two bits is how
 * userspace tells thv.ko "I emulate the APIC" (it then lets them through
 * and accepts IA32_APIC_BASE's x2APIC enable bit).
 */
static int run_set_cpuid(struct thv_runner *r)
{
	static struct thv_cpuid cpuid;
	struct thv_cpuid_entry *e = &cpuid.entries[0];
	unsigned int a, b, c, d;
	int ret;

	if (!__get_cpuid(1, &a, &b, &c, &d)) {
		thv_err("the host CPU has no CPUID leaf 1");
		return THV_STATUS_OSERR;
	}
	memset(&cpuid, 0, sizeof(cpuid));
	cpuid.nent = 1;
	e->function = 1;
	e->eax = a;
	e->ebx = b;
	e->ecx = c | (1u << 21);	/* x2APIC */
	e->edx = d | (1u << 9);		/* APIC on chip */
	ret = thv_vcpu_set_cpuid(&r->vm, &cpuid);
	if (ret < 0) {
		thv_err("THV_SET_CPUID: %s", strerror(-ret));
		return THV_STATUS_OSERR;
	}
	return THV_STATUS_OK;
}

/* Check --memory against the module, then make the VM. */
static int run_create_vm(struct thv_runner *r)
{
	struct thv_caps caps;
	int fd, ret;

	fd = caps__open(r->opt.dev_path, &caps);
	if (fd < 0)
		return -fd;
	close(fd);
	if (caps.max_mem_bytes && r->opt.mem_size > caps.max_mem_bytes) {
		thv_err("--memory %" PRIu64 ": more than thv.ko allows (%" PRIu64
			" bytes)", r->opt.mem_size, (uint64_t)caps.max_mem_bytes);
		return THV_STATUS_USAGE;
	}
	ret = thv_vm_create(&r->vm, r->opt.dev_path, r->opt.mem_size);
	if (ret < 0) {
		thv_err("%s: cannot create a VM with %" PRIu64 " bytes of RAM: %s",
			r->opt.dev_path, r->opt.mem_size, strerror(-ret));
		return ret == -EACCES || ret == -EPERM ? THV_STATUS_NOPERM :
		       THV_STATUS_OSERR;
	}
	return run_set_cpuid(r);
}

static int run_set_entry(struct thv_runner *r)
{
	uint64_t mem = r->opt.mem_size, stack;
	int ret;

	switch (r->opt.entry) {
	case THV_ENTRY_REAL:
		stack = (mem < REAL_MODE_STACK_TOP ? mem : REAL_MODE_STACK_TOP)
			- 0x10;
		ret = thv_vcpu_set_real_mode(&r->vm, r->entry_addr, stack);
		break;
	case THV_ENTRY_FLAT32:
		if (r->is_multiboot) {
			ret = thv_vcpu_set_multiboot(&r->vm, &r->mb);
			break;
		}
		stack = mem & ~0xfULL;
		ret = thv_vcpu_set_flat32(&r->vm, r->entry_addr, stack);
		break;
	default:
		ret = thv_vcpu_set_long64(&r->vm, r->entry_addr, r->tables_gpa,
					  r->tables_gpa);
		break;
	}
	if (ret < 0) {
		thv_err("cannot set the vCPU's entry state: %s", strerror(-ret));
		return THV_STATUS_OSERR;
	}
	return THV_STATUS_OK;
}

static int run_devices_init(struct thv_runner *r)
{
	int ret;

	ret = uart__init();
	if (!ret)
		ret = exit_port__init();
	if (!ret)
		ret = mmio_demo__init();
	if (!ret)
		ret = ucall__init();
	if (!ret)
		ret = rtc__init(r);
	if (!ret)
		ret = fw_cfg__init(r);
	if (!ret)
		ret = pci__init();
	if (!ret)
		ret = pic__init();
	if (!ret)
		ret = pit__init();
	if (!ret)
		ret = lapic__init();
	if (ret < 0)
		thv_err("cannot register devices: %s", strerror(-ret));
	return ret < 0 ? THV_STATUS_INTERNAL : THV_STATUS_OK;
}

static int run_main(int argc, char **argv)
{
	static struct thv_runner runner;
	struct thv_runner *r = &runner;
	int ret;

	ret = run_parse(&r->opt, argc, argv);
	if (ret >= 0)
		return ret;
	console__init();
	/* Payload first: its errors need no /dev/thv. */
	ret = payload__read(r);
	if (ret)
		goto out_free;
	ret = run_devices_init(r);
	if (ret)
		goto out_free;
	ret = run_create_vm(r);
	if (ret)
		goto out_free;
	ret = payload__load(r);
	if (ret)
		goto out_destroy;
	ret = run_set_entry(r);
	if (ret)
		goto out_destroy;

	trace__init(r);
	if (r->opt.step) {
		ret = stepper__init(r);
		if (ret)
			goto out_destroy;
	}

	ret = vcpu__run_loop(r);
	vcpu__print_summary(r);
	if (r->opt.stats)
		stats__print(r);
	if (r->opt.json) {
		int jret = stats__json(r);

		if (jret && !ret)
			ret = jret;
	}
	if (r->opt.step)
		stepper__exit(r);
	if (r->opt.svg_path && svg__write(r, r->opt.svg_path) && !ret)
		ret = THV_STATUS_OSERR;
	if (r->opt.map_svg_path && svg__write_map(r, r->opt.map_svg_path) &&
	    !ret)
		ret = THV_STATUS_OSERR;
out_destroy:
	thv_vm_destroy(&r->vm);
out_free:
	free(r->image);
	return ret;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		thv_usage(stderr);
		return THV_STATUS_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		thv_usage(stdout);
		return THV_STATUS_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("thv %s (API version %d)\n", THV_RUNNER_VERSION,
		       THV_API_VERSION);
		return THV_STATUS_OK;
	}
	if (!strcmp(cmd, "run"))
		return run_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "caps"))
		return caps__main(argc - 1, argv + 1);
	thv_err("unknown command '%s' (see thv --help)", cmd);
	return THV_STATUS_USAGE;
}
