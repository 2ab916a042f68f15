// SPDX-License-Identifier: GPL-2.0
/*
 * stepper_test.c - seeing the exits: `thv run --trace`, `--stats`,
 * `--json` and the exit stepper `--step`, driven as a user would: the
 * runner is a child process, its stdin a pipe we write commands into,
 * its stdout and stderr captured.
 *
 * Parts that need the kernel's debugging ioctls (THV_SET_GUEST_DEBUG,
 * THV_GET_EXIT_STATS, THV_GET_HW_FIELDS) check that the runner degrades
 * to a one-line note, then SKIP with the reason when thv.ko answers
 * ENOTTY.
 */
#include <libgen.h>
#include <pty.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "run_cmd.h"

/*
 * SKIP after a failed EXPECT would report the test as skipped (the
 * harness sets passed = 1): keep a failure a failure.
 */
#define SKIP_IF_PASSING(...) do {					\
	if (!_metadata->passed)						\
		return;							\
	SKIP(return, __VA_ARGS__);					\
} while (0)

#define ST_OK		0
#define ST_USAGE	64

/* The message of hello.bin, one OUT per character. */
#define HELLO_MSG	"Hello from a thv guest!\n"

FIXTURE(stepper) {
	char bin[PATH_MAX];
	char payloads[PATH_MAX];
	struct cmd_result res;
};

FIXTURE_SETUP(stepper)
{
	cmd_fixture_setup();
}

FIXTURE_TEARDOWN(stepper)
{
}

static void payload_path(struct __test_metadata *_metadata,
			 FIXTURE_DATA(stepper) *self, const char *name,
			 char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", self->payloads, name) >= (int)len ||
	    access(buf, R_OK))
		SKIP(longjmp(_metadata->env, 1), "payload %.200s not found",
		     buf);
}

/* Lines of buf that contain text. */
static int count_containing(const char *buf, const char *text)
{
	const char *p = buf, *nl;
	int n = 0;

	while (*p) {
		nl = strchrnul(p, '\n');
		if (memmem(p, nl - p, text, strlen(text)))
			n++;
		p = *nl ? nl + 1 : nl;
	}
	return n;
}

/* How often text occurs in buf. */
static int count_occurrences(const char *buf, const char *text)
{
	int n = 0;

	while ((buf = strstr(buf, text))) {
		n++;
		buf += strlen(text);
	}
	return n;
}

/* Lines of buf that contain both a and b. */
static int count_both(const char *buf, const char *a, const char *b)
{
	const char *p = buf, *nl;
	int n = 0;

	while (*p) {
		nl = strchrnul(p, '\n');
		if (memmem(p, nl - p, a, strlen(a)) &&
		    memmem(p, nl - p, b, strlen(b)))
			n++;
		p = *nl ? nl + 1 : nl;
	}
	return n;
}

/* Copy line number i (0-based) of the lines starting with prefix. */
static bool nth_line(const char *buf, const char *prefix, int i, char *line,
		     size_t len)
{
	const char *p = buf, *nl;

	while (*p) {
		nl = strchrnul(p, '\n');
		if (!strncmp(p, prefix, strlen(prefix)) && i-- == 0) {
			snprintf(line, len, "%.*s", (int)(nl - p), p);
			return true;
		}
		p = *nl ? nl + 1 : nl;
	}
	return false;
}

/*
 * Does this thv.ko have THV_SET_GUEST_DEBUG (and the others of issue 5)?
 * 0 if yes; -ENOTTY (or another -errno) if not.
 */
static int debug_ioctl_state(void)
{
	struct thv_vm vm;
	int ret = thv_vm_create(&vm, NULL, 0x10000);

	if (ret)
		return ret;
	ret = thv_set_guest_debug(&vm, THV_DEBUG_EXIT_ALL);
	thv_vm_destroy(&vm);
	return ret;
}

static int exit_stats_state(void)
{
	struct thv_exit_stats st;
	struct thv_vm vm;
	int ret = thv_vm_create(&vm, NULL, 0x10000);

	if (ret)
		return ret;
	ret = thv_get_exit_stats(&vm, &st);
	thv_vm_destroy(&vm);
	return ret;
}

static struct thv_caps caps_now(void)
{
	struct thv_caps caps;
	int fd = thv_open_dev(NULL);

	if (fd < 0 || thv_get_caps(fd, &caps))
		memset(&caps, 0, sizeof(caps));
	if (fd >= 0)
		close(fd);
	return caps;
}

static uint32_t backend(void)
{
	return caps_now().backend;
}

/* ------------------------------------------------------------------ */
/* Options, without a guest                                            */

TEST_F(stepper, help_lists_options)
{
	run_thv_in(NULL, "run", "--help");
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "--step");
	EXPECT_CONTAINS(self->res.out, "--break KINDS");
	EXPECT_CONTAINS(self->res.out, "--stats");
	EXPECT_CONTAINS(self->res.out, "--json[=FILE]");
	EXPECT_CONTAINS(self->res.out, "--color[=WHEN]");
}

