// SPDX-License-Identifier: GPL-2.0
/*
 * stats_test.c - watching the hypervisor work: exit counters
 * (THV_GET_EXIT_STATS), debugfs (/sys/kernel/debug/thv/vm-<pid>-<n>/exits
 * and npt), the thv:thv_entry/thv_exit tracepoints (through tracefs, as
 * trace-cmd reads them, and through perf_event_open(), as perf does) and
 * the raw VMCS/VMCB (THV_GET_HW_FIELDS).
 *
 * One small real-mode guest does a known number of CPUIDs (handled in the
 * kernel) and OUTs (handled here), touches one data page and halts; every
 * test checks that the kernel's bookkeeping saw exactly that.
 */
#include <dirent.h>
#include <linux/perf_event.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "test_util.h"

#define DEBUGFS_DIR	"/sys/kernel/debug"
#define THV_DEBUGFS	DEBUGFS_DIR "/thv"
#define TRACEFS_DIR	"/sys/kernel/tracing"

#define NR_CPUID	5
#define NR_OUT		3
#define PORT_STATS	0x80

/* The guest touches the code page and this one, and no other. */
#define TOUCHED_GPA	GUEST_DATA_GPA
#define UNTOUCHED_GPA	0x3000UL

GUEST_SYMBOL(st_c1);
GUEST_SYMBOL(st_c2);
GUEST_SYMBOL(st_c3);
GUEST_SYMBOL(st_c4);
GUEST_SYMBOL(st_c5);
GUEST_SYMBOL(st_o1);
GUEST_SYMBOL(st_o2);
GUEST_SYMBOL(st_o3);
GUEST_SYMBOL(st_hlt);
GUEST_CODE16(stats_guest,
	"movb $1, 0x5000\n"		/* TOUCHED_GPA */
	"xor %eax, %eax\n"
	GUEST_LABEL(st_c1) "cpuid\n"
	"xor %eax, %eax\n"
	GUEST_LABEL(st_c2) "cpuid\n"
	GUEST_LABEL(st_o1) "outb %al, $0x80\n"
	"xor %eax, %eax\n"
	GUEST_LABEL(st_c3) "cpuid\n"
	GUEST_LABEL(st_o2) "outb %al, $0x80\n"
	"xor %eax, %eax\n"
	GUEST_LABEL(st_c4) "cpuid\n"
	"xor %eax, %eax\n"
	GUEST_LABEL(st_c5) "cpuid\n"
	GUEST_LABEL(st_o3) "outb %al, $0x80\n"
	GUEST_LABEL(st_hlt) "hlt\n");

/* The CPUID and OUT exits, in the order the guest makes them. */
struct exit_expect {
	const char *kind;
	const unsigned char *label;
};

static const struct exit_expect expected_exits[] = {
	{ "cpuid", st_c1 }, { "cpuid", st_c2 }, { "io", st_o1 },
	{ "cpuid", st_c3 }, { "io", st_o2 }, { "cpuid", st_c4 },
	{ "cpuid", st_c5 }, { "io", st_o3 }, { "hlt", st_hlt },
};

/* The kinds by name, as debugfs and the tracepoint print them. */
static const char * const kind_names[THV_KIND_NR] = {
	[THV_KIND_NOTHING] = "nothing", [THV_KIND_HOST_INTR] = "host_intr",
	[THV_KIND_IO] = "io", [THV_KIND_NPF] = "npf",
	[THV_KIND_CPUID] = "cpuid", [THV_KIND_HLT] = "hlt",
	[THV_KIND_HYPERCALL] = "hypercall", [THV_KIND_MSR] = "msr",
	[THV_KIND_SHUTDOWN] = "shutdown", [THV_KIND_EXCEPTION] = "exception",
	[THV_KIND_DENIED_INSN] = "denied_insn",
	[THV_KIND_SKIP_INSN] = "skip_insn", [THV_KIND_CR] = "cr",
	[THV_KIND_IRQ_WINDOW] = "irq_window", [THV_KIND_RDTSCP] = "rdtscp",
	[THV_KIND_PAUSE] = "pause", [THV_KIND_DR] = "dr",
	[THV_KIND_SOFT_INT] = "soft_int", [THV_KIND_XSETBV] = "xsetbv",
	[THV_KIND_FAIL_ENTRY] = "fail_entry",
	[THV_KIND_UNHANDLED] = "unhandled", [THV_KIND_STEP] = "step",
};

