// SPDX-License-Identifier: GPL-2.0
/*
 * runner_test.c - the userspace runner `thv`, driven as a user would.
 *
 * Each test runs $THV_BIN with a payload from $THV_PAYLOADS, captures
 * stdout (the guest's UART output), stderr (the runner's own lines) and
 * the exit status, and checks them against what user/thv.h and the
 * payloads' headers promise.  Without THV_BIN / THV_PAYLOADS the runner
 * and payloads are looked for next to the test, as the build lays them
 * out: build/tests/../user/thv and build/tests/../payloads/.
 *
 * Tests that run a guest need /dev/thv and SKIP without it; the error
 * paths of the runner (bad option, missing payload, ...) are checked
 * everywhere.
 */
#include <elf.h>
#include <libgen.h>
#include <stddef.h>
#include <limits.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "run_cmd.h"

/* Exit statuses of `thv run` (user/thv.h, enum thv_status). */
#define ST_OK		0
#define ST_USAGE	64
#define ST_DATAERR	65
#define ST_NOINPUT	66
#define ST_UNAVAILABLE	69
#define ST_INTERNAL	70
#define ST_SHUTDOWN	75
#define ST_STRICT	79
#define ST_TIMEOUT	124

FIXTURE(runner) {
	char bin[PATH_MAX];
	char payloads[PATH_MAX];
	struct cmd_result res;
};

FIXTURE_SETUP(runner)
{
	cmd_fixture_setup();
}

FIXTURE_TEARDOWN(runner)
{
}

/* Path of payload name, or SKIP when the payloads were not built. */
static void payload_path(struct __test_metadata *_metadata,
			 FIXTURE_DATA(runner) *self, const char *name,
			 char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", self->payloads, name) >= (int)len ||
	    access(buf, R_OK))
		SKIP(longjmp(_metadata->env, 1),
		     "payload %.200s not found: set THV_PAYLOADS or build guest-payloads/",
		     buf);
}

/* Lines in buf that start with prefix. */
static int count_lines(const char *buf, const char *prefix)
{
	size_t plen = strlen(prefix);
	const char *p = buf;
	int n = 0;

	while (*p) {
		if (!strncmp(p, prefix, plen))
			n++;
		p = strchrnul(p, '\n');
		if (*p)
			p++;
	}
	return n;
}

/*
 * A payload that exists only in memory: a memfd, named by its
 * /proc/<pid>/fd path, which the runner (our child) can open.  No
 * writable filesystem is needed (the test VM has only an initramfs).
 */
static int memfd_payload(struct __test_metadata *_metadata, size_t size,
			 char *path, size_t len)
{
	static const unsigned char hlt = 0xf4;
	int fd = memfd_create("thv-test-payload", 0);

	ASSERT_LE(0, fd) TH_LOG("memfd_create: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(fd, size)) TH_LOG("ftruncate: %s",
						  strerror(errno));
	ASSERT_EQ(1, pwrite(fd, &hlt, 1, 0)) TH_LOG("pwrite: %s",
						     strerror(errno));
	snprintf(path, len, "/proc/%d/fd/%d", getpid(), fd);
	return fd;
}

/* ------------------------------------------------------------------ */
/* Without a guest: help and the runner's own errors                   */

TEST_F(runner, help)
{
	run_thv("--help");
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "Usage: thv");

	run_thv("run", "--help");
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "--timeout");
	EXPECT_CONTAINS(self->res.out, "--strict");
	EXPECT_CONTAINS(self->res.out, "--rtc");
}

TEST_F(runner, error_missing_payload)
{
	run_thv("run", "/nonexistent/thv-no-such-payload.bin");
	EXPECT_STATUS(ST_NOINPUT);
	EXPECT_CONTAINS(self->res.err, "cannot open payload");
	EXPECT_EQ(1, count_lines(self->res.err, "thv: ")) {
		TH_LOG("expected one error line");
		LOG_OUTPUT();
	}
}

TEST_F(runner, error_bad_option)
{
	run_thv("run", "--no-such-option", "x.bin");
	EXPECT_STATUS(ST_USAGE);
	EXPECT_CONTAINS(self->res.err, "unknown option");
	EXPECT_CONTAINS(self->res.err, "--no-such-option");
	EXPECT_EQ(1, count_lines(self->res.err, "thv: ")) {
		TH_LOG("expected one error line");
		LOG_OUTPUT();
	}
}

TEST_F(runner, error_no_payload_given)
{
	run_thv("run");
	EXPECT_STATUS(ST_USAGE);
	EXPECT_CONTAINS(self->res.err, "no PAYLOAD");
}

TEST_F(runner, error_dev_nonexistent)
{
	char path[64];
	int fd = memfd_payload(_metadata, 1, path, sizeof(path));

	run_thv("run", "--dev", "/nonexistent", path);
	EXPECT_STATUS(ST_UNAVAILABLE);
	EXPECT_CONTAINS(self->res.err, "/nonexistent: cannot open");
	EXPECT_EQ(1, count_lines(self->res.err, "thv: ")) {
		TH_LOG("expected one error line");
		LOG_OUTPUT();
	}
	close(fd);
}

TEST_F(runner, error_payload_too_big)
{
	char path[64];
	/* 128 KiB into 64 KiB of guest RAM. */
	int fd = memfd_payload(_metadata, 128 * 1024, path, sizeof(path));

	run_thv("run", "--memory", "64K", path);
	EXPECT_STATUS(ST_DATAERR);
	EXPECT_CONTAINS(self->res.err, "payload too big");
	EXPECT_EQ(1, count_lines(self->res.err, "thv: ")) {
		TH_LOG("expected one error line");
		LOG_OUTPUT();
	}
	close(fd);
}

/* ------------------------------------------------------------------ */
/* ELF payloads: a tiny valid one, and a corpus of broken ones          */

/*
 * The smallest useful ELF64 guest: one PT_LOAD segment holding the whole
 * file at 1 MiB, and code that writes 7 to the exit port.  Each corpus
 * test breaks one thing in a copy of it.
 */
#define TINY_BASE	0x100000ULL

struct tiny_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	unsigned char code[8];
};