TEST_F(stepper, bad_break_kind)
{
	run_thv_in(NULL, "run", "--step", "--break", "io,bogus", "x.bin");
	EXPECT_STATUS(ST_USAGE);
	EXPECT_CONTAINS(self->res.err, "unknown exit kind 'bogus'");
	EXPECT_CONTAINS(self->res.err, "cpuid");	/* the known list */
	EXPECT_EQ(1, count_containing(self->res.err, "thv: "));

	run_thv_in(NULL, "run", "--break", "io", "x.bin");
	EXPECT_STATUS(ST_USAGE);
	EXPECT_CONTAINS(self->res.err, "--break needs --step");

	run_thv_in(NULL, "run", "--color=sometimes", "x.bin");
	EXPECT_STATUS(ST_USAGE);
	EXPECT_CONTAINS(self->res.err, "--color 'sometimes'");
}

/* ------------------------------------------------------------------ */
/* --trace                                                             */

/*
 * hello.bin, line by line: every exit that reaches user space is an IN
 * of the UART's LSR or an OUT of the next character, then one HLT; exits
 * thv.ko handled (with THV_DEBUG_EXIT_ALL) may come between them, in
 * their own format.  Sequence numbers go 1, 2, 3... without a gap.
 */
TEST_F(stepper, trace_hello_lines)
{
	char path[PATH_MAX], line[512], want[512];
	const char *msg = HELLO_MSG;
	unsigned int seq, n, user = 0;
	int i;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv_in(NULL, "run", "--trace", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ(HELLO_MSG, self->res.out);
	EXPECT_EQ(NULL, strchr(self->res.err, '\033')) {
		TH_LOG("colour escapes on a pipe");
		LOG_OUTPUT();
	}

	for (i = 0; nth_line(self->res.err, "thv: #", i, line, sizeof(line));
	     i++) {
		ASSERT_EQ(1, sscanf(line, "thv: #%u %n", &seq, &n)) {
			TH_LOG("bad line: %s", line);
		}
		ASSERT_EQ((unsigned int)i + 1, seq) TH_LOG("line: %s", line);
		if (strstr(line, "; handled in the kernel")) {
			/* "#N KIND: ...; rip 0x... MODE: INSN; handled..." */
			EXPECT_NE(NULL, strstr(line, "; rip 0x"))
				TH_LOG("line: %s", line);
			continue;
		}
		if (user / 2 < strlen(msg) && user % 2 == 0) {
			snprintf(want, sizeof(want), "thv: #%u IO: IN port "
				 "0x3fd, 1 byte, value 0x60 (UART LSR); rip "
				 "0x1028 real: in al, dx; sent to user space",
				 seq);
		} else if (user / 2 < strlen(msg)) {
			char c = msg[user / 2];

			snprintf(want, sizeof(want), "thv: #%u IO: OUT port "
				 "0x3f8, 1 byte, value 0x%x (UART THR '%s%c'); "
				 "rip 0x1031 real: out dx, al; sent to user "
				 "space", seq, c, c == '\n' ? "\\" : "",
				 c == '\n' ? 'n' : c);
		} else {
			snprintf(want, sizeof(want), "thv: #%u HLT; rip "
				 "0x1007 real: hlt; sent to user space", seq);
		}
		EXPECT_STREQ(want, line) LOG_OUTPUT();
		if (strcmp(want, line))
			break;
		user++;
	}
	/* 24 characters: 48 IO exits, and the HLT. */
	EXPECT_EQ(2 * strlen(msg) + 1, user);
	EXPECT_CONTAINS(self->res.err, "guest halted after");
}

/*
 * cpuid.bin: thv.ko answers CPUID itself.  With THV_DEBUG_EXIT_ALL the
 * trace shows those exits too, with the leaf and the answer.
 */
TEST_F(stepper, trace_kernel_exits)
{
	char path[PATH_MAX];
	int dbg;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "cpuid.bin", path, sizeof(path));
	run_thv_in(NULL, "run", "--trace", path);
	EXPECT_STATUS(ST_OK);
	dbg = debug_ioctl_state();
	if (dbg) {
		/* Degraded: only user-space exits, no error line. */
		EXPECT_EQ(0, count_containing(self->res.err,
					      "handled in the kernel"));
		SKIP_IF_PASSING("THV_SET_GUEST_DEBUG: %s: no kernel exits to "
		     "trace until the kernel half is there", strerror(-dbg));
	}
	EXPECT_CONTAINS(self->res.err, " CPUID: CPUID leaf 0x0, subleaf 0x0 -> "
			"eax 0x");
	EXPECT_CONTAINS(self->res.err, " CPUID: CPUID leaf 0x1, subleaf 0x0");
	EXPECT_CONTAINS(self->res.err, "real: cpuid; handled in the kernel");
}

