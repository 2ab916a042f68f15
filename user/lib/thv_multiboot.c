// SPDX-License-Identifier: GPL-2.0
/*
 * thv_multiboot.c - boot a Multiboot (version 1) kernel, as GRUB would.
 *
 * The Multiboot Specification 0.6.96 is a contract between a boot loader
 * and an OS kernel, so that one loader can start many kernels:
 *
 *   - the kernel carries a Multiboot header (section 3.1) somewhere in its
 *     first 8 KiB: a magic number, flags saying what it needs from the
 *     loader, a checksum, and (optionally) where to load it;
 *   - the loader puts the kernel in memory, writes a Multiboot information
 *     structure (section 3.3: memory sizes, command line, memory map...)
 *     and jumps to the entry point in flat 32-bit protected mode with
 *     EAX = 0x2BADB002 and EBX = the address of that structure (3.2).
 *
 * There are two ways to say where the kernel goes (3.1.3): an ELF
 * executable says it in its program headers (we reuse thv_elf.c), and any
 * other format sets flag bit 16, "the a.out kludge", and gives the
 * addresses in the header itself.  The kludge wins when both are there.
 *
 * Where thv puts the boot information: in one 4 KiB page, at the first page
 * boundary after the highest byte the kernel occupies (its .bss included).
 * The memory map tells the kernel that this page is reserved and that the
 * rest of guest RAM is available.  Nothing else is reserved: thv has no
 * BIOS, so there is no real-mode IVT, EBDA or VGA hole to keep out of.
 *
 * Like the ELF loader, everything is checked before anything is written,
 * and each failure is one sentence in err.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "thv_lib.h"

/* Section 3.1.1: the header is 32-bit aligned in the first 8192 bytes. */
#define MB_HEADER_MAGIC		0x1BADB002u
#define MB_SEARCH_LIMIT		8192u
/* Section 3.2: what EAX holds at entry, proof that a loader was here. */
#define MB_BOOTLOADER_MAGIC	0x2BADB002u

/* Section 3.1.2: the header's flags. Bits 0-15 are requirements. */
#define MB_FLAG_PAGE_ALIGN	(1u << 0)	/* modules on 4 KiB pages */
#define MB_FLAG_MEMORY_INFO	(1u << 1)	/* mem_* fields wanted */
#define MB_FLAG_VIDEO_MODE	(1u << 2)	/* a video mode wanted */
#define MB_FLAG_REQUIRED_MASK	0xffffu
#define MB_FLAG_AOUT_KLUDGE	(1u << 16)	/* address fields valid */

/* Section 3.1.1: header sizes: magic/flags/checksum, +address, +video. */
#define MB_HEADER_BASE_SIZE	12u
#define MB_HEADER_AOUT_SIZE	32u

/* Section 3.3: the flags of the information structure we set. */
#define MB_INFO_MEMORY		(1u << 0)	/* mem_lower, mem_upper */
#define MB_INFO_CMDLINE		(1u << 2)
#define MB_INFO_MEM_MAP		(1u << 6)	/* mmap_length, mmap_addr */
#define MB_INFO_LOADER_NAME	(1u << 9)	/* boot_loader_name */

/* Section 3.3, "mmap": the types of a memory map entry. */
#define MB_MMAP_AVAILABLE	1u
#define MB_MMAP_RESERVED	2u

#define MB_4G			0x100000000ULL
#define MB_1M			0x100000ULL
#define MB_LOWER_MAX		(640ULL << 10)	/* mem_lower is at most 640K */
#define MB_PAGE			0x1000ULL

/* Section 3.3: the Multiboot information structure, all 32-bit fields. */
struct mb_info {
	uint32_t flags;
	uint32_t mem_lower;		/* KiB from 0 (at most 640) */
	uint32_t mem_upper;		/* KiB from 1 MiB */
	uint32_t boot_device;
	uint32_t cmdline;		/* physical address of a C string */
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off;
	uint16_t vbe_interface_len;
};

/*
 * Section 3.3: one memory map entry.  'size' does not count itself, so a
 * kernel walks the map with "next = this + size + 4"; packed, because
 * base_addr sits at offset 4.
 */
struct mb_mmap_entry {
	uint32_t size;
	uint64_t base_addr;
	uint64_t length;
	uint32_t type;
} __attribute__((packed));

