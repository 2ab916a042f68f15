#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# stepper_tmux_test.sh - the exit stepper (`thv run --step`) as a person
# at a terminal sees it.  tests/stepper_test.c pipes commands into the
# stepper and reads its stdout and stderr apart; here it runs in a tmux
# pane of a fixed size, on a real terminal: libedit reads the keys
# (history, Ctrl-A, arrows, backspace), the registers that changed are
# coloured, and stdout and stderr mix on one screen as they would for a
# student.  Every check reads the screen (tmux capture-pane) and says
# what it expected and what the screen showed.  TAP on stdout.
#
# The guests are hello.bin and cpuid.bin (guest-payloads/hello.S,
# cpuid.S, lib16.S).  The addresses and instructions this test names
# come from their listings:
#
#   0x1028  in al, dx      putc: read the UART's LSR (port 0x3fd)
#   0x1029  test al, 0x20  THRE, "ready for a byte?"
#   0x102b  je 0x1028      (not taken: thv's UART is always ready)
#   0x1031  out dx, al     the character, to the THR (port 0x3f8)
#
# Environment (defaults for the test VM, /thv/...; else the runner and
# the payloads are looked for next to this script, BUILD/tests):
#   THV_BIN        the runner
#   THV_PAYLOADS   the directory with hello.bin and cpuid.bin
#   THV_LIB        the directory with tmux.sh and tap.sh
#   THV_TMUX_WAIT  seconds to wait for each prompt (default 30; more
#                  for a slow emulator)

here=$(dirname "$0")
lib=${THV_LIB:-/thv/lib}
[ -f "$lib/tap.sh" ] || lib=$here/lib
[ -f "$lib/tap.sh" ] || {
	printf 'TAP version 13\n1..0 # SKIP no tap.sh in %s\n' "$lib"
	exit 4
}
thv=${THV_BIN:-/thv/bin/thv}
[ -x "$thv" ] || thv=$here/../user/thv
payloads=${THV_PAYLOADS:-/thv/payloads}
[ -d "$payloads" ] || payloads=$here/../payloads

# shellcheck source=tests/lib/tap.sh
. "$lib/tap.sh"
tap_header
command -v tmux >/dev/null 2>&1 ||
	tap_skip_all "no tmux (scripts/install-deps.sh installs it)"
[ -f "$lib/tmux.sh" ] || tap_skip_all "no tmux.sh library in /thv/lib or $lib"
[ -x "$thv" ] || tap_skip_all "no runner $thv"
for f in hello.bin cpuid.bin; do
	[ -r "$payloads/$f" ] || tap_skip_all "no $f in $payloads"
done
[ -c /dev/thv ] || tap_skip_all "no /dev/thv: thv.ko is not loaded"
# shellcheck source=tests/lib/tmux.sh
. "$lib/tmux.sh"

# Which vendor's names to expect: the CPU's own flags say it (the VM
# runs thv.ko on whichever it has; QEMU gives svm, Bochs vmx).
if grep -qw vmx /proc/cpuinfo; then
	vmx=1
else
	vmx=0
fi

tmp=$(mktemp -d /tmp/thv-stepper-tmux.XXXXXX) || exit 1
trap 'tmux_stop; rm -rf "$tmp"' EXIT

# A pane this wide holds the longest exit line (a CPUID line with four
# register values and an instruction) on one row.
COLS=250
ROWS=50

# tap STATUS SESSION MESSAGE...: STATUS 0 is a pass; a failure shows
# the end of SESSION's screen as TAP comments.  The message quotes the
# screen: tap_escape (tap.sh) keeps it one TAP line without a directive.
tap() {
	_t_status=$1 _t_name=$2
	shift 2
	tap_result "$_t_status" "$(tap_escape "$*")" && return 0
	echo "#   the screen of $_t_name (last 30 rows):"
	screen "$_t_name" | tail -n 30 | sed 's/^/#   |/'
	return 1
}

# ---- reading the screen --------------------------------------------------

