#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh - pack the initramfs the test VM boots: busybox-static,
# /init (scripts/initramfs-init.sh) and thv for one guest kernel:
#
#   /thv/thv.ko            BUILD/<kver>/thv.ko
#   /thv/bin/thv           BUILD/user/thv
#   /thv/bin/thv-bench     BUILD/user/thv-bench (make bench)
#   /thv/kvm/*.ko          kvm, kvm-amd, kvm-intel and what they need,
#                          from /lib/modules/KVER (make bench)
#   /thv/payloads/*.bin    BUILD/payloads/*.bin, *.elf (C payloads,
#                          multiboot kernels)
#   /thv/tests/*           the executable files in BUILD/tests/
#   /thv/lib/*.sh          tests/lib/*.sh, sh libraries the test scripts
#                          source (tests/lib/tmux.sh, tests/lib/tap.sh;
#                          scripts/lessons.sh sources tap.sh from there)
#   /thv/bin/lessons.sh    scripts/lessons.sh, the lesson checker
#   /thv/docs/             docs/tour.md and docs/lessons/*.md
#   /usr/bin/trace-cmd     trace-cmd and its libraries, the same way
#   /usr/bin/tmux          tmux with the shared libraries ldd lists, the
#                          dynamic loader and a few terminfo entries, for
#                          tests that drive a program through a terminal
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

# Test scripts source their libraries from /thv/lib (tap.sh: the TAP
# output every test script and lessons.sh share); lessons.sh checks
# the lessons in /thv/docs/lessons against the runner (tests/
# lessons_test.sh).
mkdir -p "$root/thv/lib" "$root/thv/docs/lessons"
cp "$repo"/tests/lib/*.sh "$root/thv/lib/" 2>/dev/null || true
install -m 0755 "$repo/scripts/lessons.sh" "$root/thv/bin/lessons.sh"
cp "$repo"/docs/*.md "$root/thv/docs/"
cp "$repo"/docs/lessons/*.md "$root/thv/docs/lessons/" 2>/dev/null || true

# copy_dynamic FILE: FILE and every shared library ldd lists for it, the
# dynamic loader included, at the same paths in the initramfs.  cp -L:
# Debian's library names are symbolic links to versioned files.
copy_dynamic() {
	local lib
	mkdir -p "$root$(dirname "$1")"
	cp -L "$1" "$root$1"
	# "libc.so.6 => /lib/.../libc.so.6 (0x...)" and the loader's
	# "/lib64/ld-linux-x86-64.so.2 (0x...)"; linux-vdso has no file.
	for lib in $(ldd "$1" | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' \
			-e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

# tmux, for tests that type into a program through a real terminal
# (tests/lib/tmux.sh).  ncurses (tmux's libtinfo, and libedit's) looks
# for terminfo entries in /etc/terminfo, /lib/terminfo and
# /usr/share/terminfo; tmux's panes are "screen" or "tmux" terminals,
# the VM console is "linux", and xterm/vt100/dumb are common TERMs.
tmux_bin=$(command -v tmux || true)
if [ -n "$tmux_bin" ]; then
	copy_dynamic "$tmux_bin"
	[ "$tmux_bin" = /usr/bin/tmux ] ||
		{ mkdir -p "$root/usr/bin"; ln -sf "$tmux_bin" "$root/usr/bin/tmux"; }
	for t in tmux tmux-256color screen screen-256color xterm \
		 xterm-256color linux vt100 dumb; do
		for d in /etc/terminfo /lib/terminfo /usr/share/terminfo; do
			[ -e "$d/${t:0:1}/$t" ] || continue
			mkdir -p "$root/lib/terminfo/${t:0:1}"
			cp -L "$d/${t:0:1}/$t" "$root/lib/terminfo/${t:0:1}/$t"
			break
		done
	done
	mkdir -p "$root/usr/share"
	ln -s ../../lib/terminfo "$root/usr/share/terminfo"
	# tmux refuses to start without a UTF-8 locale: it tries C.UTF-8,
	# which glibc loads from /usr/lib/locale/C.utf8 (400 KiB).
	if [ -d /usr/lib/locale/C.utf8 ]; then
		mkdir -p "$root/usr/lib/locale"
		cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/"
	else
		echo "mkinitramfs: warning: no /usr/lib/locale/C.utf8:" \
			"tmux will not start" >&2
	fi
else
	echo "mkinitramfs: warning: no tmux (make deps): terminal tests will skip" >&2
fi

# trace-cmd, so a test can record thv's tracepoints (thv:thv_entry,
# thv:thv_exit) the way a student would (tests/tracecmd_test.sh).
tracecmd_bin=$(command -v trace-cmd || true)
if [ -n "$tracecmd_bin" ]; then
	copy_dynamic "$tracecmd_bin"
	[ "$tracecmd_bin" = /usr/bin/trace-cmd ] ||
		{ mkdir -p "$root/usr/bin"; ln -sf "$tracecmd_bin" "$root/usr/bin/trace-cmd"; }
else
	echo "mkinitramfs: warning: no trace-cmd (make deps): its test will skip" >&2
fi

# The benchmark (user/tools/bench.c) and KVM itself, so that `make bench`
# can compare thv with kvm_amd / kvm_intel in the same guest
# (initramfs-init.sh, thv.mode=bench).  Debian 6.12 ships its modules
# xz-compressed; busybox insmod wants them plain.  Listed in load order:
# kvm needs irqbypass, kvm-amd needs kvm and ccp.
[ -x "$build/user/thv-bench" ] && cp "$build/user/thv-bench" "$root/thv/bin/"
mkdir -p "$root/thv/kvm"
for m in irqbypass kvm ccp kvm-amd kvm-intel; do
	f=$(modinfo -n -k "$kver" "$m" 2>/dev/null) || f=
	case "$f" in
	*.ko.xz) xz -dc "$f" >"$root/thv/kvm/$m.ko" ;;
	*.ko) cp "$f" "$root/thv/kvm/$m.ko" ;;
	*) echo "mkinitramfs: warning: no $m.ko for $kver: make bench cannot run KVM" >&2 ;;
	esac
done

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
