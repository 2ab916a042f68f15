// SPDX-License-Identifier: GPL-2.0
/*
 * bench.c - thv-bench: what does a VM exit cost, on thv and on KVM?
 *
 * One program, two hypervisors.  The same guest (guest-payloads/bench.S,
 * byte for byte) runs on /dev/thv or on /dev/kvm, chosen with --hv, and
 * the same loops are timed on both:
 *
 *   cpuid      CPUID leaf 0, answered inside the kernel
 *   hypercall  VMMCALL/VMCALL, answered by this program (userspace)
 *   io         OUT to a port this program emulates
 *   mmio       a load from guest-physical memory without RAM behind it
 *   compute    no exits: loads and arithmetic through EPT/NPT
 *   create     open the device, create a VM and vCPU, load the guest,
 *              set its registers and run it to its first exit
 *
 * Each exit loop runs --iters iterations (compute: 1000 times as many) in
 * one go, --reps times; the cost of asking for a loop (one extra exit) is
 * measured with an empty loop and subtracted, and the median is kept.
 * Each repetition is followed by a host reference (host_reference()):
 * how fast the CPU under both hypervisors was just then.
 * Time is CLOCK_MONOTONIC in this (L1) kernel: wall-clock nanoseconds
 * normally, and guest instructions when QEMU runs with -icount shift=0
 * (one instruction = one nanosecond of virtual time), or Bochs' clock
 * with sync=none (one instruction = 1e9 / ips nanoseconds).
 * scripts/bench.sh boots the test VM, runs this on both hypervisors and
 * compares (`make bench`, docs/performance.md).
 *
 * The KVM half is a small KVM VMM of its own (no library): it shows the
 * same steps thv's API asks for, with KVM's names.  Exits are decoded at
 * the boundary (bench_thv_run / bench_kvm_run) into struct bench_exit, and
 * the loops never look at either ABI.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cpuid.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <linux/kvm.h>

#include "thv_lib.h"
#include "bench.h"

#define BENCH_REPS_MAX		99
#define BENCH_DEFAULT_ITERS	1000
#define BENCH_DEFAULT_REPS	7
#define BENCH_COMPUTE_FACTOR	1000	/* compute iterations per exit iteration */
#define BENCH_HOST_FACTOR	100	/* host reference iterations per exit iteration */
#define BENCH_CPUID_MAX		128	/* KVM_GET_SUPPORTED_CPUID entries */

/* What an exit was, whichever hypervisor reported it. */
enum bench_exit_kind {
	BENCH_EXIT_READY,	/* OUT to BENCH_PORT_READY: loop finished */
	BENCH_EXIT_IO,		/* OUT to BENCH_PORT_IO */
	BENCH_EXIT_MMIO,	/* a read of BENCH_MMIO_GPA */
	BENCH_EXIT_HYPERCALL,	/* BENCH_HC_NR */
	BENCH_EXIT_OTHER,	/* anything else: the benchmark is off */
};

struct bench_exit {
	enum bench_exit_kind kind;
	char what[96];		/* for OTHER: what happened, in words */
};

struct bench_vm {
	/* thv */
	struct thv_vm thv;
	/* KVM */
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *krun;
	size_t krun_size;
	void *mem;
};

struct bench_hv {
	const char *name;
	int (*create)(struct bench_vm *vm, const void *image, size_t len);
	void (*destroy)(struct bench_vm *vm);
	/* One RUN, its exit decoded and (MMIO, hypercall) answered. */
	int (*run)(struct bench_vm *vm, struct bench_exit *exit);
	/*
	 * Exits and root-mode ns by THV_KIND_* so far (thv only; NULL:
	 * cannot tell).
	 */
	int (*exit_stats)(struct bench_vm *vm, struct thv_exit_stats *st);
};

