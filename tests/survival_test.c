// SPDX-License-Identifier: GPL-2.0
/*
 * survival_test.c - nothing a guest does may hurt the host.
 *
 * A triple-faulting guest, a guest that never exits on its own, a vCPU
 * whose thread the scheduler keeps moving between CPUs, and a thousand
 * VMs made and destroyed: afterwards the host still runs new VMs
 * correctly, RUN can always be interrupted, and no memory is lost.
 */
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define CPU1_ONLINE	"/sys/devices/system/cpu/cpu1/online"

static int cpu1_set_online(int on)
{
	int fd = open(CPU1_ONLINE, O_WRONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -errno;
	close(fd);
	return ret;
}

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

FIXTURE(survival) {
	struct thv_vm vm;
};

FIXTURE_SETUP(survival)
{
	THV_REQUIRE_DEV();
	vm_create(_metadata, &self->vm, GUEST_MEM_SIZE);
}

FIXTURE_TEARDOWN(survival)
{
	thv_vm_destroy(&self->vm);
	/* Never leave CPU 1 offline behind a failed hotplug test. */
	if (access(CPU1_ONLINE, W_OK) == 0)
		cpu1_set_online(1);
}

/* A guest that computes something, so that "runs correctly" means it. */
GUEST_CODE16(sum_guest,
	"xor %eax, %eax\n"
	"mov $100, %ecx\n"
	"1: add %ecx, %eax\n"
	"loop 1b\n"			/* eax = 100 + 99 + ... + 1 = 5050 */
	G_REPORT_EAX
	"hlt\n");

static void run_sum_guest(struct __test_metadata *_metadata,
			  struct thv_vm *vm)
{
	uint32_t got;

	guest_start_real(_metadata, vm, sum_guest_start, sum_guest_end);
	got = guest_report(_metadata, vm);
	EXPECT_EQ(5050, got) TH_LOG("sum 1..100: expected 5050, got %u", got);
	guest_expect_hlt(_metadata, vm);
}

/* ------------------------------------------------------------------ */
/* The vCPU thread moves between CPUs while the guest runs.            */

/*
 * Each round makes one exit handled in the kernel (CPUID) and one that
 * comes out to us (OUT), and reports the running sum of squares, so a
 * lost or doubled register anywhere shows up as a wrong sum.
 */
#define MIGRATE_ROUNDS	2000

GUEST_CODE16(migrate_guest,
	"xor %edi, %edi\n"
	"mov $1, %esi\n"
	"1: xor %eax, %eax\n"
	"cpuid\n"
	"mov %esi, %eax\n"
	"imul %esi, %eax\n"
	"add %eax, %edi\n"
	"mov %edi, %eax\n"
	G_REPORT_EAX
	"inc %esi\n"
	"cmp $2000, %esi\n"
	"jbe 1b\n"
	"hlt\n");

struct flipper {
	pid_t tid;			/* the vCPU thread */
	int ncpus;
	volatile int stop;
	unsigned long flips;
};

/*
 * taskset in a loop: pin the vCPU thread to CPU 0, 1, ..., 0, ... while
 * it is inside THV_RUN, so the scheduler moves it between two entries.
 */
static void *flip_affinity(void *arg)
{
	struct flipper *f = arg;
	cpu_set_t set;

	while (!f->stop) {
		CPU_ZERO(&set);
		CPU_SET(f->flips++ % f->ncpus, &set);
		sched_setaffinity(f->tid, sizeof(set), &set);
		usleep(300);
	}
	return NULL;
}

/*
 * One round of migrate_guest: run to its report.  Any other exit fails,
 * and says all a rare failure needs (CI lost this test twice on 6.1, the
 * guest running through zeroed memory up to the end of RAM, RIP 0x7fff):
 * the round, the registers (ESI counts the rounds, EDI the sum), CS, the
 * CPU we ran on, whether the code the guest runs is still the code
 * loaded, and how many exits of each kind the VM made (a guest that ran
 * through memory faulted in every page it crossed).
 */
static bool migrate_round(struct __test_metadata *_metadata,
			  struct thv_vm *vm, uint32_t round, uint32_t *got)
{
	size_t code_len = migrate_guest_end - migrate_guest_start;
	struct thv_exit_stats st;
	struct thv_sregs sregs;
	struct thv_regs regs;
	char what[256];
	int ret = thv_vcpu_run(vm);

	if (!ret && vm->run->exit_reason == THV_EXIT_IO &&
	    vm->run->io.port == PORT_REPORT) {
		memcpy(got, thv_io_data(vm), sizeof(*got));
		return true;
	}
	EXPECT_TRUE(0) TH_LOG("round %u on CPU %d: THV_RUN returned %d, exit %s",
			     round, sched_getcpu(), ret,
			     exit_describe(vm->run, what, sizeof(what)));
	if (!thv_get_regs(vm, &regs))
		TH_LOG("rip 0x%llx rsi %llu (round) rdi %llu (sum) rax 0x%llx "
		       "rbx 0x%llx rsp 0x%llx rflags 0x%llx",
		       regs.rip, regs.rsi, regs.rdi, regs.rax, regs.rbx,
		       regs.rsp, regs.rflags);
	if (!thv_get_sregs(vm, &sregs))
		TH_LOG("cs 0x%x base 0x%llx, ds base 0x%llx, cr0 0x%llx",
		       sregs.cs.selector, sregs.cs.base, sregs.ds.base,
		       sregs.cr0);
	TH_LOG("the code at 0x%lx is %s", GUEST_CODE_GPA,
	       memcmp((uint8_t *)vm->mem + GUEST_CODE_GPA,
		      migrate_guest_start, code_len) ?
	       "NOT what was loaded" : "as loaded");
	if (!thv_get_exit_stats(vm, &st))
		for (uint32_t k = 0; k < st.nr_kinds && k < THV_KIND_NR; k++)
			if (st.count[k])
				TH_LOG("%s exits: %llu", thv_kind_name(k),
				       (unsigned long long)st.count[k]);
	return false;
}

/*
 * VMX: the VMCS must be VMCLEARed on the old CPU before the new one loads
 * it (SDM Vol. 3C 25.11.1); SVM: a fresh ASID on the new CPU.  Either way
 * the guest must not notice.
 */
TEST_F_TIMEOUT(survival, vcpu_moves_between_cpus, 300)
{
	struct flipper f = { .tid = gettid() };
	uint32_t got, want = 0;
	int cpu, last = -1, moves = 0, bad = 0;
	unsigned long seen = 0;
	pthread_t th;
	cpu_set_t all;
	uint32_t i;

	f.ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (f.ncpus < 2)
		SKIP(return, "only %d CPU online: nowhere to move the vCPU",
		     f.ncpus);
	if (f.ncpus > 64)
		f.ncpus = 64;
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));

	guest_start_real(_metadata, &self->vm, migrate_guest_start,
			 migrate_guest_end);
	ASSERT_EQ(0, pthread_create(&th, NULL, flip_affinity, &f));
	for (i = 1; i <= MIGRATE_ROUNDS; i++) {
		/*
		 * Where each RUN starts and where it ended: a move between
		 * two RUNs or during one both make the VMCS change CPUs.
		 * (Sampling only after the RUN once missed every move to
		 * CPU 0 under Bochs: the flipper kept winning the race.)
		 */
		for (int at = 0; at < 2; at++) {
			if (at && !migrate_round(_metadata, &self->vm, i, &got)) {
				bad = 2;	/* it said why */
				break;
			}
			cpu = sched_getcpu();
			if (cpu >= 0 && cpu < 64)
				seen |= 1UL << cpu;
			if (last >= 0 && cpu != last)
				moves++;
			last = cpu;
		}
		if (bad)
			break;
		want += i * i;
		if (got != want) {
			bad = 1;
			break;
		}
		/*
		 * Moves of our own too, in case the scheduler is slow:
		 * always to another CPU than this one, so each is a move.
		 */
		if (i % 100 == 0 && cpu >= 0)
			pin_to_cpu((cpu + 1) % f.ncpus);
	}
	f.stop = 1;
	pthread_join(th, NULL);
	sched_setaffinity(0, sizeof(all), &all);

	EXPECT_NE(1, bad) TH_LOG("round %u: guest reported %u, expected %u",
				 i, got, want);
	TH_LOG("%u rounds, %d moves between CPUs (mask 0x%lx), %lu affinity changes",
	       i - 1, moves, seen, f.flips);
	EXPECT_LE(2, __builtin_popcountl(seen))
		TH_LOG("the vCPU thread only ran on CPU mask 0x%lx", seen);
	EXPECT_LE(2, moves) TH_LOG("only %d moves: migration not exercised",
				   moves);
	if (!bad)
		guest_expect_hlt(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* CPU hotplug: the CPU holding a vCPU's state goes away and comes back. */

/*
 * Run a vCPU on CPU 1, take CPU 1 offline (thv's hotplug callback must
 * VMCLEAR the VMCS there and leave VMX / SVM on that CPU), go on running
 * on CPU 0, bring CPU 1 back (VMXON / EFER.SVME again) and run there.
 * The guest's running sums must come out right all along.
 */
TEST_F_TIMEOUT(survival, cpu_offline_under_vcpu, 300)
{
	uint32_t got, want = 0, i = 1;
	cpu_set_t all;
	int phase, ret;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(CPU1_ONLINE, W_OK))
		SKIP(return, "CPU 1 cannot be taken offline here (%s)",
		     CPU1_ONLINE);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	guest_start_real(_metadata, &self->vm, migrate_guest_start,
			 migrate_guest_end);

	for (phase = 0; phase < 3; phase++) {
		int cpu = phase == 1 ? 0 : 1;
		int n;

		if (phase == 1) {
			ASSERT_EQ(0, pin_to_cpu(0));
			ret = cpu1_set_online(0);
			ASSERT_EQ(0, ret) TH_LOG("offline CPU 1: %s", strerror(-ret));
		} else if (phase == 2) {
			ret = cpu1_set_online(1);
			ASSERT_EQ(0, ret) TH_LOG("online CPU 1: %s", strerror(-ret));
		}
		ret = pin_to_cpu(cpu);
		ASSERT_EQ(0, ret) TH_LOG("pin to CPU %d: %s", cpu, strerror(-ret));
		for (n = 0; n < 20; n++, i++) {
			got = guest_report(_metadata, &self->vm);
			want += i * i;
			ASSERT_EQ(want, got)
				TH_LOG("phase %d on CPU %d, round %u: got %u, expected %u",
				       phase, sched_getcpu(), i, got, want);
			ASSERT_EQ(cpu, sched_getcpu());
		}
	}
	sched_setaffinity(0, sizeof(all), &all);
	/* And a fresh VM is fine on the CPU that came back. */
	thv_vm_destroy(&self->vm);
	vm_create(_metadata, &self->vm, GUEST_MEM_SIZE);
	ASSERT_EQ(0, pin_to_cpu(1));
	run_sum_guest(_metadata, &self->vm);
	sched_setaffinity(0, sizeof(all), &all);
}

