// SPDX-License-Identifier: GPL-2.0
/*
 * console.c - the guest's output and the runner's lines on one screen.
 *
 * The runner writes to two streams: the guest's bytes (UART, puts
 * hypercall, ucall PRINT) go to stdout, its own lines (--trace, the
 * stepper's exit line, errors, the summary) to stderr.  Often both are
 * the same terminal, or `2>&1` sends both into one file or pipe.  Then a
 * guest that has printed "H" but not yet the rest of its line would get
 * the runner's line glued to it:
 *
 *   Hthv: #6 IO: OUT port 0x3f8, 1 byte, value 0x65 (UART THR 'e'); ...
 *
 * console__fresh_line() is called before each such line: if the guest
 * left a partial line on the screen, it first ends that row with a
 * newline (on stderr: the guest's own bytes on stdout stay exactly what
 * the guest sent).  It adds nothing when the guest's last byte was a
 * newline, and nothing when stdout and stderr go to different places
 * (the guest's output in a file, the trace on the terminal), so no blank
 * lines appear and the guest's output file stays byte for byte the
 * guest's.
 *
 * "Left on the screen" needs care: stdout is a stdio stream with a
 * buffer.  While tracing it is line buffered, so a partial line may
 * still sit in the buffer (and will come out later, after the trace
 * line, on a fresh row anyway); only bytes that were actually written
 * (an fflush(), as the stepper does at each stop) are on the screen.
 * __fpending() (glibc, musl) says how many bytes wait in the buffer:
 * if the guest's partial line is longer than that, some of it is out.
 */
#define _GNU_SOURCE	/* memrchr() */
#include <stdio.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "thv.h"

static struct {
	bool shared;		/* stdout and stderr: the same file */
	size_t partial;		/* guest bytes since its last '\n' */
} con;

void console__init(void)
{
	struct stat out, err;

	/*
	 * The same open file (a terminal, a pipe, a regular file) has the
	 * same device and inode number.  Two different terminals do not,
	 * which is why this is not just isatty() on both.
	 */
	con.shared = !fstat(STDOUT_FILENO, &out) &&
		     !fstat(STDERR_FILENO, &err) &&
		     out.st_dev == err.st_dev && out.st_ino == err.st_ino;
	con.partial = 0;
}

void console__guest_write(const void *buf, size_t len)
{
	const char *nl = memrchr(buf, '\n', len);

	fwrite(buf, 1, len, stdout);
	if (nl)
		con.partial = len - (nl - (const char *)buf) - 1;
	else
		con.partial += len;
}

void console__fresh_line(void)
{
	size_t pending;

	if (!con.shared)
		return;
	pending = __fpending(stdout);
	if (con.partial <= pending)
		return;		/* none of the partial line is out yet */
	fputc('\n', stderr);
	/* What still waits in the buffer will start a row of its own. */
	con.partial = pending;
}