static void tiny_elf_init(struct tiny_elf *t)
{
	/* mov $7, %al; out %al, $0xf4; hlt */
	static const unsigned char code[] = { 0xb0, 0x07, 0xe6, 0xf4, 0xf4 };

	memset(t, 0, sizeof(*t));
	memcpy(t->eh.e_ident, ELFMAG, SELFMAG);
	t->eh.e_ident[EI_CLASS] = ELFCLASS64;
	t->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	t->eh.e_ident[EI_VERSION] = EV_CURRENT;
	t->eh.e_type = ET_EXEC;
	t->eh.e_machine = EM_X86_64;
	t->eh.e_version = EV_CURRENT;
	t->eh.e_entry = TINY_BASE + offsetof(struct tiny_elf, code);
	t->eh.e_phoff = offsetof(struct tiny_elf, ph);
	t->eh.e_ehsize = sizeof(Elf64_Ehdr);
	t->eh.e_phentsize = sizeof(Elf64_Phdr);
	t->eh.e_phnum = 1;
	t->ph[0].p_type = PT_LOAD;
	t->ph[0].p_flags = PF_R | PF_X;
	t->ph[0].p_offset = 0;
	t->ph[0].p_vaddr = TINY_BASE;
	t->ph[0].p_paddr = TINY_BASE;
	t->ph[0].p_filesz = sizeof(*t);
	t->ph[0].p_memsz = sizeof(*t);
	t->ph[0].p_align = 0x1000;
	memcpy(t->code, code, sizeof(code));
}

/* A memfd holding len bytes of buf (see memfd_payload()). */
static int memfd_bytes(struct __test_metadata *_metadata, const void *buf,
		       size_t len, char *path, size_t path_len)
{
	int fd = memfd_create("thv-test-elf", 0);

	ASSERT_LE(0, fd) TH_LOG("memfd_create: %s", strerror(errno));
	ASSERT_EQ((ssize_t)len, pwrite(fd, buf, len, 0))
		TH_LOG("pwrite: %s", strerror(errno));
	snprintf(path, path_len, "/proc/%d/fd/%d", getpid(), fd);
	return fd;
}

/* Run `thv run [opt] file` on len bytes of t; expect status and text. */
static void run_elf_expect(struct __test_metadata *_metadata,
			   FIXTURE_DATA(runner) *self, const void *t,
			   size_t len, const char *opt, const char *optarg,
			   int status, const char *text)
{
	char path[64];
	int fd = memfd_bytes(_metadata, t, len, path, sizeof(path));

	if (opt)
		run_thv("run", (char *)opt, (char *)optarg, path);
	else
		run_thv("run", path);
	EXPECT_STATUS(status);
	EXPECT_CONTAINS(self->res.err, text);
	/* One clear line: the error, and no summary of a run. */
	EXPECT_EQ(1, count_lines(self->res.err, "thv: ")) {
		TH_LOG("expected exactly one error line");
		LOG_OUTPUT();
	}
	close(fd);
}

TEST_F(runner, elf_tiny_runs)
{
	struct tiny_elf t;
	char path[64];
	int fd;

	THV_REQUIRE_DEV();
	tiny_elf_init(&t);
	fd = memfd_bytes(_metadata, &t, sizeof(t), path, sizeof(path));
	run_thv("run", path);
	/* Status 7 can only come from the guest's OUT in 64-bit mode. */
	EXPECT_STATUS(7);
	close(fd);
}

TEST_F(runner, elf_truncated_header)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	run_elf_expect(_metadata, self, &t, 40, NULL, NULL, ST_DATAERR,
		       "ELF");
}

TEST_F(runner, elf_truncated_segment)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	run_elf_expect(_metadata, self, &t, offsetof(struct tiny_elf, code),
		       NULL, NULL, ST_DATAERR, "past the end of the file");
}

TEST_F(runner, elf_wrong_machine)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.eh.e_machine = EM_AARCH64;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "not x86");
}

TEST_F(runner, elf_not_executable)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.eh.e_type = ET_DYN;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "not an executable");
}

TEST_F(runner, elf_segment_outside_ram)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.ph[0].p_paddr = 0x40000000;	/* 1 GiB, guest RAM is 2 MiB */
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "outside guest RAM");
}

TEST_F(runner, elf_segment_huge)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	/* paddr + memsz wraps around: must not pass as "inside RAM". */
	t.ph[0].p_memsz = ~0ULL - 0x1000;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "outside guest RAM");
}

TEST_F(runner, elf_filesz_over_memsz)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.ph[0].p_memsz = 16;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "larger than p_memsz");
}

TEST_F(runner, elf_segments_overlap)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.eh.e_phnum = 2;
	t.ph[1] = t.ph[0];
	t.ph[1].p_paddr = TINY_BASE + 0x10;
	t.ph[1].p_vaddr = TINY_BASE + 0x10;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "segments overlap");
}

TEST_F(runner, elf_no_load_segment)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.ph[0].p_type = PT_NOTE;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "no loadable");
}

TEST_F(runner, elf_entry_outside_segments)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.eh.e_entry = 0x1000;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "entry point 0x1000");
}

TEST_F(runner, elf_too_many_phdrs)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	t.eh.e_phnum = 0xfff0;		/* far more than the file holds */
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "program header");
}

TEST_F(runner, elf_load_option_refused)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), "--load", "0x2000",
		       ST_USAGE, "--load is for flat binaries");
}

TEST_F(runner, elf64_entry_32_refused)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), "--entry", "32",
		       ST_USAGE, "ELF64 file cannot start in 16- or 32-bit mode");
}

TEST_F(runner, elf64_no_room_for_page_tables)
{
	struct tiny_elf t;

	tiny_elf_init(&t);
	/* 1 MiB + 64 KiB of RAM: the segment at 1 MiB hits the tables. */
	t.ph[0].p_memsz = 0xc000;
	run_elf_expect(_metadata, self, &t, sizeof(t), "--memory", "1088K",
		       ST_DATAERR, "inside the page tables");
}

/* ------------------------------------------------------------------ */
/* Multiboot kernels (Multiboot 0.6.96): a tiny one and a broken corpus */

/*
 * The smallest a.out-kludge Multiboot kernel: the header at file offset 0,
 * loaded at 1 MiB, 4 KiB of bss, and 32-bit code that ends the run with
 * status 7 if EAX holds the boot loader magic 0x2BADB002, 9 if not.
 */
#define MB_BASE		0x100000u
#define MB_MAGIC	0x1BADB002u
#define MB_FLAG_AOUT	(1u << 16)

struct tiny_mb {
	uint32_t magic, flags, checksum;
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
	uint32_t entry_addr;
	unsigned char code[20];
};

/* cmp eax, 0x2badb002; jne 1f; mov al, 7; out 0xf4, al; hlt;
 * 1: mov al, 9; out 0xf4, al; hlt (the same bytes in 32- and 64-bit) */
static const unsigned char mb_code[] = {
	0x3d, 0x02, 0xb0, 0xad, 0x2b, 0x75, 0x05, 0xb0, 0x07, 0xe6, 0xf4,
	0xf4, 0xb0, 0x09, 0xe6, 0xf4, 0xf4,
};

/* Make magic + flags + checksum zero again after changing the flags. */
static void tiny_mb_sum(struct tiny_mb *t)
{
	t->checksum = -(t->magic + t->flags);
}

