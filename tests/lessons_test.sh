#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lessons_test.sh - run every command the lessons in docs/lessons/ show,
# in the test VM, and compare the output with what the lessons say
# (scripts/lessons.sh, packed as /thv/bin/lessons.sh; the lessons are in
# /thv/docs/lessons).  One TAP result per console block.

lib=${THV_LIB:-/thv/lib}
[ -f "$lib/tap.sh" ] || lib=$(dirname "$0")/lib
[ -f "$lib/tap.sh" ] || {
	printf 'TAP version 13\n1..0 # SKIP no tap.sh in %s\n' "$lib"
	exit 4
}
# shellcheck source=tests/lib/tap.sh
. "$lib/tap.sh"
checker=${THV_LESSONS_SH:-/thv/bin/lessons.sh}
dir=${THV_LESSONS_DIR:-/thv/docs/lessons}
if [ ! -r "$checker" ] || ! ls "$dir"/[0-9]*.md >/dev/null 2>&1; then
	tap_header
	tap_skip_all "no $checker or no lessons in $dir (not in the test VM)"
fi
if [ ! -c /dev/thv ]; then
	tap_header
	tap_skip_all "no /dev/thv: the lessons need thv.ko loaded"
fi
exec sh "$checker" --tap "$dir"/[0-9]*.md
