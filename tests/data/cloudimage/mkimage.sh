#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Makes a tiny disk image in the shape of a published cloud image, for the
# tests of the cloud-image base and of `faasd-image inspect`: a GPT with an
# ESP (FAT, label UEFI) and an ext4 root labelled cloudimg-rootfs holding
# just enough of a Debian 12 tree for libguestfs's inspection (os-release,
# fstab, dpkg status, a /bin/ls that is only an ELF header of the wanted
# architecture) and nothing per-instance. No root, no loop device, no
# mount: sfdisk, mkfs.fat and mke2fs -d write straight into the file.
#
#   mkimage.sh ARCH OUT [FORMAT]     ARCH amd64|arm64, FORMAT raw (default) or qcow2
set -eu

arch=$1 out=$2 format=${3:-raw}
case $arch in
amd64) machine='\076' ;;
arm64) machine='\267' ;;
*) echo "mkimage: unknown arch '$arch'" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT
t=$work/root

mkdir -p "$t/etc/ssh" "$t/etc/systemd/system/multi-user.target.wants" "$t/usr/bin" \
	"$t/usr/lib/systemd/system" "$t/var/lib/dpkg" "$t/var/lib/cloud" "$t/var/log" \
	"$t/root" "$t/home/debian" "$t/boot/efi" "$t/tmp" "$t/var/tmp" "$t/opt" "$t/usr/local/bin"
ln -s usr/bin "$t/bin"
ln -s usr/lib "$t/lib"

# An ELF header is all that libguestfs's architecture check reads.
elf() {
	printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000%b' "$machine"
	printf '\000\001\000\000\000'
	head -c 40 /dev/zero
}
for b in ls bash sh echo rm; do
	elf >"$t/usr/bin/$b"
	chmod 0755 "$t/usr/bin/$b"
done

cat >"$t/etc/os-release" <<'END'
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
END
echo 12.8 >"$t/etc/debian_version"
echo cloudimg >"$t/etc/hostname"
printf '127.0.0.1\tlocalhost\n' >"$t/etc/hosts"
cat >"$t/etc/fstab" <<'END'
LABEL=cloudimg-rootfs	/	ext4	discard,errors=remount-ro	0 1
LABEL=UEFI	/boot/efi	vfat	umask=0077	0 1
END
: >"$t/etc/machine-id"
echo 'not a kernel' >"$t/boot/vmlinuz-6.1.0-28-cloud-$arch"
cat >"$t/usr/lib/systemd/system/ssh.service" <<'END'
[Unit]
Description=OpenBSD Secure Shell server

[Service]
ExecStart=/usr/sbin/sshd -D

[Install]
WantedBy=multi-user.target
END
ln -s /usr/lib/systemd/system/ssh.service "$t/etc/systemd/system/multi-user.target.wants/ssh.service"
for p in "cloud-init 22.4.2-1+deb12u1" "containerd 1.6.20~ds1-1+b1" "runc 1.1.5+ds1-1+deb12u1"; do
	# shellcheck disable=SC2086 # "name version", split on purpose
	set -- $p
	printf 'Package: %s\nStatus: install ok installed\nArchitecture: %s\nVersion: %s\n\n' \
		"$1" "$arch" "$2"
done >"$t/var/lib/dpkg/status"

disk=$work/disk.raw
truncate -s 64M "$disk"
sfdisk -q "$disk" <<'END'
label: gpt
label-id: 0D2A5A1E-6C9E-4E4C-9B8E-1F2F8A3C4D5E
start=2048, size=16384, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="UEFI"
start=18432, size=110592, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="cloudimg-rootfs"
END
mkfs.fat -n UEFI --offset 2048 "$disk" 8192 >/dev/null 2>&1
mke2fs -q -t ext4 -L cloudimg-rootfs -E offset=$((18432 * 512)),root_owner=0:0 -d "$t" \
	"$disk" 55296k

case $format in
raw) mv "$disk" "$out" ;;
qcow2) qemu-img convert -q -f raw -O qcow2 "$disk" "$out" ;;
*) echo "mkimage: unknown format '$format'" >&2; exit 2 ;;
esac