static void tiny_mb_init(struct tiny_mb *t)
{
	memset(t, 0, sizeof(*t));
	t->magic = MB_MAGIC;
	t->flags = MB_FLAG_AOUT | 0x3;	/* page-align, memory info */
	t->header_addr = MB_BASE;
	t->load_addr = MB_BASE;
	t->load_end_addr = MB_BASE + sizeof(*t);
	t->bss_end_addr = MB_BASE + sizeof(*t) + 0x1000;
	t->entry_addr = MB_BASE + offsetof(struct tiny_mb, code);
	memcpy(t->code, mb_code, sizeof(mb_code));
	tiny_mb_sum(t);
}

TEST_F(runner, mb_tiny_aout_runs)
{
	struct tiny_mb t;
	char path[64];
	int fd;

	THV_REQUIRE_DEV();
	tiny_mb_init(&t);
	fd = memfd_bytes(_metadata, &t, sizeof(t), path, sizeof(path));
	run_thv("run", path);
	/* 7: entered at entry_addr with EAX = 0x2BADB002 (9: other EAX). */
	EXPECT_STATUS(7);
	close(fd);
}

/*
 * An ELF64 file with a Multiboot header (no kludge): loaded from its
 * program headers but entered in 32-bit mode with the magic in EAX, as
 * GRUB does.  Run as a plain ELF64 it would start with EAX = 0 (status 9).
 */
struct tiny_mb_elf64 {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[1];
	uint32_t mb[3];
	unsigned char code[20];
};

TEST_F(runner, mb_elf64_enters_32bit_with_magic)
{
	struct tiny_mb_elf64 t;
	struct tiny_elf e;
	char path[64];
	int fd;

	THV_REQUIRE_DEV();
	tiny_elf_init(&e);
	memset(&t, 0, sizeof(t));
	t.eh = e.eh;
	t.ph[0] = e.ph[0];
	t.ph[0].p_filesz = t.ph[0].p_memsz = sizeof(t);
	t.eh.e_entry = TINY_BASE + offsetof(struct tiny_mb_elf64, code);
	t.mb[0] = MB_MAGIC;
	t.mb[1] = 0x3;
	t.mb[2] = -(MB_MAGIC + 0x3);
	memcpy(t.code, mb_code, sizeof(mb_code));
	fd = memfd_bytes(_metadata, &t, sizeof(t), path, sizeof(path));
	run_thv("run", path);
	EXPECT_STATUS(7);
	close(fd);
}

TEST_F(runner, mb_bad_checksum)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.checksum++;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "bad checksum");
}

TEST_F(runner, mb_header_past_8k)
{
	static unsigned char buf[8192 + sizeof(struct tiny_mb)];
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* A consistent kernel, but its header is at file offset 8192. */
	t.header_addr = MB_BASE + 8192;
	t.load_end_addr = MB_BASE + sizeof(buf);
	t.bss_end_addr = t.load_end_addr;
	t.entry_addr = MB_BASE + 8192 + offsetof(struct tiny_mb, code);
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 8192, &t, sizeof(t));
	run_elf_expect(_metadata, self, buf, sizeof(buf), NULL, NULL,
		       ST_DATAERR, "past the first 8 KiB");
}

TEST_F(runner, mb_load_end_before_load_addr)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.load_end_addr = MB_BASE - 0x10;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "load_end_addr 0xffff0 is below load_addr 0x100000");
}

TEST_F(runner, mb_bss_end_past_ram)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.bss_end_addr = 0x40000000;	/* 1 GiB, guest RAM is 2 MiB */
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "outside guest RAM");
}

TEST_F(runner, mb_bss_end_below_load_end)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.bss_end_addr = MB_BASE + 4;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "below load_end_addr");
}

TEST_F(runner, mb_header_addr_outside_file)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* The header is at file offset 0: nothing can be loaded before it. */
	t.header_addr = MB_BASE + 0x100;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "start before the file");
}

TEST_F(runner, mb_load_addr_above_header_addr)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.load_addr = MB_BASE + 4;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "is above header_addr");
}

TEST_F(runner, mb_entry_outside_image)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* In the bss: zeroed memory, not loaded code. */
	t.entry_addr = t.load_end_addr + 0x10;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "entry_addr");
}

TEST_F(runner, mb_unknown_required_flags)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.flags |= 1u << 5;
	tiny_mb_sum(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "unknown required bits 0x0020");
}

TEST_F(runner, mb_video_mode_refused)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.flags |= 1u << 2;
	tiny_mb_sum(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "video mode");
}

TEST_F(runner, mb_truncated_image)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* The header promises 0x100 bytes more than the file has. */
	t.load_end_addr += 0x100;
	t.bss_end_addr += 0x100;
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "past the end of the file");
}

TEST_F(runner, mb_truncated_header)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* Magic and flags, then the file ends: no checksum. */
	run_elf_expect(_metadata, self, &t, 8, NULL, NULL, ST_DATAERR,
		       "truncated multiboot header");
}

TEST_F(runner, mb_truncated_kludge_fields)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* A valid checksum, but the a.out fields are cut off. */
	run_elf_expect(_metadata, self, &t, 20, NULL, NULL, ST_DATAERR,
		       "truncated multiboot header");
}

TEST_F(runner, mb_no_kludge_not_elf)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	t.flags &= ~MB_FLAG_AOUT;
	tiny_mb_sum(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), NULL, NULL, ST_DATAERR,
		       "not ELF");
}

TEST_F(runner, mb_no_room_for_info)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	/* RAM ends where the bss ends: no page left for the boot info. */
	t.bss_end_addr = MB_BASE + 0x1000;
	run_elf_expect(_metadata, self, &t, sizeof(t), "--memory", "1028K",
		       ST_DATAERR, "no room after the kernel");
}

TEST_F(runner, mb_load_option_refused)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), "--load", "0x2000",
		       ST_USAGE, "--load is not for multiboot kernels");
}

TEST_F(runner, mb_entry_option_refused)
{
	struct tiny_mb t;

	tiny_mb_init(&t);
	run_elf_expect(_metadata, self, &t, sizeof(t), "--entry", "64",
		       ST_USAGE, "--entry is not for multiboot kernels");
}

TEST_F(runner, mb_cmdline_needs_multiboot)
{
	static const unsigned char hlt = 0xf4;

	run_elf_expect(_metadata, self, &hlt, 1, "--cmdline", "x", ST_USAGE,
		       "--cmdline is for multiboot kernels");
}

TEST_F(runner, error_payload_empty)
{
	char path[64];
	int fd = memfd_bytes(_metadata, "", 0, path, sizeof(path));

	run_thv("run", path);
	EXPECT_STATUS(ST_DATAERR);
	EXPECT_CONTAINS(self->res.err, "payload is empty");
	close(fd);
}

TEST_F(runner, error_payload_directory)
{
	run_thv("run", "/");
	EXPECT_STATUS(ST_NOINPUT);
	EXPECT_CONTAINS(self->res.err, "is a directory");
}