# screen NAME: everything the session showed, the scrolled-off part too
# (-S -), wrapped rows joined (-J), trailing blanks dropped.
screen() {
	_tmux capture-pane -p -J -S - -t "$1" | sed 's/ *$//' | awk '
		{ line[NR] = $0; if ($0 != "") last = NR }
		END { for (i = 1; i <= last; i++) print line[i] }'
}

# screen_e NAME: the same with the colours, as escape sequences (-e).
screen_e() {
	_tmux capture-pane -p -e -J -S - -t "$1" | awk '
		{ line[NR] = $0; p = $0; gsub(/\033\[[0-9;]*m| /, "", p)
		  if (p != "") last = NR }
		END { for (i = 1; i <= last; i++) print line[i] }'
}

# between_prompts: of the lines on stdin, those after the last prompt
# but one and before the last: the output of the last command.  The
# prompt test ignores colour escapes (screen_e).
between_prompts() {
	awk '{ line[NR] = $0; p = $0; gsub(/\033\[[0-9;]*m/, "", p)
	       if (p ~ /^\(thv\)( |$)/) { prev = last; last = NR } }
	     END { for (i = prev + 1; i < last; i++) print line[i] }'
}

# last_out NAME: what the last command printed (screen, between_prompts).
last_out() {
	screen "$1" | between_prompts
}

# prompts NAME: how many prompts the session has shown so far.
prompts() {
	screen "$1" | grep -cE '^\(thv\)( |$)'
}

# at_prompt NAME: the last row is a prompt with nothing typed after it.
at_prompt() {
	[ "$(screen "$1" | tail -n 1)" = "(thv)" ]
}

# ended NAME: the runner has exited (its pane is dead: remain-on-exit).
ended() {
	[ "$(_tmux display-message -p -t "$1" '#{pane_dead}')" = 1 ]
}

# wait_prompt NAME OLD [SECS]: wait until a prompt newer than the OLD-th
# waits for input, or the runner ended; 0 at a new prompt.  The time is
# counted by the clock: reading a long screen is slow in an emulated VM.
# THV_TMUX_WAIT (seconds, default 30) is for slower emulators.
wait_prompt() {
	_wp_end=$(($(date +%s) + ${3:-${THV_TMUX_WAIT:-30}}))
	while [ "$(date +%s)" -le $_wp_end ]; do
		if [ "$(prompts "$1")" -gt "$2" ] && at_prompt "$1"; then
			return 0
		fi
		ended "$1" && return 1
		_tmux_sleep
	done
	echo "# no new prompt on the screen of $1 after" \
		"${3:-${THV_TMUX_WAIT:-30}} s"
	return 1
}

# cmd NAME TEXT: type a command and Enter, wait for the next prompt.
cmd() {
	_c_old=$(prompts "$1")
	tmux_type "$1" "$2"
	wait_prompt "$1" "$_c_old"
}

# keys NAME KEY...: press keys (tmux names), the last one Enter, and
# wait for the next prompt.
keys() {
	_k_name=$1
	_k_old=$(prompts "$1")
	shift
	tmux_keys "$_k_name" "$@"
	wait_prompt "$_k_name" "$_k_old"
}

# stop_line NAME: the last exit line on the screen, from "thv: #" on
# (it starts a row of its own; the sed is only for a runner that
# glued it to the guest's partial line).
stop_line() {
	screen "$1" | grep 'thv: #[0-9]* ' | tail -n 1 |
		sed 's/^.*\(thv: #\)/\1/'
}

# exit_no LINE: N of "thv: #N ..."
exit_no() {
	echo "$1" | sed -n 's/^thv: #\([0-9]*\) .*/\1/p'
}

# no_number LINE: the line without "thv: #N ", to compare with the trace.
no_number() {
	echo "$1" | sed 's/^thv: #[0-9]* //'
}

# next_user NAME: `n` until a stop that came to user space (a host
# interrupt's exit, handled in the kernel, may come between: see
# kmod/debug.c), at most 5 times.  0 at such a stop.
next_user() {
	_nu_i=0
	while [ $_nu_i -lt 5 ]; do
		cmd "$1" n || return 1
		case $(stop_line "$1") in
		*"; sent to user space") return 0 ;;
		esac
		_nu_i=$((_nu_i + 1))
	done
	return 1
}