static int kind_by_name(const char *name)
{
	int k;

	for (k = 0; k < THV_KIND_NR; k++)
		if (kind_names[k] && !strcmp(kind_names[k], name))
			return k;
	return -1;
}

FIXTURE(stats) {
	struct thv_vm vm;
	struct thv_caps caps;
};

FIXTURE_SETUP(stats)
{
	THV_REQUIRE_DEV();
	get_caps(_metadata, &self->caps);
	vm_create(_metadata, &self->vm, GUEST_MEM_SIZE);
	guest_start_real(_metadata, &self->vm, stats_guest_start,
			 stats_guest_end);
}

FIXTURE_TEARDOWN(stats)
{
	thv_vm_destroy(&self->vm);
}

/* Run the guest to its HLT, checking the three OUTs on the way. */
static void run_guest(struct __test_metadata *_metadata, struct thv_vm *vm)
{
	const unsigned char *outs[NR_OUT] = { st_o1, st_o2, st_o3 };
	struct thv_run *run;
	int i;

	for (i = 0; i < NR_OUT; i++) {
		run = vcpu_run_expect(_metadata, vm, THV_EXIT_IO);
		ASSERT_EQ(PORT_STATS, run->io.port);
		ASSERT_EQ(guest_rip(stats_guest, outs[i]), run->exit_rip);
	}
	run = guest_expect_hlt(_metadata, vm);
	ASSERT_EQ(guest_rip(stats_guest, st_hlt), run->exit_rip);
}

static void get_stats(struct __test_metadata *_metadata, struct thv_vm *vm,
		      struct thv_exit_stats *st)
{
	memset(st, 0xa5, sizeof(*st));
	ASSERT_EQ(0, ioctl(vm->vm_fd, THV_GET_EXIT_STATS, st))
		TH_LOG("THV_GET_EXIT_STATS: %s", strerror(errno));
}

/* ------------------------------------------------------------------ */
/* THV_GET_EXIT_STATS                                                   */

TEST_F(stats, counters)
{
	struct thv_exit_stats st;
	uint64_t sum = 0;
	int k;

	/* Before the first entry: nothing at all. */
	get_stats(_metadata, &self->vm, &st);
	EXPECT_EQ(THV_KIND_NR, st.nr_kinds);
	EXPECT_EQ(0, st.padding);
	EXPECT_EQ(0, st.exits);
	for (k = 0; k < 32; k++) {
		EXPECT_EQ(0, st.count[k]) TH_LOG("kind %d counted early", k);
		EXPECT_EQ(0, st.ns[k]) TH_LOG("kind %d timed early", k);
	}

	run_guest(_metadata, &self->vm);
	get_stats(_metadata, &self->vm, &st);

	EXPECT_EQ(NR_CPUID, st.count[THV_KIND_CPUID])
		TH_LOG("CPUID exits: expected %d, got %llu", NR_CPUID,
		       (unsigned long long)st.count[THV_KIND_CPUID]);
	EXPECT_EQ(NR_OUT, st.count[THV_KIND_IO])
		TH_LOG("IO exits: expected %d, got %llu", NR_OUT,
		       (unsigned long long)st.count[THV_KIND_IO]);
	EXPECT_EQ(1, st.count[THV_KIND_HLT]);
	/* The code page and the data page were mapped on first touch. */
	EXPECT_LE(2, st.count[THV_KIND_NPF]);
	EXPECT_LT(0, st.ns[THV_KIND_CPUID]) TH_LOG("CPUID took no time");
	EXPECT_LT(0, st.ns[THV_KIND_IO]) TH_LOG("IO took no time");
	EXPECT_LT(0, st.ns[THV_KIND_NPF]) TH_LOG("NPF took no time");
	/*
	 * An OUT goes out to userspace, a CPUID does not, so an OUT usually
	 * costs several times more; only logged: a host interrupt handled
	 * during one CPUID exit could turn it round.
	 */
	TH_LOG("average ns: cpuid %llu, io %llu",
	       (unsigned long long)(st.ns[THV_KIND_CPUID] / NR_CPUID),
	       (unsigned long long)(st.ns[THV_KIND_IO] / NR_OUT));
	for (k = 0; k < 32; k++)
		sum += st.count[k];
	for (k = THV_KIND_NR; k < 32; k++)
		EXPECT_EQ(0, st.count[k]) TH_LOG("unknown kind %d counted", k);
	EXPECT_EQ(sum, st.exits);
	EXPECT_EQ(self->vm.run->exits, st.exits)
		TH_LOG("run->exits %llu, stats %llu",
		       (unsigned long long)self->vm.run->exits,
		       (unsigned long long)st.exits);
}

