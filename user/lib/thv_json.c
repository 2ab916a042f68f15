// SPDX-License-Identifier: GPL-2.0
/*
 * thv_json.c - the one piece of JSON writing that is easy to get wrong:
 * strings.  `thv run --json` writes its object by hand (no library), and
 * every string in it goes through here.
 *
 * RFC 8259 section 7: inside the quotes, '"' and '\' must be escaped,
 * and so must every control character U+0000..U+001F.  The short forms
 * \b \f \n \r \t exist for five of them; the rest are written \u00XX.
 * Everything else (UTF-8 bytes included) is copied as it is.
 */
#include "thv_lib.h"

void thv_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}