# start NAME ARGS...: `thv run ARGS` in a new session on a "screen"
# terminal (the tmux default, whose terminfo the VM has), with an
# environment of our own: no NO_COLOR, so the stepper colours.
start() {
	_s_name=$1
	shift
	tmux_start "$_s_name" $COLS $ROWS \
		"env -i PATH=$PATH HOME=/tmp TERM=screen $thv run $*"
}

# ---- the reference: a trace of the same payload --------------------------

# The exits the runner handles, in order, without their numbers: the
# stepper's stops with --break io must be these same lines.
"$thv" run --trace --color=never "$payloads/hello.bin" >/dev/null \
	2>"$tmp/trace"
grep '; sent to user space$' "$tmp/trace" | sed 's/^thv: #[0-9]* //' \
	>"$tmp/user"
trace1=$(sed -n 1p "$tmp/user")
trace2=$(sed -n 2p "$tmp/user")

tap_plan 19

# ---- hello.bin, --break io: stops, step, regs, vmcs, explain, editing ----

start a --step --break io "$payloads/hello.bin"
wait_prompt a 0
s1=$(stop_line a)
[ -n "$trace1" ] && [ "$(no_number "$s1")" = "$trace1" ] && at_prompt a
tap $? a "first stop: the trace's first IO line and the '(thv) ' prompt" \
	"(want '$trace1', screen '$s1')"

# explain at the IN: the modes and the manual of this CPU's vendor.
cmd a e
last_out a >"$tmp/explain"
if [ $vmx = 1 ]; then
	grep -q 'In VMX non-root mode the guest did an IN/OUT' \
		"$tmp/explain" &&
	grep -q 'thv.ko runs now in VMX root mode' "$tmp/explain" &&
	grep -q '^Manual: SDM Vol\. 3C 26\.1\.3' "$tmp/explain"
	tap $? a "explain: VMX non-root -> root mode, cites SDM Vol. 3C" \
		"26.1.3 (screen '$(grep '^Manual:' "$tmp/explain")')"
else
	grep -q 'In guest mode the guest did an IN/OUT' "$tmp/explain" &&
	grep -q 'thv.ko runs now in host mode' "$tmp/explain" &&
	grep -q '^Manual: APM Vol\. 2 15\.10\.2' "$tmp/explain"
	tap $? a "explain: SVM guest -> host mode, cites APM Vol. 2" \
		"15.10.2 (screen '$(grep '^Manual:' "$tmp/explain")')"
fi

# The registers at the IN, to compare with after each step.
cmd a r
last_out a >"$tmp/regs0"

# pairs FILE: the registers of a `regs` dump in FILE, one "name value"
# a line (rax..r15, rip, rflags, cr0..cr4, efer; a '*' mark dropped).
pairs() {
	awk '{ for (i = 1; i < NF; i++)
		 if ($i ~ /^(r[a-z0-9]+|cr[0-4]|efer)$/ &&
		     $(i + 1) ~ /^0x[0-9a-f]+\*?$/) {
			v = $(i + 1); sub(/\*$/, "", v); print $i, v
		 } }' "$1"
}

# regs_check NAME OLD "WHAT...": the registers are shown again; exactly
# those whose value differs from the OLD dump are coloured (escape
# sequences in front of the value, capture-pane -e); WHAT are registers
# that must have changed.  The dump goes to $tmp/regs_now, the names of
# the coloured registers to $coloured.
regs_check() {
	cmd "$1" r || return 1
	last_out "$1" >"$tmp/regs_now"
	screen_e "$1" | between_prompts >"$tmp/regs_e"
	pairs "$2" >"$2.pairs"
	pairs "$tmp/regs_now" >"$tmp/regs_now.pairs"
	awk -v want="$3" -v efile="$tmp/regs_e" -v cfile="$tmp/coloured" '
		FNR == NR { old[$1] = $2; next }
		{ now[$1] = $2; order[++k] = $1 }
		END {
			# Which values carry an escape sequence in front?
			while ((getline l < efile) > 0)
				for (j = 1; j <= k; j++) {
					r = order[j]
					if (match(l, "(^|[ m])" r \
						  " +\033\\["))
						col[r] = 1
				}
			for (j = 1; j <= k; j++)
				if (order[j] in col)
					printf "%s ", order[j] > cfile
			printf "\n" > cfile
			bad = 0
			for (j = 1; j <= k; j++) {
				r = order[j]
				ch = (r in old) && old[r] != now[r]
				if (ch != (r in col)) {
					printf "#   %s %s -> %s: %s\n", r, \
					       old[r], now[r], ch ? \
					       "changed, not coloured" : \
					       "unchanged, but coloured"
					bad = 1
				}
			}
			nw = split(want, w, " ")
			for (j = 1; j <= nw; j++)
				if (!(w[j] in col)) {
					printf "#   %s: not coloured\n", w[j]
					bad = 1
				}
			if (k < 20) {
				printf "#   only %d registers shown\n", k
				bad = 1
			}
			exit bad
		}' "$2.pairs" "$tmp/regs_now.pairs"
	_rc_ret=$?
	coloured=$(sed 's/ $//' "$tmp/coloured")
	return $_rc_ret
}

