#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# install-deps.sh - install the Debian 12 packages thv needs to build and to
# boot its test VM.  Only what is missing is installed: a second run checks
# with dpkg-query and returns at once, without touching the network.
#
# Runs as root (as in CI) or through sudo; never asks questions.
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/install-deps.sh [--check] [--help]
Install the Debian packages needed by thv (build tools, QEMU, Bochs, the 6.1
and 6.12 guest kernels with their headers, busybox, kselftest sources,
tmux, trace-cmd).
  --check   only list missing packages; exit 1 if any are missing
USAGE
}

# Why each package is here:
#   build-essential gcc make binutils  userspace + module build
#   qemu-system-x86                     the test VM (TCG with +svm,+npt)
#   bochs bochsbios vgabios             the Intel VMX test VM: QEMU's TCG
#                                       has no VMX, Bochs emulates it
#                                       (scripts/run-bochs.sh); its BIOS
#                                       and VGA BIOS images
#   syslinux syslinux-common mtools     Bochs boots only disks: the boot
#   dosfstools fdisk                    loader, FAT16 tools (no mount, no
#                                       root) and sfdisk (scripts/mkdisk.sh)
#   linux-image-* linux-headers-*       guest kernels 6.1 and 6.12, and the
#                                       headers thv.ko is built against
#   busybox-static cpio                 the test VM's initramfs
#   kmod xz-utils zstd                  module tools; Debian's kbuild needs
#                                       xz/zstd for compressed modules
#   libelf-dev                          kbuild (objtool) for 6.x kernels
#   libcapstone-dev                     the runner's disassembler (--trace)
#   libedit-dev libbsd-dev              line editing and history at the
#   libncurses-dev                      `thv run --step` prompt: the runner
#                                       links -ledit -ltinfo -lbsd -lmd
#                                       statically (libmd-dev comes with
#                                       libbsd-dev)
#   linux-source-6.1                    kselftest_harness.h for tests/
#   tmux                                packed into the test VM: tests
#                                       that type into the stepper
#                                       through a terminal (tests/lib/tmux.sh)
#   trace-cmd                           packed into the test VM: records
#                                       thv's tracepoints (tests/tracecmd_test.sh)
#   socat python3                       make shell LANE=vmx (Bochs's serial
#                                       port is a socket; socat joins it to
#                                       the terminal) and scripts/bench-profile.sh
PACKAGES=(
	build-essential gcc make binutils
	qemu-system-x86
	bochs bochsbios vgabios
	syslinux syslinux-common mtools dosfstools fdisk
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	busybox-static cpio
	kmod xz-utils zstd
	libelf-dev libcapstone-dev
	libedit-dev libbsd-dev libncurses-dev
	linux-source-6.1
	tmux trace-cmd
	socat python3
)

check_only=0
case "${1:-}" in
-h|--help) usage; exit 0 ;;
--check) check_only=1 ;;
"") ;;
*) echo "install-deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages present"
	exit 0
fi

echo "install-deps: missing: ${missing[*]}"
[ $check_only -eq 1 ] && exit 1

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null ||
		{ echo "install-deps: not root and no sudo; run as root" >&2; exit 1; }
	sudo=(sudo)
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
echo "install-deps: installed ${missing[*]}"