static struct {
	const char *dev;
	const char *payload;
	const char *json;
	const char *label;
	const char *loops;
	unsigned int iters;
	unsigned int reps;
	unsigned int timeout;
	bool script;		/* --script: the bench: lines too */
	int hc_insn;		/* BENCH_HC_VMMCALL / _VMCALL */
	const char *vendor;	/* "svm" / "vmx" */
} opt = {
	.payload = "/thv/payloads/bench.bin",
	.label = "wall",
	.loops = "cpuid,hypercall,io,mmio,compute,create",
	.iters = BENCH_DEFAULT_ITERS,
	.reps = BENCH_DEFAULT_REPS,
	.timeout = 600,
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						     noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("thv-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- thv: through libthv, as the runner does ---- */

static int bench_thv_create(struct bench_vm *vm, const void *image, size_t len)
{
	int ret;

	ret = thv_vm_create(&vm->thv, opt.dev, BENCH_MEM_SIZE);
	if (ret < 0)
		return ret;
	vm->mem = vm->thv.mem;
	ret = thv_vm_load(&vm->thv, BENCH_LOAD_ADDR, image, len);
	if (!ret)
		ret = thv_vcpu_set_flat32(&vm->thv, BENCH_LOAD_ADDR, BENCH_STACK);
	if (ret < 0)
		thv_vm_destroy(&vm->thv);
	return ret;
}

static void bench_thv_destroy(struct bench_vm *vm)
{
	thv_vm_destroy(&vm->thv);
}

static int bench_thv_run(struct bench_vm *vm, struct bench_exit *exit)
{
	struct thv_run *run = vm->thv.run;
	int ret = thv_vcpu_run(&vm->thv);

	if (ret < 0)
		return ret;
	exit->kind = BENCH_EXIT_OTHER;
	switch (run->exit_reason) {
	case THV_EXIT_IO:
		if (run->io.direction == THV_EXIT_IO_OUT &&
		    run->io.port == BENCH_PORT_READY)
			exit->kind = BENCH_EXIT_READY;
		else if (run->io.direction == THV_EXIT_IO_OUT &&
			 run->io.port == BENCH_PORT_IO)
			exit->kind = BENCH_EXIT_IO;
		break;
	case THV_EXIT_MMIO:
		if (!run->mmio.is_write && !run->mmio.user_decode &&
		    run->mmio.phys_addr == BENCH_MMIO_GPA) {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			exit->kind = BENCH_EXIT_MMIO;
		}
		break;
	case THV_EXIT_HYPERCALL:
		if (run->hypercall.nr == BENCH_HC_NR) {
			run->hypercall.ret = 0;
			exit->kind = BENCH_EXIT_HYPERCALL;
		}
		break;
	}
	if (exit->kind == BENCH_EXIT_OTHER)
		snprintf(exit->what, sizeof(exit->what),
			 "exit %s (%u) at RIP 0x%llx",
			 thv_exit_name(run->exit_reason), run->exit_reason,
			 (unsigned long long)run->exit_rip);
	return 0;
}

static int bench_thv_exit_stats(struct bench_vm *vm, struct thv_exit_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (ioctl(vm->thv.vm_fd, THV_GET_EXIT_STATS, st) < 0)
		return -errno;
	return 0;
}

static const struct bench_hv bench_thv = {
	.name = "thv",
	.create = bench_thv_create,
	.destroy = bench_thv_destroy,
	.run = bench_thv_run,
	.exit_stats = bench_thv_exit_stats,
};

/* ---- KVM: a minimal VMM on /dev/kvm (Documentation/virt/kvm/api.rst) ---- */

static struct kvm_cpuid2 *kvm_cpuid;	/* KVM_GET_SUPPORTED_CPUID, once */
static bool kvm_hc_exit;		/* KVM_CAP_EXIT_HYPERCALL is on */

static void bench_kvm_destroy(struct bench_vm *vm)
{
	if (vm->krun && vm->krun != MAP_FAILED)
		munmap(vm->krun, vm->krun_size);
	if (vm->mem && vm->mem != MAP_FAILED)
		munmap(vm->mem, BENCH_MEM_SIZE);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm->krun = NULL;
	vm->mem = NULL;
	vm->vcpu_fd = vm->vm_fd = vm->kvm_fd = -1;
}

/* Flat 32-bit segment: base 0, limit 4 GiB, present, DPL 0. */
static void kvm_flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->limit = 0xffffffff;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = 1;
	s->g = 1;
}

/*
 * The same entry state thv_vcpu_set_flat32() gives: CR0 = PE|ET, paging
 * off, flat 32-bit segments straight into the hidden state, no GDT.
 */
static int kvm_set_flat32(struct bench_vm *vm)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	kvm_flat_seg(&sregs.cs, 0x08, 0xb);	/* code, execute/read, accessed */
	kvm_flat_seg(&sregs.ds, 0x10, 0x3);	/* data, read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.limit = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x11;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rip = BENCH_LOAD_ADDR;
	regs.rsp = BENCH_STACK;
	regs.rflags = 0x2;
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

static int bench_kvm_create(struct bench_vm *vm, const void *image, size_t len)
{
	struct kvm_userspace_memory_region region;
	struct kvm_enable_cap cap;
	int ret, size;

	vm->kvm_fd = open(opt.dev, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return -errno;
	ret = -EINVAL;
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		goto fail;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		goto fail_errno;
	/*
	 * Intel without unrestricted guest needs a TSS page for real mode;
	 * harmless otherwise.  (Not a KVM_CAP on AMD.)
	 */
	if (!strcmp(opt.vendor, "vmx") &&
	    ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000ul) < 0)
		goto fail_errno;
	vm->mem = mmap(NULL, BENCH_MEM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		goto fail_errno;
	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = BENCH_MEM_SIZE,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto fail_errno;
	/*
	 * KVM answers hypercalls in the kernel; KVM_CAP_EXIT_HYPERCALL
	 * sends KVM_HC_MAP_GPA_RANGE to userspace instead, like thv's.
	 */
	ret = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_EXIT_HYPERCALL);
	if (ret > 0 && (ret & (1 << BENCH_HC_NR))) {
		memset(&cap, 0, sizeof(cap));
		cap.cap = KVM_CAP_EXIT_HYPERCALL;
		cap.args[0] = 1ull << BENCH_HC_NR;
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
			goto fail_errno;
		kvm_hc_exit = true;
	}
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		goto fail_errno;
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		goto fail_errno;
	vm->krun_size = size;
	vm->krun = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			vm->vcpu_fd, 0);
	if (vm->krun == MAP_FAILED)
		goto fail_errno;
	/* A VMM must give KVM a CPUID table; thv has a default one. */
	if (kvm_cpuid && ioctl(vm->vcpu_fd, KVM_SET_CPUID2, kvm_cpuid) < 0)
		goto fail_errno;
	if (len > BENCH_MEM_SIZE - BENCH_LOAD_ADDR)
		goto fail;
	memcpy((char *)vm->mem + BENCH_LOAD_ADDR, image, len);
	ret = kvm_set_flat32(vm);
	if (ret < 0)
		goto fail;
	return 0;

