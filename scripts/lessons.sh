#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lessons.sh - check that the lessons in docs/lessons/ tell the truth:
# run every command they show and compare what it prints with what the
# lesson says it prints.  Runs in the test VM with busybox only (sh, awk,
# diff, timeout), as tests/lessons_test.sh; the --list, --update and
# --match modes also run on a host.
#
# What it checks, in a lesson (Markdown): every fenced block whose info
# string starts with "console",
#
#   ```console
#   # thv run /thv/payloads/hello.bin
#   Hello from ring 0 of a guest!
#   ...
#   ```
#
# A line that starts with "# " is a command, typed at the root prompt of
# the test VM (one line each; the commands of one block run in one shell,
# in /tmp, with stdin from /dev/null and stderr merged into stdout).  The
# lines after it, up to the next command, are what it prints.  They
# match line by line, trailing blanks ignored, with these wildcards:
#
#   ...        a line of just three dots matches any number of lines
#              (none included)
#   {N}        a decimal number        {X}   hexadecimal digits, with
#   {*}        any text (or none)            or without 0x
#   {a|b|c}    one of the alternatives (literal text), e.g. {svm|vmx}
#
# Any other "{" is literal.  An output line that itself starts with "# "
# (a debugfs file's comment, say) is written "\# " in the lesson, and the
# checker writes it so in its transcript: a plain "# " would be a command.
# Words after "console" in the info string are
# tags: "svm" or "vmx" runs the block only on a CPU with that flag in
# /proc/cpuinfo (the other vendor's block reports SKIP).  Blocks of any
# other language (```sh, ```text) are never run.
#
# Output: TAP, one result per block, "ok 3 lesson2 block 1".  A failure
# shows a diff of the expected lines against what the commands printed.
# After each block the real output is also printed as "@lesson" lines,
# which TAP readers ignore and --update reads back:
#
#   @lesson begin 02-ring-minus-one.md 1
#   @lesson | # thv run /thv/payloads/hello.bin
#   @lesson | Hello from ring 0 of a guest!
#   @lesson end
#
# Refreshing the lessons after the runner's output changed: run the
# checker in the VM (make check, or `lessons.sh /thv/docs/lessons/*.md`
# in `make shell`), then on the host
#
#   scripts/lessons.sh --update build/logs/<kver>-check.log docs/lessons/*.md
#
# rewrites the expected output of every block that no longer matches with
# what the VM printed; expected lines that still match keep their
# wildcards.  Review the diff: a changed line may need a wildcard.
#
# Environment: LESSON_TIMEOUT, the seconds one block may run (default
# 120); LESSONS_KEEP=1 keeps the work directory (/tmp/lessons.*) to debug
# the checker.

usage() {
	cat <<'USAGE'
Usage: lessons.sh [--tap] LESSON.md...     run and compare every console block
       lessons.sh --list LESSON.md...      list the blocks and their commands
       lessons.sh --update LOG LESSON.md...  rewrite failing blocks' expected
                                          output from the @lesson lines in LOG
       lessons.sh --match EXPECTED ACTUAL  exit 0 if the file ACTUAL matches
                                          the expected lines in EXPECTED
See the comment at the top of this script for the block syntax.
USAGE
}

# The matcher, shared by every mode: pattern lines P[1..np] against
# actual lines A[1..na].
MATCH_AWK='
# The ERE for one expected line.
function line_re(s,    re, c, i, j, body, n, alt, k) {
	re = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "{") {
			j = index(substr(s, i + 1), "}")
			body = (j > 0) ? substr(s, i + 1, j - 1) : ""
			if (j > 0 && index(body, "{") == 0 &&
			    (body == "N" || body == "X" || body == "*" ||
			     index(body, "|") > 0)) {
				if (body == "N")
					re = re "[0-9]+"
				else if (body == "X")
					re = re "(0x)?[0-9a-fA-F]+"
				else if (body == "*")
					re = re ".*"
				else {
					n = split(body, alt, "|")
					re = re "("
					for (k = 1; k <= n; k++)
						re = re (k > 1 ? "|" : "") lit(alt[k])
					re = re ")"
				}
				i += j
				continue
			}
		}
		re = re lit(c)
	}
	return "^" re "$"
}

# Literal text as an ERE: special characters in brackets, except those
# that brackets cannot hold.
function lit(s,    out, c, i) {
	out = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (c == "^")
			out = out "\\^"
		else if (c == "\\")
			out = out "[\\\\]"
		else if (index(".[]()*+?$|{}", c) > 0)
			out = out (c == "]" ? "[]]" : "[" c "]")
		else
			out = out c
	}
	return out
}

function trim(s) {
	sub(/\r$/, "", s)
	sub(/[ \t]+$/, "", s)
	return s
}

