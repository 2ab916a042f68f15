#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lessons_test.sh - run every command the lessons in docs/lessons/ show,
# in the test VM, and compare the output with what the lessons say
# (scripts/lessons.sh, packed as /thv/bin/lessons.sh; the lessons are in
# /thv/docs/lessons).  One TAP result per console block.

checker=${THV_LESSONS_SH:-/thv/bin/lessons.sh}
dir=${THV_LESSONS_DIR:-/thv/docs/lessons}
if [ ! -r "$checker" ] || ! ls "$dir"/[0-9]*.md >/dev/null 2>&1; then
	echo "TAP version 13"
	echo "1..0 # SKIP no $checker or no lessons in $dir (not in the test VM)"
	exit 4
fi
if [ ! -c /dev/thv ]; then
	echo "TAP version 13"
	echo "1..0 # SKIP no /dev/thv: the lessons need thv.ko loaded"
	exit 4
fi
exec sh "$checker" --tap "$dir"/[0-9]*.md