TEST_F(runner, error_payload_huge_sparse)
{
	char path[64];
	int fd = memfd_create("thv-test-huge", 0);

	ASSERT_LE(0, fd) TH_LOG("memfd_create: %s", strerror(errno));
	/* 1 TiB of holes: must be refused without reading it. */
	ASSERT_EQ(0, ftruncate(fd, 1LL << 40)) TH_LOG("ftruncate: %s",
						       strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", getpid(), fd);
	run_thv("run", path);
	EXPECT_STATUS(ST_DATAERR);
	EXPECT_CONTAINS(self->res.err, "payload too big");
	EXPECT_GE(10000, self->res.ms) TH_LOG("took %llu ms",
					      (unsigned long long)self->res.ms);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Guests (need /dev/thv)                                              */

TEST_F(runner, hello)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ("Hello from a thv guest!\n", self->res.out) {
		TH_LOG("stdout should be the guest's line and nothing else");
		LOG_OUTPUT();
	}
	EXPECT_CONTAINS(self->res.err, "guest halted");
}

/* Read a whole small file into buf (NUL-terminated); its length or -1. */
static ssize_t slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static int count_str(const char *buf, const char *s)
{
	int n = 0;

	for (; (buf = strstr(buf, s)); buf += strlen(s))
		n++;
	return n;
}

/*
 * --svg draws one red "exit" arrow per VM exit (the first 48), a purple
 * pair for each exit that went out to the runner, and --map-svg one
 * green guest run and one host box per run of the live nested page
 * table.  The numbers must agree with the trace of the same run.
 */
TEST_F(runner, svg_pictures)
{
	static char svg[256 * 1024];
	const char *exits_svg = "/tmp/thv-test-exits.svg";
	const char *map_svg = "/tmp/thv-test-map.svg";
	unsigned long long exits = 0;
	char path[PATH_MAX];
	int drawn = 0, out, user = 0;
	const char *p;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "cpuid.bin", path, sizeof(path));
	unlink(exits_svg);
	unlink(map_svg);
	run_thv("run", "--trace", "--svg", (char *)exits_svg, "--map-svg",
		(char *)map_svg, path);
	EXPECT_STATUS(ST_OK);
	p = strstr(self->res.err, " after ");
	ASSERT_NE(NULL, p) LOG_OUTPUT();
	ASSERT_EQ(1, sscanf(p, " after %llu exit", &exits)) LOG_OUTPUT();
	/* The user-space exits among the first 48 trace lines. */
	for (p = self->res.err; (p = strstr(p, "thv: #")) && drawn < 48;
	     p++, drawn++) {
		const char *nl = strchrnul(p, '\n');
		const char *u = strstr(p, "sent to user space");

		if (u && u < nl)
			user++;
	}

	ASSERT_LT(0, slurp(exits_svg, svg, sizeof(svg))) {
		TH_LOG("--svg wrote no %s", exits_svg);
		LOG_OUTPUT();
	}
	EXPECT_EQ(0, strncmp(svg, "<?xml", 5));
	EXPECT_NE(NULL, strstr(svg, "</svg>\n"));
	drawn = count_str(svg, "class=\"exit\"");	/* the arrows */
	EXPECT_EQ(exits < 48 ? (int)exits : 48, drawn) {
		TH_LOG("%llu exits, %d exit arrows drawn", exits, drawn);
	}
	/*
	 * Each user exit goes down to the runner and comes back up, but
	 * the one that ends the run (the last, if it is drawn).
	 */
	out = count_str(svg, "class=\"out\"");
	EXPECT_EQ(2 * user - (exits <= 48), out) {
		TH_LOG("%d user exits in the first 48, %d runner arrows",
		       user, out);
	}
	EXPECT_NE(NULL, strstr(svg, "#1 NPF"));
	EXPECT_NE(NULL, strstr(svg, " CPUID</text>")) {
		TH_LOG("no CPUID exit drawn: kernel exits are missing");
	}

	ASSERT_LT(0, slurp(map_svg, svg, sizeof(svg))) {
		TH_LOG("--map-svg wrote no %s", map_svg);
		LOG_OUTPUT();
	}
	EXPECT_NE(NULL, strstr(svg, "</svg>\n"));
	/* The code page at 0x1000 was touched; so was the stack's. */
	EXPECT_NE(NULL, strstr(svg, "GPA 0x1000 ")) {
		TH_LOG("no run for the code page 0x1000 in the map");
	}
	EXPECT_LE(2, count_str(svg, "class=\"host\""));
	EXPECT_EQ(count_str(svg, "class=\"run\""),
		  count_str(svg, "class=\"host\""));
	EXPECT_NE(NULL, strstr(svg, "HPA 0x"));
	unlink(exits_svg);
	unlink(map_svg);

	/* A file that cannot be written: one line, status 71. */
	run_thv("run", "--svg", "/nonexistent/dir/x.svg", path);
	EXPECT_STATUS(71);
	EXPECT_CONTAINS(self->res.err, "--svg /nonexistent/dir/x.svg: ");
}

TEST_F(runner, hello_trace)
{
	unsigned long long summary_exits = 0;
	const char *summary, *p;
	char path[PATH_MAX], want_hlt[96];
	int traced, i;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv("run", "--trace", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ("Hello from a thv guest!\n", self->res.out) {
		TH_LOG("--trace must not change stdout");
		LOG_OUTPUT();
	}

	/* Summary: "thv: guest halted after N exits (...)". */
	summary = strstr(self->res.err, " after ");
	ASSERT_NE(NULL, summary) {
		TH_LOG("no summary line");
		LOG_OUTPUT();
	}
	ASSERT_EQ(1, sscanf(summary, " after %llu exit", &summary_exits)) {
		TH_LOG("cannot read the exit count of the summary");
		LOG_OUTPUT();
	}

	/* One "thv: #N ..." line per exit, numbered 1..N, the last HLT. */
	traced = count_lines(self->res.err, "thv: #");
	EXPECT_EQ(summary_exits, traced) {
		TH_LOG("summary says %llu exits, trace has %d lines",
		       summary_exits, traced);
		LOG_OUTPUT();
	}
	/* Each character of the message is at least one OUT. */
	EXPECT_LE((int)strlen("Hello from a thv guest!\n"), traced);
	p = self->res.err;
	for (i = 1; i <= traced; i++) {
		char want[32];

		snprintf(want, sizeof(want), "thv: #%d ", i);
		p = strstr(p, want);
		ASSERT_NE(NULL, p) {
			TH_LOG("trace line #%d missing or out of order", i);
			LOG_OUTPUT();
		}
		p++;
	}
	/* The trace format: stepper_test.c checks every line of it. */
	snprintf(want_hlt, sizeof(want_hlt), "thv: #%d HLT; rip 0x1007 real: "
		 "hlt; sent to user space\n", traced);
	EXPECT_NE(NULL, strstr(self->res.err, want_hlt)) {
		TH_LOG("the last traced exit should be \"%s\"", want_hlt);
		LOG_OUTPUT();
	}
}

TEST_F(runner, cpuid)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "cpuid.bin", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "hypervisor bit (leaf 1 ECX[31]) = 1");
}