/* --color=always colours even on a pipe; NO_COLOR does not stop it. */
TEST_F(stepper, trace_color_always)
{
	char path[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv_in(NULL, "run", "--trace", "--color=always", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.err, "\033[");
	EXPECT_STREQ(HELLO_MSG, self->res.out);
}

/* ------------------------------------------------------------------ */
/* --stats and --json                                                  */

/* A small JSON checker: true if s is one well-formed JSON value. */
static const char *json_value(const char *s);

static const char *json_ws(const char *s)
{
	while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

static const char *json_string(const char *s)
{
	if (*s++ != '"')
		return NULL;
	while (*s && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return NULL;
		if (*s == '\\' && !*++s)
			return NULL;
		s++;
	}
	return *s == '"' ? s + 1 : NULL;
}

static const char *json_value(const char *s)
{
	char close;

	s = json_ws(s);
	if (*s == '"')
		return json_string(s);
	if (!strncmp(s, "null", 4))
		return s + 4;
	if (*s == '-' || (*s >= '0' && *s <= '9')) {
		s += *s == '-';
		while (*s >= '0' && *s <= '9')
			s++;
		return s;
	}
	if (*s != '{' && *s != '[')
		return NULL;
	close = *s == '{' ? '}' : ']';
	s = json_ws(s + 1);
	if (*s == close)
		return s + 1;
	for (;;) {
		if (close == '}') {
			s = json_string(json_ws(s));
			if (!s)
				return NULL;
			s = json_ws(s);
			if (*s++ != ':')
				return NULL;
		}
		s = json_value(s);
		if (!s)
			return NULL;
		s = json_ws(s);
		if (*s == close)
			return s + 1;
		if (*s++ != ',')
			return NULL;
	}
}

/* The count of "key": {"count": N inside the object after section. */
static long long json_count(const char *json, const char *section,
			    const char *key)
{
	char want[64];
	const char *p = strstr(json, section);
	long long n;

	if (!p)
		return -1;
	snprintf(want, sizeof(want), "\"%s\": {\"count\": ", key);
	p = strstr(p, want);
	if (!p || sscanf(p + strlen(want), "%lld", &n) != 1)
		return -1;
	return n;
}

TEST_F(stepper, stats_and_json)
{
	char path[PATH_MAX], jpath[64];
	const char *json, *end, *table;
	long long exits = -1;
	int io_traced, fd, st;
	char buf[8192];
	ssize_t n;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	/* The counts a trace shows, to compare with. */
	run_thv_in(NULL, "run", "--trace", path);
	io_traced = count_both(self->res.err, " IO: ", "sent to user space");

	run_thv_in(NULL, "run", "--stats", "--json", path);
	EXPECT_STATUS(ST_OK);
	/* stdout: the guest's text, then the JSON object. */
	ASSERT_EQ(0, strncmp(self->res.out, HELLO_MSG, strlen(HELLO_MSG)))
		LOG_OUTPUT();
	/* Keep this run's output: the runs below overwrite self->res. */
	json = strdupa(self->res.out + strlen(HELLO_MSG));
	table = strdupa(self->res.err);
	end = json_value(json);
	ASSERT_NE(NULL, end) {
		TH_LOG("not valid JSON");
		LOG_OUTPUT();
	}
	EXPECT_STREQ("\n", end);
	EXPECT_CONTAINS(json, "\"status\": 0,");
	EXPECT_CONTAINS(json, "\"end\": \"guest halted\"");
	EXPECT_EQ(io_traced, json_count(json, "\"user\"", "io")) LOG_OUTPUT();
	EXPECT_EQ(1, json_count(json, "\"user\"", "hlt")) LOG_OUTPUT();
	sscanf(strstr(json, "\"exits\": ") + 9, "%lld", &exits);
	EXPECT_EQ(io_traced + 1, exits);

	/* The table on stderr: one row per reason. */
	EXPECT_NE(NULL, strstr(table, "exits in user space by reason"));
	snprintf(buf, sizeof(buf), "  %-14s %10d ", "io", io_traced);
	EXPECT_NE(NULL, strstr(table, buf)) TH_LOG("no \"%s\" in %s", buf,
						  table);

	/* --json FILE PAYLOAD: the same object in a file, stdout clean. */
	snprintf(jpath, sizeof(jpath), "/tmp/thv-stepper-test-%d.json",
		 getpid());
	run_thv_in(NULL, "run", "--json", jpath, path);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ(HELLO_MSG, self->res.out);
	fd = open(jpath, O_RDONLY);
	ASSERT_LE(0, fd) TH_LOG("no %s", jpath);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(jpath);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_NE(NULL, json_value(buf)) TH_LOG("file: %s", buf);
	EXPECT_EQ(io_traced, json_count(buf, "\"user\"", "io"));

	/* A file that cannot be written: one line, status 71. */
	run_thv_in(NULL, "run", "-q", "--json=/nonexistent/dir/x.json", path);
	EXPECT_STATUS(71);
	EXPECT_CONTAINS(self->res.err, "--json /nonexistent/dir/x.json: ");

	st = exit_stats_state();
	if (st) {
		EXPECT_NE(NULL, strstr(json, "\"kernel\": null"));
		EXPECT_NE(NULL, strstr(table, "no per-kind counts from thv.ko"));
		SKIP_IF_PASSING("THV_GET_EXIT_STATS: %s: no kernel counts yet",
		     strerror(-st));
	}
	/* thv.ko saw every exit the runner saw, and more. */
	EXPECT_LE(io_traced, json_count(json, "\"kernel\"", "io"));
	EXPECT_LE(1, json_count(json, "\"kernel\"", "hlt"));
	EXPECT_NE(NULL, strstr(table, "VM exits by kind"));
}

/* ------------------------------------------------------------------ */
/* --step                                                              */

/*
 * The basic commands at the first IO exit of hello.bin (--break io, so
 * that exits thv.ko handles do not stop it): regs, x, disas, explain,
 * break, a bad command, next, and quit.
 */
TEST_F(stepper, step_commands)
{
	char path[PATH_MAX], want[128];
	bool vmx = backend() == THV_BACKEND_VMX;
	unsigned char image[16];
	int fd, i, off;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv_in("r\nx 0x1000 16\nd 3\ne\nb\nfoo\nx\nc\nr\nq\n",
		   "run", "--step", "--break", "io", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.err, "thv: stopped by the user after ");
	/* Two stops: the IN at 0x1028, then the OUT of 'H'. */
	EXPECT_EQ(2, count_containing(self->res.err, "thv: #"));
	EXPECT_CONTAINS(self->res.err, "IO: IN port 0x3fd, 1 byte, value 0x60 "
			"(UART LSR); rip 0x1028 real: in al, dx");
	EXPECT_CONTAINS(self->res.err, "IO: OUT port 0x3f8, 1 byte, value 0x48 "
			"(UART THR 'H'); rip 0x1031 real: out dx, al");
	/* Ten prompts: one per command. */
	EXPECT_EQ(10, count_occurrences(self->res.out, "(thv) "));

	/* regs: RIP at the IN; after `c` it changed, marked with '*'. */
	EXPECT_CONTAINS(self->res.out, "rip    0x0000000000001028  ");
	EXPECT_CONTAINS(self->res.out, "rip    0x0000000000001031* ");
	EXPECT_CONTAINS(self->res.out, "mode real, paging off");

	/* x: the payload's first bytes, loaded at 0x1000. */
	fd = open(path, O_RDONLY);
	ASSERT_EQ(16, read(fd, image, 16));
	close(fd);
	off = snprintf(want, sizeof(want), "0x00001000: ");
	for (i = 0; i < 16; i++)
		off += snprintf(want + off, sizeof(want) - off, "%02x ",
				image[i]);
	EXPECT_CONTAINS(self->res.out, want);

	/* disas: three instructions from RIP, the first marked. */
	EXPECT_CONTAINS(self->res.out, "=> 0x00001028: ");
	EXPECT_CONTAINS(self->res.out, "in al, dx");
	EXPECT_CONTAINS(self->res.out, "(real mode)");

	/* explain: the vendor's exit code and manual section. */
	EXPECT_CONTAINS(self->res.out, ": IO, sent to user space (");
	EXPECT_CONTAINS(self->res.out, vmx ? "30, I/O instruction" :
			"VMEXIT_IOIO (0x7b)");
	EXPECT_CONTAINS(self->res.out, vmx ? "bits 31:16 port = 0x3fd" :
			"bits 31:16 PORT = 0x3fd");
	EXPECT_CONTAINS(self->res.out, vmx ? "Manual: SDM Vol. 3C 26.1.3" :
			"Manual: APM Vol. 2 15.10.2");
	EXPECT_CONTAINS(self->res.out, "into AL/AX/EAX");

	EXPECT_CONTAINS(self->res.out, "break: io\n");
	/* Errors are one line each, and the REPL goes on. */
	EXPECT_CONTAINS(self->res.err, "thv: unknown command 'foo'");
	EXPECT_CONTAINS(self->res.err, "thv: x: want an address");
}

/* `c` with a filter; `b` changes it; an empty line repeats. */
TEST_F(stepper, step_break_and_repeat)
{
	char path[PATH_MAX];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));

	/* Only HLT stops: one stop, the last exit; `c` ends the run. */
	run_thv_in("d 3\nc\n", "run", "--step", "--break", "hlt", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_EQ(0, strncmp(self->res.out, HELLO_MSG "(the run ends when "
			     "you go on: guest halted)\n(thv) => 0x00001007: "
			     "f4 ", strlen(HELLO_MSG) + 68)) LOG_OUTPUT();
	/* 16-bit code: "dec ax" (it would be "dec eax" in 32-bit mode). */
	EXPECT_CONTAINS(self->res.out, "   0x00001008: ebf6");
	EXPECT_CONTAINS(self->res.out, "jmp 0x1000\n   0x0000100a: 48");
	EXPECT_CONTAINS(self->res.out, "dec ax\n(real mode)\n(thv) ");
	EXPECT_EQ(1, count_containing(self->res.err, "thv: #"));
	EXPECT_CONTAINS(self->res.err, " HLT; rip 0x1007 real: hlt");
	EXPECT_CONTAINS(self->res.err, "guest halted after");

	/* none: no stop at all, no prompt. */
	run_thv_in(NULL, "run", "--step", "--break", "none", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ(HELLO_MSG, self->res.out);

	/* n, then empty lines repeat it: four stops, then `b hlt`, c. */
	run_thv_in("n\n\n\nb hlt\nc\nc\n", "run", "--step", "--break", "io",
		   path);
	EXPECT_STATUS(ST_OK);
	EXPECT_EQ(5, count_containing(self->res.err, "thv: #"));
	EXPECT_CONTAINS(self->res.out, "break: hlt\n");
	EXPECT_CONTAINS(self->res.err, " HLT; rip 0x1007");

	/* Ctrl-D (end of input) quits. */
	run_thv_in("", "run", "--step", "--break", "io", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.err, "thv: stopped by the user after ");
	EXPECT_EQ(1, count_containing(self->res.err, "thv: #"));
}

/*
 * On a terminal the stepper reads with libedit: drive it through a
 * pseudo-terminal, as a person at a keyboard would.  Ctrl-P twice (the
 * emacs binding for "previous line") brings back `r` from the history:
 * plain line reading would call that an unknown command.
 */
TEST_F(stepper, step_terminal)
{
	char path[PATH_MAX], out[OUT_MAX];
	const char *cmds = "r\nbogus\n\020\020\nq\n";
	size_t used = 0;
	int fd, status;
	uint64_t start;
	ssize_t n;
	pid_t pid;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	fflush(stdout);
	fflush(stderr);
	pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0 && (errno == ENOENT || errno == ENODEV))
		SKIP(return, "no pseudo-terminals here (/dev/ptmx, /dev/pts: "
		     "%s)", strerror(errno));
	ASSERT_LE(0, pid) TH_LOG("forkpty: %s", strerror(errno));
	if (pid == 0) {
		setenv("TERM", "vt100", 0);
		execl(self->bin, self->bin, "run", "--step", "--break", "io",
		      "--color=never", path, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ((ssize_t)strlen(cmds), write(fd, cmds, strlen(cmds)));
	start = now_ms();
	while (used < sizeof(out) - 1 && now_ms() - start < 20000) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fd, out + used, sizeof(out) - 1 - used);
		if (n <= 0)
			break;		/* EIO: the child closed the terminal */
		used += n;
	}
	out[used] = '\0';
	close(fd);
	waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status 0x%x; terminal:\n%s", status, out);
	EXPECT_NE(NULL, strstr(out, "(thv) ")) TH_LOG("terminal:\n%s", out);
	EXPECT_EQ(2, count_occurrences(out, "rip    0x0000000000001028"))
		TH_LOG("terminal:\n%s", out);
	EXPECT_EQ(1, count_occurrences(out, "unknown command"))
		TH_LOG("terminal:\n%s", out);
	EXPECT_NE(NULL, strstr(out, "unknown command 'bogus'"))
		TH_LOG("terminal:\n%s", out);
	EXPECT_NE(NULL, strstr(out, "stopped by the user"))
		TH_LOG("terminal:\n%s", out);
}

/* step: one instruction at a time (THV_DEBUG_SINGLESTEP). */
TEST_F(stepper, step_single)
{
	char path[PATH_MAX], l1[512], l2[512], line[512];
	unsigned long long rip1 = 0, rip2 = 0;
	struct thv_caps caps;
	const char *want;
	int dbg, i;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv_in("s\ne\ns\ne\nq\n", "run", "--step", "--break", "io",
		   path);
	EXPECT_STATUS(ST_OK);
	dbg = debug_ioctl_state();
	if (dbg) {
		EXPECT_CONTAINS(self->res.err, "thv: step: THV_SET_GUEST_DEBUG: ");
		EXPECT_CONTAINS(self->res.err, "has no THV_SET_GUEST_DEBUG");
		SKIP_IF_PASSING("THV_SET_GUEST_DEBUG: %s: no single-step yet",
		     strerror(-dbg));
	}
	/*
	 * Stop 1 is the IN; then DEBUG exits after one instruction each
	 * (a host interrupt's KERNEL exit may come between: skip those).
	 */
	l1[0] = l2[0] = '\0';
	for (i = 0; nth_line(self->res.err, "thv: #", i, line, sizeof(line));
	     i++) {
		if (!strstr(line, " DEBUG: "))
			continue;
		if (!l1[0])
			snprintf(l1, sizeof(l1), "%s", line);
		else if (!l2[0])
			snprintf(l2, sizeof(l2), "%s", line);
	}
	EXPECT_NE(NULL, strstr(l1, " DEBUG: single step")) TH_LOG("%s", l1);
	EXPECT_NE(NULL, strstr(l2, " DEBUG: single step")) TH_LOG("%s", l2);
	sscanf(strstr(l1, "; rip ") ?: "", "; rip 0x%llx", &rip1);
	sscanf(strstr(l2, "; rip ") ?: "", "; rip 0x%llx", &rip2);
	/*
	 * The stop was AT the IN (0x1028, 1 byte): the step finishes it,
	 * so RIP moves on; the next step moves it again.
	 */
	EXPECT_LT(0x1028ULL, rip1) TH_LOG("%s", l1);
	EXPECT_GT(0x1100ULL, rip1) TH_LOG("%s", l1);
	EXPECT_NE(rip1, rip2);
	EXPECT_NE(NULL, strstr(l1, "real: ")) TH_LOG("%s", l1);

	/*
	 * explain: the first step ended outside the guest (thv.ko finished
	 * the IN), the second with the hardware exit of this CPU's way of
	 * stepping (THV_CAP_MTF on VMX).
	 */
	EXPECT_CONTAINS(self->res.out, ": DEBUG, no VM exit (");
	EXPECT_CONTAINS(self->res.out, "That was the step");
	caps = caps_now();
	if (caps.backend == THV_BACKEND_SVM)
		want = "EXITCODE = VMEXIT_EXCP1 (0x41)";
	else if (caps.flags & THV_CAP_MTF)
		want = "exit reason = 37, monitor trap flag)";
	else
		want = "exit reason = 0, the #DB that RFLAGS.TF raises (this "
		       "CPU steps without the monitor trap flag)";
	EXPECT_CONTAINS(self->res.out, want);
}

/* vmcs/vmcb: the raw fields by area. */
TEST_F(stepper, step_hw_fields)
{
	char path[PATH_MAX];
	bool vmx = backend() == THV_BACKEND_VMX;
	struct thv_hw_fields *f;
	struct thv_vm vm;
	int err = 0;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv_in("vmcs\nq\n", "run", "--step", "--break", "io", path);
	EXPECT_STATUS(ST_OK);
	ASSERT_EQ(0, thv_vm_create(&vm, NULL, 0x10000));
	f = thv_get_hw_fields(&vm, &err);
	thv_vm_destroy(&vm);
	free(f);
	if (!f) {
		EXPECT_CONTAINS(self->res.err, "thv: vmcs: THV_GET_HW_FIELDS "
				"failed: ");
		SKIP_IF_PASSING("THV_GET_HW_FIELDS: %s: nothing to show yet",
		     strerror(-err));
	}
	EXPECT_CONTAINS(self->res.out, vmx ? "VMCS of vCPU 0 (Intel VMX)" :
			"VMCB of vCPU 0 (AMD SVM)");
	EXPECT_CONTAINS(self->res.out, vmx ? "guest-state area:" :
			"state save area:");
	/* Some field holds the guest's RIP, at the IN. */
	EXPECT_CONTAINS(self->res.out, "RIP");
	EXPECT_CONTAINS(self->res.out, "0000000000001028\n");
}

/* --break cpuid stops at an exit thv.ko handled (KERNEL). */
TEST_F(stepper, step_kernel_exit)
{
	char path[PATH_MAX];
	bool vmx = backend() == THV_BACKEND_VMX;
	int dbg;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "cpuid.bin", path, sizeof(path));
	run_thv_in("e\nq\n", "run", "--step", "--break", "cpuid", path);
	EXPECT_STATUS(ST_OK);
	dbg = debug_ioctl_state();
	if (dbg) {
		/* No kernel exits: nothing stops, the guest runs through. */
		EXPECT_CONTAINS(self->res.out, "hypervisor bit");
		SKIP_IF_PASSING("THV_SET_GUEST_DEBUG: %s", strerror(-dbg));
	}
	EXPECT_CONTAINS(self->res.err, " CPUID: CPUID leaf 0x0, subleaf 0x0");
	EXPECT_CONTAINS(self->res.err, "handled in the kernel");
	EXPECT_CONTAINS(self->res.out, "CPUID, handled in the kernel");
	EXPECT_CONTAINS(self->res.out, vmx ? "10, CPUID" :
			"VMEXIT_CPUID (0x72)");
	EXPECT_CONTAINS(self->res.out, "nothing left: thv.ko finished");
	/* Unwatched, the same exit takes the fast path (exit.c). */
	EXPECT_CONTAINS(self->res.out, vmx ?
			"interrupts still held, and VMRESUME again at once" :
			"interrupts still held, and VMRUN again at once");
}

