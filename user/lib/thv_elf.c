// SPDX-License-Identifier: GPL-2.0
/*
 * thv_elf.c - load an ELF executable into guest RAM, with libelf.
 *
 * What a boot loader does for a statically linked kernel: for every
 * PT_LOAD program header, copy p_filesz bytes from the file at p_offset to
 * guest-physical p_paddr and zero the rest up to p_memsz (.bss); start at
 * e_entry.  Section headers, symbols and relocations are not needed.
 *
 * A guest image is untrusted input, so everything is checked before the
 * first byte is copied: the header, the machine, every segment against the
 * file and against guest RAM, segments against each other, the entry point.
 * Each failure is one sentence in err, and nothing is written to the guest.
 */
#include <errno.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "thv_lib.h"

/* More program headers than any real guest has: a corrupt e_phnum. */
#define THV_ELF_MAX_PHDRS	64

int thv_is_elf(const void *image, size_t len)
{
	return len >= SELFMAG && !memcmp(image, ELFMAG, SELFMAG);
}

/* Check one PT_LOAD header against the file and guest RAM. */
static int elf_check_segment(const GElf_Phdr *ph, unsigned int i,
			     size_t file_len, uint64_t mem_size,
			     char *err, size_t err_len)
{
	if (ph->p_filesz > ph->p_memsz)
		return thv_errf(err, err_len, -ENOEXEC,
				"segment %u: p_filesz 0x%" PRIx64
				" is larger than p_memsz 0x%" PRIx64, i,
				(uint64_t)ph->p_filesz, (uint64_t)ph->p_memsz);
	if (ph->p_offset > file_len || ph->p_filesz > file_len - ph->p_offset)
		return thv_errf(err, err_len, -ENOEXEC,
				"segment %u: bytes 0x%" PRIx64 "+0x%" PRIx64
				" are past the end of the file (%zu bytes): "
				"truncated?", i, (uint64_t)ph->p_offset,
				(uint64_t)ph->p_filesz, file_len);
	if (ph->p_paddr > mem_size || ph->p_memsz > mem_size - ph->p_paddr)
		return thv_errf(err, err_len, -ERANGE,
				"segment %u at 0x%" PRIx64 "-0x%" PRIx64
				" is outside guest RAM (0x%" PRIx64 " bytes)",
				i, (uint64_t)ph->p_paddr,
				(uint64_t)ph->p_paddr + ph->p_memsz, mem_size);
	return 0;
}

/*
 * Check image for a guest of mem_size bytes of RAM; fill ph[] with its
 * non-empty PT_LOAD headers and *info.  0 or -errno with err set.
 */