TEST_F(runner, virt)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "virt.bin", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "max leaf 0x40000001");
	EXPECT_CONTAINS(self->res.out, "signature \"thvthvthv\"");
	EXPECT_CONTAINS(self->res.out, "I am running on thv");
}

TEST_F(runner, hypercall)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hypercall.bin", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "add(1, 2, 3, 4) -> 0x0000000a");
	EXPECT_CONTAINS(self->res.out, "Hello through the puts hypercall!");
	EXPECT_CONTAINS(self->res.out, "add via VMCALL -> 0x0000000a");
	EXPECT_CONTAINS(self->res.out, "hypercall: all results as expected");
}

TEST_F(runner, mmio)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "mmio.bin", p, sizeof(p));
	run_thv("run", "--entry", "32", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "mmio: MAGIC = 0x21564854");
	EXPECT_CONTAINS(self->res.out, "mmio: COUNTER = 0x00000001, then 0x00000002");
	EXPECT_CONTAINS(self->res.out, "mmio: SCRATCH | 0x100 = 0x12345778 "
			"(OR, CMP emulated)");
	EXPECT_CONTAINS(self->res.out, "mmio: all reads as expected");
}

/* --trace names an emulated instruction as capstone prints it. */
TEST_F(runner, mmio_trace_user_decode)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "mmio.bin", p, sizeof(p));
	run_thv("run", "--entry", "32", "--trace", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.err, "MMIO: emulated 'or dword ptr [ebx + 8], "
			"0x100' gpa 0xd0000008 read 0x12345678 write 0x12345778 "
			"(mmio-demo SCRATCH); rip 0x");
	EXPECT_CONTAINS(self->res.err, "MMIO: emulated 'cmp dword ptr [ebx + 8], "
			"0x12345778' gpa 0xd0000008 read 0x12345778 "
			"(mmio-demo SCRATCH)");
}

/* An MMIO instruction the runner cannot emulate: status 70, its name. */
TEST_F(runner, mmio_unsupported_insn)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "mmio_fpu.bin", p, sizeof(p));
	run_thv("run", "--entry", "32", p);
	EXPECT_STATUS(ST_INTERNAL);
	EXPECT_CONTAINS(self->res.out, "mmio_fpu: FLD from the MMIO demo device");
	EXPECT_CONTAINS(self->res.err, "thv: MMIO: cannot emulate 'fld' at rip 0x");
	EXPECT_EQ(NULL, strstr(self->res.out, "FAIL"));
}

/* C guests (guest-payloads/lib): ELF64 in long mode, ELF32 flat. */
TEST_F(runner, hello64_c)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello64.elf", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "hello_c: Hello from 64-bit C!\n");
	EXPECT_CONTAINS(self->res.out, "hello_c: CPU vendor ");
	/* PG | PE | ET | NE and PAE: the state --entry 64 promises. */
	EXPECT_CONTAINS(self->res.out, "hello_c: CR0=0x80000031 CR4=0x20\n");
	EXPECT_CONTAINS(self->res.out, "hello_c: 1 4 9 16 25\n");
	EXPECT_CONTAINS(self->res.out, "hello_c: caught #UD at 0x");
	EXPECT_CONTAINS(self->res.err, "guest done (ucall)");
}

/*
 * EPT/NPT: every first touch of a guest page is a nested page fault that
 * thv.ko handles without userspace.  npt64.elf touches 256 new pages;
 * the summary line must count at least that many in-kernel exits.
 */
TEST_F(runner, npt64_c)
{
	unsigned long long all = 0, inside = 0;
	char p[PATH_MAX];
	const char *s;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "npt64.elf", p, sizeof(p));
	run_thv("run", "-m", "8M", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "npt: wrote 256 fresh pages\n");
	EXPECT_CONTAINS(self->res.out, "npt: read back 256 pages ok\n");
	s = strstr(self->res.err, " VM exits in all, ");
	ASSERT_NE(NULL, s) {
		LOG_OUTPUT();
	}
	while (s > self->res.err && s[-1] >= '0' && s[-1] <= '9')
		s--;
	ASSERT_EQ(2, sscanf(s, "%llu VM exits in all, %llu of them handled inside",
			    &all, &inside)) {
		LOG_OUTPUT();
	}
	EXPECT_LE(256, inside) TH_LOG("%llu exits handled in thv.ko for 256 fresh pages",
				      inside);
	EXPECT_LE(inside, all);
}

/* MSRs kept per guest: SYSCALL must land on the guest's own LSTAR. */
TEST_F(runner, msr64_c)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "msr64.elf", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out,
			"msr: syscall went to the guest's LSTAR 3 times\n");
	EXPECT_CONTAINS(self->res.out, "msr: all MSR checks passed\n");
}

/*
 * MMIO instructions thv.ko leaves to userspace (OR, CMP, XCHG, BTS, REP
 * STOS, ...): the runner emulates them with libthv's capstone-based
 * emulator; the guest compares each with the same instruction on RAM.
 * Thousands of exits to userspace: about 7 s under QEMU's TCG, whose
 * guest clock is the host's wall clock, and more than the harness's
 * default 30 s once in a CI run on a host slowed fourfold.  The timeout
 * is there to catch a hang, not to time the runner (make bench does).
 */
TEST_F_TIMEOUT(runner, mmio64_c, 120)
{
	static const char *const lines[] = {
		"mmio: mov store ok", "mmio: mov load ok", "mmio: or ok",
		"mmio: or to reg ok", "mmio: and imm ok", "mmio: xor ok",
		"mmio: add ok", "mmio: sub imm8 ok", "mmio: inc ok",
		"mmio: dec ok", "mmio: bitwise not ok", "mmio: neg ok",
		"mmio: test ok", "mmio: test imm ok", "mmio: cmp mem-reg ok",
		"mmio: cmp reg-mem ok", "mmio: xchg ok", "mmio: lock xchg ok",
		"mmio: bts ok", "mmio: btr mod width ok", "mmio: bt ok",
		"mmio: movzx/movsx ok", "mmio: known flags ok",
		"mmio: stos ok\n", "mmio: rep stos ok\n",
		"mmio: all forms ok\n",
	};
	char p[PATH_MAX];
	unsigned int i;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "mmio64.elf", p, sizeof(p));
	run_thv("run", "-q", p);
	EXPECT_STATUS(ST_OK);
	for (i = 0; i < ARRAY_SIZE(lines); i++)
		EXPECT_CONTAINS(self->res.out, lines[i]);
	EXPECT_EQ(NULL, strstr(self->res.out, "MMIO gave"));
}

