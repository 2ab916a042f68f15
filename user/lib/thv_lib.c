// SPDX-License-Identifier: GPL-2.0
/*
 * thv_lib.c - the thin userspace library over /dev/thv (see thv_lib.h).
 *
 * Every function is one ioctl or mmap with its error kept: 0 or an fd on
 * success, -errno on failure.  Nothing here prints or exits; the runner
 * and the self-tests decide what an error means.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "thv_lib.h"
#include "../ucall.h"

#define THV_PAGE_SIZE	4096UL

/* ioctl() returning -errno instead of -1 + errno. */
static int thv_ioctl(int fd, unsigned long req, unsigned long arg)
{
	int ret = ioctl(fd, req, arg);

	return ret < 0 ? -errno : ret;
}

int thv_open_dev(const char *path)
{
	int fd = open(path ? path : THV_DEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int thv_get_caps(int sys_fd, struct thv_caps *caps)
{
	memset(caps, 0, sizeof(*caps));
	return thv_ioctl(sys_fd, THV_GET_CAPS, (unsigned long)caps);
}

static void thv_vm_reset_fields(struct thv_vm *vm)
{
	vm->sys_fd = -1;
	vm->vm_fd = -1;
	vm->vcpu_fd = -1;
	vm->run = NULL;
	vm->run_size = 0;
	vm->mem = NULL;
	vm->mem_size = 0;
}

/* Anonymous, zeroed guest RAM registered as slot 0 at guest-physical 0. */
static int thv_vm_add_ram(struct thv_vm *vm, size_t mem_size)
{
	struct thv_memory_region region = { 0 };
	void *mem;
	int ret;

	mem_size = (mem_size + THV_PAGE_SIZE - 1) & ~(THV_PAGE_SIZE - 1);
	if (!mem_size)
		return -EINVAL;
	mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -errno;
	vm->mem = mem;
	vm->mem_size = mem_size;

	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = mem_size;
	region.userspace_addr = (unsigned long)mem;
	ret = thv_ioctl(vm->vm_fd, THV_SET_MEMORY_REGION,
			(unsigned long)&region);
	return ret < 0 ? ret : 0;
}

/* vCPU 0 and its run area (the mmap of struct thv_run). */
static int thv_vm_add_vcpu0(struct thv_vm *vm)
{
	void *run;
	int size;

	size = thv_ioctl(vm->sys_fd, THV_GET_VCPU_MMAP_SIZE, 0);
	if (size < 0)
		return size;
	if ((size_t)size < sizeof(struct thv_run))
		return -EPROTO;

	vm->vcpu_fd = thv_ioctl(vm->vm_fd, THV_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return vm->vcpu_fd;

	run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vm->vcpu_fd, 0);
	if (run == MAP_FAILED)
		return -errno;
	vm->run = run;
	vm->run_size = size;
	return 0;
}

int thv_vm_create(struct thv_vm *vm, const char *dev_path, size_t mem_size)
{
	int ret;

	thv_vm_reset_fields(vm);

	ret = thv_open_dev(dev_path);
	if (ret < 0)
		goto out;
	vm->sys_fd = ret;

	ret = thv_ioctl(vm->sys_fd, THV_GET_API_VERSION, 0);
	if (ret < 0)
		goto out_destroy;
	if (ret != THV_API_VERSION) {
		ret = -EPROTO;
		goto out_destroy;
	}

	ret = thv_ioctl(vm->sys_fd, THV_CREATE_VM, 0);
	if (ret < 0)
		goto out_destroy;
	vm->vm_fd = ret;

	ret = thv_vm_add_ram(vm, mem_size);
	if (ret < 0)
		goto out_destroy;

	ret = thv_vm_add_vcpu0(vm);
	if (ret < 0)
		goto out_destroy;
	return 0;

out_destroy:
	/* Undo in reverse; destroy copes with whatever was made. */
	thv_vm_destroy(vm);
out:
	return ret;
}

void thv_vm_destroy(struct thv_vm *vm)
{
	/* Reverse order of creation: run area, vCPU, VM, RAM, device. */
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	/* The module unpins the pages when the VM goes; unmap after that. */
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	thv_vm_reset_fields(vm);
}

void *thv_gpa_to_hva(struct thv_vm *vm, uint64_t gpa)
{
	if (!vm->mem || gpa >= vm->mem_size)
		return NULL;
	return (char *)vm->mem + gpa;
}

int thv_vm_load(struct thv_vm *vm, uint64_t gpa, const void *buf, size_t len)
{
	if (!vm->mem || gpa > vm->mem_size || len > vm->mem_size - gpa)
		return -EINVAL;
	memcpy((char *)vm->mem + gpa, buf, len);
	return 0;
}

/*
 * Segment helpers.  Type values are the 4-bit descriptor types of
 * APM Vol. 2 4.7.2 / 4.8 (code: 0xb = execute/read, accessed; data:
 * 0x3 = read/write, accessed; system: 0xb = busy 32-bit TSS, 0x2 = LDT).
 */
static void thv_seg_set(struct thv_segment *seg, uint16_t sel, uint64_t base,
			uint32_t limit, uint8_t type, uint8_t s)
{
	memset(seg, 0, sizeof(*seg));
	seg->selector = sel;
	seg->base = base;
	seg->limit = limit;
	seg->type = type;
	seg->s = s;
	seg->present = 1;
}

/* TR, LDT and the descriptor tables as the CPU has them after reset. */
static void thv_sregs_system_tables(struct thv_sregs *sregs)
{
	thv_seg_set(&sregs->tr, 0, 0, 0xffff, 0xb, 0);
	thv_seg_set(&sregs->ldt, 0, 0, 0xffff, 0x2, 0);
	memset(&sregs->gdt, 0, sizeof(sregs->gdt));
	memset(&sregs->idt, 0, sizeof(sregs->idt));
	sregs->gdt.limit = 0xffff;
	/* Real-mode IVT: 256 vectors of 4 bytes at address 0. */
	sregs->idt.limit = 0x3ff;
}

/*
 * Flat segments for protected and long mode: code 0x8 and data 0x10,
 * base 0, limit 4 GiB (g = 1), data 32-bit (db = 1); the caller picks
 * the code segment's size (cs.db for 32-bit, cs.l for 64-bit).
 */
static void thv_sregs_flat(struct thv_sregs *sregs)
{
	thv_seg_set(&sregs->cs, 0x8, 0, 0xffffffff, 0xb, 1);
	sregs->cs.g = 1;
	thv_seg_set(&sregs->ds, 0x10, 0, 0xffffffff, 0x3, 1);
	sregs->ds.db = 1;
	sregs->ds.g = 1;
	sregs->es = sregs->ds;
	sregs->fs = sregs->ds;
	sregs->gs = sregs->ds;
	sregs->ss = sregs->ds;
	thv_sregs_system_tables(sregs);
}

/* Start state for GPRs: everything 0, reserved RFLAGS bit 1 set. */
static int thv_vcpu_set_entry_regs(struct thv_vm *vm, uint64_t entry,
				   uint64_t stack)
{
	struct thv_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = stack;
	regs.rflags = 0x2;
	return thv_set_regs(vm, &regs);
}

int thv_vcpu_set_real_mode(struct thv_vm *vm, uint64_t entry, uint64_t stack)
{
	struct thv_sregs sregs;
	int ret;

	ret = thv_get_sregs(vm, &sregs);
	if (ret < 0)
		return ret;

	/* Real mode: base = selector * 16, 64 KiB limit (APM Vol. 2 1.2.4). */
	thv_seg_set(&sregs.cs, 0, 0, 0xffff, 0xb, 1);
	thv_seg_set(&sregs.ds, 0, 0, 0xffff, 0x3, 1);
	sregs.es = sregs.ds;
	sregs.fs = sregs.ds;
	sregs.gs = sregs.ds;
	sregs.ss = sregs.ds;
	thv_sregs_system_tables(&sregs);

	/* ET only: caching on (CD = NW = 0), no protection, no paging. */
	sregs.cr0 = 0x10;
	sregs.cr2 = 0;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;

	ret = thv_set_sregs(vm, &sregs);
	if (ret < 0)
		return ret;
	return thv_vcpu_set_entry_regs(vm, entry, stack);
}

int thv_vcpu_set_flat32(struct thv_vm *vm, uint64_t entry, uint64_t stack)
{
	struct thv_sregs sregs;
	int ret;

	ret = thv_get_sregs(vm, &sregs);
	if (ret < 0)
		return ret;

	/*
	 * Flat segments: base 0, limit 4 GiB (g = 1), 32-bit (db = 1).  Only
	 * the hidden part matters to the CPU until a selector is reloaded, so
	 * no GDT has to exist in guest memory (APM Vol. 2 4.5.3).
	 */
	thv_sregs_flat(&sregs);
	sregs.cs.db = 1;
	sregs.gdt.limit = 0;
	sregs.idt.limit = 0;

	/* PE | ET: protected mode, no paging (APM Vol. 2 3.1.1). */
	sregs.cr0 = 0x11;
	sregs.cr2 = 0;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;

	ret = thv_set_sregs(vm, &sregs);
	if (ret < 0)
		return ret;
	return thv_vcpu_set_entry_regs(vm, entry, stack);
}

/*
 * Long mode needs paging (APM Vol. 2 14.6.1, SDM Vol. 3A 10.8.5), so
 * unlike the other entry states this one writes guest memory: at tables
 * (4 KiB aligned, THV_LONG64_TABLES_SIZE bytes of guest RAM) it builds
 *   +0x0000  PML4: entry 0 -> PDPT
 *   +0x1000  PDPT: entries 0-3 -> the four page directories
 *   +0x2000  four PDs of 512 2 MiB pages each: an identity map of the
 *            first 4 GiB, RAM or not (the part no RAM backs is MMIO)
 *   +0x6000  a GDT: 0x08 64-bit code, 0x10 data, 0x18 32-bit code
 * 2 MiB pages (PDE.PS) exist on every 64-bit CPU; 1 GiB pages do not
 * (CPUID 0x80000001 EDX[26]), so they are not used.  The GDT is needed
 * although the hidden segment state is set directly: IRETQ and far
 * returns reload CS and SS from it.
 */
#define PTE_P		(1ULL << 0)
#define PTE_W		(1ULL << 1)
#define PTE_PS		(1ULL << 7)
#define LONG64_GDT	0x6000

int thv_vcpu_set_long64(struct thv_vm *vm, uint64_t entry, uint64_t stack,
			uint64_t tables)
{
	static const uint64_t gdt[] = {
		0,			/* null */
		0x00af9b000000ffffULL,	/* 0x08: code, L=1, DPL 0 */
		0x00cf93000000ffffULL,	/* 0x10: data, 4 GiB */
		0x00cf9b000000ffffULL,	/* 0x18: code, 32-bit */
	};
	struct thv_sregs sregs;
	uint64_t *pml4, *pdpt, *pd;
	unsigned int i;
	int ret;

	if ((tables & 0xfff) || !vm->mem || tables > vm->mem_size ||
	    vm->mem_size - tables < THV_LONG64_TABLES_SIZE)
		return -EINVAL;
	pml4 = thv_gpa_to_hva(vm, tables);
	pdpt = thv_gpa_to_hva(vm, tables + 0x1000);
	pd = thv_gpa_to_hva(vm, tables + 0x2000);
	memset(pml4, 0, THV_LONG64_TABLES_SIZE);
	pml4[0] = (tables + 0x1000) | PTE_P | PTE_W;
	for (i = 0; i < 4; i++)
		pdpt[i] = (tables + 0x2000 + i * 0x1000) | PTE_P | PTE_W;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_W | PTE_PS;
	memcpy(thv_gpa_to_hva(vm, tables + LONG64_GDT), gdt, sizeof(gdt));

	ret = thv_get_sregs(vm, &sregs);
	if (ret < 0)
		return ret;
	thv_sregs_flat(&sregs);
	sregs.cs.l = 1;			/* 64-bit code: L = 1, D = 0 */
	sregs.gdt.base = tables + LONG64_GDT;
	sregs.gdt.limit = sizeof(gdt) - 1;
	sregs.idt.limit = 0;

	/*
	 * PE | ET | PG, CR4.PAE, EFER.LME | LMA: long mode is active
	 * (LMA) because paging is on with LME set (APM Vol. 2 14.6).
	 * NE: x87 errors as #MF, as every 64-bit OS wants.
	 */
	sregs.cr0 = 0x80000031;
	sregs.cr2 = 0;
	sregs.cr3 = tables;
	sregs.cr4 = 0x20;
	sregs.efer = 0x500;

	ret = thv_set_sregs(vm, &sregs);
	if (ret < 0)
		return ret;
	return thv_vcpu_set_entry_regs(vm, entry, stack);
}

int thv_ucall_get(struct thv_vm *vm, struct thv_ucall *uc)
{
	struct thv_run *run = vm->run;
	uint32_t gpa;

	if (run->exit_reason != THV_EXIT_IO ||
	    run->io.port != THV_UCALL_PORT ||
	    run->io.direction != THV_EXIT_IO_OUT || run->io.size != 4 ||
	    run->io.count != 1)
		return -ENOENT;
	memcpy(&gpa, thv_io_data(vm), 4);
	if (!vm->mem || gpa > vm->mem_size ||
	    vm->mem_size - gpa < sizeof(*uc))
		return -EFAULT;
	memcpy(uc, (char *)vm->mem + gpa, sizeof(*uc));
	uc->buf[sizeof(uc->buf) - 1] = '\0';
	return 0;
}

int thv_vcpu_set_cpuid(struct thv_vm *vm, const struct thv_cpuid *cpuid)
{
	int ret = thv_ioctl(vm->vcpu_fd, THV_SET_CPUID, (unsigned long)cpuid);

	return ret < 0 ? ret : 0;
}

int thv_vcpu_interrupt(struct thv_vm *vm, uint32_t vector)
{
	struct thv_interrupt irq = { .vector = vector };
	int ret = thv_ioctl(vm->vcpu_fd, THV_INTERRUPT, (unsigned long)&irq);

	return ret < 0 ? ret : 0;
}

int thv_vcpu_run(struct thv_vm *vm)
{
	int ret = thv_ioctl(vm->vcpu_fd, THV_RUN, 0);

	return ret < 0 ? ret : 0;
}

int thv_get_regs(struct thv_vm *vm, struct thv_regs *regs)
{
	int ret = thv_ioctl(vm->vcpu_fd, THV_GET_REGS, (unsigned long)regs);

	return ret < 0 ? ret : 0;
}

int thv_set_regs(struct thv_vm *vm, const struct thv_regs *regs)
{
	int ret = thv_ioctl(vm->vcpu_fd, THV_SET_REGS, (unsigned long)regs);

	return ret < 0 ? ret : 0;
}

int thv_get_sregs(struct thv_vm *vm, struct thv_sregs *sregs)
{
	int ret = thv_ioctl(vm->vcpu_fd, THV_GET_SREGS, (unsigned long)sregs);

	return ret < 0 ? ret : 0;
}

int thv_set_sregs(struct thv_vm *vm, const struct thv_sregs *sregs)
{
	int ret = thv_ioctl(vm->vcpu_fd, THV_SET_SREGS, (unsigned long)sregs);

	return ret < 0 ? ret : 0;
}

void *thv_io_data(struct thv_vm *vm)
{
	return (char *)vm->run + vm->run->io.data_offset;
}

const char *thv_exit_name(uint32_t exit_reason)
{
	static const char * const names[THV_EXIT_MAX] = {
		[THV_EXIT_NONE]			= "NONE",
		[THV_EXIT_IO]			= "IO",
		[THV_EXIT_MMIO]			= "MMIO",
		[THV_EXIT_HLT]			= "HLT",
		[THV_EXIT_SHUTDOWN]		= "SHUTDOWN",
		[THV_EXIT_HYPERCALL]		= "HYPERCALL",
		[THV_EXIT_FAIL_ENTRY]		= "FAIL_ENTRY",
		[THV_EXIT_INTERNAL_ERROR]	= "INTERNAL_ERROR",
		[THV_EXIT_INTR]			= "INTR",
		[THV_EXIT_MSR]			= "MSR",
		[THV_EXIT_EXCEPTION]		= "EXCEPTION",
		[THV_EXIT_IRQ_WINDOW]		= "IRQ_WINDOW",
		[THV_EXIT_DEBUG]		= "DEBUG",
		[THV_EXIT_KERNEL]		= "KERNEL",
	};

	if (exit_reason >= THV_EXIT_MAX || !names[exit_reason])
		return "UNKNOWN";
	return names[exit_reason];
}

const char *thv_fail_name(uint32_t reason)
{
	static const char * const names[THV_FAIL_MAX] = {
		[THV_FAIL_UNKNOWN]		= "UNKNOWN",
		[THV_FAIL_CR0]			= "CR0",
		[THV_FAIL_CR3]			= "CR3",
		[THV_FAIL_CR4]			= "CR4",
		[THV_FAIL_EFER]			= "EFER",
		[THV_FAIL_SEGMENT]		= "SEGMENT",
		[THV_FAIL_DR]			= "DR",
		[THV_FAIL_VMCS_CONTROL]		= "VMCS_CONTROL",
		[THV_FAIL_GUEST_STATE]		= "GUEST_STATE",
	};

	if (reason >= THV_FAIL_MAX || !names[reason])
		return "UNKNOWN";
	return names[reason];
}

/* SDM Vol. 3C 31.4 "VM Instruction Error Numbers", in the manual's words. */
const char *thv_vmx_insn_error_name(uint32_t err)
{
	static const char * const names[] = {
		[0]  = "none",
		[1]  = "VMCALL executed in VMX root operation",
		[2]  = "VMCLEAR with invalid physical address",
		[3]  = "VMCLEAR with VMXON pointer",
		[4]  = "VMLAUNCH with non-clear VMCS",
		[5]  = "VMRESUME with non-launched VMCS",
		[6]  = "VMRESUME after VMXOFF",
		[7]  = "VM entry with invalid control field(s)",
		[8]  = "VM entry with invalid host-state field(s)",
		[9]  = "VMPTRLD with invalid physical address",
		[10] = "VMPTRLD with VMXON pointer",
		[11] = "VMPTRLD with incorrect VMCS revision identifier",
		[12] = "VMREAD/VMWRITE from/to unsupported VMCS component",
		[13] = "VMWRITE to read-only VMCS component",
		[15] = "VMXON executed in VMX root operation",
		[16] = "VM entry with invalid executive-VMCS pointer",
		[17] = "VM entry with non-launched executive VMCS",
		[18] = "VM entry with executive-VMCS pointer not VMXON pointer",
		[19] = "VMCALL with non-clear VMCS",
		[20] = "VMCALL with invalid VM-exit control fields",
		[22] = "VMCALL with incorrect MSEG revision identifier",
		[23] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
		[24] = "VMCALL with invalid SMM-monitor features",
		[25] = "VM entry with invalid VM-execution control fields in executive VMCS",
		[26] = "VM entry with events blocked by MOV SS",
		[28] = "invalid operand to INVEPT/INVVPID",
	};

	if (err >= sizeof(names) / sizeof(names[0]) || !names[err])
		return "unknown VM-instruction error";
	return names[err];
}

const char *thv_internal_name(uint32_t suberror)
{
	switch (suberror) {
	case THV_INTERNAL_UNHANDLED_EXIT:
		return "UNHANDLED_EXIT";
	case THV_INTERNAL_EMULATION:
		return "EMULATION";
	case THV_INTERNAL_STRING_IO:
		return "STRING_IO";
	case THV_INTERNAL_NPF_LOOP:
		return "NPF_LOOP";
	case THV_INTERNAL_GUEST_PAGING:
		return "GUEST_PAGING";
	default:
		return "UNKNOWN";
	}
}

int thv_errf(char *err, size_t err_len, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err_len) {
		va_start(ap, fmt);
		vsnprintf(err, err_len, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- debugging a guest: the exit stepper and tracing (issue 5) ---- */

int thv_set_guest_debug(struct thv_vm *vm, uint32_t flags)
{
	struct thv_guest_debug dbg = { .flags = flags };
	int ret = thv_ioctl(vm->vcpu_fd, THV_SET_GUEST_DEBUG,
			    (unsigned long)&dbg);

	return ret < 0 ? ret : 0;
}

int thv_get_exit_stats(struct thv_vm *vm, struct thv_exit_stats *stats)
{
	int ret;

	memset(stats, 0, sizeof(*stats));
	ret = thv_ioctl(vm->vm_fd, THV_GET_EXIT_STATS, (unsigned long)stats);
	return ret < 0 ? ret : 0;
}

struct thv_hw_fields *thv_get_hw_fields(struct thv_vm *vm, int *err)
{
	struct thv_hw_fields probe, *f;
	uint32_t n;
	int ret;

	/* First ask how many there are: nfields = 0 gets E2BIG and total. */
	memset(&probe, 0, sizeof(probe));
	ret = thv_ioctl(vm->vcpu_fd, THV_GET_HW_FIELDS, (unsigned long)&probe);
	if (ret < 0 && ret != -E2BIG) {
		*err = ret;
		return NULL;
	}
	n = probe.total;
	if (n > 4096) {			/* no VMCS has that many fields */
		*err = -EOVERFLOW;
		return NULL;
	}
	f = calloc(1, sizeof(*f) + n * sizeof(f->fields[0]));
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	f->nfields = n;
	ret = thv_ioctl(vm->vcpu_fd, THV_GET_HW_FIELDS, (unsigned long)f);
	if (ret < 0) {
		free(f);
		*err = ret;
		return NULL;
	}
	if (f->nfields > n)
		f->nfields = n;
	*err = 0;
	return f;
}

const char *thv_kind_name(uint32_t kind)
{
	static const char * const names[THV_KIND_NR] = {
		[THV_KIND_NOTHING]	= "NOTHING",
		[THV_KIND_HOST_INTR]	= "HOST_INTR",
		[THV_KIND_IO]		= "IO",
		[THV_KIND_NPF]		= "NPF",
		[THV_KIND_CPUID]	= "CPUID",
		[THV_KIND_HLT]		= "HLT",
		[THV_KIND_HYPERCALL]	= "HYPERCALL",
		[THV_KIND_MSR]		= "MSR",
		[THV_KIND_SHUTDOWN]	= "SHUTDOWN",
		[THV_KIND_EXCEPTION]	= "EXCEPTION",
		[THV_KIND_DENIED_INSN]	= "DENIED_INSN",
		[THV_KIND_SKIP_INSN]	= "SKIP_INSN",
		[THV_KIND_CR]		= "CR",
		[THV_KIND_IRQ_WINDOW]	= "IRQ_WINDOW",
		[THV_KIND_RDTSCP]	= "RDTSCP",
		[THV_KIND_PAUSE]	= "PAUSE",
		[THV_KIND_DR]		= "DR",
		[THV_KIND_SOFT_INT]	= "SOFT_INT",
		[THV_KIND_XSETBV]	= "XSETBV",
		[THV_KIND_FAIL_ENTRY]	= "FAIL_ENTRY",
		[THV_KIND_UNHANDLED]	= "UNHANDLED",
		[THV_KIND_STEP]		= "STEP",
	};

	if (kind >= THV_KIND_NR || !names[kind])
		return "UNKNOWN";
	return names[kind];
}

const char *thv_run_exit_name(const struct thv_run *run)
{
	if (run->exit_reason == THV_EXIT_KERNEL)
		return thv_kind_name(run->kernel.kind);
	return thv_exit_name(run->exit_reason);
}

int thv_vm_read_phys(void *opaque, uint64_t gpa, void *buf, size_t len)
{
	struct thv_vm *vm = opaque;

	if (gpa >= vm->mem_size || len > vm->mem_size - gpa)
		return -EFAULT;
	memcpy(buf, (char *)vm->mem + gpa, len);
	return 0;
}
