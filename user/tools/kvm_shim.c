// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_shim.c - run the thv runner on /dev/kvm instead of /dev/thv.
 *
 * A development and teaching aid, not part of thv proper: linked into
 * build/user/thv-kvm with `-Wl,--wrap=ioctl,--wrap=mmap`, it turns each
 * thv ioctl into the matching KVM ioctl and each kvm_run exit into a
 * struct thv_run.  Then the same runner and payloads run on a reference
 * hypervisor (kvm_amd inside the SVM test VM), which tells "payload or
 * runner bug" apart from "thv.ko bug".  Usage:
 *
 *   thv-kvm run --dev /dev/kvm [options] PAYLOAD
 *
 * Known differences: KVM answers VMMCALL itself (RAX = -KVM_ENOSYS,
 * 0xfffffc18), so the hypercall payload cannot pass here; RIP in the trace
 * is KVM's (after an IO instruction, not at it).  CPUID is made to look
 * like thv's: leaf 1 ECX[31] set, leaf 0x40000000 = "thvthvthv".
 * One VM with one vCPU per process, which is all the runner makes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "../../include/uapi/thv.h"

int __real_ioctl(int fd, unsigned long req, ...);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off);

#define SHIM_CPUID_MAX	128

static int shim_sys_fd = -1, shim_vcpu_fd = -1;
static struct kvm_run *shim_krun;
static struct thv_run *shim_trun;

