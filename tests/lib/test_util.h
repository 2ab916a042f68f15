/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_util.h - shared helpers of the thv self-tests.
 *
 * The tests follow tools/testing/selftests/kvm: a small guest written
 * inside the test, a host loop that runs it and checks every exit.
 * Include this after kselftest_harness.h: the helpers take the harness'
 * _metadata so that their ASSERT_*()s end the calling test.
 *
 * Guest memory layout used by every test (real mode reaches the first
 * 64 KiB with all segments 0, so nothing needs a segment override):
 *
 *   0x0000 .. 0x0fff   free (the real-mode IVT would live here)
 *   0x1000 ..          guest code (GUEST_CODE_GPA)
 *   0x5000 .. 0x5fff   guest data (GUEST_DATA_GPA)
 *   0x7000             top of the stack, growing down (GUEST_STACK_TOP)
 *   0x8000             end of RAM (GUEST_MEM_SIZE): above it no slot
 *   0xc000             MMIO: no slot backs it (GUEST_MMIO_GPA)
 *
 * The "report" convention (a tiny version of KVM's ucall): the guest
 * writes a 32-bit value with "outl %eax, $0xf4" and the host picks it up
 * with guest_report().  Port 0xe9 is the classic debug-console port; a
 * guest may print characters there with "outb %al, $0xe9".
 */
#ifndef THV_TEST_UTIL_H
#define THV_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "thv_lib.h"

#define GUEST_MEM_SIZE		0x8000UL
#define GUEST_CODE_GPA		0x1000UL
#define GUEST_DATA_GPA		0x5000UL
#define GUEST_STACK_TOP		0x7000UL
#define GUEST_MMIO_GPA		0xc000UL

#define PORT_REPORT		0xf4	/* outl %eax: a value for the host */
#define PORT_DEBUG		0xe9	/* outb %al: a debug character */

#define PAGE_SIZE_4K		4096UL

/*
 * Guest code blobs.  GUEST_CODE16(name, "asm") assembles real-mode code
 * into the test binary's .rodata between name_start and name_end; the
 * test copies it to GUEST_CODE_GPA with guest_load().  GUEST_CODE32 does
 * the same for flat 32-bit protected-mode code.
 *
 * The bytes run at GUEST_CODE_GPA, not where the host linked them, so a
 * guest that needs the address of one of its own labels writes
 * GPA(name, label): the label's offset in the blob plus GUEST_CODE_GPA,
 * a constant the assembler computes.  GUEST_LABEL(label) exports a label
 * so that the host can compute where an instruction is (guest_rip()).
 */
#define __GUEST_CODE(name, mode, body)					\
	extern const unsigned char name##_start[], name##_end[];	\
	asm(".pushsection .rodata, \"a\"\n"				\
	    ".balign 16\n"						\
	    mode "\n"							\
	    ".globl " #name "_start\n"					\
	    #name "_start:\n"						\
	    body "\n"							\
	    ".globl " #name "_end\n"					\
	    #name "_end:\n"						\
	    ".code64\n"							\
	    ".popsection\n")

#define GUEST_CODE16(name, body)	__GUEST_CODE(name, ".code16", body)
#define GUEST_CODE32(name, body)	__GUEST_CODE(name, ".code32", body)
#define GUEST_CODE64(name, body)	__GUEST_CODE(name, ".code64", body)

/* A label the host can see; declare it with GUEST_SYMBOL(label). */
#define GUEST_LABEL(label)	".globl " #label "\n" #label ":\n"
#define GUEST_SYMBOL(label)	extern const unsigned char label[]

/*
 * In guest asm: the guest-physical address of label inside blob name.
 * The 0x1000 is GUEST_CODE_GPA spelled for the assembler (no UL suffix).
 */
#define GPA(name, label)	"(" #label " - " #name "_start + 0x1000)"

/* In guest asm: hand %eax to the host (see guest_report()). */
#define G_REPORT_EAX		"outl %eax, $0xf4\n"

/*
 * In 64-bit guest asm: fill IDT entry v of the table at label idt with an
 * interrupt gate (type 0xe, DPL 0, present) to handler in CS 0x8
 * (SDM Vol. 3A 6.14.1).  Clobbers RAX and RDI.
 */
#define G_IDT_GATE(idt, v, handler)					\
	"lea " #handler "(%rip), %rax\n"				\
	"lea " #idt " + " #v " * 16(%rip), %rdi\n"			\
	"mov %ax, (%rdi)\n"						\
	"movw $0x8, 2(%rdi)\n"						\
	"movw $0x8e00, 4(%rdi)\n"					\
	"shr $16, %rax\n"						\
	"mov %ax, 6(%rdi)\n"						\
	"shr $16, %rax\n"						\
	"mov %eax, 8(%rdi)\n"

/* Guest-physical address of a GUEST_LABEL() inside the blob name. */
#define guest_rip(name, label)	\
	(GUEST_CODE_GPA + (uint64_t)((label) - (name##_start)))

/*
 * thv_dev_present() - is /dev/thv there?  Tests call THV_REQUIRE_DEV()
 * first: without the module loaded they SKIP with a reason, never pass.
 *
 * The SKIP statement jumps back into the harness instead of returning:
 * kselftest_harness.h of Linux 6.1 runs the test body even after a SKIP in
 * FIXTURE_SETUP, which would then trip over a half-made fixture.
 */
static inline int thv_dev_present(void)
{
	return access(THV_DEV_PATH, F_OK) == 0;
}

#define THV_REQUIRE_DEV() do {						\
	if (!thv_dev_present())						\
		SKIP(longjmp(_metadata->env, 1),			\
		     "%s not found: load thv.ko first (insmod thv.ko)",	\
		     THV_DEV_PATH);					\
} while (0)

/* thv_caps of the loaded module, read from a fresh /dev/thv fd. */
static inline void get_caps(struct __test_metadata *_metadata,
			    struct thv_caps *caps)
{
	int fd = thv_open_dev(NULL);
	int ret;

	ASSERT_LE(0, fd) TH_LOG("open %s: %s", THV_DEV_PATH, strerror(-fd));
	memset(caps, 0, sizeof(*caps));
	ret = ioctl(fd, THV_GET_CAPS, caps);
	ASSERT_EQ(0, ret) TH_LOG("THV_GET_CAPS: expected 0, got %d (%s)",
				 ret, strerror(errno));
	close(fd);
}

/* Create a VM (RAM in slot 0, vCPU 0) or end the test. */
static inline void vm_create(struct __test_metadata *_metadata,
			     struct thv_vm *vm, size_t mem_size)
{
	int ret = thv_vm_create(vm, NULL, mem_size);

	ASSERT_EQ(0, ret) TH_LOG("thv_vm_create(%zu bytes): expected 0, got %d (%s)",
				 mem_size, ret, strerror(-ret));
}

/* Copy the blob [start, end) to GUEST_CODE_GPA. */
static inline void guest_load(struct __test_metadata *_metadata,
			      struct thv_vm *vm, const unsigned char *start,
			      const unsigned char *end)
{
	int ret = thv_vm_load(vm, GUEST_CODE_GPA, start, end - start);

	ASSERT_EQ(0, ret) TH_LOG("thv_vm_load(%td bytes at 0x%lx): got %d (%s)",
				 end - start, GUEST_CODE_GPA, ret,
				 strerror(-ret));
}

/* Load a real-mode blob and point the vCPU at it. */
static inline void guest_start_real(struct __test_metadata *_metadata,
				    struct thv_vm *vm,
				    const unsigned char *start,
				    const unsigned char *end)
{
	int ret;

	guest_load(_metadata, vm, start, end);
	ret = thv_vcpu_set_real_mode(vm, GUEST_CODE_GPA, GUEST_STACK_TOP);
	ASSERT_EQ(0, ret) TH_LOG("set real mode: expected 0, got %d (%s)",
				 ret, strerror(-ret));
}

/* Load a flat 32-bit blob and point the vCPU at it. */
static inline void guest_start_flat32(struct __test_metadata *_metadata,
				      struct thv_vm *vm,
				      const unsigned char *start,
				      const unsigned char *end)
{
	int ret;

	guest_load(_metadata, vm, start, end);
	ret = thv_vcpu_set_flat32(vm, GUEST_CODE_GPA, GUEST_STACK_TOP);
	ASSERT_EQ(0, ret) TH_LOG("set flat32 mode: expected 0, got %d (%s)",
				 ret, strerror(-ret));
}

/* One line that says what an exit was, for assert messages. */
static inline const char *exit_describe(struct thv_run *run, char *buf,
					size_t len)
{
	switch (run->exit_reason) {
	case THV_EXIT_IO:
		snprintf(buf, len, "IO %s port 0x%x size %u at rip 0x%llx",
			 run->io.direction == THV_EXIT_IO_OUT ? "OUT" : "IN",
			 run->io.port, run->io.size,
			 (unsigned long long)run->exit_rip);
		break;
	case THV_EXIT_MMIO:
		snprintf(buf, len, "MMIO %s 0x%llx len %u at rip 0x%llx",
			 run->mmio.is_write ? "write" : "read",
			 (unsigned long long)run->mmio.phys_addr,
			 run->mmio.len, (unsigned long long)run->exit_rip);
		break;
	case THV_EXIT_INTERNAL_ERROR: {
		/* Every data word: for EMULATION, data[4] is the address. */
		unsigned int i, n = run->internal.ndata;
		int at;

		at = snprintf(buf, len, "INTERNAL_ERROR suberror %u at rip 0x%llx, data",
			      run->internal.suberror,
			      (unsigned long long)run->exit_rip);
		if (n > 8)
			n = 8;
		for (i = 0; i < n && at > 0 && (size_t)at < len; i++)
			at += snprintf(buf + at, len - at, " 0x%llx",
				       (unsigned long long)run->internal.data[i]);
		break;
	}
	case THV_EXIT_FAIL_ENTRY:
		snprintf(buf, len, "FAIL_ENTRY %s hw 0x%llx",
			 thv_fail_name(run->fail_entry.reason),
			 (unsigned long long)
			 run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		snprintf(buf, len, "%s at rip 0x%llx (hw reason 0x%llx)",
			 thv_exit_name(run->exit_reason),
			 (unsigned long long)run->exit_rip,
			 (unsigned long long)run->hw_exit_reason);
	}
	return buf;
}

/*
 * vcpu_run_expect() - one THV_RUN that must succeed and stop for the
 * given reason.  Returns the run area for the caller to check the details.
 */
static inline struct thv_run *vcpu_run_expect(struct __test_metadata *_metadata,
					      struct thv_vm *vm,
					      uint32_t reason)
{
	char what[256];
	int ret = thv_vcpu_run(vm);

	ASSERT_EQ(0, ret) TH_LOG("THV_RUN: expected 0, got %d (%s), exit %s",
				 ret, strerror(-ret),
				 exit_describe(vm->run, what, sizeof(what)));
	ASSERT_EQ(reason, vm->run->exit_reason)
		TH_LOG("expected exit %s, got %s", thv_exit_name(reason),
		       exit_describe(vm->run, what, sizeof(what)));
	return vm->run;
}

/*
 * guest_report() - run until the guest's next "outl %eax, $0xf4" and
 * return the value it sent.  Anything else is a failure.
 */
static inline uint32_t guest_report(struct __test_metadata *_metadata,
				    struct thv_vm *vm)
{
	struct thv_run *run = vcpu_run_expect(_metadata, vm, THV_EXIT_IO);
	uint32_t val;

	ASSERT_EQ(PORT_REPORT, run->io.port)
		TH_LOG("expected a report on port 0x%x, got port 0x%x",
		       PORT_REPORT, run->io.port);
	ASSERT_EQ(THV_EXIT_IO_OUT, run->io.direction)
		TH_LOG("expected OUT on the report port, got IN");
	ASSERT_EQ(4, run->io.size)
		TH_LOG("expected a 4-byte report, got %u bytes", run->io.size);
	memcpy(&val, thv_io_data(vm), sizeof(val));
	return val;
}

/* Run until the guest must halt; returns the run area. */
static inline struct thv_run *guest_expect_hlt(struct __test_metadata *_metadata,
					       struct thv_vm *vm)
{
	return vcpu_run_expect(_metadata, vm, THV_EXIT_HLT);
}

/* Monotonic time in milliseconds. */
static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lines of /proc/meminfo a leak check needs, in KiB. */
struct meminfo {
	long mem_available;
	long slab;
	long sunreclaim;
};

/*
 * meminfo_read() - fill *mi from /proc/meminfo.  Returns 0, or -1 when
 * the file or one of the lines is missing.
 */
static inline int meminfo_read(struct meminfo *mi)
{
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemAvailable: %ld kB", &mi->mem_available) == 1)
			found |= 1;
		else if (sscanf(line, "Slab: %ld kB", &mi->slab) == 1)
			found |= 2;
		else if (sscanf(line, "SUnreclaim: %ld kB", &mi->sunreclaim) == 1)
			found |= 4;
	}
	fclose(f);
	return found == 7 ? 0 : -1;
}

/*
 * memory_settle() - let freed memory reach the counters: write back and
 * drop the page cache and the reclaimable slabs (needs root; silently
 * skipped otherwise), then give RCU-deferred frees a moment.
 */
static inline void memory_settle(void)
{
	int fd;

	sync();
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd >= 0) {
		/* A failed write (not root) only makes the counters noisier. */
		ssize_t n = write(fd, "3\n", 2);

		(void)n;
		close(fd);
	}
	usleep(200 * 1000);
}

#endif /* THV_TEST_UTIL_H */