fail_errno:
	ret = -errno;
fail:
	bench_kvm_destroy(vm);
	return ret;
}

static int bench_kvm_run(struct bench_vm *vm, struct bench_exit *exit)
{
	struct kvm_run *run = vm->krun;

	if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0)
		return -errno;
	exit->kind = BENCH_EXIT_OTHER;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (run->io.direction == KVM_EXIT_IO_OUT &&
		    run->io.port == BENCH_PORT_READY)
			exit->kind = BENCH_EXIT_READY;
		else if (run->io.direction == KVM_EXIT_IO_OUT &&
			 run->io.port == BENCH_PORT_IO)
			exit->kind = BENCH_EXIT_IO;
		break;
	case KVM_EXIT_MMIO:
		if (!run->mmio.is_write && run->mmio.phys_addr == BENCH_MMIO_GPA) {
			memset(run->mmio.data, 0, sizeof(run->mmio.data));
			exit->kind = BENCH_EXIT_MMIO;
		}
		break;
	case KVM_EXIT_HYPERCALL:
		if (run->hypercall.nr == BENCH_HC_NR) {
			run->hypercall.ret = 0;
			exit->kind = BENCH_EXIT_HYPERCALL;
		}
		break;
	}
	if (exit->kind == BENCH_EXIT_OTHER)
		snprintf(exit->what, sizeof(exit->what), "KVM exit %u",
			 run->exit_reason);
	return 0;
}

static const struct bench_hv bench_kvm = {
	.name = "kvm",
	.create = bench_kvm_create,
	.destroy = bench_kvm_destroy,
	.run = bench_kvm_run,
};