/* ------------------------------------------------------------------ */
/* One screen for the guest's output and the runner's lines            */

/*
 * Run `thv ARGS` through /bin/sh -c "... 2>&1": stdout and stderr are
 * then one pipe, as for a user who types `thv run ... 2>&1 | less`.
 * The combined output lands in self->res.out.
 */
#define run_thv_2to1(input, args) do {					\
	char __cmd[PATH_MAX * 3];					\
	char *__argv[] = { "/bin/sh", "-c", __cmd, NULL };		\
	int __r;							\
									\
	snprintf(__cmd, sizeof(__cmd), "exec '%s' run %s 2>&1",	\
		 self->bin, args);					\
	memset(&self->res, 0, sizeof(self->res));			\
	__r = run_cmd(&self->res, __argv, input, 120000);		\
	ASSERT_EQ(0, __r) TH_LOG("cannot start /bin/sh: %s",		\
				 strerror(-__r));			\
} while (0)

/*
 * hello.bin, --break io, `c` twice: the stop after the OUT of 'H' comes
 * when the guest's line is one character long.  On one stream the exit
 * line must start a row of its own ("H" then a newline), and no blank
 * line may appear anywhere; on two streams the guest's bytes and the
 * runner's lines stay exactly what they were.
 */
TEST_F(stepper, step_exit_line_fresh_row)
{
	char path[PATH_MAX], args[PATH_MAX + 64];

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	snprintf(args, sizeof(args), "--step --break io '%s'", path);
	run_thv_2to1("c\nc\nq\n", args);
	EXPECT_STATUS(ST_OK);
	/* The piped prompt has no echo: "(thv) " then the guest's 'H'. */
	EXPECT_CONTAINS(self->res.out, "(thv) H\nthv: #");
	EXPECT_EQ(NULL, strstr(self->res.out, "Hthv: ")) LOG_OUTPUT();
	EXPECT_EQ(NULL, strstr(self->res.out, "\n\n")) LOG_OUTPUT();
	EXPECT_EQ(3, count_containing(self->res.out, "thv: #")) LOG_OUTPUT();

	/* Two pipes: stdout is the prompts and 'H', nothing added. */
	run_thv_in("c\nc\nq\n", "run", "--step", "--break", "io", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ("(thv) H(thv) (thv) ", self->res.out) LOG_OUTPUT();
	EXPECT_EQ(0, strncmp(self->res.err, "thv: #", 6)) LOG_OUTPUT();
	EXPECT_EQ(NULL, strstr(self->res.err, "\n\n")) LOG_OUTPUT();

	/* --trace on one stream: whole guest lines, no blank line. */
	snprintf(args, sizeof(args), "--trace '%s'", path);
	run_thv_2to1(NULL, args);
	EXPECT_STATUS(ST_OK);
	EXPECT_CONTAINS(self->res.out, "\n" HELLO_MSG "thv: #");
	EXPECT_EQ(NULL, strstr(self->res.out, "\n\n")) LOG_OUTPUT();
}

/*
 * Run `thv ARGS...` on a pseudo-terminal (stdin, stdout and stderr all
 * on it), type cmds, and collect the screen's bytes into out until the
 * runner exits.  Returns the wait status, or -1 without ptys (SKIP).
 */
static int run_on_pty(char *const argv[], const char *cmds, char *out,
		      size_t len)
{
	size_t used = 0;
	int fd, status;
	uint64_t start;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = forkpty(&fd, NULL, NULL, NULL);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setenv("TERM", "vt100", 0);
		execv(argv[0], argv);
		_exit(127);
	}
	if (write(fd, cmds, strlen(cmds)) != (ssize_t)strlen(cmds))
		kill(pid, SIGKILL);
	start = now_ms();
	while (used < len - 1 && now_ms() - start < 20000) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(fd, out + used, len - 1 - used);
		if (n <= 0)
			break;		/* EIO: the child closed the terminal */
		used += n;
	}
	out[used] = '\0';
	close(fd);
	waitpid(pid, &status, 0);
	return status;
}

