/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thv.h - what the parts of the runner share.
 *
 * The runner has the shape of kvmtool: one vCPU loop (vcpu.c) switches on
 * thv_run.exit_reason; devices register port ranges (ioport.c) or
 * guest-physical ranges (mmio.c) and the loop dispatches to them.
 */
#ifndef THV_RUNNER_H
#define THV_RUNNER_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "thv_lib.h"

#define THV_RUNNER_VERSION	"0.1"

/*
 * Exit statuses of `thv run`.  sysexits(3) numbers for the runner's own
 * errors, so a script can tell "the guest said 3" from "the runner failed".
 * A guest that writes N to the exit port (0xf4) ends the run with status N;
 * guests should keep to 1..63 so that the two never mix.
 */
enum thv_status {
	THV_STATUS_OK		= 0,	/* HLT, or exit port wrote 0 */
	THV_STATUS_USAGE	= 64,	/* bad option or argument */
	THV_STATUS_DATAERR	= 65,	/* payload empty, too big, malformed */
	THV_STATUS_NOINPUT	= 66,	/* payload missing/unreadable/a dir */
	THV_STATUS_UNAVAILABLE	= 69,	/* /dev/thv missing or not thv */
	THV_STATUS_INTERNAL	= 70,	/* INTERNAL_ERROR exit, unknown exit */
	THV_STATUS_OSERR	= 71,	/* an ioctl/mmap failed unexpectedly */
	THV_STATUS_SHUTDOWN	= 75,	/* guest triple-faulted */
	THV_STATUS_PROTOCOL	= 76,	/* module speaks another API version */
	THV_STATUS_NOPERM	= 77,	/* permission denied on /dev/thv */
	THV_STATUS_FAIL_ENTRY	= 78,	/* the hardware refused the guest state */
	THV_STATUS_STRICT	= 79,	/* --strict: an unclaimed port/MMIO access */
	THV_STATUS_TIMEOUT	= 124,	/* --timeout expired (as timeout(1)) */
	THV_STATUS_SIGNAL_BASE	= 128,	/* + signal: 130 SIGINT, 143 SIGTERM */
};

enum thv_entry_mode {
	THV_ENTRY_REAL,		/* 16-bit real mode, CS = 0 */
	THV_ENTRY_FLAT32,	/* flat 32-bit protected mode, no paging */
	THV_ENTRY_LONG64,	/* 64-bit long mode, identity-mapped */
};

enum thv_color {
	THV_COLOR_AUTO,		/* on a terminal, unless NO_COLOR is set */
	THV_COLOR_ALWAYS,
	THV_COLOR_NEVER,
};

struct thv_options {
	const char *dev_path;
	const char *payload_path;
	uint64_t mem_size;
	uint64_t load_addr;
	enum thv_entry_mode entry;
	const char *cmdline;	/* --cmdline, for multiboot kernels */
	bool load_set;		/* --load given */
	bool entry_set;		/* --entry given */
	unsigned int timeout_s;
	bool trace;
	bool quiet;
	bool strict;		/* --strict: unclaimed port/MMIO ends the run */
	bool rtc_set;		/* --rtc given: a frozen clock at rtc_time */
	int64_t rtc_time;	/* seconds since 1970-01-01 00:00:00 UTC */
	unsigned int nr_cpus;	/* what fw_cfg reports; the runner makes 1 */
	/* issue 5: seeing the exits */
	bool stats;		/* --stats: a table of exits at the end */
	bool json;		/* --json: one JSON object at the end */
	const char *json_path;	/* its file; NULL or "-": stdout */
	const char *svg_path;	/* --svg: the exits as a picture (svg.c) */
	const char *map_svg_path; /* --map-svg: the EPT/NPT as a picture */
	bool step;		/* --step: the exit stepper REPL */
	const char *break_kinds; /* --break KINDS, or NULL: every exit */
	uint64_t break_mask;	/* what it parsed to (stepper.c) */
	enum thv_color color;	/* --color */
};