/* Our layout of the boot information page (THV_MB_INFO_SIZE bytes). */
#define MB_PAGE_INFO		0x000	/* struct mb_info */
#define MB_PAGE_MMAP		0x080	/* up to MB_MMAP_MAX entries */
#define MB_MMAP_MAX		3
#define MB_PAGE_NAME		0x0e0	/* "thv" */
#define MB_PAGE_CMDLINE		0x100	/* up to THV_MB_CMDLINE_MAX bytes */
#define MB_LOADER_NAME		"thv"

_Static_assert(sizeof(struct mb_info) <= MB_PAGE_MMAP, "info too big");
_Static_assert(MB_PAGE_MMAP + MB_MMAP_MAX * sizeof(struct mb_mmap_entry) <=
	       MB_PAGE_NAME, "mmap too big");
_Static_assert(MB_PAGE_CMDLINE + THV_MB_CMDLINE_MAX <= THV_MB_INFO_SIZE,
	       "command line does not fit");

/* A little-endian 32-bit field of the file (x86 is little-endian too). */
static uint32_t mb_rd32(const void *image, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)image + off, sizeof(v));
	return v;
}

/* magic + flags + checksum must be 0 modulo 2^32 (section 3.1.2). */
static int mb_checksum_ok(const void *image, size_t len, size_t off)
{
	if (off + MB_HEADER_BASE_SIZE > len)
		return 0;
	return (uint32_t)(mb_rd32(image, off) + mb_rd32(image, off + 4) +
			  mb_rd32(image, off + 8)) == 0;
}

/*
 * Look for the magic at 32-bit aligned offsets in [from, to).  Returns the
 * first offset (with a valid checksum if want_sum), or -1.
 */
static long mb_scan(const void *image, size_t len, size_t from, size_t to,
		    int want_sum)
{
	size_t off;

	for (off = from; off < to && off + 4 <= len; off += 4) {
		if (mb_rd32(image, off) != MB_HEADER_MAGIC)
			continue;
		if (!want_sum || mb_checksum_ok(image, len, off))
			return off;
	}
	return -1;
}

/*
 * A payload is taken as a Multiboot kernel if the magic is in its first
 * 8 KiB (even with a bad checksum: that is a broken kernel, and it gets
 * an error rather than being run as something else), or further on with
 * a valid checksum (a kernel whose header was linked too late).
 */
int thv_is_multiboot(const void *image, size_t len)
{
	if (mb_scan(image, len, 0, MB_SEARCH_LIMIT, 0) >= 0)
		return 1;
	return mb_scan(image, len, MB_SEARCH_LIMIT, len, 1) >= 0;
}

/* Find the header and check magic, checksum and required flags. */
static int mb_check_header(const void *image, size_t len,
			   struct thv_mb_kernel *k, char *err, size_t err_len)
{
	long first = mb_scan(image, len, 0, MB_SEARCH_LIMIT, 0);
	long good = mb_scan(image, len, 0, MB_SEARCH_LIMIT, 1);
	uint32_t flags, unknown;
	size_t hdr_size;

	if (good < 0 && first < 0) {
		long late = mb_scan(image, len, MB_SEARCH_LIMIT, len, 1);

		if (late >= 0)
			return thv_errf(err, err_len, -ENOEXEC,
					"multiboot header at file offset 0x%lx "
					"is past the first 8 KiB, where a boot "
					"loader looks (Multiboot 0.6.96 section "
					"3.1.1): link it first", late);
		return thv_errf(err, err_len, -ENOEXEC,
				"no multiboot header (magic 0x%08x) in the "
				"first 8 KiB", MB_HEADER_MAGIC);
	}
	if (good < 0) {
		if ((size_t)first + MB_HEADER_BASE_SIZE > len)
			return thv_errf(err, err_len, -ENOEXEC,
					"truncated multiboot header: the file "
					"ends 0x%zx bytes after the magic",
					len - first);
		if ((size_t)first + MB_HEADER_BASE_SIZE > MB_SEARCH_LIMIT)
			return thv_errf(err, err_len, -ENOEXEC,
					"multiboot header at file offset 0x%lx "
					"crosses the 8 KiB limit (Multiboot "
					"0.6.96 section 3.1.1)", first);
		return thv_errf(err, err_len, -ENOEXEC,
				"multiboot header at file offset 0x%lx: bad "
				"checksum (magic + flags + checksum = 0x%08x, "
				"must be 0; section 3.1.2)", first,
				(uint32_t)(mb_rd32(image, first) +
					  mb_rd32(image, first + 4) +
					  mb_rd32(image, first + 8)));
	}