/* The same on a terminal: 'H', then the exit line on the next row. */
TEST_F(stepper, step_exit_line_fresh_row_terminal)
{
	char path[PATH_MAX], out[OUT_MAX];
	char *argv[] = { self->bin, "run", "--step", "--break", "io",
			 "--color=never", path, NULL };
	int status;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	status = run_on_pty(argv, "c\nq\n", out, sizeof(out));
	if (status == -1 && (errno == ENOENT || errno == ENODEV))
		SKIP(return, "no pseudo-terminals here: %s", strerror(errno));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("status 0x%x; terminal:\n%s", status, out);
	/* The terminal turns "\n" into "\r\n" (ONLCR). */
	EXPECT_NE(NULL, strstr(out, "H\r\nthv: #")) TH_LOG("terminal:\n%s",
							   out);
	EXPECT_EQ(NULL, strstr(out, "Hthv: ")) TH_LOG("terminal:\n%s", out);
	EXPECT_EQ(NULL, strstr(out, "\r\n\r\n")) TH_LOG("terminal:\n%s", out);
}

/*
 * Guest time stands still at the prompt.  oneshot64.elf arms a one-shot
 * LAPIC timer for 1 s and reads the current count right away, with
 * IF = 1: the guest asserts that the count is above 0 and that no tick
 * came.  Its 4th MMIO access is the write of the initial count: the
 * stepper sits there for 2 s (the input generator sleeps), longer than
 * the deadline.  If the timer ran on meanwhile, the tick would come
 * before the read (and the count be 0): the guest's assertion fails.
 * Either way the run has exactly one tick, like a run without a pause.
 */