/* A closed vCPU's exits still count for its VM. */
TEST_F(stats, closed_vcpu)
{
	struct thv_exit_stats before, after;

	run_guest(_metadata, &self->vm);
	get_stats(_metadata, &self->vm, &before);
	munmap(self->vm.run, self->vm.run_size);
	self->vm.run = NULL;
	close(self->vm.vcpu_fd);
	self->vm.vcpu_fd = -1;
	get_stats(_metadata, &self->vm, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	EXPECT_EQ(NR_CPUID, after.count[THV_KIND_CPUID]);
}

TEST_F(stats, bad_pointer)
{
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->vm.vm_fd, THV_GET_EXIT_STATS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

/* ------------------------------------------------------------------ */
/* debugfs                                                              */

/*
 * The debugfs directory of this process's VM: vm-<pid>-<n>, the largest
 * n if there are several.  Mounts debugfs if nobody did; SKIPs without.
 */
static int find_vm_dir(struct __test_metadata *_metadata, char *path,
		       size_t len)
{
	char prefix[32];
	struct dirent *d;
	long best = -1;
	DIR *dir;

	if (access(THV_DEBUGFS, F_OK) &&
	    mount("debugfs", DEBUGFS_DIR, "debugfs", 0, NULL) &&
	    errno != EBUSY)
		return -1;
	dir = opendir(THV_DEBUGFS);
	if (!dir)
		return -1;
	snprintf(prefix, sizeof(prefix), "vm-%d-", getpid());
	while ((d = readdir(dir))) {
		if (!strncmp(d->d_name, prefix, strlen(prefix)) &&
		    atol(d->d_name + strlen(prefix)) > best)
			best = atol(d->d_name + strlen(prefix));
	}
	closedir(dir);
	ASSERT_LE(0, best) TH_LOG("no %s/%s* directory", THV_DEBUGFS, prefix);
	snprintf(path, len, "%s/%s%ld", THV_DEBUGFS, prefix, best);
	return 0;
}

#define REQUIRE_VM_DIR(path)						\
	do {								\
		if (find_vm_dir(_metadata, path, sizeof(path)))		\
			SKIP(return, "no %s: debugfs is not available",	\
			     THV_DEBUGFS);				\
	} while (0)

TEST_F(stats, debugfs_exits)
{
	uint64_t count[THV_KIND_NR] = { 0 }, ns[THV_KIND_NR] = { 0 };
	unsigned long long c, t, avg, total_c = 0, total_t = 0;
	struct thv_exit_stats st;
	char dir[256], path[300], line[256], name[32];
	bool have_total = false;
	int k, lines = 0;
	FILE *f;

	REQUIRE_VM_DIR(dir);
	run_guest(_metadata, &self->vm);
	get_stats(_metadata, &self->vm, &st);

	snprintf(path, sizeof(path), "%s/exits", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (lines++ == 0)	/* the column titles */
			continue;
		ASSERT_EQ(4, sscanf(line, "%31s %llu %llu %llu", name, &c,
				    &t, &avg))
			TH_LOG("bad line in %s: %s", path, line);
		if (!strcmp(name, "total")) {
			have_total = true;
			total_c = c;
			total_t = t;
			continue;
		}
		ASSERT_FALSE(have_total) TH_LOG("a line after the total");
		k = kind_by_name(name);
		ASSERT_LE(0, k) TH_LOG("unknown kind '%s'", name);
		EXPECT_NE(0, c) TH_LOG("kind %s listed with no exits", name);
		EXPECT_EQ(c ? t / c : 0, avg);
		count[k] = c;
		ns[k] = t;
	}
	fclose(f);
	ASSERT_TRUE(have_total) TH_LOG("%s has no total line", path);

	/* The vCPU is stopped: the file and the ioctl see the same. */
	for (k = 0; k < THV_KIND_NR; k++) {
		EXPECT_EQ(st.count[k], count[k])
			TH_LOG("%s: ioctl count %llu, debugfs %llu",
			       kind_names[k], (unsigned long long)st.count[k],
			       (unsigned long long)count[k]);
		EXPECT_EQ(st.ns[k], ns[k])
			TH_LOG("%s: ioctl ns %llu, debugfs %llu",
			       kind_names[k], (unsigned long long)st.ns[k],
			       (unsigned long long)ns[k]);
		total_t -= ns[k];
	}
	EXPECT_EQ(st.exits, total_c);
	EXPECT_EQ(0, total_t) TH_LOG("the total ns is not the sum");
	EXPECT_EQ(NR_CPUID, count[THV_KIND_CPUID]);
	EXPECT_EQ(NR_OUT, count[THV_KIND_IO]);
}

/* The host-physical frame behind one of our pages (root only), or 0. */
static uint64_t host_pfn(void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e),
		  (uintptr_t)addr / PAGE_SIZE_4K * sizeof(e)) != sizeof(e))
		e = 0;
	close(fd);
	/* Bit 63: present; bits 54:0: the frame (Documentation/admin-guide/mm/pagemap.rst). */
	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

