#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A base "cloud image" for the test world, in the shape of Ubuntu's published
# ones, made from the Debian root tree of 30-rootfs: a GPT disk with
# partition 1 ext4 (label cloudimg-rootfs) and partition 15 an EFI system
# partition (FAT32, label UEFI) holding a standalone GRUB (grub-mkimage,
# reproducible) that boots /vmlinuz and /initrd.img from the root with
# console=ttyS0 net.ifnames=0. cloud-init is set to NoCloud. Built without
# mounts or loop devices (sfdisk on a truncated file, mke2fs -d and
# mkfs.fat at the partitions' offsets, mtools), then converted to qcow2.
#
# Published like an image server: cloud-images/noble/current/
# noble-server-cloudimg-ARCH.img with SHA256SUMS and SHA256SUMS.gpg (an
# armored detached signature by a throw-away key made for this fixture),
# and that key as a keyring for gpgv. The names are Ubuntu's; the bytes
# are Debian 12. One image per root tree of 30-rootfs: amd64 (GRUB
# x86_64-efi, console ttyS0) and arm64 (GRUB arm64-efi from Debian's
# grub-efi-arm64-bin, unpacked, not installed; console ttyAMA0).
# Publishes CLOUD_IMAGES_DIR (the server root; both images and one signed
# SHA256SUMS), CLOUD_IMAGE_AMD64 / _ARM64, CLOUD_IMAGE_AMD64_PATH / _ARM64_PATH
# (paths below the root) and CLOUD_IMAGE_KEYRING.
set -eu
top=${FAASD_IMAGE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib/fixture.sh"
fx_begin cloud-image

SERIES=noble
DISK_MIB=2048
ESP_START_MIB=1
ESP_MIB=106
EPOCH=1700000000
DISK_GUID=8d0b8f5e-3f43-4a4c-9a51-0c0e9b8e3a01
ROOT_PARTUUID=5d2bdb2b-8c1b-4e7e-8a3a-9d3c1f6a0a01
ESP_PARTUUID=a7f4f0d3-0d7e-4b6e-b1d2-1e2c3f4a5b01
ROOT_FSUUID=1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f1
ESP_ID=4ACE0001
REL=cloud-images/$SERIES/current

# The architectures whose root trees 30-rootfs made.
arches=""
keys=""
for a in amd64 arm64; do
	v=$(echo "ROOTFS_$a" | tr a-z A-Z)
	f=$(fx_env_get 30-rootfs "$v")
	[ -n "$f" ] && [ -f "$f" ] || continue
	arches="$arches $a"
	keys="$keys $a=$(fx_env_get 30-rootfs "${v}_KEY")"
done
case $arches in
*amd64*) ;;
*) fx_die "no amd64 root tree: 30-rootfs must run first" ;;
esac

# Keyed by this script, not by tests/lib/fixture.sh: its helpers do not
# change what goes into the image, and a rebuild costs minutes.
key=$({
	cat "$0"
	echo "$keys"
	fx_pkgver grub-efi-amd64-bin e2fsprogs dosfstools mtools fdisk qemu-utils gnupg
} | fx_hash | cut -c1-16)
out=$FX_CACHE/cloud-image-$key

# The cloud-init and mount configuration a cloud image carries.
configure_root() {
	r=$1
	mkdir -p "$r/etc/cloud/cloud.cfg.d" "$r/boot/efi"
	cat >"$r/etc/cloud/cloud.cfg.d/90-faasd-image-test-world.cfg" <<'CFG'
# faasd-image test world: a NoCloud image (seed on a cidata volume).
datasource_list: [ NoCloud, None ]
# Debian's apt variant has no locales package; C.UTF-8 needs none.
locale: C.UTF-8
CFG
	cat >"$r/etc/fstab" <<'FSTAB'
LABEL=cloudimg-rootfs	/	ext4	discard,errors=remount-ro	0 1
LABEL=UEFI	/boot/efi	vfat	umask=0077,nofail	0 1
FSTAB
	printf 'localhost\n' >"$r/etc/hostname"
	# cloud-init renders its network config for systemd-networkd here (no
	# ifupdown, no netplan), and Debian leaves networkd disabled.
	sd=$r/etc/systemd/system
	mkdir -p "$sd/multi-user.target.wants" "$sd/sockets.target.wants" \
		"$sd/network-online.target.wants"
	ln -sf /lib/systemd/system/systemd-networkd.service "$sd/multi-user.target.wants/"
	ln -sf /lib/systemd/system/systemd-networkd.service \
		"$sd/dbus-org.freedesktop.network1.service"
	ln -sf /lib/systemd/system/systemd-networkd.socket "$sd/sockets.target.wants/"
	ln -sf /lib/systemd/system/systemd-networkd-wait-online.service \
		"$sd/network-online.target.wants/"
}

# grub_efi ARCH WORK: writes WORK/BOOT.EFI, a standalone GRUB whose embedded
# config boots the root partition's /vmlinuz and /initrd.img.
grub_efi() {
	case $1 in
	amd64)
		format=x86_64-efi
		moddir=/usr/lib/grub/x86_64-efi
		console="console=tty1 console=ttyS0"
		;;
	arm64)
		format=arm64-efi
		fx_deb_extract "$(fx_deb arm64 grub-efi-arm64-bin \
			"$(dpkg-query -W -f='${Version}' grub-efi-amd64-bin)")" "$2/grub"
		moddir=$2/grub/usr/lib/grub/arm64-efi
		console="console=ttyAMA0"
		;;
	esac
	cat >"$2/grub-early.cfg" <<GRUB