/* Everything one run of a guest needs; passed to every device. */
struct thv_runner {
	struct thv_options opt;
	struct thv_vm vm;

	/* how the run ended */
	bool done;
	int status;			/* enum thv_status or the guest's code */
	char end_msg[160];		/* "guest halted", ... */
	const char *end_note;		/* after the counts, or NULL */

	/* the payload (payload.c) */
	void *image;			/* the file's bytes */
	size_t image_len;
	bool is_elf;
	struct thv_elf_info elf;	/* if is_elf */
	bool is_multiboot;
	struct thv_mb_kernel mb;	/* if is_multiboot */
	uint64_t entry_addr;		/* first RIP */
	uint64_t tables_gpa;		/* --entry 64: page tables + GDT */

	/* statistics for the summary line */
	uint64_t exits;				/* exits that reached us */
	uint64_t exits_by_reason[THV_EXIT_MAX + 1]; /* last: unknown */
	uint64_t unclaimed_io;
	uint64_t unclaimed_mmio;
	uint64_t unhandled_msr;		/* MSR exits answered with #GP */
	uint64_t irqs_injected;		/* THV_INTERRUPTs that were accepted */
	/*
	 * Stops that were no VM exit (run->hw_exit_valid = 0): thv.ko ended
	 * THV_RUN before entering the guest, for a single step that an
	 * instruction finished in the kernel completed (an IN the runner
	 * answered), or for an interrupt window that was already open.
	 */
	uint64_t steps_no_vmexit;
	uint64_t windows_no_vmexit;

	/* issue 5: tracing, statistics, the stepper */
	uint32_t backend;		/* THV_BACKEND_SVM or _VMX */
	bool debug_ok;			/* THV_SET_GUEST_DEBUG works */
	uint32_t debug_flags;		/* what it was last set to */
	bool color_err;			/* colour on stderr (trace lines) */
	bool color_out;			/* colour on stdout (the stepper) */
	char exit_line[640];		/* the last exit's trace line */
	uint64_t user_ns[THV_EXIT_MAX + 1]; /* runner's time per reason */
};

