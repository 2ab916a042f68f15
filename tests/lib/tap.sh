# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# tap.sh - TAP (Test Anything Protocol, version 13) output for the test
# scripts: tests/*_test.sh in the test VM (busybox sh), scripts/test-*.sh
# and scripts/lessons.sh on the host (bash) or in the VM.  POSIX sh only.
# Source it:   . /thv/lib/tap.sh   (in the VM; tests/lib/tap.sh here)
#
# What a TAP stream looks like, and what each function prints:
#
#   TAP version 13                 tap_header
#   1..3                           tap_plan 3
#   ok 1 the pane is 80x24         tap_result 0 "the pane is 80x24"
#   not ok 2 the prompt appears    tap_result 1 "the prompt appears"
#   ok 3 step # SKIP no MTF        tap_skip "step" "no MTF"
#
# or, when a script cannot test anything here, a plan of nothing:
#
#   1..0 # SKIP no tmux            tap_skip_all "no tmux"  (and exit 4)
#
# Lines that start with '#' are diagnostics: TAP readers (and
# scripts/check.sh) show them but do not count them.  A "# SKIP" after a
# test's name is a directive, which is why tap_skip and tap_escape keep a
# reason or a name from carrying a '#' of its own.
#
# Functions:
#   tap_header              "TAP version 13"
#   tap_plan N              "1..N": N results will follow
#   tap_skip_plan REASON    "1..0 # SKIP REASON" (the script goes on, e.g.
#                           to clean up, and exits 4 itself)
#   tap_skip_all REASON     the same, then exit 4 (the kselftest "skip"
#                           status that the test VM's /init reports)
#   tap_result STATUS NAME  "ok N NAME" if STATUS is 0, else "not ok N
#                           NAME"; returns 0 or 1 accordingly
#   tap_skip NAME REASON    "ok N NAME # SKIP REASON"
#   tap_escape TEXT...      TEXT as one line that is safe as a name:
#                           line breaks become " | ", '#' becomes "\#"
#   tap_done                status 0 if no result failed, 1 otherwise:
#                           the script's last command
#   tap STATUS NAME         tap_result, unless the script defines its own
#                           tap() (to print diagnostics around a failure)
#
# Counters (read them, do not set them): tap_n results so far, tap_fails
# of them "not ok".

tap_n=0
tap_fails=0

tap_header() {
	echo "TAP version 13"
}

tap_plan() {
	echo "1..$1"
}

tap_skip_plan() {
	echo "1..0 # SKIP $1"
}

tap_skip_all() {
	tap_skip_plan "$1"
	exit 4
}

tap_result() {
	tap_n=$((tap_n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $tap_n $2"
		return 0
	fi
	echo "not ok $tap_n $2"
	tap_fails=$((tap_fails + 1))
	return 1
}

tap_skip() {
	tap_n=$((tap_n + 1))
	# One line, and no second directive: '#' in the reason becomes '.'.
	echo "ok $tap_n $1 # SKIP $(printf '%s' "$2" | tr '\n#' ' .')"
}

tap_escape() {
	printf '%s\n' "$*" | sed 's/#/\\#/g' |
		awk '{ printf "%s%s", (NR > 1 ? " | " : ""), $0 }'
}

tap_done() {
	[ "$tap_fails" -eq 0 ]
}

tap() {
	tap_result "$@"
}
