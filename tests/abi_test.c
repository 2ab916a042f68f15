// SPDX-License-Identifier: GPL-2.0
/*
 * abi_test.c - the ioctl ABI of /dev/thv: versions, capabilities, and
 * every documented error of include/uapi/thv.h.
 *
 * Most tests here make one bad call and check the exact errno, like the
 * KVM selftests' set_memory_region_test and kvm_create_max_vcpus.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"

/* A guest-physical range well away from slot 0 (which the fixture owns). */
#define SPARE_GPA	0x100000UL
#define SPARE_SIZE	0x10000UL

FIXTURE(abi) {
	struct thv_vm vm;
	struct thv_caps caps;
	void *spare;		/* SPARE_SIZE bytes of host memory */
};

FIXTURE_SETUP(abi)
{
	THV_REQUIRE_DEV();
	get_caps(_metadata, &self->caps);
	vm_create(_metadata, &self->vm, GUEST_MEM_SIZE);
	self->spare = mmap(NULL, SPARE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->spare) TH_LOG("mmap: %s", strerror(errno));
}

FIXTURE_TEARDOWN(abi)
{
	thv_vm_destroy(&self->vm);
	if (self->spare && self->spare != MAP_FAILED)
		munmap(self->spare, SPARE_SIZE);
}

/*
 * _set_region() - THV_SET_MEMORY_REGION on the fixture's VM; returns 0
 * or -errno, for tests that expect it to fail.
 */
static int _set_region(struct thv_vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size, uint64_t uaddr)
{
	struct thv_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = uaddr,
	};

	return ioctl(vm->vm_fd, THV_SET_MEMORY_REGION, &region) ? -errno : 0;
}

/* set_region() - the same, but it must succeed. */
#define set_region(vm, slot, gpa, size, uaddr) do {			\
	int __r = _set_region(vm, slot, 0, gpa, size, uaddr);		\
	ASSERT_EQ(0, __r) TH_LOG("SET_MEMORY_REGION slot %u gpa 0x%llx size 0x%llx: "	\
				 "expected 0, got %s",			\
				 (unsigned int)(slot),			\
				 (unsigned long long)(gpa),		\
				 (unsigned long long)(size),		\
				 strerror(-__r));			\
} while (0)

/* The call must fail with exactly err. */
#define EXPECT_REGION_ERR(err, vm, slot, flags, gpa, size, uaddr) do {	\
	int __r = _set_region(vm, slot, flags, gpa, size, uaddr);	\
	EXPECT_EQ(-(err), __r)						\
		TH_LOG("SET_MEMORY_REGION slot %u flags 0x%x gpa 0x%llx size 0x%llx: " \
		       "expected %s, got %s",				\
		       (unsigned int)(slot), (unsigned int)(flags),	\
		       (unsigned long long)(gpa), (unsigned long long)(size), \
		       strerror(err), __r ? strerror(-__r) : "success"); \
} while (0)

