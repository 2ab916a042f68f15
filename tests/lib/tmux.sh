# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# tmux.sh - drive an interactive program through a real terminal, from a
# test script (POSIX sh: busybox sh in the test VM, dash or bash on a
# host).  Source it:   . /thv/lib/tmux.sh
#
# Why a terminal: a program like `thv run --step` behaves differently on
# a terminal (line editing, colours, prompts) than on a pipe, and a test
# of it must see what a person would see.  tmux runs the program on a
# pseudo-terminal of a fixed size and can show us the screen as text,
# so a test can type, wait for the screen to show something, and read it.
#
# Every session lives on a tmux server of its own (socket $TMUX_SOCK, in
# /tmp), configured from nothing (-f /dev/null), so the user's tmux and
# ~/.tmux.conf never get in the way.  Functions (NAME: a session name):
#
#   tmux_start NAME COLS ROWS CMD   run the shell command CMD in a new
#                                   detached session of COLS x ROWS
#   tmux_type NAME TEXT             type TEXT, then Enter
#   tmux_keys NAME KEY...           press keys by tmux name (Enter, C-c,
#                                   Up, Tab, Escape) or literal text
#   tmux_capture NAME               print the screen (trailing blank
#                                   lines dropped)
#   tmux_wait NAME ERE [SECS]       wait until the screen matches the
#                                   extended regular expression ERE
#                                   (default 10 s); on a timeout print
#                                   the screen as TAP comments on
#                                   stderr, return 1
#   tmux_wait_exit NAME [SECS]      wait until CMD has exited; print its
#                                   exit status; return 1 on a timeout
#   tmux_stop                       end the server and every session
#
# The screen of a session whose program has exited stays readable
# (remain-on-exit), until tmux_stop.

TMUX_SOCK=${TMUX_SOCK:-/tmp/thv-tmux-$$.sock}

# _tmux ARGS: tmux on our own server.
_tmux() {
	tmux -S "$TMUX_SOCK" "$@"
}

tmux_start() {
	_ts_name=$1 _ts_cols=$2 _ts_rows=$3
	shift 3
	# One command sequence: the options are set on the server before the
	# session and its program exist, so even a program that exits at once
	# leaves its screen behind.  No status line: the pane is the screen.
	_tmux -f /dev/null start-server \; \
		set-option -g remain-on-exit on \; \
		set-option -g status off \; \
		set-option -g history-limit 2000 \; \
		new-session -d -s "$_ts_name" -x "$_ts_cols" -y "$_ts_rows" \
		"$*; echo \$? >$(_tmux_status_file "$_ts_name")"
}

# Where CMD's exit status goes.  tmux's own #{pane_dead_status} is not
# reliable here: when the terminal closes before tmux has reaped the
# program, the pane is dead with no status, and stayed so (seen in the
# test VM), so the command line tmux runs writes it to a file itself.
_tmux_status_file() {
	echo "$TMUX_SOCK.$1.status"
}

tmux_type() {
	# -l: the text is typed literally, not read as key names.
	_tmux send-keys -t "$1" -l "$2" && _tmux send-keys -t "$1" Enter
}

tmux_keys() {
	_tk_name=$1
	shift
	_tmux send-keys -t "$_tk_name" "$@"
}

tmux_capture() {
	# -p: print the visible screen; -J would join wrapped lines, which a
	# test that checks the layout does not want.
	_tmux capture-pane -p -t "$1" | awk '
		{ line[NR] = $0; if ($0 != "") last = NR }
		END { for (i = 1; i <= last; i++) print line[i] }'
}

# _tmux_sleep: a tenth of a second (busybox has usleep; others sleep 0.1).
_tmux_sleep() {
	usleep 100000 2>/dev/null || sleep 0.1
}

tmux_wait() {
	_tw_name=$1 _tw_re=$2 _tw_secs=${3:-10}
	_tw_left=$((_tw_secs * 10))
	while [ $_tw_left -gt 0 ]; do
		tmux_capture "$_tw_name" | grep -Eq -- "$_tw_re" && return 0
		_tmux_sleep
		_tw_left=$((_tw_left - 1))
	done
	{
		echo "# tmux_wait: no '$_tw_re' on the screen of $_tw_name" \
			"after ${_tw_secs} s:"
		tmux_capture "$_tw_name" | sed 's/^/#   |/'
	} >&2
	return 1
}

tmux_wait_exit() {
	_tx_name=$1 _tx_secs=${2:-10}
	_tx_left=$((_tx_secs * 10))
	_tx_file=$(_tmux_status_file "$_tx_name")
	while [ $_tx_left -gt 0 ]; do
		if [ -s "$_tx_file" ]; then
			cat "$_tx_file"
			return 0
		fi
		_tmux_sleep
		_tx_left=$((_tx_left - 1))
	done
	echo "# tmux_wait_exit: $_tx_name still running after ${_tx_secs} s" >&2
	return 1
}

tmux_stop() {
	_tmux kill-server 2>/dev/null
	rm -f "$TMUX_SOCK" "$TMUX_SOCK".*.status
	return 0
}
