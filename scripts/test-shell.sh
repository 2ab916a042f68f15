#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-shell.sh - the lessons' way in works: `make shell` boots the SVM
# test VM (scripts/run-vm.sh KVER shell) to a shell with thv.ko loaded
# and thv in the PATH, as docs/lessons/01 promises.  Types one command
# line into the guest's console once the shell is up (through a FIFO, as
# a user would at the terminal) and checks what comes back, then `exit`
# powers the VM off.  About 30 s under TCG.
#
# Output: a console log in the format of the test VM's (==thv== markers
# around TAP, the guest's console as its dmesg), BUILD/logs/KVER-mkshell.log,
# which scripts/check.sh merges with the others (tag [mkshell]; a WARNING
# or BUG on the console fails it like any guest log).  Exit status 0 when every check passed.
set -uo pipefail

if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
	cat <<'USAGE'
Usage: scripts/test-shell.sh KVER [BUILD_DIR]
Boot KVER in make shell's mode, type `thv caps` into it, check the
answer; write the TAP to BUILD_DIR/logs/KVER-mkshell.log (default
BUILD_DIR: <repo>/build).
USAGE
	exit 0
fi

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=${1:?usage: test-shell.sh KVER [BUILD_DIR]}
build=${2:-$repo/build}
mkdir -p "$build/logs"
out=$(cd "$build/logs" && pwd)/$kver-mkshell.log
work=$(mktemp -d)
vm=
trap '[ -z "$vm" ] || kill "$vm" 2>/dev/null; rm -rf "$work"' EXIT

# shellcheck source=tests/lib/tap.sh
. "$repo/tests/lib/tap.sh"
tap() {		# tap STATUS NAME: STATUS 0 is a pass
	tap_result "$1" "$2" && return 0
	sed 's/^/#   console: /' "$work/console" | tail -n 30
}

# wait_for PATTERN SECONDS: until the console shows PATTERN.
wait_for() {
	local i
	for i in $(seq $(($2 * 5))); do
		grep -q -- "$1" "$work/console" && return 0
		kill -0 "$vm" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

mkfifo "$work/keys"
THV_ACCEL=${THV_ACCEL:-tcg} "$repo/scripts/run-vm.sh" "$kver" shell "$build" \
	<"$work/keys" >"$work/console" 2>&1 &
vm=$!
exec 3>"$work/keys"

{
echo "==thv== begin mode=shell kernel=$kver"
echo "==thv== nohw shell"
echo "==thv== test-begin make_shell"
tap_header
tap_plan 3
wait_for "'exit' powers off" 120
tap $? "the banner says thv.ko is loaded"
sleep 1		# the shell's first prompt
echo 'thv caps | head -n 2; echo "caps status $?"' >&3
wait_for 'caps status' 60 &&
	grep -q '^device  *\/dev\/thv, API version' "$work/console" &&
	grep -q '^backend  *AMD SVM' "$work/console" &&
	grep -q '^caps status 0' "$work/console"
tap $? "thv caps answers from /dev/thv (lesson 1's first command)"
echo 'exit' >&3
wait_for '==thv== end' 60
tap $? "exit powers the VM off"
exec 3>&-
wait "$vm" 2>/dev/null
vm=
echo "==thv== test-end make_shell rc=$((tap_fails > 0)) secs=0 timeout=0"
echo "==thv== dmesg-begin"
grep -v '==thv==' "$work/console" | sed 's/\r$//'
echo "==thv== dmesg-end"
echo "==thv== end"
} >"$out"
echo "test-shell: $tap_n cases, $tap_fails failed, log: $out" >&2
tap_done