/* Expect ioctl(fd, req, arg) to fail with errno err. */
#define EXPECT_IOCTL_ERR(err, fd, req, arg) do {			\
	int __r = ioctl(fd, req, arg);					\
	int __e = errno;						\
	EXPECT_EQ(-1, __r) TH_LOG("%s: expected failure (%s), got %d",	\
				  #req, strerror(err), __r);		\
	EXPECT_EQ(err, __e) TH_LOG("%s: expected %s, got %s",		\
				   #req, strerror(err), strerror(__e));	\
} while (0)

static inline uint64_t spare_uaddr(FIXTURE_DATA(abi) *self)
{
	return (uint64_t)(unsigned long)self->spare;
}

/* ------------------------------------------------------------------ */
/* System fd                                                          */

TEST_F(abi, api_version)
{
	int ret = ioctl(self->vm.sys_fd, THV_GET_API_VERSION, 0);

	EXPECT_EQ(THV_API_VERSION, ret)
		TH_LOG("THV_GET_API_VERSION: expected %d, got %d (%s)",
		       THV_API_VERSION, ret, strerror(errno));
}

/*
 * SVM: the nested page tables must have as many levels as the host's own
 * (APM Vol. 2 15.25: the nested walk follows the host's paging mode).
 * VMX: EPT has its own depth, set in the EPTP (SDM Vol. 3C 25.6.11); thv
 * always uses 4 levels, whatever the host uses.
 * Userspace can tell 5-level paging apart: only then does the kernel
 * honour an mmap() hint above 2^47 (Documentation/arch/x86/x86_64/5level-paging.rst).
 */
TEST_F(abi, npt_levels_match_host)
{
	void *hint = (void *)(1UL << 50);
	void *p = mmap(hint, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	unsigned int host_levels;

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	host_levels = (unsigned long)p >= (1UL << 47) ? 5 : 4;
	munmap(p, 4096);
	if (self->caps.backend == THV_BACKEND_VMX) {
		EXPECT_EQ(4, self->caps.npt_levels)
			TH_LOG("VMX: thv builds 4-level EPT, reports %u (host %u)",
			       self->caps.npt_levels, host_levels);
		return;
	}
	EXPECT_EQ(host_levels, self->caps.npt_levels)
		TH_LOG("host uses %u-level paging, thv reports npt_levels %u",
		       host_levels, self->caps.npt_levels);
}

TEST_F(abi, caps_sane)
{
	const struct thv_caps *c = &self->caps;
	int i;

	TH_LOG("backend %u flags 0x%x max_vcpus %u max_mem_slots %u max_mem_bytes 0x%llx max_gpa 0x%llx npt_levels %u nr_asids %u",
	       c->backend, c->flags, c->max_vcpus, c->max_mem_slots,
	       (unsigned long long)c->max_mem_bytes,
	       (unsigned long long)c->max_gpa, c->npt_levels, c->nr_asids);
	EXPECT_TRUE(c->backend == THV_BACKEND_SVM ||
		    c->backend == THV_BACKEND_VMX)
		TH_LOG("backend %u is neither SVM nor VMX", c->backend);
	EXPECT_NE(0, c->flags & THV_CAP_NESTED_PAGING)
		TH_LOG("nested paging is always in use, flags 0x%x", c->flags);
	if (c->backend == THV_BACKEND_SVM) {
		EXPECT_EQ(0, c->flags & (THV_CAP_VPID | THV_CAP_UNRESTRICTED |
					 THV_CAP_MTF))
			TH_LOG("VMX-only flags on SVM: 0x%x", c->flags);
	} else {
		/* thv refuses to load without unrestricted guest. */
		EXPECT_NE(0, c->flags & THV_CAP_UNRESTRICTED)
			TH_LOG("VMX without the UNRESTRICTED flag: 0x%x", c->flags);
		EXPECT_EQ(0, c->flags & (THV_CAP_NRIPS | THV_CAP_DECODE_ASSISTS |
					 THV_CAP_FLUSH_BY_ASID))
			TH_LOG("SVM-only flags on VMX: 0x%x", c->flags);
		/* nr_asids counts VPIDs: none without the VPID flag. */
		EXPECT_EQ(!!(c->flags & THV_CAP_VPID), !!c->nr_asids)
			TH_LOG("VPID flag %d but nr_asids %u",
			       !!(c->flags & THV_CAP_VPID), c->nr_asids);
	}
	EXPECT_TRUE(c->max_vcpus >= 1 && c->max_vcpus <= 256)
		TH_LOG("max_vcpus %u", c->max_vcpus);
	EXPECT_TRUE(c->max_mem_slots >= 1 && c->max_mem_slots <= 4096)
		TH_LOG("max_mem_slots %u", c->max_mem_slots);
	EXPECT_TRUE(c->max_mem_bytes >= GUEST_MEM_SIZE &&
		    !(c->max_mem_bytes & (PAGE_SIZE_4K - 1)))
		TH_LOG("max_mem_bytes 0x%llx: too small or not page aligned",
		       (unsigned long long)c->max_mem_bytes);
	/* max_gpa is 1 << phys_bits: a power of two, 32..52 bits. */
	EXPECT_TRUE(c->max_gpa >= (1ULL << 32) && c->max_gpa <= (1ULL << 52) &&
		    !(c->max_gpa & (c->max_gpa - 1)))
		TH_LOG("max_gpa 0x%llx is not 1 << phys_bits",
		       (unsigned long long)c->max_gpa);
	EXPECT_TRUE(c->npt_levels == 4 || c->npt_levels == 5)
		TH_LOG("npt_levels %u", c->npt_levels);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(0, c->reserved[i])
			TH_LOG("reserved[%d] = 0x%llx, must be 0", i,
			       (unsigned long long)c->reserved[i]);
	}
}

TEST_F(abi, vcpu_mmap_size)
{
	int size = ioctl(self->vm.sys_fd, THV_GET_VCPU_MMAP_SIZE, 0);

	ASSERT_LE(0, size) TH_LOG("THV_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	EXPECT_LE(sizeof(struct thv_run), (size_t)size)
		TH_LOG("mmap size %d is smaller than struct thv_run (%zu)",
		       size, sizeof(struct thv_run));
	EXPECT_EQ(0, size % PAGE_SIZE_4K)
		TH_LOG("mmap size %d is not a multiple of 4 KiB", size);
	EXPECT_LE(THV_RUN_IO_DATA_OFFSET + THV_RUN_IO_DATA_MAX, size)
		TH_LOG("mmap size %d cannot hold the IO data area", size);
}

TEST_F(abi, create_vm_nonzero_arg)
{
	EXPECT_IOCTL_ERR(EINVAL, self->vm.sys_fd, THV_CREATE_VM, 1);
}

TEST_F(abi, run_on_dev_null)
{
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd) TH_LOG("open /dev/null: %s", strerror(errno));
	EXPECT_IOCTL_ERR(ENOTTY, fd, THV_RUN, 0);
	close(fd);
}

TEST_F(abi, run_on_closed_fd)
{
	int fd = dup(self->vm.vcpu_fd);

	ASSERT_LE(0, fd) TH_LOG("dup: %s", strerror(errno));
	close(fd);
	EXPECT_IOCTL_ERR(EBADF, fd, THV_RUN, 0);
}

/* ------------------------------------------------------------------ */
/* Wrong ioctl on the wrong fd: ENOTTY, like KVM.                      */

TEST_F(abi, run_on_vm_fd)
{
	EXPECT_IOCTL_ERR(ENOTTY, self->vm.vm_fd, THV_RUN, 0);
}

TEST_F(abi, create_vm_on_vm_fd)
{
	EXPECT_IOCTL_ERR(ENOTTY, self->vm.vm_fd, THV_CREATE_VM, 0);
}

TEST_F(abi, set_region_on_vcpu_fd)
{
	struct thv_memory_region region = {
		.slot = 1,
		.guest_phys_addr = SPARE_GPA,
		.memory_size = SPARE_SIZE,
		.userspace_addr = spare_uaddr(self),
	};

	EXPECT_IOCTL_ERR(ENOTTY, self->vm.vcpu_fd, THV_SET_MEMORY_REGION,
			 &region);
}

TEST_F(abi, get_regs_on_dev_fd)
{
	struct thv_regs regs;

	EXPECT_IOCTL_ERR(ENOTTY, self->vm.sys_fd, THV_GET_REGS, &regs);
}

/* ------------------------------------------------------------------ */
/* Memory regions                                                      */

TEST_F(abi, region_ok)
{
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE, spare_uaddr(self));
}