/* IDT limit 0: INT3 -> #GP -> #DF -> shutdown (APM Vol. 2 8.2.9). */
GUEST_CODE16(triple,
	"lidt " GPA(triple, triple_idt) "\n"
	"int3\n"
	"hlt\n"
	"triple_idt: .word 0\n"
	".long 0\n");

TEST_F(survival, triple_fault_then_new_vm)
{
	struct thv_vm fresh;

	guest_start_real(_metadata, &self->vm, triple_start, triple_end);
	vcpu_run_expect(_metadata, &self->vm, THV_EXIT_SHUTDOWN);
	thv_vm_destroy(&self->vm);

	vm_create(_metadata, &fresh, GUEST_MEM_SIZE);
	run_sum_guest(_metadata, &fresh);
	thv_vm_destroy(&fresh);
}

TEST_F(survival, shutdown_until_reset)
{
	guest_start_real(_metadata, &self->vm, triple_start, triple_end);
	vcpu_run_expect(_metadata, &self->vm, THV_EXIT_SHUTDOWN);
	vcpu_run_expect(_metadata, &self->vm, THV_EXIT_SHUTDOWN);

	/* SET_SREGS (in guest_start_real) resets the vCPU: it runs again. */
	run_sum_guest(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* A runaway guest: only a signal brings RUN back.                     */

GUEST_CODE16(runaway,
	"1: jmp 1b\n");

static void on_alarm(int sig)
{
	(void)sig;	/* only here so that the signal interrupts RUN */
}

/* SIGALRM after ms milliseconds, without SA_RESTART. */
static void arm_alarm(struct __test_metadata *_metadata, unsigned int ms)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = {
		.it_value = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 },
	};

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL))
		TH_LOG("sigaction: %s", strerror(errno));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL))
		TH_LOG("setitimer: %s", strerror(errno));
}

