#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tap_lib_test.sh - tests/lib/tap.sh, the TAP output every test script
# shares, under the shell that runs the tests (busybox sh in the VM):
# each function is run in a subshell and what it prints, and its status,
# must be exactly the TAP text the scripts printed before they shared it.
# TAP on stdout (from tap.sh itself: if it is broken, so is this
# output, and the VM's harness says so).

lib=${THV_LIB:-/thv/lib}
[ -f "$lib/tap.sh" ] || lib=$(dirname "$0")/lib
[ -f "$lib/tap.sh" ] || {
	printf 'TAP version 13\n1..0 # SKIP no tap.sh in %s\n' "$lib"
	exit 4
}
# shellcheck source=tests/lib/tap.sh
. "$lib/tap.sh"
tmp=$(mktemp -d /tmp/thv-tap.XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT

tap_header
tap_plan 5

# same WANT-TEXT COMMANDS: run COMMANDS in a subshell with tap.sh; their
# output plus "status N" must be WANT-TEXT.  A difference is shown as
# TAP comments.
same() {
	printf '%s\n' "$1" >"$tmp/want"
	(
		tap_n=0 tap_fails=0
		eval "$2"
	) >"$tmp/got" 2>&1
	echo "status $?" >>"$tmp/got"
	cmp -s "$tmp/want" "$tmp/got" && return 0
	echo "# want:"
	sed 's/^/#   |/' "$tmp/want"
	echo "# got:"
	sed 's/^/#   |/' "$tmp/got"
	return 1
}

same 'TAP version 13
1..3
ok 1 first
not ok 2 second
ok 3 third
status 1' 'tap_header; tap_plan 3; tap_result 0 first; tap_result 1 second
tap_result 0 third; tap_done'
tap_result $? "ok / not ok, numbered 1, 2, 3; tap_done fails after a failure"

same 'ok 1 a
ok 2 b
status 0' 'tap 0 a; tap 0 b; tap_done'
tap_result $? "tap is tap_result; tap_done passes when all passed"

same 'ok 1 step # SKIP no single.step here twice
status 0' "tap_skip step 'no single#step here
twice'; tap_done"
tap_result $? "tap_skip: one line, no second directive"

same 'line one | it\#3 end
status 0' "tap_escape 'line one
it#3' end; echo"
tap_result $? "tap_escape: line breaks as ' | ', hash marks escaped"

same '1..0 # SKIP no tmux here
status 4' 'tap_skip_all "no tmux here"; echo "not reached"'
tap_result $? "tap_skip_all: the empty plan, exit status 4"

tap_done