TEST_F(stats, debugfs_npt)
{
	char dir[256], path[300], line[256], perm[8];
	unsigned long long g0, g1, h0, h1, pages, hpa_touched = 0;
	bool code = false, data = false, header = false;
	uint64_t pfn;
	int level;
	FILE *f;

	REQUIRE_VM_DIR(dir);
	run_guest(_metadata, &self->vm);

	snprintf(path, sizeof(path), "%s/npt", dir);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f) TH_LOG("open %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#') {
			if (strstr(line, self->caps.backend == THV_BACKEND_VMX ?
				   "# EPT, 4 levels" : "# NPT, "))
				header = true;
			continue;
		}
		ASSERT_EQ(7, sscanf(line, "0x%llx-0x%llx -> 0x%llx-0x%llx %llu %7s %d",
				    &g0, &g1, &h0, &h1, &pages, perm, &level))
			TH_LOG("bad line in %s: %s", path, line);
		EXPECT_EQ(g1 - g0, h1 - h0);
		EXPECT_EQ((g1 - g0 + 1) / PAGE_SIZE_4K, pages);
		EXPECT_EQ(1, level);
		EXPECT_STREQ("rwx", perm);
		EXPECT_FALSE(UNTOUCHED_GPA >= g0 && UNTOUCHED_GPA <= g1)
			TH_LOG("untouched page 0x%lx is mapped", UNTOUCHED_GPA);
		EXPECT_FALSE(GUEST_MEM_SIZE - 1 >= g0 &&
			     GUEST_MEM_SIZE - 1 <= g1)
			TH_LOG("untouched last page is mapped");
		if (GUEST_CODE_GPA >= g0 && GUEST_CODE_GPA <= g1)
			code = true;
		if (TOUCHED_GPA >= g0 && TOUCHED_GPA <= g1) {
			data = true;
			hpa_touched = h0 + (TOUCHED_GPA - g0);
		}
	}
	fclose(f);
	EXPECT_TRUE(header) TH_LOG("no format header in %s", path);
	EXPECT_TRUE(code) TH_LOG("the code page 0x%lx is not listed",
				 GUEST_CODE_GPA);
	EXPECT_TRUE(data) TH_LOG("the data page 0x%lx is not listed",
				 TOUCHED_GPA);

	/* The HPA is the frame behind our own memory (if we may see it). */
	pfn = host_pfn(thv_gpa_to_hva(&self->vm, TOUCHED_GPA));
	if (pfn)
		EXPECT_EQ(pfn * PAGE_SIZE_4K, hpa_touched)
			TH_LOG("npt says HPA 0x%llx, pagemap 0x%llx",
			       hpa_touched,
			       (unsigned long long)(pfn * PAGE_SIZE_4K));
}

