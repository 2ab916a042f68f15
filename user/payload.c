// SPDX-License-Identifier: GPL-2.0
/*
 * payload.c - read a guest image, check that it fits, load it.
 *
 * Two kinds of payload:
 *   - a flat binary, a raw memory image (ld -Ttext=ADDR + objcopy -O
 *     binary): its first byte is copied to guest-physical --load and
 *     execution starts there, in the mode --entry says;
 *   - an ELF executable (recognized by its magic): libthv's loader puts
 *     its PT_LOAD segments at their physical addresses and execution
 *     starts at e_entry, in 64-bit mode for ELF64 and flat 32-bit mode
 *     for ELF32 (or real mode if --entry real says so);
 *   - a Multiboot kernel (recognized by its header in the first 8 KiB, see
 *     lib/thv_multiboot.c): loaded and started as a Multiboot boot loader
 *     does, in flat 32-bit mode with the boot information in EBX.  It is
 *     looked for first: a Multiboot kernel is often an ELF file too.
 * Checks: a readable, non-empty regular file that fits in guest RAM; a
 * real-mode payload must start below 64 KiB (CS is 0, IP is 16 bits) and
 * end below 1 MiB (the most real mode can address, APM Vol. 2 1.2.4); a
 * 64-bit one must leave room at the top of RAM for the page tables the
 * runner builds there.  Everything is checked before the VM exists, so a
 * bad file fails the same with or without /dev/thv.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "thv.h"

#define REAL_MODE_IP_LIMIT	0x10000ULL
#define REAL_MODE_MEM_LIMIT	0x100000ULL
#define PAGE_SIZE_4K		0x1000ULL
/*
 * An ELF file may be larger than guest RAM (symbols, debug info) and
 * still load; past this size it is not read at all.
 */
#define PAYLOAD_MAX_FILE	(64ULL << 20)

/* Read all of fd into a new buffer of st_size bytes. */
static int payload__read_all(int fd, const char *path, size_t size,
			     void **buf)
{
	size_t done = 0;
	char *p = malloc(size);

	if (!p) {
		thv_err("%s: %s", path, strerror(ENOMEM));
		return THV_STATUS_OSERR;
	}
	while (done < size) {
		ssize_t n = read(fd, p + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			thv_err("%s: cannot read: %s", path,
				n < 0 ? strerror(errno) : "file shrank while reading");
			free(p);
			return THV_STATUS_NOINPUT;
		}
		done += n;
	}
	*buf = p;
	return THV_STATUS_OK;
}

/* Where the page tables go for --entry 64: the top of guest RAM. */
static int payload__place_tables(struct thv_runner *r, uint64_t lo,
				 uint64_t hi)
{
	uint64_t mem = r->opt.mem_size;

	if (mem < THV_LONG64_TABLES_SIZE + PAGE_SIZE_4K) {
		thv_err("--memory 0x%" PRIx64 ": too small for 64-bit mode "
			"(the page tables alone take 0x%x bytes)", mem,
			THV_LONG64_TABLES_SIZE);
		return THV_STATUS_DATAERR;
	}
	r->tables_gpa = mem - THV_LONG64_TABLES_SIZE;
	if (hi > r->tables_gpa && lo < mem) {
		thv_err("%s: payload ends at 0x%" PRIx64 ", inside the page "
			"tables for --entry 64 at 0x%" PRIx64 "-0x%" PRIx64
			": give more --memory", r->opt.payload_path, hi,
			r->tables_gpa, mem);
		return THV_STATUS_DATAERR;
	}
	return THV_STATUS_OK;
}

/* The flat-binary checks: --load inside RAM, real-mode limits. */
static int payload__check_flat(struct thv_runner *r)
{
	const struct thv_options *opt = &r->opt;
	const char *path = opt->payload_path;
	uint64_t load = opt->load_addr, mem = opt->mem_size;
	size_t len = r->image_len;

	if (load >= mem) {
		thv_err("--load 0x%" PRIx64 ": outside guest RAM (0x%" PRIx64
			" bytes)", load, mem);
		return THV_STATUS_DATAERR;
	}
	if (len > mem - load) {
		thv_err("%s: payload too big: %zu bytes at 0x%" PRIx64
			" but only %" PRIu64 " bytes of guest RAM above it",
			path, len, load, mem - load);
		return THV_STATUS_DATAERR;
	}
	r->entry_addr = load;
	if (opt->entry == THV_ENTRY_LONG64)
		return payload__place_tables(r, load, load + len);
	if (opt->entry != THV_ENTRY_REAL)
		return THV_STATUS_OK;
	if (load >= REAL_MODE_IP_LIMIT) {
		thv_err("--load 0x%" PRIx64 ": real-mode entry must be below "
			"0x10000 (CS = 0, 16-bit IP)", load);
		return THV_STATUS_DATAERR;
	}
	if (load + len > REAL_MODE_MEM_LIMIT) {
		thv_err("%s: real-mode payload must end below 1 MiB, but it "
			"ends at 0x%" PRIx64, path, load + len);
		return THV_STATUS_DATAERR;
	}
	return THV_STATUS_OK;
}