	k->header_offset = good;
	k->flags = flags = mb_rd32(image, good + 4);
	k->aout = !!(flags & MB_FLAG_AOUT_KLUDGE);
	hdr_size = k->aout ? MB_HEADER_AOUT_SIZE : MB_HEADER_BASE_SIZE;
	if (k->header_offset + hdr_size > MB_SEARCH_LIMIT)
		return thv_errf(err, err_len, -ENOEXEC,
				"multiboot header at file offset 0x%x crosses "
				"the 8 KiB limit (section 3.1.1)",
				k->header_offset);
	if (k->header_offset + hdr_size > len)
		return thv_errf(err, err_len, -ENOEXEC,
				"truncated multiboot header: %zu bytes at file "
				"offset 0x%x, the file has %zu", hdr_size,
				k->header_offset, len);
	/*
	 * Bits 0-15 are requirements: a loader that does not understand one
	 * must refuse the kernel (section 3.1.2).  Bit 0 (page-align modules)
	 * holds trivially: we load no modules.  Bit 1 (memory info) we always
	 * give.  Bit 2 asks for a video mode, which a UART-only VM lacks.
	 */
	if (flags & MB_FLAG_VIDEO_MODE)
		return thv_errf(err, err_len, -ENOTSUP,
				"multiboot flags 0x%08x ask for a video mode "
				"(bit 2): thv has no display", flags);
	unknown = flags & MB_FLAG_REQUIRED_MASK &
		  ~(MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO);
	if (unknown)
		return thv_errf(err, err_len, -ENOTSUP,
				"multiboot flags 0x%08x: unknown required bits "
				"0x%04x (bits 0-15 must all be understood; "
				"section 3.1.2)", flags, unknown);
	return 0;
}

/*
 * Section 3.1.3, the a.out kludge: header_addr is where the header's
 * magic ends up in memory; the file is copied from (header offset -
 * (header_addr - load_addr)) to load_addr, up to load_end_addr (0: to the
 * end of the file); [load_end_addr, bss_end_addr) is zeroed (0: no bss).
 */
static int mb_check_aout(const void *image, size_t len, uint64_t mem_size,
			 struct thv_mb_kernel *k, char *err, size_t err_len)
{
	size_t h = k->header_offset;
	uint64_t header_addr = mb_rd32(image, h + 12);
	uint64_t load_addr = mb_rd32(image, h + 16);
	uint64_t load_end = mb_rd32(image, h + 20);
	uint64_t bss_end = mb_rd32(image, h + 24);
	uint64_t entry = mb_rd32(image, h + 28);
	uint64_t before;

	if (load_addr > header_addr)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: load_addr 0x%" PRIx64 " is above "
				"header_addr 0x%" PRIx64 " (section 3.1.3)",
				load_addr, header_addr);
	before = header_addr - load_addr;	/* bytes loaded before the header */
	if (before > h)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: header_addr 0x%" PRIx64 " is 0x%"
				PRIx64 " bytes past load_addr, but the header is "
				"only 0x%zx bytes into the file: the image would "
				"start before the file", header_addr, before, h);
	k->file_offset = h - before;
	if (!load_end)
		load_end = load_addr + (len - k->file_offset);
	else if (load_end < load_addr)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: load_end_addr 0x%" PRIx64
				" is below load_addr 0x%" PRIx64, load_end,
				load_addr);
	if (load_end - load_addr > len - k->file_offset)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: 0x%" PRIx64 " bytes to load from "
				"file offset 0x%" PRIx64 ", past the end of the "
				"file (%zu bytes): truncated?",
				load_end - load_addr, k->file_offset, len);
	if (header_addr + MB_HEADER_AOUT_SIZE > load_end)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: header_addr 0x%" PRIx64 " is not "
				"inside the loaded image 0x%" PRIx64 "-0x%" PRIx64,
				header_addr, load_addr, load_end);
	if (!bss_end)
		bss_end = load_end;
	else if (bss_end < load_end)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: bss_end_addr 0x%" PRIx64 " is "
				"below load_end_addr 0x%" PRIx64, bss_end,
				load_end);
	if (bss_end > mem_size)
		return thv_errf(err, err_len, -ERANGE,
				"a.out kludge: the kernel at 0x%" PRIx64 "-0x%"
				PRIx64 " is outside guest RAM (0x%" PRIx64
				" bytes)", load_addr, bss_end, mem_size);
	if (entry < load_addr || entry >= load_end)
		return thv_errf(err, err_len, -ENOEXEC,
				"a.out kludge: entry_addr 0x%" PRIx64 " is outside "
				"the loaded image 0x%" PRIx64 "-0x%" PRIx64,
				entry, load_addr, load_end);
	k->load_addr = load_addr;
	k->load_end = load_end;
	k->bss_end = bss_end;
	k->entry = entry;
	k->lo = load_addr;
	k->hi = bss_end;
	return 0;
}

