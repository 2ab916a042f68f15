// SPDX-License-Identifier: GPL-2.0
/*
 * payload.c - read a flat binary guest image and check that it fits.
 *
 * A payload is a raw memory image (ld -Ttext=ADDR + objcopy -O binary):
 * its first byte is copied to guest-physical --load and execution starts
 * there.  Checks: it must be a readable, non-empty regular file; it must
 * fit in guest RAM above --load; a real-mode payload must start below
 * 64 KiB (CS is 0, IP is 16 bits) and end below 1 MiB (the most real mode
 * can address, APM Vol. 2 1.2.4).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "thv.h"

#define REAL_MODE_IP_LIMIT	0x10000ULL
#define REAL_MODE_MEM_LIMIT	0x100000ULL

/* Read all of fd into a new buffer of st_size bytes. */
static int payload__read_all(int fd, const char *path, size_t size,
			     void **buf)
{
	size_t done = 0;
	char *p = malloc(size);

	if (!p) {
		thv_err("%s: %s", path, strerror(ENOMEM));
		return THV_STATUS_OSERR;
	}
	while (done < size) {
		ssize_t n = read(fd, p + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			thv_err("%s: cannot read: %s", path,
				n < 0 ? strerror(errno) : "file shrank while reading");
			free(p);
			return THV_STATUS_NOINPUT;
		}
		done += n;
	}
	*buf = p;
	return THV_STATUS_OK;
}

int payload__read(const struct thv_options *opt, void **buf, size_t *len)
{
	const char *path = opt->payload_path;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		thv_err("%s: cannot open payload: %s", path, strerror(errno));
		return THV_STATUS_NOINPUT;
	}
	if (fstat(fd, &st) < 0) {
		thv_err("%s: cannot stat payload: %s", path, strerror(errno));
		ret = THV_STATUS_NOINPUT;
		goto out_close;
	}
	if (S_ISDIR(st.st_mode)) {
		thv_err("%s: payload is a directory, not a flat binary", path);
		ret = THV_STATUS_NOINPUT;
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		thv_err("%s: payload is not a regular file", path);
		ret = THV_STATUS_NOINPUT;
		goto out_close;
	}
	if (st.st_size == 0) {
		thv_err("%s: payload is empty", path);
		ret = THV_STATUS_DATAERR;
		goto out_close;
	}
	*len = st.st_size;
	ret = payload__check(opt, *len);
	if (ret)
		goto out_close;
	ret = payload__read_all(fd, path, *len, buf);
out_close:
	close(fd);
	return ret;
}

int payload__check(const struct thv_options *opt, size_t len)
{
	const char *path = opt->payload_path;
	uint64_t load = opt->load_addr, mem = opt->mem_size;

	if (load >= mem) {
		thv_err("--load 0x%" PRIx64 ": outside guest RAM (0x%" PRIx64
			" bytes)", load, mem);
		return THV_STATUS_DATAERR;
	}
	if (len > mem - load) {
		thv_err("%s: payload too big: %zu bytes at 0x%" PRIx64
			" but only %" PRIu64 " bytes of guest RAM above it",
			path, len, load, mem - load);
		return THV_STATUS_DATAERR;
	}
	if (opt->entry != THV_ENTRY_REAL)
		return THV_STATUS_OK;
	if (load >= REAL_MODE_IP_LIMIT) {
		thv_err("--load 0x%" PRIx64 ": real-mode entry must be below "
			"0x10000 (CS = 0, 16-bit IP)", load);
		return THV_STATUS_DATAERR;
	}
	if (load + len > REAL_MODE_MEM_LIMIT) {
		thv_err("%s: real-mode payload must end below 1 MiB, but it "
			"ends at 0x%" PRIx64, path, load + len);
		return THV_STATUS_DATAERR;
	}
	return THV_STATUS_OK;
}