TEST_F(stepper, step_pause_stops_guest_time)
{
	char path[PATH_MAX], cmd[PATH_MAX * 3], line[512];
	char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	const char *msg = "oneshot: armed for 1 s; right after: count above "
			  "0, no tick\noneshot: one tick at the deadline, "
			  "count now 0\noneshot: ok\n";

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "oneshot64.elf", path, sizeof(path));

	/* Without a pause: the reference. */
	run_thv_in(NULL, "run", path);
	EXPECT_STATUS(ST_OK);
	EXPECT_STREQ(msg, self->res.out);
	EXPECT_CONTAINS(self->res.err, "; 1 interrupt injected");

	snprintf(cmd, sizeof(cmd), "(printf 'c\\nc\\nc\\n'; sleep 2; "
		 "printf 'b none\\nc\\n') | exec '%s' run --step --break mmio "
		 "'%s'", self->bin, path);
	memset(&self->res, 0, sizeof(self->res));
	ASSERT_EQ(0, run_cmd(&self->res, argv, NULL, 120000));
	EXPECT_STATUS(ST_OK);
	/* The 4th stop is the write of the initial count (0x380). */
	ASSERT_TRUE(nth_line(self->res.err, "thv: #", 3, line, sizeof(line)))
		LOG_OUTPUT();
	EXPECT_NE(NULL, strstr(line, "MMIO: write gpa 0xfee00380 "))
		TH_LOG("4th stop: %s", line);
	EXPECT_LE(2000, self->res.ms);
	/* The guest's own checks passed: no early tick, count above 0. */
	EXPECT_CONTAINS(self->res.out, "(thv) " "oneshot: armed for 1 s");
	EXPECT_CONTAINS(self->res.out, msg);
	EXPECT_EQ(NULL, strstr(self->res.err, "assertion failed"))
		LOG_OUTPUT();
	EXPECT_CONTAINS(self->res.err, "; 1 interrupt injected");
}

