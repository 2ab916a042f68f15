#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kmod.sh - build thv.ko out of tree for one guest kernel.
#
# The sources (Kbuild, kmod/, include/) are mirrored into
# $BUILD/<kver>/src so that each kernel gets its own objects and the repo
# stays free of kbuild droppings; copies keep their timestamps, so kbuild
# rebuilds only what changed.  The result is $BUILD/<kver>/thv.ko.
# See Documentation/kbuild/modules.rst for "make -C <kdir> M=<dir>".
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/build-kmod.sh KVER [BUILD_DIR] [SRC_DIR]
Build thv.ko against /lib/modules/KVER/build.
  BUILD_DIR  output root (default: <repo>/build); module -> BUILD_DIR/KVER/thv.ko
  SRC_DIR    tree holding Kbuild, kmod/ and include/ (default: the repo)
Environment: JOBS (parallel jobs, default: nproc), V=1 for verbose kbuild.
USAGE
}

case "${1:-}" in -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;; esac

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
build=$(mkdir -p "${2:-$repo/build}" && cd "${2:-$repo/build}" && pwd)
src=$(cd "${3:-$repo}" && pwd)
kdir=/lib/modules/$kver/build
out=$build/$kver/src

[ -d "$kdir" ] || { echo "build-kmod: no $kdir (install linux-headers-$kver)" >&2; exit 1; }
[ -f "$src/Kbuild" ] || { echo "build-kmod: no Kbuild in $src" >&2; exit 1; }

# Mirror one file or directory: copy what is newer, drop sources that no
# longer exist upstream (kbuild outputs in $out are left alone).
mirror() {
	local name=$1 f
	if [ ! -e "$src/$name" ]; then
		rm -rf "${out:?}/$name"
		return
	fi
	mkdir -p "$(dirname "$out/$name")"
	cp -a --update "$src/$name" "$(dirname "$out/$name")/"
	[ -d "$src/$name" ] || return 0
	(cd "$out/$name" && find . -type f \( -name '*.[chS]' -o -name Kbuild \
		-o -name Makefile -o -name '*.lds' \) -print) |
	while read -r f; do
		[ -e "$src/$name/$f" ] || rm -f "$out/$name/$f"
	done
}

mkdir -p "$out"
for name in Kbuild kmod include; do
	mirror "$name"
done

echo "build-kmod: thv.ko for $kver"
rm -f "$build/$kver/thv.ko"	# never leave a stale module to pack
make -C "$kdir" M="$out" -j"${JOBS:-$(nproc)}" ${V:+V=$V} modules
[ -f "$out/thv.ko" ] || { echo "build-kmod: kbuild made no thv.ko in $out" >&2; exit 1; }
cp "$out/thv.ko" "$build/$kver/thv.ko"
echo "build-kmod: $build/$kver/thv.ko"