search --no-floppy --label cloudimg-rootfs --set=root
set timeout=0
linux /vmlinuz root=LABEL=cloudimg-rootfs ro $console net.ifnames=0
initrd /initrd.img
boot
GRUB
	grub-mkimage -O "$format" -d "$moddir" -p /EFI/BOOT -c "$2/grub-early.cfg" \
		-o "$2/BOOT.EFI" part_gpt ext2 fat search search_label linux normal \
		configfile efi_gop echo test
}

# disk ARCH WORK IMAGE: the raw GPT disk of ARCH's root tree, as qcow2.
disk() {
	arch=$1 w=$2
	v=$(echo "ROOTFS_$arch" | tr a-z A-Z)
	rootfs=$(fx_env_get 30-rootfs "$v")
	rm -rf "$w"
	mkdir -p "$w/root"
	fx_log "$arch: unpacking '$rootfs'"
	tar -C "$w/root" --numeric-owner -xpf "$rootfs"
	[ -e "$w/root/vmlinuz" ] && [ -e "$w/root/initrd.img" ] ||
		fx_die "root tree has no /vmlinuz or /initrd.img"
	configure_root "$w/root"
	grub_efi "$arch" "$w"
	case $arch in
	amd64) efi=BOOTX64.EFI ;;
	arm64) efi=BOOTAA64.EFI ;;
	esac

	raw=$w/disk.raw
	truncate -s "${DISK_MIB}M" "$raw"
	root_start=$((ESP_START_MIB + ESP_MIB))
	root_mib=$((DISK_MIB - root_start - 1))
	sfdisk --quiet "$raw" <<PT
label: gpt
label-id: $DISK_GUID
unit: sectors
first-lba: 34

${raw}15 : start=$((ESP_START_MIB * 2048)), size=$((ESP_MIB * 2048)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$ESP_PARTUUID, name="UEFI"
${raw}1 : start=$((root_start * 2048)), size=$((root_mib * 2048)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$ROOT_PARTUUID, name="cloudimg-rootfs"
PT

	fx_log "$arch: writing ext4 ($root_mib MiB) and FAT ($ESP_MIB MiB)"
	E2FSPROGS_FAKE_TIME=$EPOCH mke2fs -q -F -t ext4 -L cloudimg-rootfs -U "$ROOT_FSUUID" \
		-E "root_owner=0:0,hash_seed=$ROOT_FSUUID,offset=$((root_start * 1048576))" \
		-d "$w/root" "$raw" "${root_mib}M"
	# mkfs.fat notes that the file is larger than the filesystem: expected.
	SOURCE_DATE_EPOCH=$EPOCH mkfs.fat -F 32 -s 1 -n UEFI -i "$ESP_ID" --invariant \
		--offset $((ESP_START_MIB * 2048)) "$raw" $((ESP_MIB * 1024)) >/dev/null 2>&1
	esp="$raw@@$((ESP_START_MIB * 1048576))"
	SOURCE_DATE_EPOCH=$EPOCH mmd -i "$esp" ::/EFI ::/EFI/BOOT
	SOURCE_DATE_EPOCH=$EPOCH mcopy -i "$esp" "$w/BOOT.EFI" "::/EFI/BOOT/$efi"

	fx_log "$arch: converting to qcow2"
	qemu-img convert -f raw -O qcow2 -c -o compression_type=zstd "$raw" "$3"
	rm -rf "$w"
}

# sign DIR: SHA256SUMS of DIR's images, signed by a new throw-away key
# whose public part goes to DIR/../../../keyring.gpg.
sign() {
	(cd "$1" && sha256sum *.img | sed 's/  / */') >"$1/SHA256SUMS"
	gh=$(mktemp -d)
	GNUPGHOME=$gh gpg --batch --quiet --passphrase '' --quick-gen-key \
		"faasd-image test world (throw-away) <test-world@faasd-image.invalid>" \
		ed25519 sign never 2>/dev/null
	GNUPGHOME=$gh gpg --batch --quiet --armor --detach-sign \
		-o "$1/SHA256SUMS.gpg" "$1/SHA256SUMS"
	GNUPGHOME=$gh gpg --batch --quiet --export >"$2"
	GNUPGHOME=$gh gpgconf --kill all 2>/dev/null || true
	rm -rf "$gh"
	gpgv --quiet --keyring "$2" "$1/SHA256SUMS.gpg" "$1/SHA256SUMS" 2>/dev/null ||
		fx_die "the fresh signature does not verify"
}

build() {
	t=$(fx_tmp "$out")
	mkdir -p "$t/$REL"
	for a in $arches; do
		disk "$a" "$t/.work" "$t/$REL/$SERIES-server-cloudimg-$a.img"
	done
	sign "$t/$REL" "$t/keyring.gpg"
	fx_commit "$t" "$out"
}

if fx_built "$out"; then
	fx_log "cached: $out"
else
	fx_log "building $out ($arches )"
	build
fi
fx_prune cloud-image "$out"
lines="CLOUD_IMAGES_DIR=$out CLOUD_IMAGE_KEYRING=$out/keyring.gpg"
for a in $arches; do
	v=$(echo "CLOUD_IMAGE_$a" | tr a-z A-Z)
	p=$REL/$SERIES-server-cloudimg-$a.img
	lines="$lines $v=$out/$p ${v}_PATH=$p"
done
# shellcheck disable=SC2086
fx_env 40-cloud-image $lines