static int elf_scan(const void *image, size_t len, uint64_t mem_size,
		    GElf_Phdr *ph, struct thv_elf_info *info,
		    char *err, size_t err_len)
{
	unsigned int i, j, nr = 0;
	size_t phnum, hdr_len;
	GElf_Ehdr eh;
	int ret = 0, class;
	Elf *elf;

	memset(info, 0, sizeof(*info));
	if (!thv_is_elf(image, len))
		return thv_errf(err, err_len, -ENOEXEC, "not an ELF file");
	hdr_len = len > EI_CLASS && ((const unsigned char *)image)[EI_CLASS] ==
		  ELFCLASS64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	if (len < hdr_len)
		return thv_errf(err, err_len, -ENOEXEC,
				"truncated ELF header: the file has %zu bytes, "
				"the header alone %zu", len, hdr_len);
	if (elf_version(EV_CURRENT) == EV_NONE)
		return thv_errf(err, err_len, -ENOSYS, "libelf: %s",
				elf_errmsg(-1));
	/* libelf only reads the buffer (ELF_C_READ_MEMORY). */
	elf = elf_memory((char *)image, len);
	if (!elf)
		return thv_errf(err, err_len, -ENOEXEC, "malformed ELF: %s",
				elf_errmsg(-1));

	class = gelf_getclass(elf);
	if (!gelf_getehdr(elf, &eh)) {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "truncated or malformed ELF header: %s",
			       elf_errmsg(-1));
		goto out;
	}
	if (class == ELFCLASS64 && eh.e_machine == EM_X86_64) {
		info->bits = 64;
	} else if (class == ELFCLASS32 && eh.e_machine == EM_386) {
		info->bits = 32;
	} else {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "ELF%d for machine %u, not x86 (want EM_386 "
			       "for 32-bit or EM_X86_64 for 64-bit code)",
			       class == ELFCLASS64 ? 64 : 32, eh.e_machine);
		goto out;
	}
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		ret = thv_errf(err, err_len, -ENOEXEC, "big-endian ELF");
		goto out;
	}
	if (eh.e_type != ET_EXEC) {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "ELF type %u is not an executable (ET_EXEC): "
			       "link the guest at a fixed address (-no-pie, "
			       "-Ttext or a linker script)", eh.e_type);
		goto out;
	}
	if (elf_getphdrnum(elf, &phnum)) {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "cannot read the program headers: %s",
			       elf_errmsg(-1));
		goto out;
	}
	if (phnum > THV_ELF_MAX_PHDRS) {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "%zu program headers (at most %d)", phnum,
			       THV_ELF_MAX_PHDRS);
		goto out;
	}

	for (i = 0; i < phnum; i++) {
		GElf_Phdr *p = &ph[nr];

		if (!gelf_getphdr(elf, i, p)) {
			ret = thv_errf(err, err_len, -ENOEXEC,
				       "program header %u: %s", i,
				       elf_errmsg(-1));
			goto out;
		}
		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		ret = elf_check_segment(p, i, len, mem_size, err, err_len);
		if (ret)
			goto out;
		for (j = 0; j < nr; j++) {
			GElf_Phdr *o = &ph[j];

			if (p->p_paddr < o->p_paddr + o->p_memsz &&
			    o->p_paddr < p->p_paddr + p->p_memsz) {
				ret = thv_errf(err, err_len, -ENOEXEC,
					       "segments overlap: 0x%" PRIx64
					       "-0x%" PRIx64 " and 0x%" PRIx64
					       "-0x%" PRIx64,
					       (uint64_t)o->p_paddr,
					       (uint64_t)(o->p_paddr + o->p_memsz),
					       (uint64_t)p->p_paddr,
					       (uint64_t)(p->p_paddr + p->p_memsz));
				goto out;
			}
		}
		if (!nr || p->p_paddr < info->lo)
			info->lo = p->p_paddr;
		if (p->p_paddr + p->p_memsz > info->hi)
			info->hi = p->p_paddr + p->p_memsz;
		nr++;
	}
	if (!nr) {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "no loadable (PT_LOAD) segment");
		goto out;
	}
	/* Guest memory is mapped 1:1, so e_entry must be in a segment. */
	for (j = 0; j < nr; j++)
		if (eh.e_entry >= ph[j].p_paddr &&
		    eh.e_entry - ph[j].p_paddr < ph[j].p_memsz)
			break;
	if (j == nr) {
		ret = thv_errf(err, err_len, -ENOEXEC,
			       "entry point 0x%" PRIx64
			       " is not inside a loaded segment",
			       (uint64_t)eh.e_entry);
		goto out;
	}

	info->entry = eh.e_entry;
	info->nr_segments = nr;
out:
	elf_end(elf);
	return ret;
}

int thv_elf_check(const void *image, size_t len, uint64_t mem_size,
		  struct thv_elf_info *info, char *err, size_t err_len)
{
	GElf_Phdr ph[THV_ELF_MAX_PHDRS];

	return elf_scan(image, len, mem_size, ph, info, err, err_len);
}

int thv_elf_load(struct thv_vm *vm, const void *image, size_t len,
		 struct thv_elf_info *info, char *err, size_t err_len)
{
	GElf_Phdr ph[THV_ELF_MAX_PHDRS];
	unsigned int j;
	int ret;

	if (!vm->mem)
		return thv_errf(err, err_len, -EINVAL, "the VM has no RAM");
	ret = elf_scan(image, len, vm->mem_size, ph, info, err, err_len);
	if (ret)
		return ret;
	/* All checked: copy, and zero what the file does not hold. */
	for (j = 0; j < info->nr_segments; j++) {
		char *dst = thv_gpa_to_hva(vm, ph[j].p_paddr);

		memcpy(dst, (const char *)image + ph[j].p_offset,
		       ph[j].p_filesz);
		memset(dst + ph[j].p_filesz, 0,
		       ph[j].p_memsz - ph[j].p_filesz);
	}
	return 0;
}