# step_check NAME RIP INSN: `s` stops at the next instruction: the stop
# line (in $step_line) names RIP and the disassembly of the instruction
# there, exactly, and its exit number grew.  2 when `s` said that it
# cannot single-step (the error in $step_skip).
step_skip=
step_check() {
	_sc_want="DEBUG: single step: stopped before the next instruction;"
	_sc_want="$_sc_want rip $2 real: $3; sent to user space"
	_sc_old=$(exit_no "$(stop_line "$1")")
	cmd "$1" s
	if last_out "$1" | grep -q '^thv: step: '; then
		step_skip="$(last_out "$1" | grep '^thv: step: ')"
		return 2
	fi
	step_line=$(stop_line "$1")
	[ "$(no_number "$step_line")" = "$_sc_want" ] &&
		[ "$(exit_no "$step_line")" -gt "$_sc_old" ]
}

step_check a 0x1029 'test al, 0x20'
ret=$?
if [ $ret = 2 ]; then
	tap_skip "s: one instruction, RIP 0x1029 'test al, 0x20'" \
		"single-step is not available: $step_skip"
	tap_skip "r after s: the changed registers are coloured" \
		"no single-step"
	tap_skip "s again: RIP 0x102b 'je 0x1028'" "no single-step"
	tap_skip "r after the second s: rflags coloured, rax no longer" \
		"no single-step"
else
	tap $ret a "s: one instruction, want '#N DEBUG: single step: ...;" \
		"rip 0x1029 real: test al, 0x20; ...' (screen '$step_line')"
	# The IN finished: RIP and AL (0x60 from the LSR) changed.
	regs_check a "$tmp/regs0" "rip rax"
	tap $? a "r after s: exactly the changed registers coloured, rip and" \
		"rax (the IN's result) among them (coloured: '$coloured')"
	cp "$tmp/regs_now" "$tmp/regs1"
	step_check a 0x102b 'je 0x1028'
	tap $? a "s again: want 'rip 0x102b real: je 0x1028' (screen" \
		"'$step_line')"
	# TEST changed the flags, not AL: rflags coloured, rax plain now.
	regs_check a "$tmp/regs1" "rip rflags"
	tap $? a "r after the second s: rip and rflags coloured, rax no" \
		"longer (coloured: '$coloured')"
fi

# vmcs/vmcb: named fields; the guest RIP field is the RIP shown.
# The registers as they are now: after the steps, or still at the IN.
cmd a r
last_out a >"$tmp/regs_here"
rip=$(pairs "$tmp/regs_here" | awk '$1 == "rip" { print $2 }')
if [ $vmx = 1 ]; then
	cmd a vmcs
	hdr='VMCS of vCPU 0 (Intel VMX)'
	field=GUEST_RIP
else
	cmd a vmcb
	hdr='VMCB of vCPU 0 (AMD SVM)'
	field=RIP
fi
last_out a >"$tmp/hw"
if grep -q '^thv: vmcs: THV_GET_HW_FIELDS failed' "$tmp/hw"; then
	tap_skip "vmcs/vmcb: named fields" "$(head -n 1 "$tmp/hw")"