/*
 * cpu_c.c: the intercepted instructions (TSC, RDTSCP, PAUSE, DRn, INVD,
 * WBINVD, CPUID), INT3/INT n through the guest's IDT, #UD for VMRUN and
 * MONITOR.  Each group prints its line only after its GUEST_ASSERTs
 * passed; a failed one ends the run with status 1 and no DONE.
 */
static const char *const cpu_c_lines[] = {
	"cpu: tsc ok\n",
	"cpu: rdtscp ok\n",
	"cpu: pause x1000 ok\n",
	"cpu: debug registers ok\n",
	"cpu: invd and wbinvd ok\n",
	/* 0 or 1: thv offers XSAVE only where fpu.c can switch it. */
	"cpu: xsave (leaf 1 ECX[26]) = ",
	"cpu: cpuid ok\n",
	"cpu: rep outsb reached the UART\n",
	"cpu: rep insb from an empty port ok\n",
	"cpu: int3 and int $0x80 ok\n",
	"cpu: #UD for vmrun and monitor ok\n",
};

static void check_cpu_c(struct __test_metadata *_metadata,
			FIXTURE_DATA(runner) *self, const char *elf,
			const char *last)
{
	char p[PATH_MAX];
	unsigned int i;

	payload_path(_metadata, self, elf, p, sizeof(p));
	/* A guest stuck on an instruction fails here, not at the harness. */
	run_thv("run", "--timeout", "10", p);
	EXPECT_STATUS(ST_OK);
	/* Lines come in order: report the first missing one only. */
	for (i = 0; i < ARRAY_SIZE(cpu_c_lines); i++) {
		EXPECT_CONTAINS(self->res.out, cpu_c_lines[i]);
		if (!strstr(self->res.out, cpu_c_lines[i]))
			break;
	}
	/* XSETBV is checked wherever the guest was offered XSAVE. */
	if (strstr(self->res.out, "cpu: xsave (leaf 1 ECX[26]) = 1\n"))
		EXPECT_CONTAINS(self->res.out, "cpu: xsetbv ok (XCR0 = 0x3)\n");
	else
		EXPECT_CONTAINS(self->res.out, "cpu: xsetbv skipped (no XSAVE)\n");
	EXPECT_CONTAINS(self->res.out, last);
	EXPECT_CONTAINS(self->res.err, "guest done (ucall)");
}

TEST_F(runner, cpu64_c)
{
	THV_REQUIRE_DEV();
	check_cpu_c(_metadata, self, "cpu64.elf",
		    "cpu: all checks passed (64-bit)\n");
}

TEST_F(runner, cpu32_c)
{
	THV_REQUIRE_DEV();
	check_cpu_c(_metadata, self, "cpu32.elf",
		    "cpu: all checks passed (32-bit)\n");
}

TEST_F(runner, hello32_c)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello32.elf", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "hello_c: Hello from 32-bit C!\n");
	EXPECT_CONTAINS(self->res.out, "hello_c: CR0=0x11 CR4=0x0\n");
	EXPECT_CONTAINS(self->res.out, "hello_c: 1 4 9 16 25\n");
	EXPECT_CONTAINS(self->res.err, "guest done (ucall)");
}

TEST_F(runner, guest_assert_fails_run)
{
	static const char *const elfs[] = { "assert64.elf", "assert32.elf" };
	char p[PATH_MAX];
	unsigned int i;

	THV_REQUIRE_DEV();
	for (i = 0; i < 2; i++) {
		payload_path(_metadata, self, elfs[i], p, sizeof(p));
		run_thv("run", p);
		EXPECT_STATUS(1);
		EXPECT_CONTAINS(self->res.out, "about to check that 2 + 2 == 5");
		EXPECT_CONTAINS(self->res.err, "guest assertion failed: assert_c.c:");
		EXPECT_CONTAINS(self->res.err, "failed: 0x4 != 0x5");
		EXPECT_EQ(NULL, strstr(self->res.out, "not reached"));
	}
}

TEST_F(runner, pm32)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "pm32.bin", p, sizeof(p));
	run_thv("run", "--entry", "32", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "pm32: hello from 32-bit protected mode");
	EXPECT_CONTAINS(self->res.out, "and read it back");
}

TEST_F(runner, triple_fault)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "triple.bin", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_SHUTDOWN);
	EXPECT_CONTAINS(self->res.out, "triple: loading an empty IDT");
	EXPECT_CONTAINS(self->res.err, "triple-faulted");
}

TEST_F_TIMEOUT(runner, runaway_timeout, 60)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "runaway.bin", p, sizeof(p));
	run_thv("run", "--timeout", "2", p);
	EXPECT_STATUS(ST_TIMEOUT);
	EXPECT_CONTAINS(self->res.out, "runaway: spinning");
	EXPECT_CONTAINS(self->res.err, "--timeout of 2 s expired");
	EXPECT_LE(1500, self->res.ms) {
		TH_LOG("stopped after %llu ms, before the 2 s timeout",
		       (unsigned long long)self->res.ms);
	}
	EXPECT_GE(12000, self->res.ms) {
		TH_LOG("took %llu ms to stop after a 2 s timeout",
		       (unsigned long long)self->res.ms);
	}
}

/*
 * Check the memory map a multiboot kernel printed ("multiboot: mmap base
 * 0x... len 0x... type N" lines): the entries must tile [0, mem) in order,
 * and the one reserved entry must be the information page at EBX.
 */
static void check_mb_mmap(struct __test_metadata *_metadata,
			  FIXTURE_DATA(runner) *self, uint64_t mem)
{
	unsigned long long base, len, next = 0, info = 0;
	int n = 0, avail = 0, reserved = 0;
	const char *p = self->res.out;
	unsigned int type;

	p = strstr(p, "multiboot: info at 0x");
	ASSERT_NE(NULL, p) {
		LOG_OUTPUT();
	}
	ASSERT_EQ(1, sscanf(p, "multiboot: info at 0x%llx", &info));
	while ((p = strstr(p, "multiboot: mmap base 0x"))) {
		ASSERT_EQ(3, sscanf(p, "multiboot: mmap base 0x%llx len 0x%llx "
				    "type %u", &base, &len, &type)) {
			LOG_OUTPUT();
		}
		EXPECT_EQ(next, base) {
			TH_LOG("mmap entry %d starts at 0x%llx, not 0x%llx",
			       n, base, next);
			LOG_OUTPUT();
		}
		if (type == 1) {
			avail++;
		} else {
			reserved++;
			EXPECT_EQ(info, base) TH_LOG("reserved: not the info");
			EXPECT_EQ(0x1000, len);
		}
		next = base + len;
		n++;
		p++;
	}
	EXPECT_LE(2, n);
	EXPECT_LE(1, avail);
	EXPECT_EQ(1, reserved);
	EXPECT_EQ(mem, next) {
		TH_LOG("the memory map ends at 0x%llx, RAM at 0x%llx", next,
		       (unsigned long long)mem);
		LOG_OUTPUT();
	}
	/* The kernel is at 1 MiB: the info page must be above it. */
	EXPECT_LT(0x100000, info);
}