/*
 * A guest that only executes CPUID: every exit is handled inside thv.ko,
 * on its fast path (exit.c), with interrupts held.  The host's timer
 * interrupt still makes the next entry exit, and that exit goes through
 * the run loop, which sees the signal.
 */
GUEST_CODE16(cpuid_storm,
	"1: xor %eax, %eax\n"
	"   cpuid\n"
	"   jmp 1b\n");

/* Run a guest that never stops by itself; a signal must end RUN. */
static void stopped_by_signal(struct __test_metadata *_metadata,
			      struct thv_vm *vm,
			      const unsigned char *start_code,
			      const unsigned char *end_code)
{
	const unsigned int alarm_ms = 300, bound_ms = 5000;
	uint64_t start, took;
	int ret;

	guest_start_real(_metadata, vm, start_code, end_code);

	start = now_ms();
	arm_alarm(_metadata, alarm_ms);
	ret = thv_vcpu_run(vm);
	took = now_ms() - start;

	EXPECT_EQ(-EINTR, ret) TH_LOG("RUN of a runaway guest: expected -EINTR, got %d (%s)",
				      ret, strerror(-ret));
	EXPECT_EQ(THV_EXIT_INTR, vm->run->exit_reason)
		TH_LOG("expected exit INTR, got %s",
		       thv_exit_name(vm->run->exit_reason));
	EXPECT_GE(took, alarm_ms - 50)
		TH_LOG("RUN came back after %llu ms, before the signal",
		       (unsigned long long)took);
	EXPECT_LE(took, alarm_ms + bound_ms)
		TH_LOG("the signal took %llu ms to stop the guest (bound %u ms)",
		       (unsigned long long)took, alarm_ms + bound_ms);

	/* The vCPU is not broken by being interrupted. */
	run_sum_guest(_metadata, vm);
}