else
	hw_rip=$(awk -v f="$field" '$1 == f && $3 == "=" { print $4 }' \
		"$tmp/hw")
	# Compare as numbers: the VMCS field may be shown wider.
	case $hw_rip$rip in
	*[!0-9a-fx]* | "") same=1 ;;
	*) [ $((hw_rip)) = $((rip)) ]; same=$? ;;
	esac
	grep -qF "$hdr" "$tmp/hw" && [ $same = 0 ] &&
		[ "$(grep -c '^  [A-Z][A-Z0-9_]* .*= 0x' "$tmp/hw")" -ge 20 ]
	tap $? a "vmcs/vmcb: '$hdr', named fields, $field '$hw_rip' is the" \
		"RIP the registers show ('$rip')"
fi

# n: the next exit that came to user space is the trace's second line.
old=$(exit_no "$(stop_line a)")
next_user a
s2=$(stop_line a)
[ -n "$trace2" ] && [ "$(no_number "$s2")" = "$trace2" ] &&
	[ "$(exit_no "$s2")" -gt "$old" ] && at_prompt a
tap $? a "n: the next stop is the trace's second line, its number above" \
	"$old (want '$trace2', screen '$s2')"

# That stop came after the OUT of 'H': the guest's line so far is "H".
# It must end its row, and the exit line start the next one, not stand
# glued to it ("Hthv: #...": user/console.c).
screen a >"$tmp/screen_h"
after_h=$(grep -A1 -x 'H' "$tmp/screen_h" | tail -n 1)
case $after_h in
"thv: #"*" IO: OUT port 0x3f8, 1 byte, value 0x48 "*) ret=0 ;;
*) ret=1 ;;
esac
[ $ret = 0 ] && ! grep -q '[^ ]thv: #' "$tmp/screen_h"
tap $? a "the guest's 'H' ends its row; the exit line starts the next" \
	"(screen after 'H': '$after_h')"

# A bad command: one error line, then the prompt again.
cmd a frobnicate
out=$(last_out a)
[ "$out" = "thv: unknown command 'frobnicate' (help lists them)" ] &&
	at_prompt a
tap $? a "a bad command: one error line, the prompt comes back (screen" \
	"'$out')"

# dump_of ADDR LEN: the line `x ADDR LEN` shows for hello.bin's bytes
# (loaded at 0x1000), blanks squeezed: "0x00001000: fc be ... .....".
dump_of() {
	od -An -tu1 -j $(($1 - 0x1000)) -N "$2" "$payloads/hello.bin" |
	awk -v a=$(($1)) '
		{ for (i = 1; i <= NF; i++) b[n++] = $i }
		END {
			printf "0x%08x:", a
			for (i = 0; i < n; i++)
				printf " %02x", b[i]
			printf " "
			for (i = 0; i < n; i++)
				printf "%c", (b[i] >= 32 && b[i] < 127 ? \
				       b[i] : 46)
			printf "\n"
		}'
}

# History: Up twice brings back the command before the last (an empty
# line would repeat the last one, `d 1`).
cmd a 'x 0x1000 8'
cmd a 'd 1'
keys a Up Up Enter
out=$(last_out a | tr -s ' ')
want=$(dump_of 0x1000 8)
[ "$(screen a | grep '^(thv) ' | tail -n 1)" = \
	"(thv) x 0x1000 8" ] && [ "$out" = "$want" ]
tap $? a "Up Up Enter runs 'x 0x1000 8' again from the history (want" \
	"'$want', screen '$out')"

# Ctrl-A / Ctrl-E: type the middle, go home for "x ", to the end for
# " 4".  Without either key the line would be a bad command.
tmux_keys a -l 0x1000
tmux_keys a C-a
tmux_keys a -l 'x '
tmux_keys a C-e
tmux_keys a -l ' 4'
keys a Enter
out=$(last_out a | tr -s ' ')
want=$(dump_of 0x1000 4)
[ "$out" = "$want" ]
tap $? a "Ctrl-A/Ctrl-E: '0x1000' edited into 'x 0x1000 4' (want" \
	"'$want', screen '$out')"

