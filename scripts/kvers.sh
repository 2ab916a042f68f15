#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kvers.sh - print the full versions of the guest kernels thv is built for
# and tested on, one a line.
#
# A kernel counts only if both its image (/boot/vmlinuz-<ver>) and its
# build tree (/lib/modules/<ver>/build, from the headers package) exist.
# Arguments select kernels by series ("6.1", "6.12") or by full version;
# without arguments every usable 6.1 and 6.12 amd64 kernel is printed.
# The Debian ABI number (6.1.0-NN) is never hard-coded: it is found here.
set -euo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
	cat <<'USAGE'
Usage: scripts/kvers.sh [SERIES|VERSION]...
Print usable guest kernel versions (image + headers installed), e.g.
  scripts/kvers.sh            -> all 6.1 and 6.12 amd64 kernels
  scripts/kvers.sh 6.12       -> the newest installed 6.12 kernel
USAGE
	exit 0
fi

# All usable versions, oldest first (sort -V).
usable() {
	local img ver
	for img in /boot/vmlinuz-*-amd64; do
		[ -e "$img" ] || continue
		ver=${img#/boot/vmlinuz-}
		[ -d "/lib/modules/$ver/build" ] && echo "$ver"
	done | sort -V
}

# The newest usable version of one series; "6.1" must not match 6.12.
pick() {
	local want=$1 all=$2 hit
	if grep -qxF -- "$want" <<<"$all"; then
		echo "$want"
		return
	fi
	hit=$(grep -E "^${want//./\\.}[.-]" <<<"$all" | tail -n 1 || true)
	if [ -z "$hit" ]; then
		echo "kvers.sh: no kernel '$want' with image and headers installed" \
		     "(have: $(echo $all)); run 'make deps'" >&2
		return 1
	fi
	echo "$hit"
}

all=$(usable)
[ $# -eq 0 ] && set -- 6.1 6.12
for want in "$@"; do
	pick "$want" "$all"
done
