#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tmux_smoke_test.sh - prove that tests/lib/tmux.sh can drive a program
# through a real terminal in the test VM: start busybox sh in a tmux
# session, type commands, see their output on the screen, exit.  Tests of
# interactive programs (thv run --step) build on this.  TAP on stdout.
#
# The libraries (tmux.sh, tap.sh) come from $THV_LIB, else /thv/lib (the
# test VM), else tests/lib next to this script (a host checkout).

lib=${THV_LIB:-/thv/lib}
[ -f "$lib/tap.sh" ] || lib=$(dirname "$0")/lib
[ -f "$lib/tap.sh" ] || {
	printf 'TAP version 13\n1..0 # SKIP no tap.sh in %s\n' "$lib"
	exit 4
}
# shellcheck source=tests/lib/tap.sh
. "$lib/tap.sh"
tap_header
command -v tmux >/dev/null 2>&1 ||
	tap_skip_all "no tmux (scripts/install-deps.sh installs it)"
[ -f "$lib/tmux.sh" ] || tap_skip_all "no tmux.sh library in /thv/lib or $lib"
# shellcheck source=tests/lib/tmux.sh
. "$lib/tmux.sh"

trap tmux_stop EXIT
tap_plan 7

# A shell with a prompt we can recognise; ENV= keeps a profile out.
tmux_start smoke 80 24 \
	"env -i PATH=$PATH HOME=/tmp TERM=screen ENV= PS1='smoke\$ ' sh -i"
tap $? "tmux starts a session running sh"

size=$(_tmux display-message -p -t smoke '#{pane_width}x#{pane_height}')
[ "$size" = 80x24 ]
tap $? "the pane is 80x24 (got '$size')"

tmux_wait smoke '^smoke\$' 10
tap $? "the shell prompt appears on the screen"

# The output differs from what was typed: the shell really ran it.
tmux_type smoke 'echo $((6 * 7))-answer'
tmux_wait smoke '^42-answer$' 10
tap $? "a typed command runs and its output appears"

# The program sees a terminal of the session's size, not a pipe.
tmux_type smoke 'tty; stty size'
tmux_wait smoke '^/dev/pts/[0-9]+$' 10 && tmux_wait smoke '^24 80$' 10
tap $? "the shell runs on a pseudo-terminal of 24 rows, 80 columns"

# A harness that cannot fail proves nothing: waiting for text that never
# appears must time out and say so.
if tmux_wait smoke 'this text never appears' 1 2>/dev/null; then
	tap 1 "tmux_wait times out on text that is not on the screen"
else
	tap 0 "tmux_wait times out on text that is not on the screen"
fi

tmux_type smoke 'exit 3'
status=$(tmux_wait_exit smoke 10)
[ "$status" = 3 ]
tap $? "exit ends the shell; its status 3 is seen (got '$status')"

tap_done
