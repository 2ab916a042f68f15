#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tour.sh - extract the guided tour of thv from the source into
# docs/tour.md, in the spirit of lguest's Documentation/lguest: the code
# carries its own commentary, in comments tagged TOUR(n), and this script
# strings them together in reading order.
#
# The tag, in a C or assembly comment in kmod/ or user/:
#
#   /*
#    * TOUR(ID [SYMBOL...]): Title sentence.  Text, as many paragraphs as
#    * needed, up to the end of the comment (or the next TOUR tag).
#    */
#
# ID is a number with an optional sub-stop and an optional "v": 7, 7.1,
# 7v.  Stops are read in numeric order (7 < 7v < 7.1 < 7.2 < 8); a "v"
# stop is the Intel VMX twin of the AMD SVM stop with the same number.
# The code shown under a stop is, with SYMBOLs, the definition of each
# symbol in the same file (a C function or table up to its closing brace
# at column 0, an assembly SYM_FUNC_START..SYM_FUNC_END); without, the
# code right after the comment: the whole function if one starts there,
# else the lines up to the next blank line.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/tour.sh [--check | --stdout | --help]
Extract the TOUR(n) comments of kmod/ and user/ into docs/tour.md.
  (no option)  rewrite docs/tour.md
  --check      exit 1, with a diff, when docs/tour.md is stale
  --stdout     print the tour instead of writing it
USAGE
}

mode="write"
case "${1:-}" in
"") ;;
--check) mode=check ;;
--stdout) mode=stdout ;;
-h|--help) usage; exit 0 ;;
*) echo "tour.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=docs/tour.md
# Longer definitions are cut; the link gives the rest.
max_lines=80

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Every tag, as "file:line:text", in a stable order.
grep -rn --include='*.c' --include='*.h' --include='*.S' 'TOUR(' kmod user |
	LC_ALL=C sort >"$work/tags" || true
if [ ! -s "$work/tags" ]; then
	echo "tour.sh: no TOUR( tags found in kmod/ or user/" >&2
	exit 2
fi

# One section per stop, in $work/stops/<sort key>.md.
mkdir "$work/stops"
while IFS= read -r hit; do
	file=${hit%%:*}
	rest=${hit#*:}
	line=${rest%%:*}
	awk -v tagline="$line" -v file="$file" -v max="$max_lines" \
 '
function fail(msg) {
	printf "tour.sh: %s:%d: %s\n", file, tagline, msg > "/dev/stderr"
	exit 2
}

# Zero-padded key: numeric order, then the SVM stop before its "v" twin.
function sort_key(id,    v, n, parts) {
	v = (id ~ /v$/) ? 1 : 0
	sub(/v$/, "", id)
	n = split(id, parts, ".")
	return sprintf("%04d.%04d.%d", parts[1], n > 1 ? parts[2] : 0, v)
}

# The text of a comment line: no "/*", " * " or "*/".
function comment_text(s) {
	sub(/^[ \t]*\/\*+ ?/, "", s)
	sub(/^[ \t]*\*\/.*$/, "", s)
	sub(/^[ \t]*\* ?/, "", s)
	sub(/[ \t]*\*\/[ \t]*$/, "", s)
	return s
}

# Print lines a..b as a fenced block with a file:line link above it.
function code(a, b,    i, lang, cut) {
	lang = (file ~ /\.S$/) ? "asm" : "c"
	cut = 0
	if (b - a + 1 > max) {
		cut = b - (a + max - 1)
		b = a + max - 1
	}
	printf "[%s:%d](../%s#L%d)\n\n", file, a, file, a
	printf "```%s\n", lang
	for (i = a; i <= b; i++)
		print L[i]
	if (cut)
		printf "\t/* ... %d more lines: %s:%d-%d */\n", cut, file,
		       b + 1, b + cut
	print "```"
	print ""
}

# The end of a definition starting at line a: a closing brace at column 0.
function def_end(a,    i) {
	for (i = a; i <= NL; i++)
		if (L[i] ~ /^}/)
			return i
	return 0
}