TEST_F(abi, region_bad_flags)
{
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 1, SPARE_GPA, SPARE_SIZE,
			  spare_uaddr(self));
}

TEST_F(abi, region_slot_out_of_range)
{
	EXPECT_REGION_ERR(EINVAL, &self->vm, self->caps.max_mem_slots, 0,
			  SPARE_GPA, SPARE_SIZE, spare_uaddr(self));
	EXPECT_REGION_ERR(EINVAL, &self->vm, 0xffffffff, 0,
			  SPARE_GPA, SPARE_SIZE, spare_uaddr(self));
}

TEST_F(abi, region_unaligned_gpa)
{
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, SPARE_GPA + 0x800,
			  SPARE_SIZE, spare_uaddr(self));
}

TEST_F(abi, region_unaligned_size)
{
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, SPARE_GPA,
			  SPARE_SIZE - 0x800, spare_uaddr(self));
}

TEST_F(abi, region_unaligned_uaddr)
{
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, SPARE_GPA,
			  PAGE_SIZE_4K, spare_uaddr(self) + 0x10);
}

TEST_F(abi, region_wraparound)
{
	/* gpa + size wraps past 2^64. */
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, 0xfffffffffffff000ULL,
			  0x2000, spare_uaddr(self));
}

TEST_F(abi, region_beyond_max_gpa)
{
	uint64_t max = self->caps.max_gpa;

	/* Starts below max_gpa but ends above it. */
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, max - PAGE_SIZE_4K,
			  2 * PAGE_SIZE_4K, spare_uaddr(self));
	/* Starts at max_gpa. */
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, max, PAGE_SIZE_4K,
			  spare_uaddr(self));
}

