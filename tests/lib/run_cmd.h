/* SPDX-License-Identifier: GPL-2.0 */
/*
 * run_cmd.h - run the userspace runner `thv` as a child, the way a user
 * does, for the tests that check what it prints (runner_test.c,
 * stepper_test.c).  Include after kselftest_harness.h and test_util.h.
 *
 * The test's fixture has three members, set up by cmd_fixture_setup():
 *
 *	char bin[PATH_MAX];		the runner: $THV_BIN, else the build's
 *	char payloads[PATH_MAX];	$THV_PAYLOADS, else the build's
 *	struct cmd_result res;		what the last run_thv*() gave
 *
 * Without THV_BIN / THV_PAYLOADS both are looked for next to the test
 * binary, as the build lays them out: build/tests/../user/thv and
 * build/tests/../payloads/.
 */
#ifndef THV_RUN_CMD_H
#define THV_RUN_CMD_H

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_MAX		(128 * 1024)

struct cmd_result {
	int status;		/* exit status, or 128 + signal */
	uint64_t ms;		/* wall-clock time */
	char out[OUT_MAX];	/* stdout, NUL-terminated, maybe truncated */
	char err[OUT_MAX];	/* stderr, the same */
};

/* dir of this test binary + "/" + rel, e.g. "../user/thv". */
static inline void path_near_self(char *buf, size_t len, const char *rel)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0) {
		snprintf(buf, len, "%s", rel);
		return;
	}
	self[n] = '\0';
	snprintf(buf, len, "%s/%s", dirname(self), rel);
}

/* The runner and payload paths: 0, or -1 when the runner is missing. */
static inline int cmd_paths(char *bin, size_t bin_len, char *payloads,
			    size_t payloads_len)
{
	const char *env = getenv("THV_BIN");

	if (env && *env)
		snprintf(bin, bin_len, "%s", env);
	else
		path_near_self(bin, bin_len, "../user/thv");
	env = getenv("THV_PAYLOADS");
	if (env && *env)
		snprintf(payloads, payloads_len, "%s", env);
	else
		path_near_self(payloads, payloads_len, "../payloads");
	return access(bin, X_OK) ? -1 : 0;
}

/* In FIXTURE_SETUP: the paths, or SKIP the test without a runner. */
#define cmd_fixture_setup() do {					\
	if (cmd_paths(self->bin, sizeof(self->bin), self->payloads,	\
		      sizeof(self->payloads)))				\
		SKIP(longjmp(_metadata->env, 1),			\
		     "runner %.200s not found: set THV_BIN or build user/",\
		     self->bin);					\
} while (0)

/* Read what is there from fd into buf at *used; 0 at EOF. */
static inline int cmd_drain(int fd, char *buf, size_t *used)
{
	char scratch[4096];
	ssize_t n;

	if (*used < OUT_MAX - 1)
		n = read(fd, buf + *used, OUT_MAX - 1 - *used);
	else
		n = read(fd, scratch, sizeof(scratch));	/* drop the rest */
	if (n < 0 && errno == EINTR)
		return 1;
	if (n <= 0)
		return 0;
	if (*used < OUT_MAX - 1)
		*used += n;
	return 1;
}

/*
 * run_cmd() - run argv (argv[0] is the program) with input on its stdin
 * (NULL: an empty pipe), stdout and stderr captured into *res.  input is
 * small (a few stepper commands): it fits in the pipe, so it is written
 * whole first.  timeout_ms > 0: the child is killed after that long
 * (status 128 + 9).  Returns 0, or -errno if it could not be started.
 */
static inline int run_cmd(struct cmd_result *res, char *const argv[],
			  const char *input, uint64_t timeout_ms)
{
	int in[2], out[2], err[2], status, ret = 0;
	size_t out_used = 0, err_used = 0;
	uint64_t start = now_ms();
	struct pollfd pfd[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) ||
	    pipe2(err, O_CLOEXEC))
		return -errno;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(argv[0], argv);
		dprintf(STDERR_FILENO, "exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input && write(in[1], input, strlen(input)) < 0)
		ret = -errno;
	close(in[1]);

	pfd[0] = (struct pollfd){ .fd = out[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = err[0], .events = POLLIN };
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		if (timeout_ms && now_ms() - start > timeout_ms) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pfd, 2, 1000) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents && !cmd_drain(out[0], res->out, &out_used))
			pfd[0].fd = -1;
		if (pfd[1].revents && !cmd_drain(err[0], res->err, &err_used))
			pfd[1].fd = -1;
	}
	close(out[0]);
	close(err[0]);
	res->out[out_used] = '\0';
	res->err[err_used] = '\0';

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	res->ms = now_ms() - start;
	if (WIFEXITED(status))
		res->status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->status = 128 + WTERMSIG(status);
	else
		res->status = -1;
	return ret;
}

/* Print buf line by line as TAP comments ("#   | ..."). */
static inline void log_block(const char *title, const char *buf)
{
	const char *p = buf, *nl;

	fprintf(TH_LOG_STREAM, "#   %s:\n", title);
	while (*p) {
		nl = strchrnul(p, '\n');
		fprintf(TH_LOG_STREAM, "#   | %.*s\n", (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* Run `thv ARGS...` with input on stdin (NULL: none), or end the test. */
#define run_thv_in(input, ...) do {					\
	char *__argv[] = { self->bin, __VA_ARGS__, NULL };		\
	int __r;							\
									\
	memset(&self->res, 0, sizeof(self->res));			\
	__r = run_cmd(&self->res, __argv, input, 120000);		\
	ASSERT_EQ(0, __r) TH_LOG("cannot start %s: %s", self->bin,	\
				 strerror(-__r));			\
} while (0)

#define run_thv(...)	run_thv_in(NULL, __VA_ARGS__)

/* Log everything the runner said, to make a failure readable. */
#define LOG_OUTPUT() do {						\
	TH_LOG("status %d after %llu ms", self->res.status,		\
	       (unsigned long long)self->res.ms);			\
	log_block("stdout", self->res.out);				\
	log_block("stderr", self->res.err);				\
} while (0)

#define EXPECT_STATUS(want) do {					\
	EXPECT_EQ(want, self->res.status) {				\
		TH_LOG("expected exit status %d, got %d", want,		\
		       self->res.status);				\
		LOG_OUTPUT();						\
	}								\
} while (0)

#define EXPECT_CONTAINS(buf, text) do {					\
	EXPECT_NE(NULL, strstr(buf, text)) {				\
		TH_LOG("expected %s to contain \"%s\"", #buf, text);	\
		LOG_OUTPUT();						\
	}								\
} while (0)

#endif /* THV_RUN_CMD_H */
