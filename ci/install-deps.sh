#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs every Debian package that faasd-image needs to build, to run its
# pipeline and to run its whole test suite. Idempotent: packages already
# present are left alone, and apt is not asked at all when nothing is missing.
# Uses the machine's own apt configuration; names no mirror.
set -eu

# Build: compiler, headers and pkg-config files of the libraries we link.
build="gcc make pkg-config libyaml-dev libcurl4-openssl-dev libssl-dev
libarchive-dev libguestfs-dev zlib1g-dev"

# Pipeline: the tools the builder runs from an argv.
pipeline="mmdebstrap qemu-utils e2fsprogs dosfstools mtools fdisk
squashfs-tools xz-utils bmap-tools gpgv gnupg grub-efi-amd64-bin
grub-common ovmf qemu-system-x86 qemu-system-arm qemu-efi-aarch64
qemu-user-static binfmt-support skopeo umoci genisoimage
linux-image-amd64 libguestfs-tools arch-test"

# Tests: real servers and validators, fuzzing and sanitizers.
tests="nginx-light cloud-init python3-yaml clang libclang-rt-14-dev
busybox-static iproute2 openssl curl ca-certificates procps
containerd runc containernetworking-plugins dpkg-dev
gcc-aarch64-linux-gnu libc6-dev-arm64-cross guestfish"

# Benchmarks.
bench="hyperfine gnuplot-nox genimage time"

want="$build $pipeline $tests $bench"
# The arm64-efi GRUB modules (grub-mkimage for arm64 disks) are built only
# for arm64; the package is Multi-Arch: foreign, so any host can install the
# arm64 one once dpkg knows that architecture (added below when missing).
want="$want grub-efi-arm64-bin:arm64"
missing=""
for pkg in $want; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $pkg"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run this script as root to install them" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
case $missing in
*:arm64*)
	if [ "$(dpkg --print-architecture)" != arm64 ] &&
		! dpkg --print-foreign-architectures | grep -qx arm64; then
		dpkg --add-architecture arm64
	fi
	;;
esac
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
echo "install-deps: done"
