// SPDX-License-Identifier: GPL-2.0
/*
 * svg.c - `thv run --svg FILE`: draw the run as a picture of ring -1.
 *
 * Three horizontal lanes, top to bottom:
 *
 *	the guest             VMX non-root mode / SVM guest mode
 *	thv.ko                root mode, kernel (the hypervisor proper)
 *	thv (the runner)      root mode, user space (the device model)
 *
 * Time runs left to right.  Each VM exit the run took is a step down from
 * the guest lane to thv.ko's, labelled with its number and kind.  An exit
 * thv.ko handles by itself (a CPUID, a nested page fault) goes straight
 * back up: VM entry.  An exit that needs the device model goes on down to
 * the runner's lane (THV_RUN returns) and comes back through the kernel
 * (the next THV_RUN) before the guest runs again.  The drawing is made
 * from the exits of the run itself, as --trace reports them, so it shows
 * what really happened: nothing here is a canned picture.
 *
 * Only the first SVG_MAX_EVENTS exits are drawn; the caption says how
 * many there were in all.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "thv.h"

#define SVG_MAX_EVENTS	48
#define SVG_COL		44	/* pixels per exit */
#define SVG_LEFT	190	/* room for the lane names */
#define SVG_TOP		150	/* room for the rotated labels */
#define SVG_LANE_GAP	80
#define SVG_LABEL_LEN	32

struct svg_event {
	uint64_t seq;			/* VM exit number (run->exits) */
	bool to_user;			/* went out to the runner */
	char label[SVG_LABEL_LEN];	/* "IO", "CPUID", ... */
};

static struct svg_event svg_events[SVG_MAX_EVENTS];
static unsigned int svg_nr;
static uint64_t svg_dropped;

void svg__record(uint64_t seq, const char *label, bool to_user)
{
	struct svg_event *e;

	if (svg_nr == SVG_MAX_EVENTS) {
		svg_dropped++;
		return;
	}
	e = &svg_events[svg_nr++];
	e->seq = seq;
	e->to_user = to_user;
	snprintf(e->label, sizeof(e->label), "%s", label);
}

/* Text for an SVG text node: <, > and & must be escaped. */
static void svg__text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static void svg__arrow(FILE *f, int x1, int y1, int x2, int y2,
		       const char *cls)
{
	fprintf(f, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\" marker-end=\"url(#head)\"/>\n", cls, x1, y1, x2, y2);
}

static void svg__lane(FILE *f, int y, int width, const char *name,
		      const char *mode)
{
	fprintf(f, "<line class=\"lane\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n", SVG_LEFT - 10, y, width - 10, y);
	fprintf(f, "<text class=\"name\" x=\"10\" y=\"%d\">", y - 4);
	svg__text(f, name);
	fprintf(f, "</text>\n<text class=\"mode\" x=\"10\" y=\"%d\">", y + 14);
	svg__text(f, mode);
	fputs("</text>\n", f);
}

/*
 * One exit, in the column starting at x: a step down at x (VM exit), and
 * back up at x + SVG_COL / 2 (VM entry).  The guest's lane is drawn
 * thick where the guest runs, between the columns (svg__run).
 */
static void svg__run(FILE *f, int x1, int x2, int y)
{
	fprintf(f, "<line class=\"run\" x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		"y2=\"%d\"/>\n", x1, y, x2, y);
}

/* last: the exit that ended the run, which has no way back up. */
static void svg__event(FILE *f, const struct svg_event *e, int x, bool last,
		       int y_guest, int y_kern, int y_user)
{
	int up = x + SVG_COL / 2;

	svg__arrow(f, x, y_guest, x, y_kern - 4, "exit");
	if (e->to_user)
		svg__arrow(f, x + 4, y_kern, x + 4, y_user - 4, "out");
	if (e->to_user && !last)
		svg__arrow(f, up - 4, y_user, up - 4, y_kern + 4, "out");
	if (!last)
		svg__arrow(f, up, y_kern, up, y_guest + 4, "entry");
	fprintf(f, "<text class=\"label\" transform=\"translate(%d,%d) "
		"rotate(-60)\">#%" PRIu64 " ", x, y_guest - 8, e->seq);
	svg__text(f, e->label);
	fputs("</text>\n", f);
}