TEST_F(runner, multiboot_elf)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "multiboot.elf", p, sizeof(p));
	run_thv("run", "--memory", "16M", "--cmdline", "hello world", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "multiboot: hello from an ELF kernel\n");
	EXPECT_CONTAINS(self->res.out, "multiboot: magic 0x2badb002\n");
	/* flags: memory (0), cmdline (2), mmap (6), boot loader name (9) */
	EXPECT_CONTAINS(self->res.out, ", flags 0x00000245\n");
	/* 16 MiB: 640 KiB below 1 MiB, 15 MiB above it. */
	EXPECT_CONTAINS(self->res.out,
			"multiboot: mem_lower 640 KiB, mem_upper 15360 KiB\n");
	EXPECT_CONTAINS(self->res.out, "multiboot: cmdline \"hello world\"\n");
	EXPECT_CONTAINS(self->res.out, "multiboot: boot loader \"thv\"\n");
	EXPECT_CONTAINS(self->res.out, "multiboot: done\n");
	check_mb_mmap(_metadata, self, 16ULL << 20);
}

TEST_F(runner, multiboot_aout)
{
	char p[PATH_MAX], want[PATH_MAX + 32];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "multiboot_aout.bin", p, sizeof(p));
	run_thv("run", "--memory", "4M", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out,
			"multiboot: hello from an a.out kludge kernel\n");
	EXPECT_CONTAINS(self->res.out, "multiboot: magic 0x2badb002\n");
	EXPECT_CONTAINS(self->res.out,
			"multiboot: mem_lower 640 KiB, mem_upper 3072 KiB\n");
	/* Without --cmdline, the command line is the payload's path. */
	snprintf(want, sizeof(want), "multiboot: cmdline \"%s\"\n", p);
	EXPECT_CONTAINS(self->res.out, want);
	EXPECT_CONTAINS(self->res.out, "multiboot: done\n");
	check_mb_mmap(_metadata, self, 4ULL << 20);
}

/* Real -> protected -> long mode, all done by the guest itself. */
TEST_F(runner, climb)
{
	unsigned long long efer = 0;
	char p[PATH_MAX];
	const char *s;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "climb.bin", p, sizeof(p));
	run_thv("run", p);
	EXPECT_STATUS(ST_OK);
	/* Real mode: CS = 0, CR0 = ET only (PE clear). */
	EXPECT_CONTAINS(self->res.out,
			"climb: real mode: CS=0x00000000 CR0=0x00000010\n");
	/* Protected mode: CS from our GDT, CR0.PE set, no paging yet. */
	EXPECT_CONTAINS(self->res.out,
			"climb: protected mode: CS=0x00000008 CR0=0x00000011\n");
	/* Long mode: EFER read by the guest in 64-bit code. */
	s = strstr(self->res.out, "climb: long mode: EFER=0x");
	ASSERT_NE(NULL, s) {
		LOG_OUTPUT();
	}
	ASSERT_EQ(1, sscanf(s, "climb: long mode: EFER=0x%llx", &efer));
	EXPECT_EQ(0x100, efer & 0x100) TH_LOG("EFER.LME clear: 0x%llx", efer);
	EXPECT_EQ(0x400, efer & 0x400) TH_LOG("EFER.LMA clear: 0x%llx", efer);
	EXPECT_CONTAINS(s, " CR0=0x0000000080000011\n");
	EXPECT_CONTAINS(self->res.out,
			"climb: EFER.LMA=1, 1 << 40 = 0x0000010000000000\n");
}

/* ------------------------------------------------------------------ */
/* The PC devices (user/devices/): RTC, fw_cfg, PCI, strict mode       */

/* The lines devices_c.c prints for --memory 32M --rtc 2026-11-21T10:20:30. */
static const char *const devices_expect[] = {
	"devices: rtc raw 30 20 10 07 21 11 26 20 (BCD, 24h)\n",
	"devices: rtc date 2026-11-21 time 10:20:30 weekday 7\n",
	"devices: rtc binary 30 20 10 21 11 26\n",
	"devices: rtc 12h hour 0x10\n",
	"devices: rtc A 0x26 B 0x02 C 0x00 D 0x80\n",
	/* 640K base; 31 MiB above 1 MiB; 16 MiB above 16 MiB = 256 x 64K */
	"devices: cmos base 640K ext 31744K ext2 31744K above16M 256\n",
	"devices: fw_cfg signature THV id 0x1\n",
	"devices: fw_cfg ram 33554432 cpus 1 past-end 0 unknown 0\n",
	"devices: pci addr 0x80001808 data 0xffffffff byte 0xff\n",
	"devices: port 0x3e0 reads 0xff\n",
	"devices: done\n",
};

TEST_F(runner, devices_c)
{
	static const char *const elfs[] = { "devices64.elf", "devices32.elf" };
	char p[PATH_MAX];
	unsigned int i, j;

	THV_REQUIRE_DEV();
	for (i = 0; i < 2; i++) {
		payload_path(_metadata, self, elfs[i], p, sizeof(p));
		run_thv("run", "--mem", "32M", "--rtc", "2026-11-21T10:20:30",
			p);
		EXPECT_STATUS(ST_OK);
		for (j = 0; j < sizeof(devices_expect) / sizeof(devices_expect[0]); j++)
			EXPECT_CONTAINS(self->res.out, devices_expect[j]);
		/* The OUT and the IN of port 0x3e0: counted, not fatal. */
		EXPECT_CONTAINS(self->res.err,
				"unclaimed accesses: 2 port, 0 MMIO");
	}
}

/* Another time and size: 12-hour PM, the century, memory under 16M. */
TEST_F(runner, devices_rtc_pm)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "devices64.elf", p, sizeof(p));
	run_thv("run", "--mem", "8M", "--rtc", "1999-12-31T23:59:58", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out,
			"devices: rtc raw 58 59 23 06 31 12 99 19 (BCD, 24h)\n");
	EXPECT_CONTAINS(self->res.out, "devices: rtc binary 58 59 23 31 12 99\n");
	/* 11 PM: BCD 0x11 with bit 7 (PM) set. */
	EXPECT_CONTAINS(self->res.out, "devices: rtc 12h hour 0x91\n");
	EXPECT_CONTAINS(self->res.out,
			"devices: cmos base 640K ext 7168K ext2 7168K above16M 0\n");
	EXPECT_CONTAINS(self->res.out, "devices: fw_cfg ram 8388608 cpus 1");
}

