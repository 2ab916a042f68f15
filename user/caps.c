// SPDX-License-Identifier: GPL-2.0
/*
 * caps.c - open /dev/thv, check it speaks our API, and `thv caps`: print
 * what THV_GET_CAPS says in words.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "thv.h"

/*
 * Open path and make sure it is thv with our API version.  Returns an fd,
 * or -(exit status) after printing one error line.
 */
int caps__open(const char *path, struct thv_caps *caps)
{
	int fd, ver, ret;

	fd = thv_open_dev(path);
	if (fd < 0) {
		bool perm = fd == -EACCES || fd == -EPERM;

		thv_err("%s: cannot open: %s%s", path, strerror(-fd),
			fd == -ENOENT ? " (is thv.ko loaded?)" : "");
		return -(perm ? THV_STATUS_NOPERM : THV_STATUS_UNAVAILABLE);
	}
	ver = ioctl(fd, THV_GET_API_VERSION, 0);
	if (ver < 0) {
		thv_err("%s: not a thv device: THV_GET_API_VERSION: %s", path,
			strerror(errno));
		ret = -THV_STATUS_UNAVAILABLE;
		goto out_close;
	}
	if (ver != THV_API_VERSION) {
		thv_err("%s: API version %d, but this runner speaks %d", path,
			ver, THV_API_VERSION);
		ret = -THV_STATUS_PROTOCOL;
		goto out_close;
	}
	ret = thv_get_caps(fd, caps);
	if (ret < 0) {
		thv_err("%s: THV_GET_CAPS: %s", path, strerror(-ret));
		ret = -THV_STATUS_OSERR;
		goto out_close;
	}
	return fd;

out_close:
	close(fd);
	return ret;
}

static const char *caps__backend_name(uint32_t backend)
{
	switch (backend) {
	case THV_BACKEND_SVM:
		return "AMD SVM (VMCB, VMRUN, nested page tables)";
	case THV_BACKEND_VMX:
		return "Intel VMX (VMCS, VMLAUNCH/VMRESUME, EPT)";
	default:
		return "unknown";
	}
}

static void caps__flag(const char *name, uint32_t flags, uint32_t bit,
		       const char *why_no)
{
	bool on = flags & bit;

	printf("%-20s %s%s%s\n", name, on ? "yes" : "no",
	       !on && why_no ? ": " : "", !on && why_no ? why_no : "");
}

/* "1 GiB", "512 MiB", or bytes. */
static void caps__print_size(const char *name, uint64_t v)
{
	if (v && !(v & ((1ULL << 30) - 1)))
		printf("%-20s %" PRIu64 " GiB\n", name, v >> 30);
	else if (v && !(v & ((1ULL << 20) - 1)))
		printf("%-20s %" PRIu64 " MiB\n", name, v >> 20);
	else
		printf("%-20s %" PRIu64 " bytes\n", name, v);
}

static void caps__print(const char *path, const struct thv_caps *c)
{
	unsigned int bits = 0;

	while (bits < 64 && (1ULL << bits) < c->max_gpa)
		bits++;

	printf("%-20s %s, API version %d\n", "device", path, THV_API_VERSION);
	printf("%-20s %s\n", "backend", caps__backend_name(c->backend));
	caps__flag("nested paging", c->flags, THV_CAP_NESTED_PAGING, NULL);
	if (c->flags & THV_CAP_NESTED_PAGING)
		printf("%-20s %u\n", "  page-table levels", c->npt_levels);
	if (c->backend == THV_BACKEND_SVM) {
		caps__flag("NRIPS", c->flags, THV_CAP_NRIPS,
			   "thv.ko computes the next RIP itself");
		caps__flag("decode assists", c->flags, THV_CAP_DECODE_ASSISTS,
			   "thv.ko fetches and decodes MMIO instructions itself");
		caps__flag("flush by ASID", c->flags, THV_CAP_FLUSH_BY_ASID,
			   "a TLB flush flushes every ASID");
	} else {
		caps__flag("VPID", c->flags, THV_CAP_VPID, NULL);
		caps__flag("unrestricted guest", c->flags, THV_CAP_UNRESTRICTED,
			   NULL);
		caps__flag("monitor trap flag", c->flags, THV_CAP_MTF,
			   "single-step by RFLAGS.TF and #DB");
	}
	printf("%-20s %u\n", c->backend == THV_BACKEND_VMX ? "VPIDs" : "ASIDs",
	       c->nr_asids);
	printf("%-20s %u\n", "max vCPUs per VM", c->max_vcpus);
	printf("%-20s %u\n", "max memory slots", c->max_mem_slots);
	caps__print_size("max guest memory", c->max_mem_bytes);
	printf("%-20s 0x%" PRIx64 " (%u physical address bits)\n",
	       "max guest-physical", (uint64_t)c->max_gpa, bits);
}

static void caps__usage(FILE *f)
{
	fprintf(f,
		"Usage: thv caps [--dev PATH]\n"
		"Print the capabilities of thv.ko (THV_GET_CAPS) in words.\n"
		"  --dev PATH   device to ask (default %s)\n"
		"  -h, --help   this help\n", THV_DEV_PATH);
}

int caps__main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = THV_DEV_PATH;
	struct thv_caps caps;
	int c, fd;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			path = optarg;
			break;
		case 'h':
			caps__usage(stdout);
			return THV_STATUS_OK;
		default:
			thv_err("caps: bad option '%s' (see thv caps --help)",
				argv[optind - 1]);
			return THV_STATUS_USAGE;
		}
	}
	if (optind < argc) {
		thv_err("caps: unexpected argument '%s'", argv[optind]);
		return THV_STATUS_USAGE;
	}
	fd = caps__open(path, &caps);
	if (fd < 0)
		return -fd;
	caps__print(path, &caps);
	close(fd);
	return THV_STATUS_OK;
}
