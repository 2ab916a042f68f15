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
	THV_STATUS_TIMEOUT	= 124,	/* --timeout expired (as timeout(1)) */
	THV_STATUS_SIGNAL_BASE	= 128,	/* + signal: 130 SIGINT, 143 SIGTERM */
};

enum thv_entry_mode {
	THV_ENTRY_REAL,		/* 16-bit real mode, CS = 0 */
	THV_ENTRY_FLAT32,	/* flat 32-bit protected mode, no paging */
	THV_ENTRY_LONG64,	/* 64-bit long mode, identity-mapped */
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

/* ---- devices (devices/) ---- */
int uart__init(void);
int exit_port__init(void);
int mmio_demo__init(void);
int ucall__init(void);

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

/* ---- caps (caps.c) ---- */
/* Open a thv device, check the API version, read caps: fd or -status. */
int caps__open(const char *path, struct thv_caps *caps);
int caps__main(int argc, char **argv);

#endif /* THV_RUNNER_H */