/* No kludge: the kernel must be ELF, and start in 32-bit mode. */
static int mb_check_elf(const void *image, size_t len, uint64_t mem_size,
			struct thv_mb_kernel *k, char *err, size_t err_len)
{
	int ret;

	if (!thv_is_elf(image, len))
		return thv_errf(err, err_len, -ENOEXEC,
				"multiboot flags 0x%08x lack bit 16 (a.out "
				"kludge) and the file is not ELF: nothing says "
				"where to load it (section 3.1.3)", k->flags);
	ret = thv_elf_check(image, len, mem_size, &k->elf, err, err_len);
	if (ret)
		return ret;
	/*
	 * An ELF64 kernel is loaded the same way, but (as GRUB does) it is
	 * entered in 32-bit mode: its entry code must be 32-bit code that
	 * switches to long mode itself.  So all of it must be below 4 GiB.
	 */
	if (k->elf.entry >= MB_4G || k->elf.hi > MB_4G)
		return thv_errf(err, err_len, -ERANGE,
				"ELF%d multiboot kernel: entry 0x%" PRIx64
				" or segments up to 0x%" PRIx64 " are above "
				"4 GiB, out of reach of 32-bit mode",
				k->elf.bits, k->elf.entry, k->elf.hi);
	k->entry = k->elf.entry;
	k->lo = k->elf.lo;
	k->hi = k->elf.hi;
	return 0;
}

int thv_multiboot_check(const void *image, size_t len, uint64_t mem_size,
			struct thv_mb_kernel *k, char *err, size_t err_len)
{
	int ret;

	memset(k, 0, sizeof(*k));
	ret = mb_check_header(image, len, k, err, err_len);
	if (ret)
		return ret;
	if (k->aout)
		ret = mb_check_aout(image, len, mem_size, k, err, err_len);
	else
		ret = mb_check_elf(image, len, mem_size, k, err, err_len);
	if (ret)
		return ret;

	/* The boot information page: right after the kernel. */
	k->info_gpa = (k->hi + MB_PAGE - 1) & ~(MB_PAGE - 1);
	if (k->info_gpa + THV_MB_INFO_SIZE > mem_size ||
	    k->info_gpa + THV_MB_INFO_SIZE > MB_4G)
		return thv_errf(err, err_len, -ERANGE,
				"no room after the kernel (which ends at 0x%"
				PRIx64 ") for the 4 KiB multiboot information "
				"page below 0x%" PRIx64 ": give more --memory",
				k->hi, (uint64_t)(mem_size < MB_4G ? mem_size : MB_4G));
	/*
	 * The spec leaves ESP undefined (section 3.2: the kernel makes its
	 * own stack).  We pick the top of RAM, or just below the information
	 * page if that page is at the top, so that a push cannot hit it.
	 */
	if (k->info_gpa + THV_MB_INFO_SIZE < mem_size)
		k->stack = mem_size < MB_4G ? mem_size : MB_4G;
	else
		k->stack = k->info_gpa;
	k->stack &= ~0xfULL;
	return 0;
}

/* Append one memory map entry at *e (section 3.3). */
static void mb_mmap_add(struct mb_mmap_entry **e, uint64_t base,
			uint64_t end, uint32_t type)
{
	struct mb_mmap_entry v = {
		.size = sizeof(v) - sizeof(v.size),
		.base_addr = base,
		.length = end - base,
		.type = type,
	};

	if (end <= base)
		return;
	memcpy(*e, &v, sizeof(v));
	(*e)++;
}