/* ELF: the loader's checks, then the entry mode from the ELF class. */
static int payload__check_elf(struct thv_runner *r)
{
	struct thv_options *opt = &r->opt;
	const char *path = opt->payload_path;
	char err[200];
	int ret;

	if (opt->load_set) {
		thv_err("%s: --load is for flat binaries; an ELF file says "
			"where its segments go", path);
		return THV_STATUS_USAGE;
	}
	ret = thv_elf_check(r->image, r->image_len, opt->mem_size, &r->elf,
			    err, sizeof(err));
	if (ret) {
		thv_err("%s: %s", path, err);
		return THV_STATUS_DATAERR;
	}
	if (!opt->entry_set)
		opt->entry = r->elf.bits == 64 ? THV_ENTRY_LONG64 :
						 THV_ENTRY_FLAT32;
	if ((r->elf.bits == 64) != (opt->entry == THV_ENTRY_LONG64)) {
		thv_err("%s: an ELF%d file cannot start in %s", path,
			r->elf.bits, opt->entry == THV_ENTRY_LONG64 ?
			"64-bit mode (use an EM_X86_64 ELF)" :
			"16- or 32-bit mode (use --entry 64)");
		return THV_STATUS_USAGE;
	}
	if (opt->entry == THV_ENTRY_REAL &&
	    (r->elf.entry >= REAL_MODE_IP_LIMIT ||
	     r->elf.hi > REAL_MODE_MEM_LIMIT)) {
		thv_err("%s: real-mode entry needs the entry point below "
			"0x10000 and the segments below 1 MiB", path);
		return THV_STATUS_DATAERR;
	}
	r->entry_addr = r->elf.entry;
	if (opt->entry == THV_ENTRY_LONG64)
		return payload__place_tables(r, r->elf.lo, r->elf.hi);
	return THV_STATUS_OK;
}

/*
 * Multiboot: the kernel says where it goes and how it starts, so --load
 * and --entry make no sense; the command line defaults to the path, as
 * GRUB passes the kernel's file name first.
 */
static int payload__check_multiboot(struct thv_runner *r)
{
	struct thv_options *opt = &r->opt;
	const char *path = opt->payload_path;
	char err[200];
	int ret;

	if (opt->load_set || opt->entry_set) {
		thv_err("%s: %s is not for multiboot kernels: the kernel's "
			"header says where it loads, and it starts in 32-bit "
			"mode", path, opt->load_set ? "--load" : "--entry");
		return THV_STATUS_USAGE;
	}
	if (!opt->cmdline)
		opt->cmdline = path;
	if (strlen(opt->cmdline) >= THV_MB_CMDLINE_MAX) {
		thv_err("%s: command line of %zu bytes is too long for a "
			"multiboot kernel (at most %d)", path,
			strlen(opt->cmdline), THV_MB_CMDLINE_MAX - 1);
		return THV_STATUS_USAGE;
	}
	ret = thv_multiboot_check(r->image, r->image_len, opt->mem_size,
				  &r->mb, err, sizeof(err));
	if (ret) {
		thv_err("%s: %s", path, err);
		return THV_STATUS_DATAERR;
	}
	opt->entry = THV_ENTRY_FLAT32;
	r->entry_addr = r->mb.entry;
	return THV_STATUS_OK;
}

int payload__read(struct thv_runner *r)
{
	const char *path = r->opt.payload_path;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		thv_err("%s: cannot open payload: %s", path, strerror(errno));
		return THV_STATUS_NOINPUT;
	}
	if (fstat(fd, &st) < 0) {
		thv_err("%s: cannot stat payload: %s", path, strerror(errno));
		ret = THV_STATUS_NOINPUT;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		thv_err("%s: payload is a directory, not a flat binary or ELF "
			"file", path);
		ret = THV_STATUS_NOINPUT;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		thv_err("%s: payload is not a regular file", path);
		ret = THV_STATUS_NOINPUT;
		goto out_close;
	}
	if (st.st_size == 0) {
		thv_err("%s: payload is empty", path);
		ret = THV_STATUS_DATAERR;
		goto out_close;
	}
	/* Nothing larger than guest RAM can be loaded: do not read it. */
	if ((uint64_t)st.st_size > r->opt.mem_size &&
	    (uint64_t)st.st_size > PAYLOAD_MAX_FILE) {
		thv_err("%s: payload too big: %jd bytes, more than guest RAM "
			"(%" PRIu64 " bytes)", path, (intmax_t)st.st_size,
			r->opt.mem_size);
		ret = THV_STATUS_DATAERR;
		goto out_close;
	}
	r->image_len = st.st_size;
	ret = payload__read_all(fd, path, r->image_len, &r->image);
	if (ret)
		goto out_close;
	r->is_multiboot = thv_is_multiboot(r->image, r->image_len);
	r->is_elf = !r->is_multiboot && thv_is_elf(r->image, r->image_len);
	if (!r->is_multiboot && r->opt.cmdline) {
		thv_err("%s: --cmdline is for multiboot kernels, and this is "
			"not one", path);
		ret = THV_STATUS_USAGE;
		goto out_close;
	}
	if (r->is_multiboot)
		ret = payload__check_multiboot(r);
	else if (r->is_elf)
		ret = payload__check_elf(r);
	else
		ret = payload__check_flat(r);
out_close:
	close(fd);
	return ret;
}

int payload__load(struct thv_runner *r)
{
	char err[200];
	int ret;

	if (r->is_multiboot) {
		ret = thv_multiboot_load(&r->vm, r->image, r->image_len,
					 r->opt.cmdline, &r->mb, err,
					 sizeof(err));
		if (ret)
			thv_err("%s: %s", r->opt.payload_path, err);
	} else if (r->is_elf) {
		ret = thv_elf_load(&r->vm, r->image, r->image_len, &r->elf,
				   err, sizeof(err));
		if (ret)
			thv_err("%s: %s", r->opt.payload_path, err);
	} else {
		ret = thv_vm_load(&r->vm, r->opt.load_addr, r->image,
				  r->image_len);
		if (ret)
			thv_err("cannot copy the payload into guest RAM: %s",
				strerror(-ret));
	}
	return ret ? THV_STATUS_DATAERR : THV_STATUS_OK;
}