TEST_F(abi, region_ends_at_max_gpa)
{
	/* The last page below max_gpa is legal. */
	set_region(&self->vm, 1, self->caps.max_gpa - PAGE_SIZE_4K,
		   PAGE_SIZE_4K, spare_uaddr(self));
}

TEST_F(abi, region_overlap)
{
	/* Slot 0 is [0, GUEST_MEM_SIZE): its last page overlaps. */
	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0,
			  GUEST_MEM_SIZE - PAGE_SIZE_4K, SPARE_SIZE,
			  spare_uaddr(self));
	/* Two new slots, the second straddling the first's end. */
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE / 2, spare_uaddr(self));
	EXPECT_REGION_ERR(EINVAL, &self->vm, 2, 0,
			  SPARE_GPA + SPARE_SIZE / 2 - PAGE_SIZE_4K,
			  SPARE_SIZE / 2, spare_uaddr(self) + SPARE_SIZE / 2);
	/* Adjacent is fine. */
	set_region(&self->vm, 2, SPARE_GPA + SPARE_SIZE / 2, SPARE_SIZE / 2,
		   spare_uaddr(self) + SPARE_SIZE / 2);
}

/*
 * reserve_big() - address space for a region over the limits.  PROT_NONE:
 * the size checks must come before pinning; a module that pinned first
 * fails with EFAULT here instead of eating the test VM's memory.
 * The region is placed at GPA max_mem_bytes: clear of slot 0, below 4 GiB.
 */