TEST_F_TIMEOUT(survival, runaway_stopped_by_signal, 60)
{
	stopped_by_signal(_metadata, &self->vm, runaway_start, runaway_end);
}

TEST_F_TIMEOUT(survival, cpuid_storm_stopped_by_signal, 60)
{
	struct thv_exit_stats st;

	stopped_by_signal(_metadata, &self->vm, cpuid_storm_start,
			  cpuid_storm_end);
	/* It was exiting all along: 300 ms of CPUID exits. */
	ASSERT_EQ(0, thv_get_exit_stats(&self->vm, &st));
	EXPECT_GT(st.count[THV_KIND_CPUID], 100)
		TH_LOG("only %llu CPUID exits in 300 ms",
		       (unsigned long long)st.count[THV_KIND_CPUID]);
}

TEST_F(survival, request_immediate_exit)
{
	struct thv_run *run = self->vm.run;
	int ret;

	guest_start_real(_metadata, &self->vm, sum_guest_start, sum_guest_end);

	run->request_immediate_exit = 1;
	ret = thv_vcpu_run(&self->vm);
	EXPECT_EQ(-EINTR, ret) TH_LOG("RUN with request_immediate_exit: expected -EINTR, got %d (%s)",
				      ret, strerror(-ret));
	EXPECT_EQ(THV_EXIT_INTR, run->exit_reason)
		TH_LOG("expected exit INTR, got %s",
		       thv_exit_name(run->exit_reason));

	/* The guest did not run: it starts from the top and sums it all. */
	run->request_immediate_exit = 0;
	run_sum_guest(_metadata, &self->vm);
}

