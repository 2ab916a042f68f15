/* SPDX-License-Identifier: GPL-2.0 */
/*
 * thv_lib.h - a thin userspace library over /dev/thv, shared by the
 * runner (user/thv) and the self-tests (tests/).  It plays the part that
 * tools/testing/selftests/kvm/lib/kvm_util.c plays for KVM: every call is
 * one ioctl or mmap with its error kept, nothing more.
 *
 * Convention (from the KVM selftests): functions return 0 or a file
 * descriptor on success and -errno on failure; they never exit() and never
 * print.  The caller decides what an error means.
 */
#ifndef THV_LIB_H
#define THV_LIB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "../../include/uapi/thv.h"

#define THV_DEV_PATH	"/dev/thv"

struct thv_vm {
	int sys_fd;		/* /dev/thv */
	int vm_fd;
	int vcpu_fd;		/* vCPU 0, made by thv_vm_create() */
	struct thv_run *run;	/* mmap of vcpu_fd */
	size_t run_size;
	void *mem;		/* guest RAM, slot 0 at guest-physical 0 */
	size_t mem_size;
};

/* Open /dev/thv (path NULL = THV_DEV_PATH).  Returns fd or -errno. */
int thv_open_dev(const char *path);

/*
 * Create a VM with mem_size bytes of zeroed RAM (anonymous mmap, rounded
 * up to 4 KiB) in slot 0 at guest-physical 0, and vCPU 0 with its run area
 * mapped.  Returns 0 or -errno; on failure everything is undone and
 * *vm is left with fds at -1 and pointers NULL.
 */
int thv_vm_create(struct thv_vm *vm, const char *dev_path, size_t mem_size);
/*
 * Close and unmap everything thv_vm_create() made.  Safe to call twice,
 * and after a failed thv_vm_create(); not on a struct that never went
 * through thv_vm_create() (its zero fds would be closed).
 */
void thv_vm_destroy(struct thv_vm *vm);

/* Copy len bytes to guest-physical gpa.  -EINVAL if outside slot 0 RAM. */
int thv_vm_load(struct thv_vm *vm, uint64_t gpa, const void *buf, size_t len);
/* Host pointer for guest-physical gpa in slot 0, or NULL if out of range. */
void *thv_gpa_to_hva(struct thv_vm *vm, uint64_t gpa);

/*
 * Entry states.  Real mode: CS = DS = ES = SS = FS = GS = 0 (base 0,
 * limit 0xffff), RIP = entry, RSP = stack, CR0 = 0x10 (ET), EFER = 0.
 * Flat 32-bit protected mode: code/data segments base 0, limit 4 GiB,
 * CS 32-bit (selector 0x8), data selector 0x10, CR0 = PE|ET, no paging;
 * the hidden segment state is set directly, so no GDT in memory is needed.
 */
int thv_vcpu_set_real_mode(struct thv_vm *vm, uint64_t entry, uint64_t stack);
int thv_vcpu_set_flat32(struct thv_vm *vm, uint64_t entry, uint64_t stack);
/*
 * 64-bit long mode: CS selector 0x8 with L = 1, data 0x10, CR0 =
 * PE|ET|NE|PG, CR4 = PAE, EFER = LME|LMA, interrupts off, no IDT.  Writes
 * page tables (an identity map of the first 4 GiB in 2 MiB pages) and a
 * GDT into THV_LONG64_TABLES_SIZE bytes of guest RAM at tables (4 KiB
 * aligned; -EINVAL if they do not fit) and points CR3 and GDTR at them.
 */
#define THV_LONG64_TABLES_SIZE	0x7000
int thv_vcpu_set_long64(struct thv_vm *vm, uint64_t entry, uint64_t stack,
			uint64_t tables);

/*
 * If the current exit is a ucall (a 32-bit OUT to THV_UCALL_PORT, see
 * user/ucall.h), copy the guest's struct thv_ucall into *uc: 0.  -ENOENT
 * for any other exit, -EFAULT if the address is outside guest RAM.
 */
struct thv_ucall;
int thv_ucall_get(struct thv_vm *vm, struct thv_ucall *uc);

/* THV_SET_CPUID: the guest's CPUID table (see include/uapi/thv.h). */
int thv_vcpu_set_cpuid(struct thv_vm *vm, const struct thv_cpuid *cpuid);

/*
 * THV_INTERRUPT: queue external interrupt vector (32-255) for delivery
 * when the guest can take it.  0 or -errno (-EBUSY: one still queued).
 */
int thv_vcpu_interrupt(struct thv_vm *vm, uint32_t vector);

/* One THV_RUN.  Returns 0 or -errno (-EINTR on a signal). */
int thv_vcpu_run(struct thv_vm *vm);

