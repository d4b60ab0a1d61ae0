#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The test world's base cloud images (40-cloud-image), checked without
# booting it (the t30-boot tests boot it): SHA256SUMS carries a signature
# that gpgv accepts with the published keyring and refuses once the sums
# are changed, each image matches its sum, is qcow2, and its GPT has
# partition 1 ext4 "cloudimg-rootfs" and partition 15 an EFI system
# partition (FAT "UEFI") holding EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI on arm64).
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd gpgv qemu-img sfdisk blkid mdir
world_load
world_need CLOUD_IMAGE_AMD64 CLOUD_IMAGE_KEYRING CLOUD_IMAGES_DIR
tmpdir_new
t=$TMPDIR_NEW
dir=$(dirname "$CLOUD_IMAGE_AMD64")

gpgv --keyring "$CLOUD_IMAGE_KEYRING" "$dir/SHA256SUMS.gpg" "$dir/SHA256SUMS" ||
	die "gpgv refused SHA256SUMS"
sed 's/^./0/' "$dir/SHA256SUMS" >"$t/SHA256SUMS"
if gpgv --keyring "$CLOUD_IMAGE_KEYRING" "$dir/SHA256SUMS.gpg" "$t/SHA256SUMS" 2>/dev/null; then
	die "gpgv accepted changed sums"
fi
(cd "$dir" && sha256sum -c SHA256SUMS) || die "image does not match SHA256SUMS"
assert_eq "$CLOUD_IMAGES_DIR/$CLOUD_IMAGE_AMD64_PATH" "$CLOUD_IMAGE_AMD64" "image path"

tag() {
	blkid -p -O "$1" -s "$2" -o value "$t/disk.raw"
}
start() {
	echo "$1" | sed 's/.*start= *\([0-9]*\),.*/\1/'
}

# check IMAGE EFI-NAME
check() {
	fmt=$(qemu-img info --output=json "$1" |
		sed -n 's/.*"format": "\([a-z0-9]*\)".*/\1/p' | head -n 1)
	assert_eq qcow2 "$fmt" "format of '$1'"

	rm -f "$t/disk.raw"
	qemu-img convert -O raw "$1" "$t/disk.raw"
	pt=$(sfdisk -d "$t/disk.raw")
	echo "$pt"
	assert_contains "$pt" "label: gpt" "partition table"
	p1=$(echo "$pt" | grep "^$t/disk.raw1 ") || die "no partition 1"
	p15=$(echo "$pt" | grep "^$t/disk.raw15 ") || die "no partition 15"
	assert_contains "$p1" "type=0FC63DAF-8483-4772-8E79-3D69D8477DE4" "partition 1 type"
	assert_contains "$p15" "type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B" "partition 15 type"

	o1=$(($(start "$p1") * 512))
	o15=$(($(start "$p15") * 512))
	assert_eq ext4 "$(tag "$o1" TYPE)" "partition 1 filesystem"
	assert_eq cloudimg-rootfs "$(tag "$o1" LABEL)" "partition 1 label"
	assert_eq vfat "$(tag "$o15" TYPE)" "partition 15 filesystem"
	assert_eq UEFI "$(tag "$o15" LABEL)" "partition 15 label"
	assert_contains "$(mdir -b -i "$t/disk.raw@@$o15" ::/EFI/BOOT)" "$2" "ESP contents"
}

check "$CLOUD_IMAGE_AMD64" BOOTX64.EFI
if [ -n "${CLOUD_IMAGE_ARM64:-}" ]; then
	assert_eq "$CLOUD_IMAGES_DIR/$CLOUD_IMAGE_ARM64_PATH" "$CLOUD_IMAGE_ARM64" "arm64 path"
	check "$CLOUD_IMAGE_ARM64" BOOTAA64.EFI
fi
echo "ok"