# Left and Backspace: "x 0x2000 4", back 5, delete the 2, type 1.
tmux_keys a -l 'x 0x2000 4'
tmux_keys a Left Left Left Left Left BSpace
tmux_keys a -l 1
keys a Enter
out=$(last_out a | tr -s ' ')
[ "$out" = "$want" ]
tap $? a "Left and Backspace: 'x 0x2000 4' edited into 'x 0x1000 4'" \
	"(want '$want', screen '$out')"

# q: the run ends, status 0, "stopped by the user".
tmux_type a q
status=$(tmux_wait_exit a "${THV_TMUX_WAIT:-30}")
last=$(screen a | grep '^thv: ' | tail -n 1)
[ "$status" = 0 ] && case $last in
	"thv: stopped by the user after "*) true ;;
	*) false ;;
	esac
tap $? a "q: status 0 (got '$status'), summary '$last'"

# ---- cpuid.bin: --break cpuid, then `b io` -------------------------------

start b --step --break cpuid "$payloads/cpuid.bin"
wait_prompt b 0
c1=$(stop_line b)
cmd b c
c2=$(stop_line b)
case $c1 in
*" CPUID: CPUID leaf 0x0, subleaf 0x0 "*"; handled in the kernel") ret=0 ;;
*) ret=1 ;;
esac
case $c2 in
*" CPUID: CPUID leaf 0x1, subleaf 0x0 "*"; handled in the kernel") ;;
*) ret=1 ;;
esac
# Between the two CPUIDs the guest printed a line: many IO exits that
# must not have stopped it.
[ $ret = 0 ] && [ "$(last_out b | grep -c 'thv: #')" = 1 ] &&
	[ "$(exit_no "$c2")" -gt $(($(exit_no "$c1") + 10)) ]
tap $? b "--break cpuid: c goes from CPUID leaf 0 to leaf 1, past the IO" \
	"exits (screen '$c1', then '$c2')"

cmd b 'b io'
out=$(last_out b)
cmd b c
c3=$(stop_line b)
[ "$out" = "break: io" ] && case $c3 in
	*" IO: "*"; sent to user space") true ;;
	*) false ;;
	esac
tap $? b "b io: says 'break: io' (screen '$out'); c stops at an IO exit" \
	"(screen '$c3')"

# b with a kind it does not know: one line, the filter stays.
cmd b 'b bogus'
out=$(last_out b)
cmd b b
out2=$(last_out b)
case $out in
"thv: break: unknown exit kind 'bogus' (known: "*) ret=0 ;;
*) ret=1 ;;
esac
[ $ret = 0 ] && [ "$out2" = "break: io" ]
tap $? b "b bogus: one error line, the filter stays io (screen '$out'," \
	"then '$out2')"

# Ctrl-D at the prompt: like q.
tmux_keys b C-d
status=$(tmux_wait_exit b "${THV_TMUX_WAIT:-30}")
last=$(screen b | grep '^thv: ' | tail -n 1)
[ "$status" = 0 ] && case $last in
	"thv: stopped by the user after "*) true ;;
	*) false ;;
	esac
tap $? b "Ctrl-D: status 0 (got '$status'), summary '$last'"

# ---- NO_COLOR on a terminal: '*' marks instead of colour -----------------

tmux_start c $COLS $ROWS "env -i PATH=$PATH HOME=/tmp TERM=screen" \
	"NO_COLOR=1 $thv run --step --break io $payloads/hello.bin"
wait_prompt c 0
next_user c
cmd c r
screen_e c | between_prompts >"$tmp/nocolor"
grep -q ' rip    0x0000000000001031\* ' "$tmp/nocolor" &&
	grep -q ' rbx    0x[0-9a-f]*  ' "$tmp/nocolor" &&
	! grep -q "$(printf '\033')\[[0-9;]*[1-9][0-9;]*m" "$tmp/nocolor"
tap $? c "NO_COLOR: no colour; rip marked '*' after n, rbx not (screen" \
	"'$(grep ' rip ' "$tmp/nocolor")')"
tmux_type c q
tmux_wait_exit c "${THV_TMUX_WAIT:-30}" >/dev/null

tap_done