static void *reserve_big(struct __test_metadata *_metadata, uint64_t size)
{
	void *big = mmap(NULL, size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	ASSERT_NE(MAP_FAILED, big) TH_LOG("mmap %llu bytes: %s",
					  (unsigned long long)size,
					  strerror(errno));
	return big;
}

TEST_F(abi, region_too_big)
{
	uint64_t size = self->caps.max_mem_bytes + PAGE_SIZE_4K;
	void *big = reserve_big(_metadata, size);

	EXPECT_REGION_ERR(EINVAL, &self->vm, 1, 0, self->caps.max_mem_bytes, size,
			  (uint64_t)(unsigned long)big);
	munmap(big, size);
}

TEST_F(abi, region_total_too_big)
{
	/* Fits alone, but slot 0 already holds GUEST_MEM_SIZE bytes. */
	uint64_t size = self->caps.max_mem_bytes;
	void *big = reserve_big(_metadata, size);

	EXPECT_REGION_ERR(ENOMEM, &self->vm, 1, 0, self->caps.max_mem_bytes, size,
			  (uint64_t)(unsigned long)big);
	munmap(big, size);
}

TEST_F(abi, region_unmapped_uaddr)
{
	void *hole = mmap(NULL, SPARE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, hole) TH_LOG("mmap: %s", strerror(errno));
	munmap(hole, SPARE_SIZE);
	EXPECT_REGION_ERR(EFAULT, &self->vm, 1, 0, SPARE_GPA, SPARE_SIZE,
			  (uint64_t)(unsigned long)hole);
}

/*
 * A flat 32-bit guest that reports the dword at SPARE_GPA (above 1 MiB)
 * and halts.  Used to see which memory, if any, backs that address.
 */
GUEST_CODE32(read_spare,
	"movl 0x100000, %eax\n"
	G_REPORT_EAX
	"hlt\n");

/* Run read_spare; with no slot there the load is an MMIO exit. */
static uint32_t guest_read_spare(struct __test_metadata *_metadata,
				 struct thv_vm *vm)
{
	uint32_t val;

	guest_start_flat32(_metadata, vm, read_spare_start, read_spare_end);
	val = guest_report(_metadata, vm);
	guest_expect_hlt(_metadata, vm);
	return val;
}

/*
 * Guest pages are pinned on the guest's first touch, not at
 * SET_MEMORY_REGION: memory the runner unmaps in between makes THV_RUN
 * fail with EFAULT (as KVM_RUN does), and nothing else happens.
 */
TEST_F(abi, region_unmapped_before_first_touch)
{
	void *p = mmap(NULL, SPARE_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ret;

	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE,
		   (uint64_t)(unsigned long)p);
	ASSERT_EQ(0, munmap(p, SPARE_SIZE));
	guest_start_flat32(_metadata, &self->vm, read_spare_start,
			   read_spare_end);
	ret = thv_vcpu_run(&self->vm);
	EXPECT_EQ(-EFAULT, ret) TH_LOG("RUN after munmap: expected EFAULT, got %s",
				      ret ? strerror(-ret) : "success");
}

/*
 * Only the process that created the VM may run it: the guest's memory is
 * pinned from that process's address space, on first use.  A child that
 * inherited the vCPU fd gets EIO (KVM's rule too).
 */
TEST_F(abi, run_from_another_process)
{
	struct thv_run *run;
	int status;
	pid_t pid;

	guest_start_flat32(_metadata, &self->vm, read_spare_start,
			   read_spare_end);
	pid = fork();
	ASSERT_LE(0, pid) TH_LOG("fork: %s", strerror(errno));
	if (pid == 0) {
		int r = ioctl(self->vm.vcpu_fd, THV_RUN, 0);

		_exit(r == -1 && errno == EIO ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("THV_RUN from a child: expected EIO");
	/* The owner still runs it: no slot at SPARE_GPA, so an MMIO exit. */
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(SPARE_GPA, run->mmio.phys_addr);
}

TEST_F(abi, region_delete_and_readd)
{
	uint32_t *host = self->spare;
	struct thv_run *run;
	uint32_t got;

	host[0] = 0x11111111;
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE, spare_uaddr(self));
	got = guest_read_spare(_metadata, &self->vm);
	EXPECT_EQ(0x11111111, got) TH_LOG("slot 1 mapped: expected 0x11111111, got 0x%x",
					  got);

	/* Size 0 deletes: the same load is now MMIO. */
	set_region(&self->vm, 1, SPARE_GPA, 0, spare_uaddr(self));
	guest_start_flat32(_metadata, &self->vm, read_spare_start,
			   read_spare_end);
	run = vcpu_run_expect(_metadata, &self->vm, THV_EXIT_MMIO);
	EXPECT_EQ(SPARE_GPA, run->mmio.phys_addr)
		TH_LOG("after delete: expected MMIO at 0x%lx, got 0x%llx",
		       SPARE_GPA, (unsigned long long)run->mmio.phys_addr);

	/* Re-adding the same slot at the same place works again. */
	host[0] = 0x22222222;
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE, spare_uaddr(self));
	got = guest_read_spare(_metadata, &self->vm);
	EXPECT_EQ(0x22222222, got) TH_LOG("re-added: expected 0x22222222, got 0x%x",
					  got);
}

TEST_F(abi, region_replace)
{
	uint32_t *first = self->spare;
	uint32_t *second = (uint32_t *)((char *)self->spare + SPARE_SIZE / 2);
	uint32_t got;

	first[0] = 0xaaaa0001;
	second[0] = 0xbbbb0002;
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE / 2, spare_uaddr(self));
	got = guest_read_spare(_metadata, &self->vm);
	EXPECT_EQ(0xaaaa0001, got) TH_LOG("first backing: expected 0xaaaa0001, got 0x%x",
					  got);

	/* Same slot, other host memory: the guest sees the new pages. */
	set_region(&self->vm, 1, SPARE_GPA, SPARE_SIZE / 2,
		   spare_uaddr(self) + SPARE_SIZE / 2);
	got = guest_read_spare(_metadata, &self->vm);
	EXPECT_EQ(0xbbbb0002, got) TH_LOG("replaced backing: expected 0xbbbb0002, got 0x%x",
					  got);
}