/* Write the picture; 0, or -errno after one error line. */
int svg__write(struct thv_runner *r, const char *path)
{
	int width = SVG_LEFT + (int)svg_nr * SVG_COL + 40;
	int y_guest = SVG_TOP, y_kern = SVG_TOP + SVG_LANE_GAP;
	int y_user = SVG_TOP + 2 * SVG_LANE_GAP;
	int height = y_user + 70;
	unsigned int i;
	FILE *f;
	int x;

	if (width < 640)
		width = 640;
	f = fopen(path, "w");
	if (!f) {
		thv_err("--svg %s: %s", path, strerror(errno));
		return -errno;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\">\n", width, height, width,
		height);
	fputs("<title>VM exits and entries of a thv run</title>\n"
	      "<defs><marker id=\"head\" markerWidth=\"8\" markerHeight=\"8\""
	      " refX=\"6\" refY=\"4\" orient=\"auto\">"
	      "<path d=\"M0,0 L8,4 L0,8 z\" fill=\"#333\"/></marker></defs>\n"
	      "<style>\n"
	      " text { font-family: sans-serif; font-size: 12px; }\n"
	      " .name { font-weight: bold; }\n"
	      " .mode { fill: #666; font-size: 11px; }\n"
	      " .label { font-size: 10px; }\n"
	      " .lane { stroke: #bbb; stroke-dasharray: 4 3; }\n"
	      " .run { stroke: #2a7; stroke-width: 5; }\n"
	      " .exit { stroke: #c33; stroke-width: 1.5; }\n"
	      " .entry { stroke: #36c; stroke-width: 1.5; }\n"
	      " .out { stroke: #a6c; stroke-width: 1.5; }\n"
	      "</style>\n"
	      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", f);

	svg__lane(f, y_guest, width, "the guest", "non-root (guest) mode");
	svg__lane(f, y_kern, width, "thv.ko", "root mode, kernel");
	svg__lane(f, y_user, width, "thv runner", "root mode, user space");

	/* The guest runs from the first entry to each exit. */
	x = SVG_LEFT - 20;
	for (i = 0; i < svg_nr; i++) {
		int end = SVG_LEFT + (int)i * SVG_COL;

		svg__run(f, x, end, y_guest);
		x = end + SVG_COL / 2;
	}
	if (svg_dropped)
		svg__run(f, x, width - 10, y_guest);
	for (i = 0; i < svg_nr; i++)
		svg__event(f, &svg_events[i], SVG_LEFT + (int)i * SVG_COL,
			   i + 1 == svg_nr && !svg_dropped, y_guest, y_kern,
			   y_user);

	fprintf(f, "<text x=\"10\" y=\"%d\">red: VM exit (to root mode); "
		"blue: VM entry (back to the guest); purple: THV_RUN returns "
		"to user space and is called again.</text>\n", height - 30);
	fprintf(f, "<text x=\"10\" y=\"%d\">", height - 12);
	svg__text(f, r->opt.payload_path ? r->opt.payload_path : "?");
	fputs(": ", f);
	svg__text(f, r->end_msg[0] ? r->end_msg : "still running");
	fprintf(f, "; %u VM exit%s drawn", svg_nr, svg_nr == 1 ? "" : "s");
	if (svg_dropped)
		fprintf(f, " (the first %u; %" PRIu64 " more not drawn)",
			svg_nr, svg_dropped);
	fputs(".</text>\n</svg>\n", f);
	if (fclose(f)) {
		thv_err("--svg %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * `thv run --map-svg FILE`: the memory of the VM as the hardware sees it,
 * drawn from the live nested page table (EPT or NPT) just before the VM
 * is destroyed.  thv.ko walks the table for us in debugfs
 * (/sys/kernel/debug/thv/vm-<our pid>-<n>/npt, kmod/debugfs.c): one line
 * per run of pages that are contiguous in both address spaces,
 *
 *	0xGPA-0xGPA_END -> 0xHPA-0xHPA_END PAGES PERM LEVEL
 *
 * Left: guest-physical memory, to scale, as the guest believes it is laid
 * out.  Right: the host pages behind it, in host-physical order, with the
 * gaps between them squeezed out (a host has gigabytes; the guest's pages
 * are a handful of frames scattered in them).  A line joins each guest
 * run to its host run.  Only pages the guest has touched are mapped:
 * thv.ko fills the table lazily, at the first nested page fault on each
 * page (lesson 4).
 */
#define MAP_MAX_RUNS	64

struct map_run {
	uint64_t gpa, hpa, pages;
	char perm[8];
};

static int map__cmp_hpa(const void *a, const void *b)
{
	const struct map_run *x = *(const struct map_run * const *)a;
	const struct map_run *y = *(const struct map_run * const *)b;

	return x->hpa < y->hpa ? -1 : x->hpa > y->hpa;
}

/* Our VM's npt file: the only vm-<pid>-* directory of this process. */
static FILE *map__open(char *path, size_t len)
{
	static const char root[] = "/sys/kernel/debug/thv";
	char prefix[32];
	struct dirent *d;
	FILE *f = NULL;
	DIR *dir;

	snprintf(prefix, sizeof(prefix), "vm-%d-", (int)getpid());
	dir = opendir(root);
	if (!dir)
		return NULL;
	while (!f && (d = readdir(dir))) {
		if (strncmp(d->d_name, prefix, strlen(prefix)))
			continue;
		snprintf(path, len, "%s/%.64s/npt", root, d->d_name);
		f = fopen(path, "r");
	}
	closedir(dir);
	return f;
}

int svg__write_map(struct thv_runner *r, const char *path)
{
	static struct map_run runs[MAP_MAX_RUNS];
	struct map_run *by_hpa[MAP_MAX_RUNS];
	char line[256], src[160], header[160] = "";
	uint64_t gpa_end = 0, more = 0;
	unsigned int nr = 0, i;
	int height, y, gy, hy;
	FILE *in, *f;

	in = map__open(src, sizeof(src));
	if (!in) {
		thv_err("--map-svg: no /sys/kernel/debug/thv/vm-%d-*/npt "
			"(is debugfs mounted?)", (int)getpid());
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), in)) {
		unsigned long long g0, g1, h0, h1, pages;
		char perm[8];

		if (line[0] == '#') {
			if (!header[0])
				snprintf(header, sizeof(header), "%.150s",
					 line + 2);
			continue;
		}
		if (sscanf(line, "%llx-%llx -> %llx-%llx %llu %7s", &g0, &g1,
			   &h0, &h1, &pages, perm) != 6)
			continue;
		if (nr == MAP_MAX_RUNS) {
			more++;
			continue;
		}
		runs[nr].gpa = g0;
		runs[nr].hpa = h0;
		runs[nr].pages = pages;
		snprintf(runs[nr].perm, sizeof(runs[nr].perm), "%s", perm);
		if (g1 + 1 > gpa_end)
			gpa_end = g1 + 1;
		by_hpa[nr] = &runs[nr];
		nr++;
	}
	fclose(in);
	header[strcspn(header, "\n")] = '\0';
	if (gpa_end < r->opt.mem_size)
		gpa_end = r->opt.mem_size;
	qsort(by_hpa, nr, sizeof(by_hpa[0]), map__cmp_hpa);

	f = fopen(path, "w");
	if (!f) {
		thv_err("--map-svg %s: %s", path, strerror(errno));
		return -errno;
	}
	height = 120 + (int)(nr ? nr : 1) * 26 + 60;
	if (height < 420)
		height = 420;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" "
		"height=\"%d\" viewBox=\"0 0 900 %d\">\n"
		"<title>Guest-physical to host-physical: the live nested page "
		"table</title>\n<style>\n"
		" text { font-family: sans-serif; font-size: 12px; }\n"
		" .mono { font-family: monospace; font-size: 11px; }\n"
		" .ram { fill: #eef; stroke: #99b; }\n"
		" .run { fill: #7a7; stroke: #363; }\n"
		" .host { fill: #fc8; stroke: #a63; }\n"
		" .map { stroke: #555; stroke-width: 1; fill: none; }\n"
		"</style>\n<rect width=\"100%%\" height=\"100%%\" "
		"fill=\"white\"/>\n", height, height);
	fputs("<text x=\"20\" y=\"24\" font-weight=\"bold\">", f);
	svg__text(f, r->opt.payload_path ? r->opt.payload_path : "?");
	fputs(": guest-physical memory and the host pages behind it</text>\n"
	      "<text x=\"20\" y=\"42\">", f);
	svg__text(f, header[0] ? header : "nested page table");
	fprintf(f, " (from %s)</text>\n", src);

	/* Left: guest-physical 0 .. gpa_end to scale, 80 px .. height-60. */
	gy = 80;
	fprintf(f, "<text x=\"40\" y=\"70\">guest-physical (the guest's "
		"\"RAM\")</text>\n<rect class=\"ram\" x=\"40\" y=\"%d\" "
		"width=\"140\" height=\"%d\"/>\n", gy, height - 60 - gy);
	fprintf(f, "<text class=\"mono\" x=\"186\" y=\"%d\">0x0</text>\n"
		"<text class=\"mono\" x=\"186\" y=\"%d\">0x%" PRIx64
		"</text>\n", gy + 10, height - 60, gpa_end);
	fprintf(f, "<text x=\"420\" y=\"70\">host-physical pages, in "
		"address order (gaps squeezed out)</text>\n");
	for (i = 0; i < nr; i++) {
		struct map_run *m = by_hpa[i];
		double span = (double)(height - 60 - gy);
		int y0 = gy + (int)(span * (double)m->gpa / (double)gpa_end);
		int h = (int)(span * (double)(m->pages << 12) /
			      (double)gpa_end);

		if (h < 2)
			h = 2;
		hy = 80 + (int)i * 26;
		fprintf(f, "<rect class=\"run\" x=\"40\" y=\"%d\" width=\"140\" "
			"height=\"%d\"/>\n", y0, h);
		fprintf(f, "<rect class=\"host\" x=\"420\" y=\"%d\" "
			"width=\"90\" height=\"20\"/>\n", hy);
		fprintf(f, "<path class=\"map\" d=\"M180,%d C300,%d 300,%d "
			"420,%d\"/>\n", y0 + h / 2, y0 + h / 2, hy + 10,
			hy + 10);
		fprintf(f, "<text class=\"mono\" x=\"520\" y=\"%d\">GPA 0x%"
			PRIx64 " -&gt; HPA 0x%" PRIx64 " (%" PRIu64 " page%s, "
			"%s)</text>\n", hy + 14, m->gpa, m->hpa, m->pages,
			m->pages == 1 ? "" : "s", m->perm);
	}
	y = height - 30;
	fprintf(f, "<text x=\"20\" y=\"%d\">green: guest pages mapped "
		"(touched at least once); the rest of the guest's RAM has no "
		"host page yet.", y);
	if (more)
		fprintf(f, " %" PRIu64 " more runs not drawn.", more);
	fputs("</text>\n</svg>\n", f);
	if (fclose(f)) {
		thv_err("--map-svg %s: %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}
