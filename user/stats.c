// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - `thv run --stats` and `--json`: where the time went.
 *
 * Two views of the same run:
 *
 *   thv.ko's view (THV_GET_EXIT_STATS): every VM exit by kind, and the
 *   time from the VM exit to the next VM entry, whoever handled it.  An
 *   exit handled in the kernel (CPUID, a nested page fault on RAM) costs
 *   a few microseconds under hardware virtualization; one that goes to
 *   user space costs the trip out of the ioctl and back too.
 *
 *   the runner's view: the exits that came to user space, by reason,
 *   and the time this process spent in its handler for them (device
 *   models, the UART write to stdout, HLT's wait for an interrupt).
 *
 * The JSON object is written by hand: numbers are plain integers and
 * the only strings go through thv_json_str() (user/lib/thv_json.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"

/* "CPUID" -> "cpuid": the names --break and the JSON keys use. */
static const char *stats__lower(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = tolower((unsigned char)name[i]);
	buf[i] = '\0';
	return buf;
}

/* 1234 -> "1.2 us": a duration in a unit a person can read. */
static const char *stats__time(uint64_t ns, char *buf, size_t len)
{
	if (ns < 10000)
		snprintf(buf, len, "%" PRIu64 " ns", ns);
	else if (ns < 10000000)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	return buf;
}

static void stats__row(const char *name, uint64_t count, uint64_t ns)
{
	char low[32], total[32], avg[32];

	fprintf(stderr, "  %-14s %10" PRIu64 " %12s %12s\n",
		stats__lower(name, low, sizeof(low)), count,
		stats__time(ns, total, sizeof(total)),
		stats__time(count ? ns / count : 0, avg, sizeof(avg)));
}

void stats__print(struct thv_runner *r)
{
	struct thv_exit_stats st;
	uint64_t ns = 0;
	uint32_t i;
	int ret;

	fflush(stdout);
	ret = thv_get_exit_stats(&r->vm, &st);
	if (ret) {
		fprintf(stderr, "thv: --stats: no per-kind counts from thv.ko "
			"(THV_GET_EXIT_STATS: %s); the runner's own follow\n",
			strerror(-ret));
	} else {
		fprintf(stderr, "thv: VM exits by kind (thv.ko; time from the "
			"exit to the next entry)\n");
		fprintf(stderr, "  %-14s %10s %12s %12s\n", "kind", "count",
			"total", "average");
		for (i = 0; i < THV_KIND_NR && i < 32; i++) {
			if (!st.count[i])
				continue;
			stats__row(thv_kind_name(i), st.count[i], st.ns[i]);
			ns += st.ns[i];
		}
		stats__row("all", st.exits, ns);
	}
	fprintf(stderr, "thv: exits in user space by reason (the runner's "
		"time in its handlers)\n");
	fprintf(stderr, "  %-14s %10s %12s %12s\n", "reason", "count", "total",
		"average");
	ns = 0;
	for (i = 0; i <= THV_EXIT_MAX; i++) {
		if (!r->exits_by_reason[i])
			continue;
		stats__row(i < THV_EXIT_MAX ? thv_exit_name(i) : "unknown",
			   r->exits_by_reason[i], r->user_ns[i]);
		ns += r->user_ns[i];
	}
	stats__row("all", r->exits, ns);
}

/* "name": {"count": N, "ns": T} */
static void stats__json_entry(FILE *f, bool *first, const char *name,
			      uint64_t count, uint64_t ns)
{
	char low[32];

	fprintf(f, "%s\n    ", *first ? "" : ",");
	thv_json_str(f, stats__lower(name, low, sizeof(low)));
	fprintf(f, ": {\"count\": %" PRIu64 ", \"ns\": %" PRIu64 "}", count,
		ns);
	*first = false;
}

static void stats__json_write(FILE *f, struct thv_runner *r)
{
	struct thv_exit_stats st;
	bool first = true;
	char low[32];
	uint32_t i;

	fprintf(f, "{\n  \"status\": %d,\n  \"end\": ", r->status);
	thv_json_str(f, r->end_msg);
	fprintf(f, ",\n  \"exits\": %" PRIu64 ",\n  \"vm_exits\": %" PRIu64
		",\n  \"steps_no_vm_exit\": %" PRIu64
		",\n  \"windows_no_vm_exit\": %" PRIu64
		",\n  \"user\": {", r->exits,
		(uint64_t)(r->vm.run ? r->vm.run->exits : 0),
		r->steps_no_vmexit, r->windows_no_vmexit);
	for (i = 0; i <= THV_EXIT_MAX; i++)
		if (r->exits_by_reason[i])
			stats__json_entry(f, &first, i < THV_EXIT_MAX ?
					  thv_exit_name(i) : "unknown",
					  r->exits_by_reason[i], r->user_ns[i]);
	fprintf(f, "%s},\n  \"kernel\": ", first ? "" : "\n  ");
	/* null: this thv.ko cannot say (no THV_GET_EXIT_STATS). */
	if (thv_get_exit_stats(&r->vm, &st)) {
		fprintf(f, "null\n}\n");
		return;
	}
	fprintf(f, "{\n    \"exits\": %" PRIu64 ",\n    \"kinds\": {",
		(uint64_t)st.exits);
	first = true;
	for (i = 0; i < THV_KIND_NR && i < 32; i++) {
		if (!st.count[i])
			continue;
		fprintf(f, "%s\n      ", first ? "" : ",");
		thv_json_str(f, stats__lower(thv_kind_name(i), low,
					     sizeof(low)));
		fprintf(f, ": {\"count\": %" PRIu64 ", \"ns\": %" PRIu64 "}",
			(uint64_t)st.count[i], (uint64_t)st.ns[i]);
		first = false;
	}
	fprintf(f, "%s}\n  }\n}\n", first ? "" : "\n    ");
}

int stats__json(struct thv_runner *r)
{
	const char *path = r->opt.json_path;
	FILE *f = stdout;

	if (path && strcmp(path, "-")) {
		f = fopen(path, "w");
		if (!f) {
			thv_err("--json %s: %s", path, strerror(errno));
			return THV_STATUS_OSERR;
		}
	}
	fflush(stdout);
	stats__json_write(f, r);
	if (f == stdout) {
		fflush(f);
		return 0;
	}
	if (fclose(f)) {
		thv_err("--json %s: %s", path, strerror(errno));
		return THV_STATUS_OSERR;
	}
	return 0;
}