int thv_get_regs(struct thv_vm *vm, struct thv_regs *regs);
int thv_set_regs(struct thv_vm *vm, const struct thv_regs *regs);
int thv_get_sregs(struct thv_vm *vm, struct thv_sregs *sregs);
int thv_set_sregs(struct thv_vm *vm, const struct thv_sregs *sregs);

/* Pointer to the IO data of the current THV_EXIT_IO exit. */
void *thv_io_data(struct thv_vm *vm);

/* "IO", "MMIO", "HLT", ... for THV_EXIT_*; "UNKNOWN" otherwise. */
const char *thv_exit_name(uint32_t exit_reason);
/* "CR0", "SEGMENT", ... for THV_FAIL_*. */
const char *thv_fail_name(uint32_t reason);
const char *thv_vmx_insn_error_name(uint32_t err);

/* ---- ELF guests (thv_elf.c; link with -lelf -lz) ---- */
struct thv_elf_info {
	int bits;		/* 32 (EM_386) or 64 (EM_X86_64) */
	uint64_t entry;		/* e_entry */
	uint64_t lo, hi;	/* guest-physical [lo, hi) the segments span */
	unsigned int nr_segments;
};

/*
 * thv_errf() - the loaders' error helper: format a one-line message into
 * err (when err_len > 0) and return ret, so that a check reads
 * "return thv_errf(err, err_len, -EINVAL, "...", ...);".
 */
