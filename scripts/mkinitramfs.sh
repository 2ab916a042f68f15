#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh - pack the initramfs the test VM boots: busybox-static,
# /init (scripts/initramfs-init.sh) and thv for one guest kernel:
#
#   /thv/thv.ko            BUILD/<kver>/thv.ko
#   /thv/bin/thv           BUILD/user/thv
#   /thv/payloads/*.bin    BUILD/payloads/*.bin, *.elf (C payloads,
#                          multiboot kernels)
#   /thv/tests/*           the executable files in BUILD/tests/
#
# Output: BUILD/<kver>/initramfs.cpio.gz (cpio newc, gzip), the format
# Documentation/driver-api/early-userspace/buffer-format.rst describes.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/mkinitramfs.sh KVER [BUILD_DIR]
Pack BUILD_DIR/KVER/initramfs.cpio.gz (default BUILD_DIR: <repo>/build).
Needs BUILD_DIR/KVER/thv.ko; the runner, payloads and tests are packed if
built (a warning names what is missing).
USAGE
}

case "${1:-}" in -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;; esac

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
build=$(cd "${2:-$repo/build}" && pwd)
busybox=/bin/busybox
out=$build/$kver/initramfs.cpio.gz
root=$build/$kver/initramfs

[ -f "$build/$kver/thv.ko" ] ||
	{ echo "mkinitramfs: no $build/$kver/thv.ko (build the module first)" >&2; exit 1; }
# Debian's busybox package is dynamic; only busybox-static runs alone.
if [ ! -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
	echo "mkinitramfs: $busybox is missing or not static (install busybox-static)" >&2
	exit 1
fi

rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,thv/bin,thv/payloads,thv/tests}

cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$repo/scripts/initramfs-init.sh" "$root/init"
cp "$build/$kver/thv.ko" "$root/thv/thv.ko"

if [ -x "$build/user/thv" ]; then
	cp "$build/user/thv" "$root/thv/bin/thv"
else
	echo "mkinitramfs: warning: no runner $build/user/thv" >&2
fi

n=0
for f in "$build"/payloads/*.bin "$build"/payloads/*.elf; do
	[ -f "$f" ] || continue
	cp "$f" "$root/thv/payloads/"
	n=$((n + 1))
done
[ $n -gt 0 ] || echo "mkinitramfs: warning: no payloads in $build/payloads" >&2

n=0
for f in "$build"/tests/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	cp -p "$f" "$root/thv/tests/"
	n=$((n + 1))
done
[ $n -gt 0 ] || echo "mkinitramfs: warning: no test executables in $build/tests" >&2

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -6 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -k "$out" | cut -f1) KiB, $n tests)"