/* Once, before any timing: the CPUID table every KVM VM gets. */
static void bench_kvm_setup(void)
{
	int fd = open(opt.dev, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", opt.dev, strerror(errno));
	kvm_cpuid = calloc(1, sizeof(*kvm_cpuid) +
			   BENCH_CPUID_MAX * sizeof(kvm_cpuid->entries[0]));
	if (!kvm_cpuid)
		die("out of memory");
	kvm_cpuid->nent = BENCH_CPUID_MAX;
	if (ioctl(fd, KVM_GET_SUPPORTED_CPUID, kvm_cpuid) < 0)
		die("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	close(fd);
}

/* ---- the loops ---- */

struct bench_loop {
	const char *name;
	int cmd;		/* BENCH_CMD_*; -1: create */
	int kind;		/* THV_KIND_* of each iteration's exit; -1: none */
	enum bench_exit_kind user;	/* exit seen here each iteration */
	unsigned int factor;	/* iterations = factor * --iters */
	const char *what;
};

static const struct bench_loop loops[] = {
	{ "cpuid", BENCH_CMD_CPUID, THV_KIND_CPUID, BENCH_EXIT_READY, 1,
	  "CPUID exit, handled in the kernel" },
	{ "hypercall", BENCH_CMD_HYPERCALL, THV_KIND_HYPERCALL,
	  BENCH_EXIT_HYPERCALL, 1, "hypercall, answered in userspace" },
	{ "io", BENCH_CMD_IO, THV_KIND_IO, BENCH_EXIT_IO, 1,
	  "OUT exit, emulated in userspace" },
	{ "mmio", BENCH_CMD_MMIO, THV_KIND_NPF, BENCH_EXIT_MMIO, 1,
	  "MMIO read, emulated in userspace" },
	{ "compute", BENCH_CMD_COMPUTE, -1, BENCH_EXIT_READY,
	  BENCH_COMPUTE_FACTOR, "compute loop, no exits (per iteration)" },
	{ "create", -1, -1, BENCH_EXIT_READY, 1,
	  "create VM + load + run to the first exit (per VM)" },
};

static const struct bench_hv *hv;
static const void *image;
static size_t image_len;

/* Run the guest until it is back at READY; count the exits on the way. */
static void run_to_ready(struct bench_vm *vm, const struct bench_loop *l,
			 unsigned long *user_exits)
{
	struct bench_exit exit;
	int ret;

	for (;;) {
		ret = hv->run(vm, &exit);
		if (ret == -EINTR)
			die("%s: timed out after %u s (--timeout)", hv->name,
			    opt.timeout);
		if (ret < 0)
			die("%s: RUN: %s", hv->name, strerror(-ret));
		if (exit.kind == BENCH_EXIT_READY)
			return;
		if (exit.kind == BENCH_EXIT_OTHER || exit.kind != l->user)
			die("%s: loop %s: unexpected %s", hv->name, l->name,
			    exit.kind == BENCH_EXIT_OTHER ? exit.what :
			    "exit kind");
		(*user_exits)++;
	}
}

/*
 * Ask the guest for one loop and run it to the next READY.  Returns the
 * time it took; *root (if not NULL) gets thv's own view of the loop's
 * exits: root-mode ns per exit, from the VM exit to the next VM entry
 * (THV_GET_EXIT_STATS), or -1 where the hypervisor cannot tell.
 */
static uint64_t mbox_loop(struct bench_vm *vm, const struct bench_loop *l,
			  int cmd, uint32_t count, double *root)
{
	uint32_t *mbox = (uint32_t *)((char *)vm->mem + BENCH_MBOX);
	struct thv_exit_stats before, after;
	unsigned long user_exits = 0;
	bool verify = hv->exit_stats && cmd != BENCH_CMD_NOP;
	uint64_t t0, t1, n_kind, n_io;
	int k = l->kind;

	mbox[0] = cmd;
	mbox[1] = count;
	mbox[2] = opt.hc_insn;
	if (verify && hv->exit_stats(vm, &before) < 0)
		die("%s: THV_GET_EXIT_STATS: %s", hv->name, strerror(errno));
	t0 = now_ns();
	run_to_ready(vm, l, &user_exits);
	t1 = now_ns();
	if (l->user != BENCH_EXIT_READY && user_exits != count)
		die("%s: loop %s: %lu exits to userspace, expected %u",
		    hv->name, l->name, user_exits, count);
	if (root)
		*root = -1;
	if (!verify)
		return t1 - t0;
	/*
	 * On thv, check the loop did what it says: exactly count exits of
	 * its kind (and the one READY), so a number below is never the
	 * cost of something else.
	 */
	if (hv->exit_stats(vm, &after) < 0)
		die("%s: THV_GET_EXIT_STATS: %s", hv->name, strerror(errno));
	n_io = after.count[THV_KIND_IO] - before.count[THV_KIND_IO];
	if (n_io != 1 + (k == THV_KIND_IO ? count : 0))
		die("%s: loop %s: %llu IO exits, expected %u", hv->name,
		    l->name, (unsigned long long)n_io,
		    1 + (k == THV_KIND_IO ? count : 0));
	if (k != THV_KIND_CPUID &&
	    after.count[THV_KIND_CPUID] != before.count[THV_KIND_CPUID])
		die("%s: loop %s: CPUID exits in a loop without CPUID",
		    hv->name, l->name);
	if (k < 0)
		return t1 - t0;
	n_kind = after.count[k] - before.count[k];
	if (n_kind != count + (k == THV_KIND_IO))
		die("%s: loop %s: %llu exits of its kind, expected %u",
		    hv->name, l->name, (unsigned long long)n_kind, count);
	if (root)
		*root = (double)(after.ns[k] - before.ns[k]) / n_kind;
	return t1 - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(const uint64_t *v, unsigned int n)
{
	uint64_t s[BENCH_REPS_MAX];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_u64);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

struct bench_result {
	uint32_t iters;
	double ns, min, max;	/* per iteration: median, fastest, slowest */
	double host;		/* host reference: median ns per iteration */
	double root;		/* thv: median root-mode ns per exit; -1 */
	const char *skip;	/* not measured: why */
	/*
	 * Each repetition alone: its ns per iteration, and the host
	 * reference just before and just after it (rep_host[r] and
	 * rep_host[r + 1], ns per iteration).
	 */
	unsigned int nrep;
	double rep_ns[BENCH_REPS_MAX];
	double rep_host[BENCH_REPS_MAX + 1];
};

/*
 * The host reference: the compute loop of bench.S, the same six
 * instructions over a buffer of the same size, run right here in L1
 * with no hypervisor under it.  Timed next to every repetition, it says
 * how fast the (emulated) CPU was at that moment.  Under QEMU's TCG that
 * speed changes by half or more for stretches of a second or so, with
 * the host's load.  scripts/bench-report.awk compares each side's
 * fastest repetition, and only if the reference reached the same speed
 * on both sides (docs/performance.md, "When the host changes speed").
 * Returns the time of count iterations.
 */
static uint64_t host_reference(uint32_t count)
{
	static uint32_t *buf;
	uint32_t acc = 0, off = 0;
	uint64_t t0;

	if (!buf) {
		buf = mmap(NULL, BENCH_BUF_MASK + 64, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (buf == MAP_FAILED)
			die("host reference buffer: %s", strerror(errno));
		/* Real pages, not the shared zero page. */
		memset(buf, 1, BENCH_BUF_MASK + 64);
	}
	t0 = now_ns();
	asm volatile("1:	add (%[buf], %q[off]), %[acc]\n\t"
		     "imul $31, %[acc], %[acc]\n\t"
		     "add $64, %[off]\n\t"
		     "and %[mask], %[off]\n\t"
		     "dec %[n]\n\t"
		     "jnz 1b"
		     : [acc] "+r" (acc), [off] "+r" (off), [n] "+r" (count)
		     : [buf] "r" (buf), [mask] "i" (BENCH_BUF_MASK)
		     : "cc", "memory");
	return now_ns() - t0;
}

/* create: the whole start of a VM, once per repetition. */
static void bench_create(const struct bench_loop *l, struct bench_result *res)
{
	uint64_t t[BENCH_REPS_MAX], tn[BENCH_REPS_MAX], ref;
	uint32_t host_n = opt.iters * BENCH_HOST_FACTOR;
	unsigned int r;
	unsigned long n = 0;

	for (r = 0; r <= opt.reps; r++) {
		struct bench_vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
		uint64_t t0 = now_ns();
		int ret = hv->create(&vm, image, image_len);

		if (ret < 0)
			die("%s: creating a VM: %s", hv->name, strerror(-ret));
		run_to_ready(&vm, l, &n);
		if (r)		/* the first one warms the caches up */
			t[r - 1] = now_ns() - t0;
		hv->destroy(&vm);
		ref = host_reference(host_n);
		res->rep_host[r] = (double)ref / host_n;
		if (r) {
			tn[r - 1] = ref;
			res->rep_ns[r - 1] = t[r - 1];
		}
	}
	res->nrep = opt.reps;
	res->iters = 1;
	res->root = -1;
	res->ns = median(t, opt.reps);
	res->host = (double)median(tn, opt.reps) / host_n;
	res->min = res->max = t[0];
	for (r = 0; r < opt.reps; r++) {
		res->min = t[r] < res->min ? t[r] : res->min;
		res->max = t[r] > res->max ? t[r] : res->max;
	}
}

/*
 * An exit loop: --reps times "count iterations" and "none", alternated,
 * after one warm-up of each (which also maps the pages the loop touches).
 */
static void bench_exit_loop(struct bench_vm *vm, const struct bench_loop *l,
			    struct bench_result *res)
{
	static const struct bench_loop nop = { "nop", BENCH_CMD_NOP, -1,
					       BENCH_EXIT_READY, 1, "" };
	uint64_t t[BENCH_REPS_MAX], t0[BENCH_REPS_MAX], base;
	uint64_t root[BENCH_REPS_MAX], tn[BENCH_REPS_MAX];
	uint32_t count = opt.iters * l->factor;
	uint32_t host_n = opt.iters * BENCH_HOST_FACTOR;
	unsigned int r;
	double x;

	mbox_loop(vm, l, l->cmd, count, NULL);
	mbox_loop(vm, &nop, BENCH_CMD_NOP, 0, NULL);
	res->root = 0;
	res->rep_host[0] = (double)host_reference(host_n) / host_n;
	for (r = 0; r < opt.reps; r++) {
		t0[r] = mbox_loop(vm, &nop, BENCH_CMD_NOP, 0, NULL);
		t[r] = mbox_loop(vm, l, l->cmd, count, &x);
		tn[r] = host_reference(host_n);
		res->rep_host[r + 1] = (double)tn[r] / host_n;
		if (x < 0)
			res->root = -1;
		root[r] = x < 0 ? 0 : (uint64_t)(x * 10);	/* 0.1 ns */
	}
	if (res->root == 0)
		res->root = median(root, opt.reps) / 10.0;
	base = median(t0, opt.reps);
	res->host = (double)median(tn, opt.reps) / host_n;
	res->iters = count;
	res->ns = ((double)median(t, opt.reps) - base) / count;
	res->min = res->max = res->ns;
	res->nrep = opt.reps;
	for (r = 0; r < opt.reps; r++) {
		x = ((double)t[r] - base) / count;
		res->rep_ns[r] = x;
		res->min = x < res->min ? x : res->min;
		res->max = x > res->max ? x : res->max;
	}
}

/* ---- options, output ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: thv-bench [options]\n"
"Time VM exits on thv or KVM with the same guest (guest-payloads/bench.S).\n"
"  --hv thv|kvm      hypervisor (default thv; kvm needs kvm_amd/kvm_intel)\n"
"  --dev PATH        device (default /dev/thv or /dev/kvm)\n"
"  --payload FILE    the guest (default %s)\n"
"  --loops LIST      comma-separated, default %s\n"
"  --iters N         exits per timed loop (default %d; compute: %d times N)\n"
"  --reps N          timed repetitions, the median is kept (default %d, 1-%d)\n"
"  --clock NAME      label for the time unit: wall, icount, ... (default wall)\n"
"  --json FILE       also write the results as JSON\n"
"  --script          also print one 'bench:' line per loop, for scripts\n"
"  --timeout S       give up after S seconds (default 600)\n"
"  -h, --help        this text\n"
"Prints one line per loop: iterations, median ns per iteration (fastest-\n"
"slowest run) and what one iteration is.\n"
"On thv every loop is checked against thv's exit counters.\n",
		opt.payload, opt.loops, BENCH_DEFAULT_ITERS,
		BENCH_COMPUTE_FACTOR, BENCH_DEFAULT_REPS,
		BENCH_REPS_MAX);
}

static unsigned int parse_uint(const char *s, const char *name,
			       unsigned int lo, unsigned int hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *s == '-' || end == s || *end || v < lo || v > hi)
		die("%s must be a number from %u to %u, not '%s'", name, lo,
		    hi, s);
	return v;
}

static bool loop_selected(const char *name)
{
	size_t n = strlen(name);
	const char *p = opt.loops;

	while (p && *p) {
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

static void check_loops(void)
{
	const char *p = opt.loops;
	unsigned int i;
	size_t n;

	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++)
			if (strlen(loops[i].name) == n &&
			    !strncmp(p, loops[i].name, n))
				break;
		if (i == sizeof(loops) / sizeof(loops[0]))
			die("unknown loop '%.*s' (cpuid, hypercall, io, mmio, "
			    "compute, create)", (int)n, p);
		p += n + (p[n] == ',');
	}
}

static void *read_file(const char *path, size_t *len)
{
	struct stat st;
	void *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
	    st.st_size > BENCH_MEM_SIZE - BENCH_LOAD_ADDR)
		die("%s: not a guest image (a regular file of 1 to %d bytes)",
		    path, BENCH_MEM_SIZE - BENCH_LOAD_ADDR);
	buf = malloc(st.st_size);
	if (!buf)
		die("out of memory");
	if (read(fd, buf, st.st_size) != st.st_size)
		die("%s: short read", path);
	close(fd);
	*len = st.st_size;
	return buf;
}

static void on_alarm(int sig)
{
	static const char msg[] = "thv-bench: timed out (--timeout)\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

/* The vendor of the CPU this program runs on (the test VM's L1 CPU). */
static const char *cpu_vendor(void)
{
	unsigned int a, b, c, d;
	char v[13];

	__cpuid(0, a, b, c, d);
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	if (!strcmp(v, "AuthenticAMD"))
		return "svm";
	if (!strcmp(v, "GenuineIntel"))
		return "vmx";
	die("CPU vendor '%s' is neither AMD nor Intel", v);
}

/*
 * bench-reps: every repetition of a loop, for scripts/bench-report.awk:
 * ns=N0,N1,... (ns per iteration) and host=H0,H1,...,Hn, the host
 * reference before the first and after each one.
 */
static void print_reps(const struct bench_loop *l,
		       const struct bench_result *res)
{
	unsigned int r;

	printf("bench-reps: hv=%s loop=%s ns=", hv->name, l->name);
	for (r = 0; r < res->nrep; r++)
		printf("%s%.3f", r ? "," : "", res->rep_ns[r]);
	printf(" host=");
	for (r = 0; r <= res->nrep; r++)
		printf("%s%.3f", r ? "," : "", res->rep_host[r]);
	printf("\n");
}

static void print_result(FILE *json, const struct bench_loop *l,
			 const struct bench_result *res, bool first)
{
	if (res->skip) {
		printf("  %-10s %s\n", l->name, res->skip);
		if (opt.script)
			printf("bench: hv=%s vendor=%s clock=%s loop=%s "
			       "skip\n", hv->name, opt.vendor, opt.label,
			       l->name);
	} else {
		printf("  %-10s %8u x %12.1f ns  (%.1f-%.1f)  %s\n", l->name,
		       res->iters, res->ns, res->min, res->max, l->what);
		if (res->root >= 0)
			printf("  %-10s %8s   %12.1f ns  of it in root mode, "
			       "from the exit to the next entry\n", "", "",
			       res->root);
		/*
		 * Three decimals: compute is about 2 ns, and 0.1 of it 5%.
		 * host: host_reference() in ns per iteration.
		 */
		if (opt.script)
			printf("bench: hv=%s vendor=%s clock=%s loop=%s iters=%u "
			       "reps=%u ns=%.3f min=%.3f max=%.3f root=%.3f "
			       "host=%.3f\n",
			       hv->name, opt.vendor, opt.label, l->name,
			       res->iters, opt.reps, res->ns, res->min,
			       res->max, res->root, res->host);
		if (opt.script && res->nrep)
			print_reps(l, res);
	}
	if (!json)
		return;
	fprintf(json, "%s\n    \"%s\": ", first ? "" : ",", l->name);
	if (res->skip) {
		fprintf(json, "{ \"skip\": ");
		thv_json_str(json, res->skip);
		fprintf(json, " }");
	} else {
		fprintf(json, "{ \"iters\": %u, \"ns\": %.3f, \"min\": %.3f, "
			"\"max\": %.3f, \"root\": %.3f, \"host\": %.3f }",
			res->iters, res->ns, res->min, res->max, res->root,
			res->host);
	}
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "hv", required_argument, NULL, 'H' },
		{ "dev", required_argument, NULL, 'd' },
		{ "payload", required_argument, NULL, 'p' },
		{ "loops", required_argument, NULL, 'l' },
		{ "iters", required_argument, NULL, 'i' },
		{ "reps", required_argument, NULL, 'r' },
		{ "clock", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "script", no_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	struct bench_result res;
	unsigned long n = 0;
	FILE *json = NULL;
	bool first = true;
	unsigned int i;
	int c, ret;

	hv = &bench_thv;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'H':
			if (!strcmp(optarg, "thv"))
				hv = &bench_thv;
			else if (!strcmp(optarg, "kvm"))
				hv = &bench_kvm;
			else
				die("--hv must be thv or kvm, not '%s'", optarg);
			break;
		case 'd': opt.dev = optarg; break;
		case 'p': opt.payload = optarg; break;
		case 'l': opt.loops = optarg; break;
		case 'i':
			opt.iters = parse_uint(optarg, "--iters", 1, 1000000);
			break;
		case 'r':
			opt.reps = parse_uint(optarg, "--reps", 1,
					      BENCH_REPS_MAX);
			break;
		case 'c': opt.label = optarg; break;
		case 'j': opt.json = optarg; break;
		case 's': opt.script = true; break;
		case 't':
			opt.timeout = parse_uint(optarg, "--timeout", 1, 86400);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	check_loops();
	if (!opt.dev)
		opt.dev = hv == &bench_kvm ? "/dev/kvm" : THV_DEV_PATH;
	opt.vendor = cpu_vendor();
	opt.hc_insn = !strcmp(opt.vendor, "vmx") ? BENCH_HC_VMCALL :
						   BENCH_HC_VMMCALL;
	image = read_file(opt.payload, &image_len);
	signal(SIGALRM, on_alarm);
	alarm(opt.timeout);
	if (hv == &bench_kvm)
		bench_kvm_setup();
	if (opt.json) {
		json = fopen(opt.json, "w");
		if (!json)
			die("%s: %s", opt.json, strerror(errno));
		fprintf(json, "{\n  \"hv\": \"%s\", \"vendor\": \"%s\", "
			"\"clock\": ", hv->name, opt.vendor);
		thv_json_str(json, opt.label);
		fprintf(json, ", \"reps\": %u,\n  \"loops\": {", opt.reps);
	}

	ret = hv->create(&vm, image, image_len);
	if (ret < 0)
		die("%s: creating a VM on %s: %s", hv->name, opt.dev,
		    strerror(-ret));
	run_to_ready(&vm, &loops[0], &n);
	printf("thv-bench: %s on %s (%s), time: %s, median of %u\n", hv->name,
	       opt.dev, opt.vendor, opt.label, opt.reps);
	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		const struct bench_loop *l = &loops[i];

		if (!loop_selected(l->name))
			continue;
		memset(&res, 0, sizeof(res));
		if (l->cmd < 0)
			bench_create(l, &res);
		else if (l->cmd == BENCH_CMD_HYPERCALL && hv == &bench_kvm &&
			 !kvm_hc_exit)
			res.skip = "skipped: this KVM has no KVM_CAP_EXIT_HYPERCALL";
		else
			bench_exit_loop(&vm, l, &res);
		print_result(json, l, &res, first);
		first = false;
		fflush(stdout);
	}
	hv->destroy(&vm);
	if (json) {
		fprintf(json, "\n  }\n}\n");
		if (fclose(json))
			die("%s: %s", opt.json, strerror(errno));
	}
	return 0;
}