/* ------------------------------------------------------------------ */
/* vCPUs                                                               */

TEST_F(abi, vcpu_id_out_of_range)
{
	EXPECT_IOCTL_ERR(EINVAL, self->vm.vm_fd, THV_CREATE_VCPU,
			 self->caps.max_vcpus);
}

TEST_F(abi, vcpu_id_duplicate)
{
	/* thv_vm_create() made vCPU 0 already. */
	EXPECT_IOCTL_ERR(EEXIST, self->vm.vm_fd, THV_CREATE_VCPU, 0);
}

TEST_F(abi, vcpu_second_id)
{
	int fd;

	if (self->caps.max_vcpus < 2)
		SKIP(return, "max_vcpus is %u: no second vCPU",
		     self->caps.max_vcpus);
	fd = ioctl(self->vm.vm_fd, THV_CREATE_VCPU, 1);
	ASSERT_LE(0, fd) TH_LOG("THV_CREATE_VCPU(1): %s", strerror(errno));
	close(fd);
}

TEST_F(abi, vcpu_reset_state)
{
	struct thv_sregs sregs;
	struct thv_regs regs;
	int fd;

	if (self->caps.max_vcpus < 2)
		SKIP(return, "max_vcpus is %u: no fresh vCPU to look at",
		     self->caps.max_vcpus);
	fd = ioctl(self->vm.vm_fd, THV_CREATE_VCPU, 1);
	ASSERT_LE(0, fd) TH_LOG("THV_CREATE_VCPU(1): %s", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, THV_GET_REGS, &regs))
		TH_LOG("GET_REGS: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(fd, THV_GET_SREGS, &sregs))
		TH_LOG("GET_SREGS: %s", strerror(errno));
	close(fd);

	/* APM Vol. 2 14.1.3 "Processor Initialization State". */
	EXPECT_EQ(0xfff0, regs.rip) TH_LOG("reset RIP: expected 0xfff0, got 0x%llx",
					   (unsigned long long)regs.rip);
	EXPECT_EQ(0xf000, sregs.cs.selector)
		TH_LOG("reset CS.sel: expected 0xf000, got 0x%x",
		       sregs.cs.selector);
	EXPECT_EQ(0xffff0000, sregs.cs.base)
		TH_LOG("reset CS.base: expected 0xffff0000, got 0x%llx",
		       (unsigned long long)sregs.cs.base);
	EXPECT_EQ(0, sregs.cr0 & 1) TH_LOG("reset CR0.PE set: 0x%llx",
					   (unsigned long long)sregs.cr0);
}

