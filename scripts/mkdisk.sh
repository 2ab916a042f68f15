#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkdisk.sh - build the raw disk image that the Bochs test VM boots
# (scripts/run-bochs.sh).  Bochs has no "-kernel" option like QEMU: its
# BIOS can only boot a disk, so the kernel and the initramfs go onto one:
#
#   sector 0          MBR: syslinux's mbr.bin boot code + a DOS partition
#                     table with one bootable FAT16 partition
#   sectors 1..2047   unused (the usual 1 MiB alignment gap)
#   sector 2048..     the FAT16 partition: syslinux's boot sector and
#                     ldlinux.sys, syslinux.cfg, VMLINUZ, INITRD.GZ
#
# Boot chain: BIOS -> mbr.bin (loads the boot sector of the bootable
# partition) -> syslinux boot sector (loads ldlinux.sys) -> syslinux reads
# syslinux.cfg, loads the kernel and the initramfs and jumps to the kernel.
#
# Everything is done on plain files, so neither root nor loop devices are
# needed: sfdisk writes a partition table into a file, mkfs.vfat formats a
# second file that holds only the partition, "syslinux --install" and
# mcopy reach into that file through mtools, and dd finally copies the
# partition file into the disk image at its offset.
#
# Output: BUILD_DIR/KVER/bochs-MODE.img
set -euo pipefail

usage() {
	cat <<'USAGE'
Usage: scripts/mkdisk.sh KVER MODE [BUILD_DIR]
Build BUILD_DIR/KVER/bochs-MODE.img, a bootable raw disk holding
/boot/vmlinuz-KVER and BUILD_DIR/KVER/initramfs.cpio.gz (syslinux, FAT16).
  MODE       check | demo | novmx | noept | noug | bench | shell
             (passed to /init as thv.mode=MODE)
  BUILD_DIR  default <repo>/build
Environment:
  THV_TEST_TIMEOUT=300   seconds one test executable may take in the guest
                         (guest time; passed as thv.timeout=)
  THV_BENCH_ARGS         more kernel arguments in bench mode
                         (e.g. "thv.bench_iters=100 thv.bench_clock=bochs")
  THV_KMOD_ARGS          parameters for insmod thv.ko, e.g. "mtf=0"
                         (passed as thv.kmod_args=, commas for spaces)
  THV_TESTS, THV_REPEAT  check mode: only these test executables, all
                         of them N times over (thv.tests=, thv.repeat=)
  THV_KERNEL_ARGS        more guest kernel arguments in every mode
                         (e.g. "nokaslr"; Bochs boots with idle=halt)
USAGE
}

case "${1:-}" in -h|--help|"") usage; [ -n "${1:-}" ]; exit $? ;; esac
[ $# -ge 2 ] || { usage >&2; exit 2; }

repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$1
mode=$2
build=$(cd "${3:-$repo/build}" 2>/dev/null && pwd) ||
	{ echo "mkdisk: no build directory ${3:-$repo/build} (run make)" >&2; exit 1; }
kernel=/boot/vmlinuz-$kver
initrd=$build/$kver/initramfs.cpio.gz
mbr=/usr/lib/syslinux/mbr/mbr.bin
img=$build/$kver/bochs-$mode.img
part=$build/$kver/bochs-$mode.part
cfg=$build/$kver/bochs-$mode.cfg
test_timeout=${THV_TEST_TIMEOUT:-300}

case "$mode" in
check|demo|novmx|noept|noug|shell) extra= ;;
bench) extra=${THV_BENCH_ARGS:-} ;;
*) echo "mkdisk: unknown mode '$mode' (check, demo, novmx, noept, noug, bench or shell)" >&2; exit 2 ;;
esac
extra="$extra ${THV_KERNEL_ARGS:-}"
# Module parameters, the tests to run: scripts/init-args.sh.
. "$repo/scripts/init-args.sh"
init_args=$(thv_init_args mkdisk) || exit 2
extra="$extra$init_args"
[ -r "$kernel" ] || { echo "mkdisk: no kernel $kernel" >&2; exit 1; }
[ -r "$initrd" ] || { echo "mkdisk: no $initrd (run scripts/mkinitramfs.sh)" >&2; exit 1; }
[ -r "$mbr" ] || { echo "mkdisk: no $mbr (install syslinux-common)" >&2; exit 1; }
# sfdisk and mkfs.vfat live in /usr/sbin, which is not in a normal
# user's PATH on Debian; they work on plain files without root.
PATH=$PATH:/usr/sbin:/sbin
for tool in sfdisk mkfs.vfat syslinux mcopy; do
	command -v "$tool" >/dev/null ||
		{ echo "mkdisk: $tool not found (run 'make deps')" >&2; exit 1; }