/* ------------------------------------------------------------------ */
/* A thousand VMs: no memory, slab or fd may stay behind.              */

#define LEAK_WARMUP_VMS		20
#define LEAK_VMS		1000
/* One leaked 4 KiB page per VM would be 4000 KiB: well over these. */
#define LEAK_AVAIL_TOL_KB	2048
#define LEAK_SLAB_TOL_KB	1024

GUEST_CODE16(halt_guest,
	"hlt\n");

static void vm_lifecycle(struct __test_metadata *_metadata)
{
	struct thv_vm vm;

	vm_create(_metadata, &vm, GUEST_MEM_SIZE);
	guest_start_real(_metadata, &vm, halt_guest_start, halt_guest_end);
	guest_expect_hlt(_metadata, &vm);
	thv_vm_destroy(&vm);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* True while after is over before by more than the tolerances. */
static int leaked(const struct meminfo *before, const struct meminfo *after)
{
	return before->mem_available - after->mem_available > LEAK_AVAIL_TOL_KB ||
	       after->sunreclaim - before->sunreclaim > LEAK_SLAB_TOL_KB;
}

TEST_F_TIMEOUT(survival, thousand_vms_no_leak, 600)
{
	struct meminfo before, after;
	uint64_t start;
	int fds_before, fds_after;
	int i;

	/* The fixture's VM is not needed; free it before measuring. */
	thv_vm_destroy(&self->vm);

	/* Warm up: slab caches and per-CPU lists reach their steady size. */
	for (i = 0; i < LEAK_WARMUP_VMS; i++)
		vm_lifecycle(_metadata);
	memory_settle();
	ASSERT_EQ(0, meminfo_read(&before)) TH_LOG("cannot read /proc/meminfo");
	fds_before = count_fds();

	start = now_ms();
	for (i = 0; i < LEAK_VMS; i++)
		vm_lifecycle(_metadata);
	TH_LOG("%d VMs created, run to HLT and destroyed in %llu ms",
	       LEAK_VMS, (unsigned long long)(now_ms() - start));

	/* Freeing may be deferred (RCU, workqueues): settle a few times. */
	for (i = 0; i < 5; i++) {
		memory_settle();
		ASSERT_EQ(0, meminfo_read(&after))
			TH_LOG("cannot read /proc/meminfo");
		if (!leaked(&before, &after))
			break;
	}
	fds_after = count_fds();

	TH_LOG("MemAvailable %ld -> %ld kB, Slab %ld -> %ld kB, SUnreclaim %ld -> %ld kB",
	       before.mem_available, after.mem_available, before.slab,
	       after.slab, before.sunreclaim, after.sunreclaim);
	EXPECT_GE(LEAK_AVAIL_TOL_KB, before.mem_available - after.mem_available)
		TH_LOG("MemAvailable fell by %ld kB over %d VMs (tolerance %d kB)",
		       before.mem_available - after.mem_available, LEAK_VMS,
		       LEAK_AVAIL_TOL_KB);
	EXPECT_GE(LEAK_SLAB_TOL_KB, after.sunreclaim - before.sunreclaim)
		TH_LOG("SUnreclaim grew by %ld kB over %d VMs (tolerance %d kB)",
		       after.sunreclaim - before.sunreclaim, LEAK_VMS,
		       LEAK_SLAB_TOL_KB);
	EXPECT_EQ(fds_before, fds_after)
		TH_LOG("open fds: %d before, %d after", fds_before, fds_after);
}

TEST_HARNESS_MAIN