/* ------------------------------------------------------------------ */
/* The run area mmap                                                   */

TEST_F(abi, mmap_wrong_size)
{
	void *p = mmap(NULL, 2 * PAGE_SIZE_4K, PROT_READ | PROT_WRITE,
		       MAP_SHARED, self->vm.vcpu_fd, 0);
	int err = errno;

	EXPECT_EQ(MAP_FAILED, p) TH_LOG("mmap of 8 KiB should fail");
	EXPECT_EQ(EINVAL, err) TH_LOG("expected EINVAL, got %s", strerror(err));
	if (p != MAP_FAILED)
		munmap(p, 2 * PAGE_SIZE_4K);
}

TEST_F(abi, mmap_wrong_offset)
{
	void *p = mmap(NULL, PAGE_SIZE_4K, PROT_READ | PROT_WRITE,
		       MAP_SHARED, self->vm.vcpu_fd, PAGE_SIZE_4K);
	int err = errno;

	EXPECT_EQ(MAP_FAILED, p) TH_LOG("mmap at offset 4096 should fail");
	EXPECT_EQ(EINVAL, err) TH_LOG("expected EINVAL, got %s", strerror(err));
	if (p != MAP_FAILED)
		munmap(p, PAGE_SIZE_4K);
}

/* ------------------------------------------------------------------ */
/* Lifetime and register state                                         */

GUEST_CODE16(orphan_guest,
	"mov $0x0f0f, %eax\n"
	G_REPORT_EAX
	"hlt\n");

TEST_F(abi, vcpu_outlives_vm_fd)
{
	uint32_t got;

	guest_start_real(_metadata, &self->vm, orphan_guest_start,
			 orphan_guest_end);
	/* Drop every fd but the vCPU's: the vCPU keeps its VM alive. */
	close(self->vm.vm_fd);
	self->vm.vm_fd = -1;
	close(self->vm.sys_fd);
	self->vm.sys_fd = -1;

	got = guest_report(_metadata, &self->vm);
	EXPECT_EQ(0x0f0f, got) TH_LOG("expected 0x0f0f, got 0x%x", got);
	guest_expect_hlt(_metadata, &self->vm);
}

TEST_F(abi, regs_roundtrip)
{
	struct thv_regs set, got;
	uint64_t *p = (uint64_t *)&set;
	unsigned int i;
	int ret;

	/* A different 64-bit pattern in every GPR. */
	for (i = 0; i < sizeof(set) / sizeof(*p); i++)
		p[i] = 0x0101010101010101ULL * (i + 1);
	set.rip = 0x1000;
	/* Reserved bit 1 set; CF, PF, ZF, SF, OF. */
	set.rflags = 0x2 | 0x1 | 0x4 | 0x40 | 0x80 | 0x800;

	ret = thv_set_regs(&self->vm, &set);
	ASSERT_EQ(0, ret) TH_LOG("SET_REGS: %s", strerror(-ret));
	ret = thv_get_regs(&self->vm, &got);
	ASSERT_EQ(0, ret) TH_LOG("GET_REGS: %s", strerror(-ret));
	for (i = 0; i < sizeof(set) / sizeof(*p); i++) {
		EXPECT_EQ(p[i], ((uint64_t *)&got)[i])
			TH_LOG("register #%u (thv_regs order): set 0x%llx, got 0x%llx",
			       i, (unsigned long long)p[i],
			       (unsigned long long)((uint64_t *)&got)[i]);
	}
}