/* ------------------------------------------------------------------ */
/* Tracepoints                                                          */

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/*
 * tracefs mounted, thv's events there; false (the test SKIPs or
 * failed, and must return) otherwise.
 */
static bool tracefs_ready(struct __test_metadata *_metadata)
{
	if (access(TRACEFS_DIR "/trace", F_OK) &&
	    mount("tracefs", TRACEFS_DIR, "tracefs", 0, NULL))
		SKIP(return false, "no tracefs at %s: %s", TRACEFS_DIR,
		     strerror(errno));
	EXPECT_EQ(0, access(TRACEFS_DIR "/events/thv/thv_exit", F_OK))
		TH_LOG("thv.ko is loaded but events/thv/thv_exit is missing");
	return !access(TRACEFS_DIR "/events/thv/thv_exit", F_OK);
}

/*
 * One exit seen by a tracer (tracefs or perf): the guest's own kinds
 * (cpuid, io, hlt) must come in its order, at its RIPs; the others
 * (host interrupts, nested page faults) may come anywhere.  Returns
 * false when the trace has more of them than the guest made.
 */
static bool check_next_exit(struct __test_metadata *_metadata,
			    unsigned int *next, const char *kind,
			    unsigned long long rip)
{
	if (strcmp(kind, "cpuid") && strcmp(kind, "io") && strcmp(kind, "hlt"))
		return true;
	EXPECT_GT(ARRAY_SIZE(expected_exits), *next)
		TH_LOG("an extra %s exit at 0x%llx", kind, rip);
	if (*next >= ARRAY_SIZE(expected_exits))
		return false;
	EXPECT_STREQ(expected_exits[*next].kind, kind)
		TH_LOG("exit %u", *next);
	EXPECT_EQ(guest_rip(stats_guest, expected_exits[*next].label), rip)
		TH_LOG("exit %u (%s)", *next, kind);
	(*next)++;
	return true;
}

TEST_F(stats, tracepoints)
{
	const char *isa = self->caps.backend == THV_BACKEND_VMX ? "vmx" : "svm";
	unsigned int next = 0, entries = 0, exits = 0;
	char line[512], kind[32], isa_got[8], me[32];
	unsigned long long reason, rip, info1, info2, resume_rip = 0;
	unsigned int vcpu;
	FILE *f;

	if (!tracefs_ready(_metadata))
		return;
	ASSERT_EQ(0, write_file(TRACEFS_DIR "/trace", ""));
	ASSERT_EQ(0, write_file(TRACEFS_DIR "/events/thv/enable", "1"));
	ASSERT_EQ(0, write_file(TRACEFS_DIR "/tracing_on", "1"));
	run_guest(_metadata, &self->vm);
	ASSERT_EQ(0, write_file(TRACEFS_DIR "/events/thv/enable", "0"));

	/* "comm-pid [cpu] flags time: event: ..." of this process only. */
	snprintf(me, sizeof(me), "-%d ", getpid());
	f = fopen(TRACEFS_DIR "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		const char *ev;

		if (line[0] == '#' || !strstr(line, me))
			continue;
		ev = strstr(line, "thv_entry: ");
		if (ev) {
			ASSERT_EQ(2, sscanf(ev, "thv_entry: vcpu %u rip 0x%llx",
					    &vcpu, &rip)) TH_LOG("%s", line);
			EXPECT_EQ(0, vcpu);
			/* CPUID is done in the kernel: back in right after. */
			if (resume_rip)
				EXPECT_EQ(resume_rip, rip)
					TH_LOG("entry after the CPUID at 0x%llx",
					       resume_rip - 2);
			resume_rip = 0;
			entries++;
			continue;
		}
		ev = strstr(line, "thv_exit: ");
		if (!ev)
			continue;
		ASSERT_EQ(7, sscanf(ev, "thv_exit: vcpu %u %31s reason 0x%llx rip 0x%llx info1 0x%llx info2 0x%llx isa %7s",
				    &vcpu, kind, &reason, &rip, &info1,
				    &info2, isa_got)) TH_LOG("%s", line);
		exits++;
		EXPECT_EQ(0, vcpu);
		EXPECT_STREQ(isa, isa_got);
		ASSERT_LE(0, kind_by_name(kind)) TH_LOG("kind '%s'", kind);
		if (!strcmp(kind, "cpuid"))
			resume_rip = rip + 2;	/* 0f a2 */
		if (!check_next_exit(_metadata, &next, kind, rip))
			break;
	}
	fclose(f);
	EXPECT_EQ(ARRAY_SIZE(expected_exits), next)
		TH_LOG("saw %u of the guest's exits in the trace", next);
	/* Every exit came from an entry, and the run stopped after one. */
	EXPECT_EQ(exits, entries);
	EXPECT_EQ(self->vm.run->exits, exits);
}