done

# Sizes are in 512-byte sectors.  The partition holds the two big files
# plus 4 MiB of slack (FAT tables, ldlinux.sys, cluster rounding), and is
# at least 16 MiB so that it has enough clusters to be a valid FAT16.
# The whole disk is a whole number of cylinders of 16 heads x 63 sectors:
# Bochs autodetects the geometry as CHS=<size / 16 / 63>/16/63.
start=2048
mib=2048
files=$(( $(stat -c %s "$kernel") + $(stat -c %s "$initrd") ))
part_sectors=$(( (files / 1048576 + 4) * mib ))
[ $part_sectors -ge $((16 * mib)) ] || part_sectors=$((16 * mib))
cyl=$((16 * 63))
disk_sectors=$(( (start + part_sectors + cyl - 1) / cyl * cyl ))

rm -f "$img" "$part"
# The partition file and the config are only steps: remove them at the
# end, also when a step below fails.
trap 'rm -f "$part" "$cfg"' EXIT

# 1. The disk: a sparse file with a DOS partition table.  Type 0e is
#    "W95 FAT16 (LBA)", the type of a FAT16 partition read by LBA (the
#    BIOS's EDD calls), as mbr.bin and syslinux do; mbr.bin itself only
#    looks for the bootable flag.
truncate -s $((disk_sectors * 512)) "$img"
sfdisk --quiet --no-reread --no-tell-kernel "$img" >/dev/null <<EOF
label: dos
start=$start, size=$part_sectors, type=e, bootable
EOF

# 2. The MBR boot code: mbr.bin is the 440 bytes before the partition
#    table, so it is copied over the start of sector 0 without touching
#    the table that sfdisk wrote after it.
dd if="$mbr" of="$img" bs=440 count=1 conv=notrunc status=none

# 3. The partition as a file of its own.  -h tells the FAT boot sector
#    how many sectors precede it on the disk ("hidden sectors"): the
#    syslinux boot sector adds it to find its own sectors by LBA.
#    -g 16/63 matches the geometry Bochs gives the disk.
mkfs.vfat -F 16 -n THV -h $start -g 16/63 -C "$part" $((part_sectors / 2)) >/dev/null

# 4. syslinux writes its boot sector and ldlinux.sys into the file system
#    (through mtools, no mount needed).
syslinux --install "$part"

# 5. The boot menu: no prompt, boot "thv" at once, talk on COM1 so that
#    a syslinux error reaches the captured console too.  The kernel line
#    follows scripts/run-vm.sh; the console is the first UART at the
#    speed syslinux set up.  reboot=t makes the kernel reboot (as after
#    a panic, panic=-1) by a triple fault, which stops Bochs: it has no
#    equivalent of QEMU's -no-reboot (see scripts/run-bochs.sh).
#    idle=halt: idle CPUs wait in HLT, not MWAIT.  Bochs 2.7 can miss the
#    store that should end an MWAIT: MONITOR invalidates the monitored
#    page in the other CPUs' TLBs by its physical address, which Bochs
#    then uses as a linear one (cpu/mwait.cc, bx_pc_system.invlpg), so
#    a CPU that keeps a TLB entry for the page writes it directly and no
#    wakeup happens.  Linux skips the IPI for a CPU that idles polling
#    (set_nr_if_polling), and that CPU sleeps on until its next
#    interrupt: CPU hotplug (survival.cpu_offline_under_vcpu) hung so,
#    5 boots in 36 with MWAIT, 0 in 20 with HLT.
cat >"$cfg" <<EOF
SERIAL 0 115200
PROMPT 0
TIMEOUT 0
DEFAULT thv
LABEL thv
	KERNEL VMLINUZ
	INITRD INITRD.GZ
	APPEND console=ttyS0,115200 panic=-1 reboot=t idle=halt quiet loglevel=3 thv.mode=$mode thv.timeout=$test_timeout $extra
EOF

mcopy -i "$part" "$kernel" ::VMLINUZ
mcopy -i "$part" "$initrd" ::INITRD.GZ
mcopy -i "$part" "$cfg" ::syslinux.cfg

# 6. The partition into its place in the disk image.
dd if="$part" of="$img" bs=512 seek=$start conv=notrunc,sparse status=none

echo "mkdisk: $img ($((disk_sectors / 2048)) MiB, thv.mode=$mode)"
