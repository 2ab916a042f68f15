// SPDX-License-Identifier: GPL-2.0
/*
 * hypercalls.c - what the runner does for each hypercall number (the
 * table is documented in hypercalls.h and in `thv run --help`).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "thv.h"
#include "hypercalls.h"

#define HC_ERROR	((uint64_t)-1)

typedef uint64_t (*hypercall_fn)(struct thv_runner *r, const uint64_t a[4]);

static uint64_t hc_puts(struct thv_runner *r, const uint64_t a[4])
{
	uint64_t gpa = a[0];
	const char *s = thv_gpa_to_hva(&r->vm, gpa);
	size_t max, len;

	if (!s)
		return HC_ERROR;
	max = r->vm.mem_size - gpa;
	if (max > THV_HC_PUTS_MAX)
		max = THV_HC_PUTS_MAX;
	len = strnlen(s, max);
	if (len == max)
		return HC_ERROR;	/* no NUL in RAM or over the limit */
	console__guest_write(s, len);
	fflush(stdout);
	return len;
}

static uint64_t hc_add(struct thv_runner *r, const uint64_t a[4])
{
	(void)r;
	return a[0] + a[1] + a[2] + a[3];
}

static uint64_t hc_exit(struct thv_runner *r, const uint64_t a[4])
{
	unsigned int code = a[0] & 0xff;

	runner__finish(r, code, "guest exited with code %u (hypercall)", code);
	return 0;
}

static uint64_t hc_version(struct thv_runner *r, const uint64_t a[4])
{
	(void)r;
	(void)a;
	return THV_HC_ABI_VERSION;
}

static const struct {
	const char *name;
	hypercall_fn fn;
	const char *help;
} hypercall_table[] = {
	[THV_HC_PUTS]	 = { "puts", hc_puts,
			     "print the NUL-terminated string at guest-physical RBX; "
			     "returns its length" },
	[THV_HC_ADD]	 = { "add", hc_add, "returns RBX + RCX + RDX + RSI" },
	[THV_HC_EXIT]	 = { "exit", hc_exit, "end the run with status RBX & 0xff" },
	[THV_HC_VERSION] = { "version", hc_version, "returns 1" },
};

#define HC_COUNT (sizeof(hypercall_table) / sizeof(hypercall_table[0]))

uint64_t hypercall__dispatch(struct thv_runner *r, uint64_t nr,
			     const uint64_t args[4], char *desc,
			     size_t desc_len)
{
	uint64_t ret;

	if (nr >= HC_COUNT || !hypercall_table[nr].fn) {
		snprintf(desc, desc_len, "(unknown) -> ret -1");
		return HC_ERROR;
	}
	ret = hypercall_table[nr].fn(r, args);
	snprintf(desc, desc_len, "(%s) -> ret 0x%" PRIx64,
		 hypercall_table[nr].name, ret);
	return ret;
}

void hypercall__print_table(FILE *f)
{
	unsigned int i;

	for (i = 0; i < HC_COUNT; i++)
		fprintf(f, "  %u %-8s %s\n", i, hypercall_table[i].name,
			hypercall_table[i].help);
	fprintf(f, "  other      returns -1 (all ones) in RAX\n");
}