/* KVM's supported CPUID, dressed up as thv's (see include/uapi/thv.h). */
static int shim_set_cpuid(void)
{
	struct kvm_cpuid2 *c;
	unsigned int i;
	int ret;

	c = calloc(1, sizeof(*c) + SHIM_CPUID_MAX * sizeof(c->entries[0]));
	if (!c)
		return -1;
	c->nent = SHIM_CPUID_MAX;
	ret = __real_ioctl(shim_sys_fd, KVM_GET_SUPPORTED_CPUID, c);
	for (i = 0; !ret && i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ecx |= 1u << 31;
		if (e->function == 0x40000000) {
			e->eax = 0x40000001;
			memcpy(&e->ebx, "thvt", 4);
			memcpy(&e->ecx, "hvth", 4);
			memcpy(&e->edx, "v\0\0\0", 4);
		}
	}
	if (!ret)
		ret = __real_ioctl(shim_vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
	return ret;
}

/* Hand the runner's answer for the last IN or MMIO read to KVM. */
static void shim_complete_pending(void)
{
	struct kvm_run *k = shim_krun;

	if (k->exit_reason == KVM_EXIT_IO && k->io.direction == KVM_EXIT_IO_IN)
		memcpy((char *)k + k->io.data_offset,
		       (char *)shim_trun + THV_RUN_IO_DATA_OFFSET,
		       k->io.size * k->io.count);
	if (k->exit_reason == KVM_EXIT_MMIO && !k->mmio.is_write)
		memcpy(k->mmio.data, shim_trun->mmio.data, 8);
}

static void shim_translate_exit(void)
{
	struct kvm_run *k = shim_krun;
	struct thv_run *t = shim_trun;

	memset(&t->io, 0, sizeof(t->padding));
	switch (k->exit_reason) {
	case KVM_EXIT_IO:
		t->exit_reason = THV_EXIT_IO;
		t->io.direction = k->io.direction == KVM_EXIT_IO_OUT ?
				  THV_EXIT_IO_OUT : THV_EXIT_IO_IN;
		t->io.size = k->io.size;
		t->io.port = k->io.port;
		t->io.count = k->io.count;
		t->io.data_offset = THV_RUN_IO_DATA_OFFSET;
		memcpy((char *)t + THV_RUN_IO_DATA_OFFSET,
		       (char *)k + k->io.data_offset, k->io.size * k->io.count);
		break;
	case KVM_EXIT_MMIO:
		t->exit_reason = THV_EXIT_MMIO;
		t->mmio.phys_addr = k->mmio.phys_addr;
		memcpy(t->mmio.data, k->mmio.data, 8);
		t->mmio.len = k->mmio.len;
		t->mmio.is_write = k->mmio.is_write;
		break;
	case KVM_EXIT_HLT:
		t->exit_reason = THV_EXIT_HLT;
		break;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		t->exit_reason = THV_EXIT_IRQ_WINDOW;
		break;
	case KVM_EXIT_SHUTDOWN:
		t->exit_reason = THV_EXIT_SHUTDOWN;
		break;
	case KVM_EXIT_FAIL_ENTRY:
		t->exit_reason = THV_EXIT_FAIL_ENTRY;
		t->fail_entry.hardware_entry_failure_reason =
			k->fail_entry.hardware_entry_failure_reason;
		break;
	default:
		t->exit_reason = THV_EXIT_INTERNAL_ERROR;
		t->internal.suberror = THV_INTERNAL_UNHANDLED_EXIT;
		t->internal.ndata = 1;
		t->internal.data[0] = k->exit_reason;
		break;
	}
}

static int shim_run(void)
{
	struct kvm_regs regs;
	int ret, err;

	shim_complete_pending();
	shim_krun->immediate_exit = shim_trun->request_immediate_exit;
	shim_krun->request_interrupt_window =
		shim_trun->request_interrupt_window;
	ret = __real_ioctl(shim_vcpu_fd, KVM_RUN, 0);
	err = errno;
	shim_trun->ready_for_interrupt_injection =
		shim_krun->ready_for_interrupt_injection;
	shim_trun->if_flag = shim_krun->if_flag;
	if (!__real_ioctl(shim_vcpu_fd, KVM_GET_REGS, &regs))
		shim_trun->exit_rip = regs.rip;
	if (ret < 0) {
		if (err == EINTR) {
			shim_krun->exit_reason = KVM_EXIT_INTR;
			shim_trun->exit_reason = THV_EXIT_INTR;
		}
		errno = err;
		return -1;
	}
	shim_trun->exits++;
	shim_translate_exit();
	return 0;
}

static int shim_sregs(int fd, unsigned long req, void *arg)
{
	/* thv_sregs has kvm_sregs' layout up to and including efer. */
	size_t common = offsetof(struct kvm_sregs, apic_base);
	struct kvm_sregs k;
	int ret;

	ret = __real_ioctl(fd, KVM_GET_SREGS, &k);
	if (ret < 0)
		return ret;
	if (req == THV_GET_SREGS) {
		memset(arg, 0, sizeof(struct thv_sregs));
		memcpy(arg, &k, common);
		return 0;
	}
	memcpy(&k, arg, common);
	return __real_ioctl(fd, KVM_SET_SREGS, &k);
}

static int shim_create_vcpu(int vm_fd, unsigned long id)
{
	int size = __real_ioctl(shim_sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	void *p;

	shim_vcpu_fd = __real_ioctl(vm_fd, KVM_CREATE_VCPU, id);
	if (shim_vcpu_fd < 0 || size < 0)
		return -1;
	p = __real_mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			shim_vcpu_fd, 0);
	if (p == MAP_FAILED)
		return -1;
	shim_krun = p;
	if (shim_set_cpuid() < 0)
		return -1;
	return shim_vcpu_fd;
}

static int shim_get_caps(struct thv_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->backend = THV_BACKEND_SVM;
	c->flags = THV_CAP_NESTED_PAGING;
	c->max_vcpus = 1;
	c->max_mem_slots = 32;
	c->max_mem_bytes = 1ULL << 30;
	c->max_gpa = 1ULL << 40;
	c->npt_levels = 4;
	return 0;
}

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	struct thv_memory_region *r;
	struct kvm_userspace_memory_region k;
	unsigned long arg;
	va_list ap;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	switch (req) {
	case THV_GET_API_VERSION:
		shim_sys_fd = fd;
		if (__real_ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
			return -1;	/* errno from KVM, e.g. ENOTTY */
		return THV_API_VERSION;
	case THV_GET_CAPS:
		return shim_get_caps((struct thv_caps *)arg);
	case THV_CREATE_VM:
		shim_sys_fd = fd;
		return __real_ioctl(fd, KVM_CREATE_VM, 0);
	case THV_GET_VCPU_MMAP_SIZE:
		return 4096;
	case THV_SET_MEMORY_REGION:
		r = (struct thv_memory_region *)arg;
		memset(&k, 0, sizeof(k));
		k.slot = r->slot;
		k.guest_phys_addr = r->guest_phys_addr;
		k.memory_size = r->memory_size;
		k.userspace_addr = r->userspace_addr;
		return __real_ioctl(fd, KVM_SET_USER_MEMORY_REGION, &k);
	case THV_CREATE_VCPU:
		return shim_create_vcpu(fd, arg);
	case THV_GET_REGS:	/* struct thv_regs == struct kvm_regs */
		return __real_ioctl(fd, KVM_GET_REGS, arg);
	case THV_SET_REGS:
		return __real_ioctl(fd, KVM_SET_REGS, arg);
	case THV_GET_SREGS:
	case THV_SET_SREGS:
		return shim_sregs(fd, req, (void *)arg);
	case THV_RUN:
		return shim_run();
	case THV_SET_CPUID:
		/* KVM's own table was set with the vCPU (shim_set_cpuid). */
		return 0;
	case THV_INTERRUPT:
		/* A userspace interrupt controller: KVM_INTERRUPT. */
		return __real_ioctl(fd, KVM_INTERRUPT, &(struct kvm_interrupt){
			.irq = ((struct thv_interrupt *)arg)->vector });
	}
	return __real_ioctl(fd, req, arg);
}

/* The run area of a "thv" vCPU is our own page; KVM's stays hidden. */
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd,
		  off_t off)
{
	if (fd >= 0 && fd == shim_vcpu_fd) {
		shim_trun = __real_mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return shim_trun;
	}
	return __real_mmap(addr, len, prot, flags, fd, off);
}