# 1 if P[1..np] matches A[1..na]: M[i, j] says whether P[i..np] matches
# A[j..na]; "..." may eat any number of lines.
function match_all(    i, j, M) {
	for (i = 1; i <= np; i++)
		R[i] = (P[i] == "...") ? "" : line_re(P[i])
	for (j = 1; j <= na + 1; j++)
		M[np + 1, j] = (j == na + 1)
	for (i = np; i >= 1; i--) {
		for (j = na + 1; j >= 1; j--) {
			if (P[i] == "...")
				M[i, j] = M[i + 1, j] || (j <= na && M[i, j + 1])
			else
				M[i, j] = j <= na && (A[j] ~ R[i]) && M[i + 1, j + 1]
		}
	}
	return M[1, 1]
}
'

# blocks FILE DIR: split FILE's console blocks into DIR/K.exp (the block)
# and DIR/K.tags, one K per block; print the number of blocks.
blocks() {
	awk -v dir="$2" '
	/^```/ {
		if (inblock) {
			inblock = 0
			close(out)
			next
		}
		if ($0 ~ /^```console([ \t]|$)/) {
			inblock = 1
			n++
			out = dir "/" n ".exp"
			printf "" > out
			tags = $0
			sub(/^```console[ \t]*/, "", tags)
			print tags > (dir "/" n ".tags")
			close(dir "/" n ".tags")
			next
		}
		# A fence of another language: skip to its end.
		other = !other
		next
	}
	inblock { print > out }
	END {
		print n + 0
		if (inblock) {
			printf "lessons.sh: %s: a console block never ends\n",
			       FILENAME > "/dev/stderr"
			exit 1
		}
	}' "$1"
}

# lesson_name FILE: "lesson3" for docs/lessons/03-io-exits.md.
lesson_name() {
	b=${1##*/}
	num=${b%%-*}
	num=$(echo "$num" | sed 's/^0*//')
	case "$num" in
	''|*[!0-9]*) echo "${b%.md}" ;;
	*) echo "lesson$num" ;;
	esac
}

# run_block EXP OUT: run the commands of EXP, write the transcript (each
# command line, then its output) to OUT.
run_block() {
	awk '/^# / { print substr($0, 3); print "echo @@lesson-sep@@" }' \
		"$1" >"$work/script"
	(cd /tmp && timeout "${LESSON_TIMEOUT:-120}" sh "$work/script" \
		</dev/null >"$work/raw" 2>&1)
	awk -v expected="$1" '
	# An output line that looks like a command ("# " at its start, as
	# in a debugfs file) is written with a backslash in front: "\# ".
	# A line that already starts with backslashes gets one more.
	function out(s) {
		print (s ~ /^[\\]*# /) ? "\\" s : s
	}
	BEGIN {
		while ((getline line < expected) > 0)
			if (line ~ /^# /)
				cmd[++ncmd] = line
		k = 1
		if (ncmd)
			print cmd[1]
	}
	{
		line = $0
		sep = index(line, "@@lesson-sep@@")
		if (sep == 0) {
			out(line)
			next
		}
		# Output without a final newline runs into the separator.
		if (sep > 1)
			out(substr(line, 1, sep - 1))
		if (++k <= ncmd)
			print cmd[k]
	}' "$work/raw" >"$2"
}

# matches EXP ACTUAL: status 0 when ACTUAL matches the lines of EXP.
matches() {
	awk -v pf="$1" -v af="$2" "$MATCH_AWK"'
	BEGIN {
		while ((getline line < pf) > 0)
			P[++np] = trim(line)
		while ((getline line < af) > 0)
			A[++na] = trim(line)
		exit match_all() ? 0 : 1
	}' 
}

have_flag() {
	grep -qw "$1" /proc/cpuinfo 2>/dev/null
}

do_run() {
	# TAP from tests/lib/tap.sh: /thv/lib in the test VM, else the
	# checkout's tests/lib (this script is scripts/lessons.sh there).
	tap_lib=${THV_LIB:-/thv/lib}/tap.sh
	[ -f "$tap_lib" ] || tap_lib=$(dirname "$0")/../tests/lib/tap.sh
	# shellcheck source=tests/lib/tap.sh
	. "$tap_lib"
	tap_header
	total=0
	for f in "$@"; do
		mkdir -p "$work/count"
		n=$(blocks "$f" "$work/count") || exit 2
		total=$((total + n))
		rm -rf "$work/count"
	done
	tap_plan "$total"
	for f in "$@"; do
		name=$(lesson_name "$f")
		rm -rf "$work/b"
		mkdir -p "$work/b"
		n=$(blocks "$f" "$work/b")
		k=1
		while [ "$k" -le "$n" ]; do
			exp=$work/b/$k.exp
			skip=""
			for tag in $(cat "$work/b/$k.tags"); do
				case "$tag" in
				svm|vmx) have_flag "$tag" ||
					skip="needs a CPU with $tag" ;;
				esac
			done
			if [ -n "$skip" ]; then
				tap_skip "$name block $k" "$skip"
				k=$((k + 1))
				continue
			fi
			run_block "$exp" "$work/got"
			if matches "$exp" "$work/got"; then
				tap_result 0 "$name block $k"
			else
				# Diagnostics first: TAP readers show what came
				# before a failure.
				echo "# ${f##*/} block $k: expected (-) and got (+):"
				diff -u "$exp" "$work/got" | sed '1,2d; s/^/# /'
				tap_result 1 "$name block $k"
			fi
			echo "@lesson begin ${f##*/} $k"
			sed 's/^/@lesson | /' "$work/got"
			echo "@lesson end"
			k=$((k + 1))
		done
	done
	tap_done
}

do_list() {
	for f in "$@"; do
		name=$(lesson_name "$f")
		rm -rf "$work/b"
		mkdir -p "$work/b"
		n=$(blocks "$f" "$work/b") || exit 2
		k=1
		while [ "$k" -le "$n" ]; do
			tags=$(cat "$work/b/$k.tags")
			sed -n "s/^# /$name block $k${tags:+ [$tags]}: /p" \
				"$work/b/$k.exp"
			k=$((k + 1))
		done
	done
}

# --update LOG FILE...: for each block that has @lesson output in LOG and
# no longer matches it, write the output in its place.
do_update() {
	log=$1
	shift
	[ -r "$log" ] || { echo "lessons.sh: cannot read $log" >&2; exit 2; }
	mkdir -p "$work/got"
	# The last record of each block wins (a log may hold several runs).
	awk -v dir="$work/got" '
	{ sub(/\r$/, "") }
	/^@lesson begin / { out = dir "/" $3 "." $4; printf "" > out; next }
	/^@lesson end/ { if (out != "") close(out); out = ""; next }
	/^@lesson \| / && out != "" { print substr($0, 11) > out }
	/^@lesson \|$/ && out != "" { print "" > out }' "$log"
	changed=0
	for f in "$@"; do
		base=${f##*/}
		rm -rf "$work/b"
		mkdir -p "$work/b"
		n=$(blocks "$f" "$work/b") || exit 2
		k=1
		: >"$work/stale"
		while [ "$k" -le "$n" ]; do
			got=$work/got/$base.$k
			if [ -f "$got" ] && ! matches "$work/b/$k.exp" "$got"; then
				# The log must be of these very commands.
				grep '^# ' "$work/b/$k.exp" >"$work/cmd.exp"
				grep '^# ' "$got" >"$work/cmd.got"
				if cmp -s "$work/cmd.exp" "$work/cmd.got"; then
					echo "$k" >>"$work/stale"
				else
					echo "lessons.sh: $f: block $k: its commands" \
						"differ from the log's; not updated" >&2
				fi
			fi
			k=$((k + 1))
		done
		[ -s "$work/stale" ] || continue
		awk -v bdir="$work/b" -v gdir="$work/got" -v base="$base" \
		    -v stale="$work/stale" "$MATCH_AWK"'
		function merged(k,    f, line, i, keep) {
			np = na = 0
			f = bdir "/" k ".exp"
			while ((getline line < f) > 0)
				P[++np] = trim(line)
			close(f)
			f = gdir "/" base "." k
			while ((getline line < f) > 0)
				A[++na] = trim(line)
			close(f)
			# Same length, no "...": keep each expected line that
			# still matches its line, wildcards and all.
			keep = (np == na)
			for (i = 1; i <= np; i++)
				if (P[i] == "...")
					keep = 0
			for (i = 1; i <= na; i++)
				print (keep && A[i] ~ line_re(P[i])) ? P[i] : A[i]
		}
		BEGIN {
			while ((getline line < stale) > 0)
				redo[line] = 1
		}
		/^```/ {
			if (inblock) {
				inblock = 0
				print
				next
			}
			if ($0 ~ /^```console([ \t]|$)/) {
				inblock = 1
				n++
				print
				if (n in redo)
					merged(n)
				next
			}
		}
		inblock && (n in redo) { next }
		{ print }' "$f" >"$work/new" || exit 2
		cp "$work/new" "$f"
		echo "lessons.sh: $f: updated block(s) $(tr '\n' ' ' <"$work/stale")"
		changed=$((changed + 1))
	done
	[ "$changed" -gt 0 ] ||
		echo "lessons.sh: every block with output in $log matches"
	return 0
}

work=$(mktemp -d /tmp/lessons.XXXXXX) || exit 2
[ -n "${LESSONS_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT

mode=run
case "${1:-}" in
-h|--help) usage; exit 0 ;;
--tap) shift ;;
--list) mode=list; shift ;;
--update) mode=update; shift ;;
--match) mode=match; shift ;;
-*) echo "lessons.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac
if [ $# -eq 0 ] || { [ "$mode" = update ] && [ $# -lt 2 ]; } ||
   { [ "$mode" = match ] && [ $# -ne 2 ]; }; then
	usage >&2
	exit 2
fi
for f in "$@"; do
	[ -r "$f" ] || { echo "lessons.sh: cannot read $f" >&2; exit 2; }
done

case "$mode" in
run) do_run "$@" ;;
list) do_list "$@" ;;
update) do_update "$@" ;;
match) matches "$1" "$2" ;;
esac