# The definition of sym in this file, printed; 0 if there is none.
function show_symbol(sym,    i, e) {
	if (file ~ /\.S$/) {
		for (i = 1; i <= NL; i++)
			if (index(L[i], "SYM_FUNC_START(" sym ")") == 1)
				break
		if (i > NL)
			return 0
		for (e = i; e <= NL; e++)
			if (index(L[e], "SYM_FUNC_END(" sym ")") == 1)
				break
		if (e > NL)
			return 0
		code(i, e)
		return 1
	}
	for (i = 1; i <= NL; i++) {
		if (L[i] !~ /^[A-Za-z_]/ || L[i] ~ /;[ \t]*$/)
			continue
		if (L[i] ~ ("(^|[^A-Za-z0-9_])" sym "[ \t]*[([]"))
			break
	}
	if (i > NL)
		return 0
	e = def_end(i)
	if (!e)
		return 0
	code(i, e)
	return 1
}

# No symbols: the function right after the comment, or the lines up to
# the next blank line.
function show_following(a,    i, e) {
	while (a <= NL && L[a] ~ /^[ \t]*$/)
		a++
	if (a > NL)
		fail("nothing after the comment to show")
	if (L[a] ~ /^[A-Za-z_]/ && L[a] !~ /;[ \t]*$/) {
		for (i = a; i <= NL && i < a + 6; i++) {
			if (L[i] ~ /^{/) {
				e = def_end(i)
				if (e) {
					code(a, e)
					return
				}
			}
			if (L[i] ~ /^[ \t]*$/ || L[i] ~ /;[ \t]*$/)
				break
		}
	}
	for (e = a; e < NL && L[e + 1] !~ /^[ \t]*$/; e++)
		;
	code(a, e)
}

# Print text filled to width columns, keeping its double spaces.
function wrap(text, width,    line, word, sp) {
	line = ""
	while (text != "") {
		match(text, /^[^ ]+ */)
		word = substr(text, 1, RLENGTH)
		text = substr(text, RLENGTH + 1)
		sp = word
		sub(/ +$/, "", sp)
		if (line != "" && length(line sp) > width) {
			sub(/ +$/, "", line)
			print line
			line = ""
		}
		line = line word
	}
	sub(/ +$/, "", line)
	if (line != "")
		print line
}

{ L[NR] = $0 }

END {
	NL = NR
	s = L[tagline]
	if (!match(s, /TOUR\([0-9]+(\.[0-9]+)?v?( +[A-Za-z_][A-Za-z0-9_]*)*\): /))
		fail("malformed tag (want \"TOUR(ID [SYMBOL...]): Title.  Text\")")
	tag = substr(s, RSTART + 5, RLENGTH - 8)
	nsym = split(tag, sym, " ")
	id = sym[1]
	# The comment text from the tag to the end of the comment.
	text = comment_text(substr(s, RSTART + RLENGTH))
	n = 1
	par[1] = text
	end_comment = (s ~ /\*\/[ \t]*$/) ? tagline : 0
	for (i = tagline + 1; !end_comment && i <= NL; i++) {
		if (L[i] ~ /TOUR\(/)
			fail("two TOUR tags in one comment")
		if (L[i] ~ /\*\/[ \t]*$/)
			end_comment = i
		t = comment_text(L[i])
		if (end_comment && t == "")
			break
		par[++n] = t
	}
	if (!end_comment)
		fail("comment never ends")
	# The title is the first sentence.
	first = par[1]
	for (j = 2; j <= n && par[j] != ""; j++)
		first = first (first ~ /[.?!]$/ ? "  " : " ") par[j]
	k = j
	# A sentence ends with two spaces, as kernel comments write them.
	if (match(first, /[.?!](  |$)/)) {
		title = substr(first, 1, RSTART)
		lead = substr(first, RSTART + 1)
		sub(/^ +/, "", lead)
	} else {
		title = first
		lead = ""
	}
	sub(/\.$/, "", title)
	# First line for the shell: the sort key, the ID and the title.
	printf "%s\t%s\t%s\n", sort_key(id), id, title
	printf "<a id=\"stop-%s\"></a>\n\n", id
	printf "## Stop %s: %s\n\n", id, title
	if (lead != "") {
		wrap(lead, 76)
		print ""
	}
	# The other paragraphs as they are; one with tab-indented lines (a
	# prototype, a table) is preformatted text.
	for (j = k; j <= n; j = e + 1) {
		e = j
		if (par[j] == "")
			continue
		while (e < n && par[e + 1] != "")
			e++
		pre = 0
		for (i = j; i <= e; i++)
			if (par[i] ~ /^\t/)
				pre = 1
		if (pre)
			print "```text"
		for (i = j; i <= e; i++)
			print par[i]
		if (pre)
			print "```"
		print ""
	}
	if (nsym > 1) {
		for (j = 2; j <= nsym; j++)
			if (!show_symbol(sym[j]))
				fail("no definition of " sym[j] " in " file)
	} else {
		show_following(end_comment + 1)
	}
}
' "$file" >"$work/section" || exit 2
	IFS=$'\t' read -r key id title <"$work/section"
	if [ -e "$work/stops/$key" ]; then
		echo "tour.sh: $file:$line: stop $id is tagged twice" \
			"(also in $(cat "$work/stops/$key.where"))" >&2
		exit 2
	fi
	tail -n +2 "$work/section" >"$work/stops/$key"
	echo "$file:$line" >"$work/stops/$key.where"
	printf '%s\t%s\t%s\n' "$key" "$id" "$title" >>"$work/index"
done <"$work/tags"

# The document: a fixed introduction, the list of stops, the stops.
{
	cat <<'INTRO'
# A guided tour of thv

<!-- Generated by scripts/tour.sh from the TOUR(n) comments in kmod/
     and user/.  Do not edit: change the comments and run the script.
     "make check" fails while this file is stale. -->

This tour reads thv in the order a student can follow: from loading the
module, through turning the hardware on and describing a guest to it, to
one VM exit followed all the way from the CPU to a device emulated in
userspace and back.  Each stop is a comment from the source, tagged
`TOUR(n)`, followed by the code it explains, with a link to the file and
line.

thv has two backends: AMD SVM (`kmod/svm/`) and Intel VMX (`kmod/vmx/`).
Where they differ, stop *n* is the AMD version and stop *n*v its Intel
twin; read the one for your CPU (`thv caps` says which), or both to see
two designs for the same idea.  The manuals cited are the AMD64
Architecture Programmer's Manual (APM) Vol. 2, chapter 15 "Secure Virtual
Machine", and the Intel SDM Vol. 3C, chapters 24 to 33 "VMX".  The
lessons in [lessons/](lessons/) show the same path from the outside,
with commands to type.

INTRO
	echo "## Stops"
	echo
	LC_ALL=C sort "$work/index" | while IFS=$'\t' read -r key id title; do
		indent=""
		case "$id" in *.*) indent="  " ;; esac
		echo "$indent- [$id. $title](#stop-$id)"
	done
	echo
	for key in $(cut -f1 "$work/index" | LC_ALL=C sort); do
		cat "$work/stops/$key"
	done
} >"$work/tour.md"

case "$mode" in
write)
	cp "$work/tour.md" "$out"
	echo "tour.sh: wrote $out ($(wc -l <"$work/index") stops)"
	;;
stdout)
	cat "$work/tour.md"
	;;
check)
	if ! diff -u "$out" "$work/tour.md" >"$work/diff" 2>&1; then
		echo "tour.sh: $out is stale: run scripts/tour.sh and commit it" >&2
		cat "$work/diff"
		exit 1
	fi
	echo "tour.sh: $out is up to date ($(wc -l <"$work/index") stops)"
	;;
esac