/* Fill the boot information page of a checked kernel. */
static void mb_write_info(struct thv_vm *vm, const char *cmdline,
			  const struct thv_mb_kernel *k)
{
	char *page = thv_gpa_to_hva(vm, k->info_gpa);
	struct mb_mmap_entry *map = (void *)(page + MB_PAGE_MMAP), *e = map;
	uint64_t mem = vm->mem_size, info_end = k->info_gpa + THV_MB_INFO_SIZE;
	struct mb_info info;

	memset(page, 0, THV_MB_INFO_SIZE);
	memset(&info, 0, sizeof(info));

	/* Bit 0: lower memory up to 640K, upper memory from 1 MiB on. */
	info.flags = MB_INFO_MEMORY;
	info.mem_lower = (mem < MB_LOWER_MAX ? mem : MB_LOWER_MAX) >> 10;
	info.mem_upper = mem > MB_1M ? (mem - MB_1M) >> 10 : 0;

	/* Bit 2: the command line, a C string. */
	info.flags |= MB_INFO_CMDLINE;
	snprintf(page + MB_PAGE_CMDLINE, THV_MB_CMDLINE_MAX, "%s", cmdline);
	info.cmdline = k->info_gpa + MB_PAGE_CMDLINE;

	/*
	 * Bit 6: the memory map.  Guest RAM is one block from 0; only our
	 * own page is reserved, so the kernel knows not to reuse it while it
	 * still reads it.
	 */
	info.flags |= MB_INFO_MEM_MAP;
	mb_mmap_add(&e, 0, k->info_gpa, MB_MMAP_AVAILABLE);
	mb_mmap_add(&e, k->info_gpa, info_end, MB_MMAP_RESERVED);
	mb_mmap_add(&e, info_end, mem, MB_MMAP_AVAILABLE);
	info.mmap_addr = k->info_gpa + MB_PAGE_MMAP;
	info.mmap_length = (e - map) * sizeof(*e);

	/* Bit 9: who booted the kernel. */
	info.flags |= MB_INFO_LOADER_NAME;
	memcpy(page + MB_PAGE_NAME, MB_LOADER_NAME, sizeof(MB_LOADER_NAME));
	info.boot_loader_name = k->info_gpa + MB_PAGE_NAME;

	memcpy(page + MB_PAGE_INFO, &info, sizeof(info));
}

int thv_multiboot_load(struct thv_vm *vm, const void *image, size_t len,
		       const char *cmdline, struct thv_mb_kernel *k,
		       char *err, size_t err_len)
{
	int ret;

	if (!vm->mem)
		return thv_errf(err, err_len, -EINVAL, "the VM has no RAM");
	if (strlen(cmdline) >= THV_MB_CMDLINE_MAX)
		return thv_errf(err, err_len, -E2BIG,
				"command line of %zu bytes (at most %d)",
				strlen(cmdline), THV_MB_CMDLINE_MAX - 1);
	ret = thv_multiboot_check(image, len, vm->mem_size, k, err, err_len);
	if (ret)
		return ret;
	if (k->aout) {
		char *dst = thv_gpa_to_hva(vm, k->load_addr);

		memcpy(dst, (const char *)image + k->file_offset,
		       k->load_end - k->load_addr);
		memset(dst + (k->load_end - k->load_addr), 0,
		       k->bss_end - k->load_end);
	} else {
		ret = thv_elf_load(vm, image, len, &k->elf, err, err_len);
		if (ret)
			return ret;
	}
	mb_write_info(vm, cmdline, k);
	return 0;
}

/*
 * Section 3.2, "Machine state": EAX = 0x2BADB002, EBX = the information
 * structure, CS and the data segments flat 32-bit (base 0, limit 4 GiB),
 * CR0.PG = 0, CR0.PE = 1, EFLAGS.VM = 0 and IF = 0.  The flat-32 entry
 * state is exactly that; A20 is always on (thv has no A20 gate).
 */
int thv_vcpu_set_multiboot(struct thv_vm *vm, const struct thv_mb_kernel *k)
{
	struct thv_regs regs;
	int ret;

	ret = thv_vcpu_set_flat32(vm, k->entry, k->stack);
	if (ret < 0)
		return ret;
	ret = thv_get_regs(vm, &regs);
	if (ret < 0)
		return ret;
	regs.rax = MB_BOOTLOADER_MAGIC;
	regs.rbx = k->info_gpa;
	return thv_set_regs(vm, &regs);
}