/*
 * The same events as perf sees them (perf stat, perf record): a
 * tracepoint is a perf event of type PERF_TYPE_TRACEPOINT whose config
 * is the event's id in tracefs, and a sample's raw data is the event's
 * record, laid out as events/thv/thv_exit/format says.
 */
static long long tp_read_ll(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The offset of "field:TYPE name;" in an event's format file, or -1. */
static int tp_field_offset(const char *format, const char *name)
{
	char line[256], want[64];
	int off = -1;
	FILE *f = fopen(format, "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), " %s;", name);
	while (fgets(line, sizeof(line), f)) {
		const char *o = strstr(line, "offset:");

		if (strstr(line, "field:") && strstr(line, want) && o) {
			off = atoi(o + strlen("offset:"));
			break;
		}
	}
	fclose(f);
	return off;
}

static int tp_perf_open(const char *event, bool sample)
{
	char path[128];
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.disabled = 1,
	};

	snprintf(path, sizeof(path), TRACEFS_DIR "/events/thv/%s/id", event);
	attr.config = tp_read_ll(path);
	if (sample) {
		attr.sample_period = 1;
		attr.sample_type = PERF_SAMPLE_RAW;
		attr.wakeup_events = 1;
	}
	/* This thread, any CPU: the events fire in THV_RUN's context. */
	return syscall(__NR_perf_event_open, &attr, 0, -1, -1,
		       PERF_FLAG_FD_CLOEXEC);
}

#define TP_RING_PAGES	8

TEST_F(stats, perf_records_exits)
{
	const char *fmt = TRACEFS_DIR "/events/thv/thv_exit/format";
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (1 + TP_RING_PAGES) * page;
	int off_kind, off_rip, off_backend;
	struct perf_event_mmap_page *meta;
	unsigned int next = 0, samples = 0;
	long long entries = -1;
	uint64_t head, pos;
	int count_fd, fd;
	char *ring;

	if (!tracefs_ready(_metadata))
		return;
	off_kind = tp_field_offset(fmt, "kind");
	off_rip = tp_field_offset(fmt, "rip");
	off_backend = tp_field_offset(fmt, "backend");
	ASSERT_LE(0, off_kind) TH_LOG("no kind field in %s", fmt);
	ASSERT_LE(0, off_rip) TH_LOG("no rip field in %s", fmt);
	ASSERT_LE(0, off_backend) TH_LOG("no backend field in %s", fmt);

	/* An id that cannot be read must fail, not look like ENOENT. */
	ASSERT_LE(0, tp_read_ll(TRACEFS_DIR "/events/thv/thv_exit/id"));
	ASSERT_LE(0, tp_read_ll(TRACEFS_DIR "/events/thv/thv_entry/id"));
	fd = tp_perf_open("thv_exit", true);
	if (fd < 0 && errno == ENOSYS)
		SKIP(return, "no perf events for tracepoints here: %s",
		     strerror(errno));
	ASSERT_LE(0, fd) TH_LOG("perf_event_open(thv:thv_exit): %s",
				strerror(errno));
	count_fd = tp_perf_open("thv_entry", false);
	ASSERT_LE(0, count_fd) TH_LOG("perf_event_open(thv:thv_entry): %s",
				      strerror(errno));
	ring = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, ring) TH_LOG("mmap: %s", strerror(errno));
	meta = (struct perf_event_mmap_page *)ring;

	ASSERT_EQ(0, ioctl(fd, PERF_EVENT_IOC_ENABLE, 0));
	ASSERT_EQ(0, ioctl(count_fd, PERF_EVENT_IOC_ENABLE, 0));
	run_guest(_metadata, &self->vm);
	ASSERT_EQ(0, ioctl(fd, PERF_EVENT_IOC_DISABLE, 0));
	ASSERT_EQ(0, ioctl(count_fd, PERF_EVENT_IOC_DISABLE, 0));
	ASSERT_EQ(sizeof(entries), read(count_fd, &entries, sizeof(entries)));

	/* perf record's loop: records from data_tail up to data_head. */
	head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	ASSERT_GT(TP_RING_PAGES * page, head) TH_LOG("the ring wrapped");
	for (pos = meta->data_tail; pos < head;) {
		const struct perf_event_header *h =
			(const void *)(ring + page + pos);
		const char *raw = (const char *)(h + 1) + sizeof(uint32_t);
		uint32_t kind, backend;
		uint64_t rip;
		const char *name;

		ASSERT_LT(0, h->size);
		pos += h->size;
		ASSERT_NE(PERF_RECORD_LOST, h->type) TH_LOG("samples lost");
		if (h->type != PERF_RECORD_SAMPLE)
			continue;
		samples++;
		memcpy(&kind, raw + off_kind, sizeof(kind));
		memcpy(&rip, raw + off_rip, sizeof(rip));
		memcpy(&backend, raw + off_backend, sizeof(backend));
		EXPECT_EQ(self->caps.backend, backend);
		ASSERT_GT(THV_KIND_NR, kind);
		name = kind_names[kind];
		ASSERT_NE(NULL, name) TH_LOG("kind %u has no name", kind);
		if (!check_next_exit(_metadata, &next, name, rip))
			break;
	}
	EXPECT_EQ(ARRAY_SIZE(expected_exits), next)
		TH_LOG("saw %u of the guest's exits in the samples", next);
	/* One sample per exit; perf stat's count of entries agrees. */
	EXPECT_EQ(self->vm.run->exits, samples);
	EXPECT_EQ(samples, entries);
	munmap(ring, len);
	close(count_fd);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* THV_GET_HW_FIELDS                                                    */

static struct thv_hw_fields *get_fields(struct __test_metadata *_metadata,
					struct thv_vm *vm, uint32_t *total)
{
	struct thv_hw_fields hdr = { .nfields = 0, .backend = 0xdead };
	struct thv_hw_fields *h;
	size_t size;

	errno = 0;
	EXPECT_EQ(-1, ioctl(vm->vcpu_fd, THV_GET_HW_FIELDS, &hdr));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_LT(10, hdr.total) TH_LOG("only %u fields", hdr.total);
	/* "total is still written, nothing else is" */
	EXPECT_EQ(0, hdr.nfields);
	EXPECT_EQ(0xdead, hdr.backend);
	*total = hdr.total;

	size = sizeof(*h) + hdr.total * sizeof(h->fields[0]);
	h = malloc(size);
	if (!h)
		return NULL;
	memset(h, 0xa5, size);
	h->nfields = hdr.total;
	h->padding = 0;
	EXPECT_EQ(0, ioctl(vm->vcpu_fd, THV_GET_HW_FIELDS, h))
		TH_LOG("THV_GET_HW_FIELDS: %s", strerror(errno));
	EXPECT_EQ(hdr.total, h->nfields);
	EXPECT_EQ(hdr.total, h->total);
	return h;
}

static const struct thv_hw_field *find_field(const struct thv_hw_fields *h,
					     const char *name)
{
	uint32_t i;

	for (i = 0; i < h->nfields; i++)
		if (!strcmp(h->fields[i].name, name))
			return &h->fields[i];
	return NULL;
}

/* The fields must say what the exit and the registers say. */
static void check_fields(struct __test_metadata *_metadata, struct thv_vm *vm,
			 const struct thv_hw_fields *h, bool vmx)
{
	const struct thv_hw_field *rip, *reason, *info1;
	struct thv_regs regs;

	ASSERT_EQ(0, thv_get_regs(vm, &regs));
	rip = find_field(h, vmx ? "GUEST_RIP" : "RIP");
	reason = find_field(h, vmx ? "VM_EXIT_REASON" : "EXITCODE");
	info1 = find_field(h, vmx ? "EXIT_QUALIFICATION" : "EXITINFO1");
	ASSERT_NE(NULL, rip);
	ASSERT_NE(NULL, reason);
	ASSERT_NE(NULL, info1);
	EXPECT_EQ(THV_HW_AREA_GUEST, rip->area);
	EXPECT_EQ(THV_HW_AREA_EXIT, reason->area);
	EXPECT_EQ(regs.rip, rip->value);
	EXPECT_EQ(vm->run->hw_exit_reason, reason->value);
	EXPECT_EQ(vm->run->hw_exit_info1, info1->value);
}

TEST_F(stats, hw_fields)
{
	bool vmx = self->caps.backend == THV_BACKEND_VMX;
	struct thv_hw_fields *h, hdr;
	uint32_t total, total2, i, j;

	/* Stop at the first OUT. */
	vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	h = get_fields(_metadata, &self->vm, &total);
	ASSERT_NE(NULL, h);
	EXPECT_EQ(self->caps.backend, h->backend);

	for (i = 0; i < h->nfields; i++) {
		const struct thv_hw_field *f = &h->fields[i];

		ASSERT_NE(NULL, memchr(f->name, 0, sizeof(f->name)))
			TH_LOG("field %u: name not NUL-terminated", i);
		EXPECT_NE(0, f->name[0]) TH_LOG("field %u has no name", i);
		EXPECT_TRUE(f->width == 1 || f->width == 2 || f->width == 4 ||
			    f->width == 8)
			TH_LOG("%s: width %u", f->name, f->width);
		EXPECT_GE(THV_HW_AREA_EXIT, f->area) TH_LOG("%s", f->name);
		EXPECT_FALSE(!vmx && f->area == THV_HW_AREA_HOST)
			TH_LOG("%s: SVM has no host area", f->name);
		EXPECT_EQ(0, f->padding[0] | f->padding[1]);
		if (f->width < 8)
			EXPECT_EQ(0, f->value >> (8 * f->width))
				TH_LOG("%s: 0x%llx wider than %u bytes",
				       f->name, (unsigned long long)f->value,
				       f->width);
		for (j = 0; j < i; j++) {
			EXPECT_STRNE(h->fields[j].name, f->name);
			EXPECT_NE(h->fields[j].encoding, f->encoding)
				TH_LOG("%s and %s share an encoding",
				       h->fields[j].name, f->name);
		}
	}
	check_fields(_metadata, &self->vm, h, vmx);
	free(h);

	/* At a later exit, the fields follow; the count stays. */
	vcpu_run_expect(_metadata, &self->vm, THV_EXIT_IO);
	h = get_fields(_metadata, &self->vm, &total2);
	ASSERT_NE(NULL, h);
	EXPECT_EQ(total, total2);
	check_fields(_metadata, &self->vm, h, vmx);

	/* One entry short is still E2BIG. */
	h->nfields = total - 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu_fd, THV_GET_HW_FIELDS, h));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(total, h->total);
	free(h);

	/* Non-zero padding. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.padding = 1;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu_fd, THV_GET_HW_FIELDS, &hdr));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(stats, hw_fields_bad_pointer)
{
	long page = sysconf(_SC_PAGESIZE);
	struct thv_hw_fields *h;
	char *mem;

	errno = 0;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu_fd, THV_GET_HW_FIELDS, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* A good header whose fields[] runs into an unmapped page. */
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(0, munmap(mem + page, page));
	h = (struct thv_hw_fields *)(mem + page - sizeof(*h));
	memset(h, 0, sizeof(*h));
	h->nfields = 1000;
	errno = 0;
	EXPECT_EQ(-1, ioctl(self->vm.vcpu_fd, THV_GET_HW_FIELDS, h));
	EXPECT_EQ(EFAULT, errno);
	munmap(mem, page);
}

TEST_HARNESS_MAIN