/*
 * The summary's numbers add up.  `s` at the stop at the IN: thv.ko
 * finishes the IN itself before entering the guest, so that step ends
 * without a VM exit (kmod/debug.c); the next `s` runs one instruction in
 * the guest (a VM exit).  With --step every VM exit reaches the runner
 * (THV_DEBUG_EXIT_ALL), so:
 *
 *   exits = the counts in parentheses
 *   exits - INTR - stops without a VM exit = VM exits in all
 *   VM exits handled inside thv.ko = the KERNEL count
 */
TEST_F(stepper, step_summary_adds_up)
{
	unsigned long long exits = 0, sum = 0, v, intr = 0, kernel = 0;
	unsigned long long all = 0, inside = 0, nohw = 0, steps = 0;
	char path[PATH_MAX], name[32], *line, *p, *end;
	int dbg, len;

	THV_REQUIRE_DEV();
	payload_path(_metadata, self, "hello.bin", path, sizeof(path));
	run_thv_in("s\ne\ns\ne\nq\n", "run", "--step", "--break", "io",
		   path);
	EXPECT_STATUS(ST_OK);
	dbg = debug_ioctl_state();
	if (dbg)
		SKIP_IF_PASSING("THV_SET_GUEST_DEBUG: %s: no single-step",
				strerror(-dbg));
	line = strstr(self->res.err, "thv: stopped by the user after ");
	ASSERT_NE(NULL, line) LOG_OUTPUT();
	end = strchrnul(line, '\n');
	*end = '\0';
	ASSERT_EQ(1, sscanf(line, "thv: stopped by the user after %llu exits",
			    &exits)) TH_LOG("%s", line);
	/* "(IO 1, KERNEL 5, DEBUG 2)" */
	p = strchr(line, '(');
	ASSERT_NE(NULL, p);
	for (p++; sscanf(p, "%31[A-Z_] %llu%n", name, &v, &len) == 2;
	     p += len + 2) {
		sum += v;
		if (!strcmp(name, "INTR"))
			intr = v;
		if (!strcmp(name, "KERNEL"))
			kernel = v;
		if (p[len] != ',')
			break;
	}
	EXPECT_EQ(exits, sum) TH_LOG("%s", line);
	p = strstr(line, " VM exits in all, ");
	ASSERT_NE(NULL, p) TH_LOG("%s", line);
	while (p > line && p[-1] != ' ')
		p--;
	ASSERT_EQ(2, sscanf(p, "%llu VM exits in all, %llu of them handled "
			    "inside thv.ko", &all, &inside)) TH_LOG("%s", line);
	/* "; 1 exit was no VM exit: 1 step completed in the kernel" */
	p = strstr(line, " no VM exit: ");
	ASSERT_NE(NULL, p) TH_LOG("%s", line);
	ASSERT_EQ(1, sscanf(p + strlen(" no VM exit: "), "%llu step", &steps))
		TH_LOG("%s", line);
	while (p > line && p[-1] != ';')
		p--;
	ASSERT_EQ(1, sscanf(p, " %llu exit", &nohw)) TH_LOG("%s", line);
	EXPECT_LE(1ULL, steps) TH_LOG("%s", line);
	EXPECT_LE(steps, nohw) TH_LOG("%s", line);
	EXPECT_EQ(all, exits - intr - nohw) TH_LOG("%s", line);
	EXPECT_EQ(kernel, inside) TH_LOG("%s", line);
}

TEST_HARNESS_MAIN
