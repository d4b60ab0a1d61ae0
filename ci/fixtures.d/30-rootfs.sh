#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Debian 12 root trees for the test world, made with mmdebstrap and kept as
# uncompressed tarballs: the base of the fixture cloud image, and for any
# test that needs a root tree. One per architecture (amd64, then arm64 under
# qemu-user; FAASD_IMAGE_FIXTURE_ARCHES="amd64" limits it). Instance state
# is left out: no SSH host keys, an empty /etc/machine-id, no apt lists.
# SOURCE_DATE_EPOCH is fixed, so the same packages give the same tarball.
#
# The arm64 tree avoids emulating mkinitramfs more than once: MODULES=list
# with a short list of modules, update-initramfs diverted to a no-op while
# packages install, and one real run at the end (see docs/testing.md).
# Publishes ROOTFS_AMD64 and ROOTFS_ARM64.
set -eu
top=${FAASD_IMAGE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib/fixture.sh"
fx_begin rootfs

ARCHES=${FAASD_IMAGE_FIXTURE_ARCHES:-amd64 arm64}
SOURCE_DATE_EPOCH=1700000000
export SOURCE_DATE_EPOCH

PACKAGES="systemd-sysv udev dbus kmod cloud-init openssh-server ca-certificates
iproute2 curl e2fsprogs iptables containerd runc containernetworking-plugins"

INITRD_MODULES="virtio_pci virtio_mmio virtio_blk virtio_scsi sd_mod mmc_block mmc_core
bcm2835 sdhci-iproc fixed gpio-regulator ext4 crc32c_generic vfat nls_cp437 nls_ascii"

# binfmt_misc is not mounted at boot here; qemu-user-static registers
# qemu-aarch64 once it is.
binfmt_ready() {
	if ! [ -e /proc/sys/fs/binfmt_misc/status ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
			fx_die "cannot mount binfmt_misc"
	fi
	if ! [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
		update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
	fi
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] ||
		fx_die "qemu-aarch64 is not registered with binfmt_misc (qemu-user-static)"
}

# hooks DIR ARCH OUT: writes the mmdebstrap hook scripts (each gets the
# root directory as $1) into DIR; the package list goes to OUT.
hooks() {
	mkdir -p "$1"
	# The initrd's fsck hook cannot probe a chroot's root: name its type.
	cat >"$1/essential" <<'HOOK'
#!/bin/sh
set -eu
mkdir -p "$1/etc/initramfs-tools/conf.d"
echo FSTYPE=ext4 >"$1/etc/initramfs-tools/conf.d/faasd-image-test"
HOOK
	: >"$1/customize-initrd"
	if [ "$2" = arm64 ]; then
		cat >>"$1/essential" <<HOOK
echo MODULES=list >>"\$1/etc/initramfs-tools/conf.d/faasd-image-test"
for m in $(echo $INITRD_MODULES); do echo "\$m"; done >"\$1/etc/initramfs-tools/modules"
HOOK
		cat >>"$1/essential" <<'HOOK'
chroot "$1" dpkg-divert --quiet --local --rename \
	--divert /usr/sbin/update-initramfs.real --add /usr/sbin/update-initramfs
printf '#!/bin/sh\nexit 0\n' >"$1/usr/sbin/update-initramfs"
chmod 0755 "$1/usr/sbin/update-initramfs"
HOOK
		cat >"$1/customize-initrd" <<'HOOK'
rm -f "$1/usr/sbin/update-initramfs"
chroot "$1" dpkg-divert --quiet --local --rename \
	--divert /usr/sbin/update-initramfs.real --remove /usr/sbin/update-initramfs
chroot "$1" update-initramfs -c -k all
HOOK
	fi
	# Instance state: cloud-init and systemd make it at first boot.
	{
		printf '#!/bin/sh\nset -eu\n'
		cat "$1/customize-initrd"
		cat <<'HOOK'
rm -f "$1"/etc/ssh/ssh_host_*
: >"$1/etc/machine-id"
rm -f "$1/var/lib/dbus/machine-id"
rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin
rm -f "$1"/var/log/*.log "$1/var/cache/ldconfig/aux-cache"
HOOK
		echo "chroot \"\$1\" dpkg-query -W -f='\${Package} \${Version}\\n' >'$3/packages.txt'"
	} >"$1/customize"
	chmod 0755 "$1/essential" "$1/customize"
}

# build ARCH OUTDIR
build() {
	arch=$1
	t=$(fx_tmp "$2")
	case $arch in
	amd64) kernel=linux-image-cloud-amd64 ;;
	arm64) kernel=linux-image-arm64 ;;
	esac
	[ "$arch" = amd64 ] || binfmt_ready
	hooks "$t/.hooks" "$arch" "$t"

	mmdebstrap --mode=root --variant=apt --arch="$arch" --format=tar \
		--include="$(echo $PACKAGES $kernel | tr ' ' ',')" \
		--essential-hook="$t/.hooks/essential" \
		--customize-hook="$t/.hooks/customize" \
		bookworm "$t/rootfs.tar" </dev/null >"$t/mmdebstrap.log" 2>&1 || {
		tail -n 40 "$t/mmdebstrap.log" >&2
		fx_die "mmdebstrap ($arch) failed; log in '$t/mmdebstrap.log'"
	}
	rm -rf "$t/.hooks"
	fx_commit "$t" "$2"
}

lines=""
for arch in $ARCHES; do
	# Keyed by this script, not by tests/lib/fixture.sh: its helpers do not
	# change the tree, and a rebuild costs minutes.
	key=$({
		cat "$0"
		echo "$arch"
		fx_pkgver mmdebstrap
	} | fx_hash | cut -c1-16)
	out=$FX_CACHE/rootfs-$arch-$key
	if fx_built "$out"; then
		fx_log "cached: $out"
	else
		fx_log "building $out (amd64: about a minute; arm64: several)"
		start=$(date +%s)
		build "$arch" "$out"
		fx_log "$arch built in $(($(date +%s) - start)) s"
	fi
	fx_prune "rootfs-$arch" "$out"
	var=$(echo "ROOTFS_$arch" | tr a-z A-Z)
	lines="$lines $var=$out/rootfs.tar ${var}_KEY=$key"
done
# shellcheck disable=SC2086
fx_env 30-rootfs $lines