/* End the run with status; fmt says how, for the summary line. */
void runner__finish(struct thv_runner *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One "thv: ..." line on stderr (not shown with -q). */
void runner__log(struct thv_runner *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "thv: <fmt>" as one error line on stderr. */
void thv_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- port I/O devices (ioport.c) ---- */
struct ioport_dev;
/*
 * Handle one access of size bytes.  is_write: data holds what the guest
 * wrote.  Read: fill data (little-endian).  desc (may be NULL) receives a
 * short note for --trace, e.g. "UART THR".
 */
typedef void (*ioport_fn)(struct thv_runner *r, struct ioport_dev *dev,
			  uint16_t port, uint8_t *data, unsigned int size,
			  bool is_write, char *desc, size_t desc_len);

struct ioport_dev {
	const char *name;
	uint16_t base;
	uint16_t len;
	ioport_fn io;
	void *priv;
};

int ioport__register(struct ioport_dev *dev);
/* Returns the device name, or NULL for an unclaimed port. */
const char *ioport__dispatch(struct thv_runner *r, uint16_t port,
			     uint8_t *data, unsigned int size, bool is_write,
			     char *desc, size_t desc_len);

/* ---- MMIO devices (mmio.c) ---- */
struct mmio_dev;
typedef void (*mmio_fn)(struct thv_runner *r, struct mmio_dev *dev,
			uint64_t offset, uint8_t *data, unsigned int len,
			bool is_write, char *desc, size_t desc_len);

struct mmio_dev {
	const char *name;
	uint64_t base;
	uint64_t len;
	mmio_fn mmio;
	void *priv;
};

int mmio__register(struct mmio_dev *dev);
const char *mmio__dispatch(struct thv_runner *r, uint64_t gpa, uint8_t *data,
			   unsigned int len, bool is_write,
			   char *desc, size_t desc_len);
/* The device range [*base, +*len) that holds gpa: 0, or -ENOENT. */
int mmio__region(uint64_t gpa, uint64_t *base, uint64_t *len);

/* ---- MSRs left to userspace (msr.c) ---- */
struct msr_dev;
/*
 * Handle RDMSR (fill *data) or WRMSR (*data is the value) of index.
 * Return 0, or -1 to make the instruction raise #GP in the guest.
 */
typedef int (*msr_fn)(struct thv_runner *r, struct msr_dev *dev,
		      uint32_t index, uint64_t *data, bool is_write,
		      char *desc, size_t desc_len);

struct msr_dev {
	const char *name;
	uint32_t base;
	uint32_t len;
	msr_fn msr;
	void *priv;
};

int msr__register(struct msr_dev *dev);
/* Device name, or NULL for an MSR nobody claims (the caller #GPs). */
const char *msr__dispatch(struct thv_runner *r, uint32_t index,
			  uint64_t *data, bool is_write, int *gp,
			  char *desc, size_t desc_len);

/* ---- host timers (timer.c) ---- */
/*
 * Periodic or one-shot host timers for the device models (PIT, LAPIC
 * timer): each expiry is counted in a signal handler; the vCPU loop
 * collects the counts between two THV_RUNs.
 */
enum host_timer_id {
	HOST_TIMER_PIT,
	HOST_TIMER_LAPIC,
	HOST_TIMER_MAX,
};

/* Create the timers; run: its request_immediate_exit is set on expiry. */
int host_timer__init(struct thv_run *run);
void host_timer__exit(void);
/* Fire after first_ns, then every period_ns (0: once).  first_ns > 0. */
void host_timer__arm(enum host_timer_id id, uint64_t first_ns,
		     uint64_t period_ns);
void host_timer__disarm(enum host_timer_id id);
/* Expiries since the last call (the count is reset). */
unsigned int host_timer__take(enum host_timer_id id);
/* The signal the timers use (blocked around the HLT wait). */
int host_timer__signal(void);
/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t host_clock_ns(void);
/*
 * The guest's clock: CLOCK_MONOTONIC less the time the stepper held the
 * guest at its prompt.  Device models count their timers against it.
 */
uint64_t guest_clock_ns(void);
/* Stop guest time (timers keep what is left of their period), go on. */
void host_timer__pause(void);
void host_timer__resume(void);

/* ---- the guest's output and the runner's lines (console.c) ---- */
/* Do stdout and stderr go to the same place?  Call once, at the start. */
void console__init(void);
/* The guest's bytes, to stdout (the caller flushes as it did). */
void console__guest_write(const void *buf, size_t len);
/*
 * Before a line on stderr: end the guest's partial line first, if it is
 * on the same screen or file.  Never adds a blank line.
 */
void console__fresh_line(void);

/* ---- devices (devices/) ---- */
int uart__init(void);
int exit_port__init(void);
int mmio_demo__init(void);
int ucall__init(void);
int rtc__init(struct thv_runner *r);
int fw_cfg__init(struct thv_runner *r);
int pci__init(void);

/* 8259A pair (devices/pic.c). */
int pic__init(void);
/* An edge on IRQ line irq (0-15): sets its IRR bit. */
void pic__raise_irq(struct thv_runner *r, unsigned int irq);
/* The vector the PIC pair would give the CPU now, or -1. */
int pic__pending_vector(void);
/* The INTA cycle: IRR -> ISR for that interrupt; returns its vector. */
int pic__ack(void);

/* 8254 PIT (devices/pit.c). */
int pit__init(void);
/* Turn host timer expiries into IRQ0 edges (the vCPU loop calls it). */
void pit__poll(struct thv_runner *r);
bool pit__armed(void);
uint64_t pit__ticks(void);

/* Local APIC (devices/lapic.c). */
int lapic__init(void);
void lapic__poll(struct thv_runner *r);
bool lapic__armed(void);
/* Highest deliverable vector (IRR above the PPR), or -1. */
int lapic__pending_vector(void);
/* IRR -> ISR for that vector. */
void lapic__ack(int vector);
/* Does the PIC's INTR reach the CPU (LVT LINT0 unmasked, ExtINT)? */
bool lapic__accepts_pic(void);

/* ---- hypercalls (hypercalls.c) ---- */
/* Run hypercall nr; returns the value for RAX.  desc: trace note. */
uint64_t hypercall__dispatch(struct thv_runner *r, uint64_t nr,
			     const uint64_t args[4], char *desc,
			     size_t desc_len);
void hypercall__print_table(FILE *f);

/* ---- payload (payload.c) ---- */
/* Read and check the payload, choose the entry mode: 0 or a status. */
int payload__read(struct thv_runner *r);
/* Copy it into guest RAM (after payload__read and the VM's creation). */
int payload__load(struct thv_runner *r);

/* ---- vCPU loop (vcpu.c) ---- */
int vcpu__run_loop(struct thv_runner *r);
void vcpu__print_summary(struct thv_runner *r);

/* ---- tracing (trace.c) ---- */
/* Decide on colour, switch THV_DEBUG_EXIT_ALL on for --trace/--step. */
void trace__init(struct thv_runner *r);
/* Set THV_SET_GUEST_DEBUG flags: 0 or -errno (remembered on success). */
int trace__set_debug(struct thv_runner *r, uint32_t flags);
/*
 * Build the exit line of the current exit into r->exit_line and print
 * it with --trace: "thv: #N NAME: detail; rip 0x... MODE: insn; how".
 */
void trace__exit(struct thv_runner *r, const char *name, const char *detail);
/*
 * The guest's mode and the instruction at linear CS:rip, e.g.
 * "real: out dx, al".  Reads registers with GET_SREGS/GET_REGS.
 */
void trace__insn_at(struct thv_runner *r, uint64_t rip, char *buf,
		    size_t len);
/* ANSI colour escape, or "" when colour is off for that stream. */
const char *trace__color(bool on, const char *code);

/* ---- --stats and --json (stats.c) ---- */
void stats__print(struct thv_runner *r);
/* 0, or a status if the JSON file cannot be written. */
int stats__json(struct thv_runner *r);

/* ---- pictures of a run (svg.c) ---- */
/* Note one exit for --svg: its number, name, and whether it went out. */
void svg__record(uint64_t seq, const char *label, bool to_user);
/* --svg: the exits drawn as lanes (guest, thv.ko, runner). */
int svg__write(struct thv_runner *r, const char *path);
/* --map-svg: the VM's nested page table (debugfs) drawn; VM still alive. */
int svg__write_map(struct thv_runner *r, const char *path);

/* ---- the exit stepper (stepper.c, explain.c) ---- */
/*
 * "io,cpuid" -> a mask of the stop names ("all", "none" too): 0, or -1
 * with one line in err naming the unknown word.
 */
int stepper__parse_break(const char *s, uint64_t *mask, char *err,
			 size_t err_len);
/* Set up line editing (libedit on a terminal): 0 or a status. */
int stepper__init(struct thv_runner *r);
/* Before each THV_RUN: single-step or not. */
void stepper__before_run(struct thv_runner *r);
/* After each exit was handled: stop and read commands if it matches. */
void stepper__after_exit(struct thv_runner *r);
void stepper__exit(struct thv_runner *r);
/* What the hardware did at the current exit, for the `explain` command. */
void explain__exit(FILE *f, struct thv_runner *r);

/* ---- caps (caps.c) ---- */
/* Open a thv device, check the API version, read caps: fd or -status. */
int caps__open(const char *path, struct thv_caps *caps);
int caps__main(int argc, char **argv);

#endif /* THV_RUNNER_H */
