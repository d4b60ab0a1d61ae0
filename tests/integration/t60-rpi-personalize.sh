#!/bin/sh
# SPDX-License-Identifier: MIT
#
# t60-rpi-personalize: `faasd-image personalize` on a small Raspberry Pi
# disk made by disk_assemble() (the test-disk driver), without a bootstrap.
# It must replace user-data, meta-data and network-config on the FAT
# labelled system-boot, with the profile's hostname and a new instance-id
# (again new on a second run with the same profile), leave every other
# file of the FAT and every byte outside the boot partition as they were,
# delete a network-config when the profile has none, and refuse an .xz, a
# qcow2, a disk without such a partition and a profile that is not a Pi's,
# each with a clear line and without touching the file.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

driver="$FAASD_IMAGE_TOP/${BUILD:-build/default}/tests/test-disk"
[ -x "$driver" ] || skip "needs '$driver' (make unit)"
need_cmd sfdisk mkfs.fat mcopy mdir mtype mke2fs python3 xz qemu-img cmp

tmpdir_new
t=$TMPDIR_NEW
export MTOOLS_SKIP_CHECK=1
mib=1048576

mkdir -p "$t/boot" "$t/root/etc"
printf 'arm_64bit=1\nkernel=vmlinuz-6.1.0-1-arm64\n' >"$t/boot/config.txt"
echo 'console=ttyS1,115200 root=LABEL=writable rw rootwait' >"$t/boot/cmdline.txt"
head -c 300000 /dev/urandom >"$t/boot/vmlinuz-6.1.0-1-arm64"
printf '#cloud-config\nhostname: before\n' >"$t/boot/user-data"
printf 'instance-id: before-1\nlocal-hostname: before\n' >"$t/boot/meta-data"
printf 'version: 2\n' >"$t/boot/network-config"
echo writable-root >"$t/root/etc/hostname"
"$driver" assemble rpi arm64 "$t/root" "$t/boot" "" 300M 0 "t60:1" 1700000000 "$t/sd.img" \
	>/dev/null 2>&1 || die "test-disk assemble failed"
img=$t/sd.img
cp "$img" "$t/before.img"

# Where the partitions are, from sfdisk (not from the code under test).
eval "$(sfdisk --json "$img" | python3 -c '
import json, sys
p = json.load(sys.stdin)["partitiontable"]["partitions"]
print("boot_off=%d boot_len=%d root_off=%d root_len=%d" % (p[0]["start"] * 512,
	p[0]["size"] * 512, p[1]["start"] * 512, p[1]["size"] * 512))')"
fat="$img@@$boot_off"

# fat_file NAME: the file's contents on the FAT
fat_file() {
	mtype -i "$fat" "::/$1"
}

rc=0
"$FAASD_IMAGE" personalize --profile rpi3 --set hostname=pi-kitchen "$img" \
	>"$t/out" 2>"$t/err" || rc=$?
assert_eq 0 "$rc" "personalize exit status ($(cat "$t/err"))"
assert_contains "$(fat_file user-data)" "hostname: pi-kitchen" "user-data"
assert_contains "$(fat_file meta-data)" "local-hostname: pi-kitchen" "meta-data"
assert_contains "$(fat_file network-config)" "dhcp4: true" "network-config"
id1=$(fat_file meta-data | sed -n 's/^instance-id: //p')
[ -n "$id1" ] && [ "$id1" != before-1 ] || die "instance-id not renewed: '$id1'"

# Nothing outside the boot partition changed: the MBR and the whole ext4.
cmp -n "$boot_off" "$img" "$t/before.img" || die "bytes before the boot partition changed"
cmp -i "$root_off:$root_off" -n "$root_len" "$img" "$t/before.img" ||
	die "the ext4 partition changed"
# On the FAT, only the three seed files changed.
for f in config.txt cmdline.txt vmlinuz-6.1.0-1-arm64; do
	mcopy -n -i "$fat" "::/$f" "$t/got" || die "mcopy $f"
	cmp "$t/got" "$t/boot/$f" || die "$f on the FAT changed"
done
mdir -b -i "$fat" ::/ | sed 's|^::/||' | sort >"$t/names"
assert_eq "cmdline.txt config.txt meta-data network-config user-data vmlinuz-6.1.0-1-arm64" \
	"$(tr '\n' ' ' <"$t/names" | sed 's/ $//')" "files on the FAT"

# The same profile again: a new instance-id, so cloud-init runs again.
"$FAASD_IMAGE" personalize --profile rpi3 --set hostname=pi-kitchen "$img" 2>"$t/err" ||
	die "second personalize: $(cat "$t/err")"
id2=$(fat_file meta-data | sed -n 's/^instance-id: //p')
[ -n "$id2" ] && [ "$id2" != "$id1" ] || die "second run kept the instance-id '$id1'"

# A profile without a network section: the old network-config goes.
grep -v -e '^network:' -e '^  ethernet:' -e '^    dhcp:' "$FAASD_IMAGE_TOP/profiles/rpi3.yaml" \
	>"$t/no-network.yaml"
"$FAASD_IMAGE" personalize --profile "$t/no-network.yaml" "$img" 2>"$t/err" ||
	die "personalize without network: $(cat "$t/err")"
mdir -b -i "$fat" ::/ | grep -q network-config && die "network-config left behind"
cmp -i "$root_off:$root_off" -n "$root_len" "$img" "$t/before.img" ||
	die "the ext4 partition changed"

# Refusals: each with a clear line, the file untouched.
cp "$img" "$t/keep.img"
xz -T1 -0 -k -c "$img" >"$t/sd.img.xz"
rc=0
"$FAASD_IMAGE" personalize --profile rpi3 "$t/sd.img.xz" 2>"$t/err" || rc=$?
assert_eq 1 "$rc" "exit status for an .xz"
assert_contains "$(cat "$t/err")" "decompress it first" "message for an .xz"

qemu-img convert -O qcow2 "$img" "$t/sd.qcow2"
rc=0
"$FAASD_IMAGE" personalize --profile rpi3 "$t/sd.qcow2" 2>"$t/err" || rc=$?
assert_eq 1 "$rc" "exit status for a qcow2"
assert_contains "$(cat "$t/err")" "qcow2" "message for a qcow2"

truncate -s 64M "$t/plain.img"
printf 'label: dos\nstart=2048, type=83\n' | sfdisk -q "$t/plain.img"
rc=0
"$FAASD_IMAGE" personalize --profile rpi3 "$t/plain.img" 2>"$t/err" || rc=$?
assert_eq 1 "$rc" "exit status for a disk without system-boot"
assert_contains "$(cat "$t/err")" "no FAT partition labelled 'system-boot'" "message"

rc=0
"$FAASD_IMAGE" personalize --profile qemu "$img" 2>"$t/err" || rc=$?
assert_eq 3 "$rc" "exit status for a profile that is not a Pi's"
rc=0
"$FAASD_IMAGE" personalize "$img" 2>"$t/err" || rc=$?
assert_eq 2 "$rc" "exit status without --profile"
cmp "$img" "$t/keep.img" || die "a refused personalize changed the image"

echo ok