int thv_errf(char *err, size_t err_len, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* True if image starts with the ELF magic. */
int thv_is_elf(const void *image, size_t len);
/*
 * Check the ELF executable image (len bytes) and copy its PT_LOAD
 * segments into guest RAM at their physical addresses.  Returns 0, or
 * -errno with one sentence in err (nothing copied): not ELF, not x86,
 * not ET_EXEC, truncated, a segment outside RAM or overlapping another,
 * no PT_LOAD, entry outside the segments.
 */
int thv_elf_load(struct thv_vm *vm, const void *image, size_t len,
		 struct thv_elf_info *info, char *err, size_t err_len);
/* The same checks for a guest of mem_size bytes of RAM, copying nothing. */
int thv_elf_check(const void *image, size_t len, uint64_t mem_size,
		  struct thv_elf_info *info, char *err, size_t err_len);

/* ---- Multiboot v1 kernels (thv_multiboot.c, Multiboot 0.6.96) ---- */
#define THV_MB_INFO_SIZE	0x1000	/* the boot information page */
#define THV_MB_CMDLINE_MAX	3840	/* command line bytes, with the NUL */

struct thv_mb_kernel {
	uint32_t header_offset;	/* file offset of the header's magic */
	uint32_t flags;		/* the header's flags */
	int aout;		/* flags bit 16: the address fields say where */
	uint64_t file_offset;	/* a.out: first byte of the file loaded */
	uint64_t load_addr;	/* a.out: [load_addr, load_end) from the file */
	uint64_t load_end;
	uint64_t bss_end;	/* a.out: [load_end, bss_end) zeroed */
	struct thv_elf_info elf;	/* !aout: the ELF kernel */
	uint64_t entry;		/* EIP at entry (32-bit mode) */
	uint64_t lo, hi;	/* guest-physical [lo, hi) of the kernel */
	uint64_t info_gpa;	/* boot information page: EBX at entry */
	uint64_t stack;		/* ESP at entry */
};

/*
 * True if image looks like a Multiboot kernel: the header magic at a
 * 4-byte aligned offset in the first 8 KiB, or a whole valid header
 * further on (a kernel that thv_multiboot_check() must then refuse).
 */
int thv_is_multiboot(const void *image, size_t len);
/*
 * Check a Multiboot kernel for a guest of mem_size bytes of RAM: header
 * (checksum, required flags), where it loads (a.out kludge fields, or its
 * ELF program headers), entry point, and room for the boot information
 * page right after it.  Fills *k; 0 or -errno with one sentence in err.
 */
int thv_multiboot_check(const void *image, size_t len, uint64_t mem_size,
			struct thv_mb_kernel *k, char *err, size_t err_len);
/*
 * The same checks, then copy the kernel into guest RAM, zero its bss and
 * write the Multiboot information (memory sizes, cmdline, memory map,
 * boot loader name "thv") at k->info_gpa.  Nothing written on failure.
 */
int thv_multiboot_load(struct thv_vm *vm, const void *image, size_t len,
		       const char *cmdline, struct thv_mb_kernel *k,
		       char *err, size_t err_len);
/* Flat 32-bit entry with EAX = 0x2BADB002, EBX = k->info_gpa. */
int thv_vcpu_set_multiboot(struct thv_vm *vm, const struct thv_mb_kernel *k);

/* Added by the user/ helper (new functions only; nothing above changed). */

/* Fill *caps from THV_GET_CAPS on a /dev/thv fd.  Returns 0 or -errno. */
int thv_get_caps(int sys_fd, struct thv_caps *caps);
/* "UNHANDLED_EXIT", "EMULATION", ... for THV_INTERNAL_*; "UNKNOWN" otherwise. */
const char *thv_internal_name(uint32_t suberror);

/* ---- MMIO instructions emulated in userspace (thv_mmio_emul.c) ---- */
/*
 * Link with -lcapstone.  For a THV_EXIT_MMIO exit with mmio.user_decode
 * = 1 (an instruction thv.ko does not decode, RIP still on it), do the
 * whole instruction: decode run->mmio.insn with capstone in the guest's
 * mode, access the device through ops at run->mmio.phys_addr, and write
 * the registers, RFLAGS and the next RIP back with THV_SET_REGS.
 * Emulated: OR AND XOR ADD SUB (memory or register destination), CMP
 * TEST, INC DEC NOT NEG, BT BTS BTR BTC with an immediate bit, XCHG,
 * MOV/MOVABS/MOVZX/MOVSX/MOVSXD, STOS[BWDQ] with or without REP; 1, 2,
 * 4 or 8 bytes, inside one page and one device region.
 */
struct thv_mmio_ops {
	/* Read len (1, 2, 4, 8) bytes at gpa into *val: 0 or -errno. */
	int (*read)(void *opaque, uint64_t gpa, unsigned int len,
		    uint64_t *val);
	/* Write the low len bytes of val at gpa: 0 or -errno. */
	int (*write)(void *opaque, uint64_t gpa, unsigned int len,
		     uint64_t val);
	/*
	 * Optional (may be NULL): the device region [*base, *base + *len)
	 * that holds gpa, 0; or -ENOENT.  An access may not cross its end,
	 * and a REP STOS does at most the elements inside it in one go.
	 */
	int (*region)(void *opaque, uint64_t gpa, uint64_t *base,
		      uint64_t *len);
};

/* What thv_mmio_emulate() did, for a trace line. */
struct thv_mmio_result {
	char text[96];		/* "or dword ptr [rbx], 0x10" */
	unsigned int reads;	/* ops->read calls */
	unsigned int writes;	/* ops->write calls */
	unsigned int elements;	/* STOS: elements stored by this call */
	int is_write;		/* run->mmio.is_write */
	int rip_moved;		/* 0: a REP STOS is not finished yet */
};

/*
 * Returns 0, or -errno with one line in err ("MMIO: cannot emulate
 * 'fld' at rip 0x...: ...") and the guest's registers untouched:
 * -EOPNOTSUPP for an instruction or form not emulated, -EINVAL when the
 * exit is not a user_decode MMIO exit or the instruction contradicts the
 * hardware (a write reported for a CMP), the error of a failed ops call
 * or ioctl (device accesses already made are not undone).  res may be
 * NULL.
 */
int thv_mmio_emulate(struct thv_vm *vm, const struct thv_run *run,
		     const struct thv_mmio_ops *ops, void *opaque,
		     struct thv_mmio_result *res, char *err, size_t errlen);

/* ---- debugging a guest (issue 5: the exit stepper, tracing) ---- */

/* THV_SET_GUEST_DEBUG with flags (THV_DEBUG_*): 0 or -errno. */
int thv_set_guest_debug(struct thv_vm *vm, uint32_t flags);
/* THV_GET_EXIT_STATS on the VM fd: 0 or -errno (-ENOTTY: old thv.ko). */
int thv_get_exit_stats(struct thv_vm *vm, struct thv_exit_stats *stats);
/*
 * THV_GET_HW_FIELDS: all raw VMCS/VMCB fields of vCPU 0 in a malloc()ed
 * struct (free() it), or NULL with -errno in *err.
 */
struct thv_hw_fields *thv_get_hw_fields(struct thv_vm *vm, int *err);
/* "CPUID", "NPF", "HOST_INTR", ... for THV_KIND_*; "UNKNOWN" otherwise. */
const char *thv_kind_name(uint32_t kind);
/* The exit's name: thv_exit_name(), or the kind of a THV_EXIT_KERNEL. */
const char *thv_run_exit_name(const struct thv_run *run);
/*
 * A reader of guest-physical memory: copy len bytes at gpa into buf,
 * 0 or -EFAULT.  thv_vm_read_phys() reads slot 0 of a struct thv_vm
 * (opaque); tests pass their own over a buffer.
 */
typedef int (*thv_read_phys_fn)(void *opaque, uint64_t gpa, void *buf,
				size_t len);
int thv_vm_read_phys(void *opaque, uint64_t gpa, void *buf, size_t len);

/* ---- the guest's page tables, walked in software (thv_paging.c) ---- */
/* The four paging modes plus "off" (SDM Vol. 3A 4.1.1, Table 4-1). */
enum thv_paging_mode {
	THV_PAGING_OFF,		/* CR0.PG = 0: linear = physical */
	THV_PAGING_32,		/* 32-bit paging: 2 levels, 4 KiB / 4 MiB */
	THV_PAGING_PAE,		/* PAE: 3 levels, 4 KiB / 2 MiB */
	THV_PAGING_4LEVEL,	/* 4-level (long mode): 4 KiB / 2 MiB / 1 GiB */
	THV_PAGING_5LEVEL,	/* 5-level (CR4.LA57) */
};

enum thv_paging_mode thv_paging_mode(uint64_t cr0, uint64_t cr4,
				     uint64_t efer);
const char *thv_paging_mode_name(enum thv_paging_mode mode);

#define THV_WALK_MAX_LEVELS	5

/* What one walk found, for a teaching display of every level. */
struct thv_walk {
	enum thv_paging_mode mode;
	unsigned int levels;		/* entries read */
	const char *name[THV_WALK_MAX_LEVELS];	/* "PML4E", "PDE", ... */
	uint64_t entry_gpa[THV_WALK_MAX_LEVELS]; /* where each entry is */
	uint64_t entry[THV_WALK_MAX_LEVELS];	/* its value */
	uint64_t gpa;			/* the translation */
	uint64_t page_size;		/* 4K, 2M, 4M or 1G */
	int writable, user, nx;		/* the combined rights */
};

/*
 * Translate linear address la the way the CPU's page walker does, for
 * paging set up by cr0/cr3/cr4/efer, reading the tables through read.
 * Returns 0 with *w filled, or -EFAULT with one line in err ("PDE at
 * gpa 0x2008 is not present", "not canonical", a table outside RAM).
 * Accessed/dirty bits are not set; rights are reported, not checked.
 */
int thv_walk(uint64_t cr0, uint64_t cr3, uint64_t cr4, uint64_t efer,
	     uint64_t la, thv_read_phys_fn read, void *opaque,
	     struct thv_walk *w, char *err, size_t err_len);
/*
 * Read len bytes at linear address la (page by page through thv_walk).
 * 0 or -EFAULT with the reason in err.
 */
int thv_read_linear(const struct thv_sregs *sregs, uint64_t la, void *buf,
		    size_t len, thv_read_phys_fn read, void *opaque,
		    char *err, size_t err_len);

/* ---- CPU modes and the disassembler (thv_disas.c, -lcapstone) ---- */
/* How the CPU decodes instructions now (SDM Vol. 3A 2.2, Vol. 1 3.1). */
enum thv_cpu_mode {
	THV_MODE_REAL,		/* CR0.PE = 0 */
	THV_MODE_VM86,		/* protected mode with RFLAGS.VM = 1 */
	THV_MODE_PROT16,	/* protected mode, CS.D = 0 */
	THV_MODE_PROT32,	/* protected mode, CS.D = 1 */
	THV_MODE_COMPAT16,	/* long mode (EFER.LMA), CS.L = 0, CS.D = 0 */
	THV_MODE_COMPAT32,	/* long mode, CS.L = 0, CS.D = 1 */
	THV_MODE_LONG64,	/* long mode, CS.L = 1 */
};

enum thv_cpu_mode thv_cpu_mode(const struct thv_sregs *sregs,
			       uint64_t rflags);
/* "real", "vm86", "prot16", "prot32", "compat16", "compat32", "long64". */
const char *thv_cpu_mode_name(enum thv_cpu_mode mode);
/* 16, 32 or 64: the default operand and address size of the mode. */
unsigned int thv_cpu_mode_bits(enum thv_cpu_mode mode);
/* The linear address of CS:rip (CS.base is ignored in 64-bit mode). */
uint64_t thv_code_linear(const struct thv_sregs *sregs, uint64_t rflags,
			 uint64_t rip);
/*
 * Disassemble the first instruction in code[0..len) at address addr for
 * a bits-bit mode into out ("out dx, al"): its length, or -EINVAL (out
 * says "(bad)") if capstone cannot decode it.
 */
int thv_disas(const void *code, size_t len, uint64_t addr,
	      unsigned int bits, char *out, size_t out_len);

/* ---- JSON output (thv_json.c) ---- */
/* Write s as a JSON string, quotes included, escaped (RFC 8259 7). */
void thv_json_str(FILE *f, const char *s);

#endif /* THV_LIB_H */
