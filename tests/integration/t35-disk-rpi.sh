#!/bin/sh
# SPDX-License-Identifier: MIT
#
# t35-disk-rpi: disk_assemble() with the Raspberry Pi layout. A directory of
# boot files (with a subdirectory, as overlays/ is) goes onto the FAT
# "system-boot" at 4 MiB, the tree onto the ext4 "writable"; a size of 1500
# MiB with rounding asked for gives a 2 GiB disk (raspi3b needs a power of
# two). The MBR, the labels, the disk ID derived from the seed, the boot
# files' contents and their timestamps (the epoch, whatever the time zone)
# are checked, and a second assembly in another zone gives the same bytes.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

driver="$FAASD_IMAGE_TOP/${BUILD:-build/default}/tests/test-disk"
[ -x "$driver" ] || skip "needs '$driver' (make unit)"
need_cmd sfdisk mkfs.fat mcopy mdir mtype mke2fs debugfs e2fsck blkid python3

tmpdir_new
t=$TMPDIR_NEW
epoch=1700000000
seed="t35-rpi:$epoch"
mib=1048576

mkdir -p "$t/boot/overlays" "$t/root/etc"
printf 'arm_64bit=1\nenable_uart=1\nupstream_kernel=1\n' >"$t/boot/config.txt"
echo 'console=ttyS1,115200 root=LABEL=writable rw rootwait' >"$t/boot/cmdline.txt"
head -c 200000 /dev/zero | tr '\0' 'd' >"$t/boot/bcm2837-rpi-3-b.dtb"
head -c 5000 /dev/zero | tr '\0' 'o' >"$t/boot/overlays/disable-bt.dtbo"
echo long >"$t/boot/a-rather-long-file-name.txt"
echo writable-root >"$t/root/etc/hostname"

mkdir "$t/a" "$t/b"
TZ=UTC "$driver" assemble rpi arm64 "$t/root" "$t/boot" "" 1500M 1 "$seed" $epoch \
	"$t/a/sd.img"
img=$t/a/sd.img
assert_eq 2147483648 "$(stat -c %s "$img")" "size rounded to a power of two"

want_id=$(python3 -c 'import hashlib, sys
print("0x" + hashlib.sha256(sys.argv[1].encode()).hexdigest()[:8])' "$seed:disk")
sfdisk --json "$img" >"$t/pt.json"
python3 - "$t/pt.json" "$want_id" <<'EOF' || die "unexpected partition table: $(cat "$t/pt.json")"
import json, sys
pt = json.load(open(sys.argv[1]))["partitiontable"]
parts = pt["partitions"]
assert pt["label"] == "dos", pt["label"]
assert pt["id"] == sys.argv[2], (pt["id"], sys.argv[2])
assert len(parts) == 2, parts
assert parts[0]["start"] == 8192 and parts[0]["size"] == 524288, parts[0]
assert parts[0]["type"] == "c", parts[0]
assert parts[1]["start"] == 532480 and parts[1]["type"] == "83", parts[1]
assert parts[1]["start"] + parts[1]["size"] == 4194304, parts[1]
EOF

boot_off=$((4 * mib))
root_off=$((260 * mib))
probe=$(blkid -p -O $boot_off -o export "$img")
assert_contains "$probe" "LABEL=system-boot" "boot probe"
assert_contains "$probe" "TYPE=vfat" "boot probe"
probe=$(blkid -p -O $root_off -o export "$img")
assert_contains "$probe" "LABEL=writable" "root probe"
assert_contains "$probe" "TYPE=ext4" "root probe"
e2fsck -fn "$img?offset=$root_off" >"$t/fsck" 2>&1 || die "e2fsck: $(cat "$t/fsck")"
assert_eq writable-root "$(debugfs -R 'cat /etc/hostname' "$img?offset=$root_off" 2>/dev/null)" \
	"/etc/hostname"

export MTOOLS_SKIP_CHECK=1
fat="$img@@$boot_off"
assert_eq "$(cat "$t/boot/config.txt")" "$(mtype -i "$fat" ::/config.txt)" "config.txt"
assert_eq "$(cat "$t/boot/cmdline.txt")" "$(mtype -i "$fat" ::/cmdline.txt)" "cmdline.txt"
mcopy -i "$fat" ::/overlays/disable-bt.dtbo "$t/dtbo"
cmp "$t/dtbo" "$t/boot/overlays/disable-bt.dtbo" || die "overlays/disable-bt.dtbo differs"
mcopy -i "$fat" ::/a-rather-long-file-name.txt "$t/long"
assert_eq long "$(cat "$t/long")" "a long file name"
# FAT keeps local time: the epoch must show as UTC whatever TZ the build ran in.
TZ=UTC mdir -i "$fat" ::/ >"$t/dir"
assert_contains "$(grep -i 'config' "$t/dir")" "2023-11-14  22:13" "timestamp of config.txt"

TZ=America/New_York "$driver" assemble rpi arm64 "$t/root" "$t/boot" "" 1500M 1 "$seed" \
	$epoch "$t/b/sd.img"
cmp "$img" "$t/b/sd.img" || die "two assemblies in different time zones differ"

# Names FAT cannot tell apart are refused rather than silently merged.
echo x >"$t/boot/Config.TXT"
if "$driver" assemble rpi arm64 "$t/root" "$t/boot" "" 1G 1 "$seed" $epoch \
	"$t/b/clash.img" 2>"$t/clash.err"; then
	die "boot files differing only in case were accepted"
fi
assert_contains "$(cat "$t/clash.err")" "differ only in case" "case clash error"
[ ! -e "$t/b/clash.img" ] || die "a failed assembly left its output"
echo "ok: Raspberry Pi disk assembled, checked and reproducible"