static void expect_seg_eq(struct __test_metadata *_metadata, const char *name,
			  const struct thv_segment *a,
			  const struct thv_segment *b)
{
	EXPECT_EQ(a->base, b->base) TH_LOG("%s.base: set 0x%llx, got 0x%llx", name,
					   (unsigned long long)a->base,
					   (unsigned long long)b->base);
	EXPECT_EQ(a->limit, b->limit) TH_LOG("%s.limit: set 0x%x, got 0x%x", name,
					     a->limit, b->limit);
	EXPECT_EQ(a->selector, b->selector)
		TH_LOG("%s.selector: set 0x%x, got 0x%x", name, a->selector,
		       b->selector);
	EXPECT_EQ(a->type, b->type) TH_LOG("%s.type: set %u, got %u", name,
					   a->type, b->type);
	EXPECT_EQ(a->s, b->s) TH_LOG("%s.s: set %u, got %u", name, a->s, b->s);
	EXPECT_EQ(a->present, b->present)
		TH_LOG("%s.present: set %u, got %u", name, a->present,
		       b->present);
	EXPECT_EQ(a->db, b->db) TH_LOG("%s.db: set %u, got %u", name, a->db, b->db);
	EXPECT_EQ(a->g, b->g) TH_LOG("%s.g: set %u, got %u", name, a->g, b->g);
}

TEST_F(abi, sregs_roundtrip)
{
	struct thv_sregs set, got;
	int ret;

	/* Start from the flat 32-bit state, then change a few fields. */
	ret = thv_vcpu_set_flat32(&self->vm, GUEST_CODE_GPA, GUEST_STACK_TOP);
	ASSERT_EQ(0, ret) TH_LOG("set flat32: %s", strerror(-ret));
	ret = thv_get_sregs(&self->vm, &set);
	ASSERT_EQ(0, ret) TH_LOG("GET_SREGS: %s", strerror(-ret));
	set.ds.base = 0x20000;
	set.es.limit = 0xfffff;
	set.es.g = 0;
	set.gdt.base = 0x3000;
	set.gdt.limit = 0x27;
	set.idt.base = 0x4000;
	set.idt.limit = 0x7ff;
	set.cr2 = 0xdeadb000;

	ret = thv_set_sregs(&self->vm, &set);
	ASSERT_EQ(0, ret) TH_LOG("SET_SREGS: %s", strerror(-ret));
	ret = thv_get_sregs(&self->vm, &got);
	ASSERT_EQ(0, ret) TH_LOG("GET_SREGS: %s", strerror(-ret));

	expect_seg_eq(_metadata, "cs", &set.cs, &got.cs);
	expect_seg_eq(_metadata, "ds", &set.ds, &got.ds);
	expect_seg_eq(_metadata, "es", &set.es, &got.es);
	expect_seg_eq(_metadata, "ss", &set.ss, &got.ss);
	EXPECT_EQ(set.gdt.base, got.gdt.base) TH_LOG("gdt.base");
	EXPECT_EQ(set.gdt.limit, got.gdt.limit) TH_LOG("gdt.limit");
	EXPECT_EQ(set.idt.base, got.idt.base) TH_LOG("idt.base");
	EXPECT_EQ(set.idt.limit, got.idt.limit) TH_LOG("idt.limit");
	EXPECT_EQ(set.cr0, got.cr0) TH_LOG("cr0: set 0x%llx, got 0x%llx",
					   (unsigned long long)set.cr0,
					   (unsigned long long)got.cr0);
	EXPECT_EQ(set.cr2, got.cr2) TH_LOG("cr2: set 0x%llx, got 0x%llx",
					   (unsigned long long)set.cr2,
					   (unsigned long long)got.cr2);
	EXPECT_EQ(set.efer, got.efer)
		TH_LOG("efer: set 0x%llx, got 0x%llx (SVME must stay hidden)",
		       (unsigned long long)set.efer,
		       (unsigned long long)got.efer);
}

TEST_HARNESS_MAIN