TEST_F(runner, strict_unclaimed_port)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "devices64.elf", p, sizeof(p));
	run_thv("run", "--strict", "--rtc", "2026-11-21T10:20:30", p);
	EXPECT_STATUS(ST_STRICT);
	/* Every device above is claimed: it gets as far as the OUT. */
	EXPECT_CONTAINS(self->res.out, "devices: pci addr 0x80001808");
	EXPECT_EQ(NULL, strstr(self->res.out, "devices: port 0x3e0")) {
		TH_LOG("the run should stop at the OUT to port 0x3e0");
		LOG_OUTPUT();
	}
	EXPECT_EQ(NULL, strstr(self->res.out, "devices: done"));
	EXPECT_CONTAINS(self->res.err,
			"thv: strict: OUT of unclaimed port 0x3e0, size 1, at rip 0x");
	EXPECT_EQ(1, count_lines(self->res.err, "thv: strict:")) {
		TH_LOG("expected one strict-mode error line");
		LOG_OUTPUT();
	}
}

TEST_F(runner, error_bad_rtc)
{
	static const char *const bad[] = {
		"2026-11-21", "2026-13-01T00:00:00", "2026-02-30T10:00:00",
		"2026-11-21T24:00:00", "2026-11-21T10:20:30Z", "yesterday",
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		run_thv("run", "--rtc", (char *)bad[i], "x.bin");
		EXPECT_STATUS(ST_USAGE);
		EXPECT_CONTAINS(self->res.err, "--rtc");
		EXPECT_EQ(1, count_lines(self->res.err, "thv: "));
	}
}

/* ------------------------------------------------------------------ */
/* Interrupts: PIC + PIT, the local APIC, the interrupt window         */

/* Every line of want (NULL-terminated) in the guest's stdout. */
#define EXPECT_LINES(want) do {						\
	const char *const *__w;						\
									\
	for (__w = (want); *__w; __w++)					\
		EXPECT_CONTAINS(self->res.out, *__w);			\
} while (0)

TEST_F_TIMEOUT(runner, pit_c, 60)
{
	static const char *const want[] = {
		"pit: PIC remapped to 0x20, PIT at 100 Hz\n",
		"pit: counted 20 IRQ0s, EOI after each\n",
		"pit: counter latch reads 1..11932 and counts down\n",
		"pit: masked IRQ0: none delivered in 5 periods, IRR bit 0 set\n",
		"pit: unmasked: the waiting IRQ0 came at once\n",
		"pit: ok\n",
		NULL,
	};
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "pit64.elf", p, sizeof(p));
	run_thv("run", "--timeout", "30", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_LINES(want);
	/* 20 periods of 10 ms, and 5 more: the PIT's rate is kept. */
	EXPECT_LE(200, self->res.ms) {
		TH_LOG("25 ticks at 100 Hz took only %llu ms",
		       (unsigned long long)self->res.ms);
	}
	EXPECT_CONTAINS(self->res.err, "interrupts injected");
}

TEST_F_TIMEOUT(runner, lapic_c, 60)
{
	static const char *const want[] = {
		"lapic: CPUID says APIC and x2APIC\n",
		"lapic: xAPIC id 0 version 0x50014\n",
		"lapic: xAPIC timer: 10 ticks on vector 0x40\n",
		"lapic: xAPIC self-IPI vector 0x50 arrived\n",
		"lapic: TPR 0x60 held vector 0x51 in the IRR; TPR 0 let it in\n",
		"lapic: x2APIC on: APIC_BASE 0xfee00d00\n",
		"lapic: x2APIC id 0 version 0x50014\n",
		"lapic: x2APIC timer: 10 ticks on vector 0x41\n",
		"lapic: x2APIC ICR self-IPI vector 0x52 arrived\n",
		"lapic: x2APIC SELF_IPI vector 0x53 arrived\n",
		"lapic: ok\n",
		NULL,
	};
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "lapic64.elf", p, sizeof(p));
	run_thv("run", "--timeout", "30", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_LINES(want);
	/* 2 x 10 ticks of 10 ms. */
	EXPECT_LE(180, self->res.ms);
	/* The xAPIC page and the x2APIC MSRs are the runner's, not #GP. */
	EXPECT_EQ(NULL, strstr(self->res.err, "got #GP")) LOG_OUTPUT();
}

TEST_F_TIMEOUT(runner, cli_window_c, 60)
{
	static const char *const want[] = {
		"cli_window: PIT IRQ0 pending in the IRR while IF=0\n",
		"cli_window: PIT IRQ0 delivered right after STI\n",
		"cli_window: self-IPI pending in the IRR while IF=0\n",
		"cli_window: self-IPI delivered right after STI\n",
		"cli_window: ok\n",
		NULL,
	};
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "cli_window64.elf", p, sizeof(p));
	run_thv("run", "--timeout", "30", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_LINES(want);
	/* Both went through an interrupt-window exit. */
	EXPECT_CONTAINS(self->res.err, "IRQ_WINDOW 2");
	EXPECT_CONTAINS(self->res.err, "2 interrupts injected");
}

/* The final demo: the exact report, the same on SVM and VMX. */
TEST_F_TIMEOUT(runner, platform_c, 60)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "platform64.elf", p, sizeof(p));
	run_thv("run", "--mem", "32M", "--timeout", "30", p);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ("platform: fw_cfg: 32 MiB of RAM, 1 CPU\n"
		     "platform: RTC status D 0x80 (valid)\n"
		     "platform: MMIO: demo MAGIC 0x21564854, xAPIC version 0x50014\n"
		     "platform: MSR: PAT 0x7040600070406, TSC counts up\n"
		     "platform: PIT: 5 timer interrupts on vector 0x20\n"
		     "platform: x2APIC: id 0 version 0x50014\n"
		     "platform: x2APIC timer: 5 interrupts on vector 0x30\n"
		     "platform: ok\n", self->res.out) {
		LOG_OUTPUT();
	}
	EXPECT_CONTAINS(self->res.err, "guest done (ucall)");
}

/*
 * HLT with IF = 1 and a timer armed waits for it (pit_c shows that);
 * with IF = 0 it still ends the run: hello.bin halts with IF = 0 and
 * must not hang although the runner now has timers.  And a periodic
 * PIT whose IRQ0 is masked keeps an IF = 1 HLT waiting until --timeout.
 */
TEST_F_TIMEOUT(runner, hlt_masked_timer_waits, 60)
{
	char p[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hlt_masked64.elf", p, sizeof(p));
	run_thv("run", "--timeout", "2", p);
	EXPECT_STATUS(ST_TIMEOUT);
	EXPECT_CONTAINS(self->res.out, "hlt_masked: IRQ0 masked, sti; hlt\n");
	EXPECT_CONTAINS(self->res.err, "--timeout of 2 s expired");
	EXPECT_LE(1500, self->res.ms);
}

TEST_HARNESS_MAIN
