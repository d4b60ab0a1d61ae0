#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The artifact mirror of the test world: a directory laid out exactly like
# the upstream release downloads faasd-image fetches (GitHub repository
# name, then the path after the repository), for amd64 and arm64:
#
#   containerd/releases/download/v1.7.27/containerd-1.7.27-linux-ARCH.tar.gz
#   runc/releases/download/v1.1.12/runc.ARCH
#   plugins/releases/download/v0.9.1/cni-plugins-linux-ARCH-v0.9.1.tgz
#   faasd/releases/download/0.19.7/faasd, faasd-arm64   (the stand-in)
#   faasd/raw/0.19.7/docker-compose.yaml, prometheus.yml, resolv.conf
#
# each with the checksum file upstream publishes beside it. The names and
# the layout are the product's contract and use upstream's version numbers;
# the bytes are Debian's (containerd, runc, containernetworking-plugins
# downloaded with a private apt configuration, see tests/lib/fixture.sh),
# and "faasd" is tests/standin, a test double that says it is not faasd.
# Tarballs are reproducible. Publishes ARTIFACTS_DIR and the *_SHA256 of
# the faasd stand-ins.
set -eu
top=${FAASD_IMAGE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib/fixture.sh"
fx_begin artifacts

CONTAINERD_VERSION=1.7.27
RUNC_VERSION=1.1.12
CNI_VERSION=0.9.1
FAASD_VERSION=0.19.7
ARCHES="amd64 arm64"

key=$({
	cat "$0" "$top/tests/lib/fixture.sh" "$top/tests/standin/faasd-standin.c"
	cat "$top"/tests/standin/raw/*
	fx_pkgver containerd runc containernetworking-plugins gcc libc6-dev \
		gcc-aarch64-linux-gnu libc6-dev-arm64-cross
} | fx_hash)
out=$FX_CACHE/artifacts-$(echo "$key" | cut -c1-16)

# Builds the stand-in for ARCH into FILE with the matching static compiler.
standin_build() {
	case $1 in
	amd64) cc=gcc ;;
	arm64) cc=aarch64-linux-gnu-gcc ;;
	esac
	command -v "$cc" >/dev/null || fx_die "'$cc' missing: run ci/install-deps.sh"
	"$cc" -static -Os -s -Wall -Wextra -Werror -ffile-prefix-map="$top"=. \
		-o "$2" "$top/tests/standin/faasd-standin.c"
}

build() {
	t=$(fx_tmp "$out")
	work=$t/.work
	mkdir -p "$work"

	cd_dir=$t/containerd/releases/download/v$CONTAINERD_VERSION
	runc_dir=$t/runc/releases/download/v$RUNC_VERSION
	cni_dir=$t/plugins/releases/download/v$CNI_VERSION
	faasd_dir=$t/faasd/releases/download/$FAASD_VERSION
	raw_dir=$t/faasd/raw/$FAASD_VERSION
	mkdir -p "$cd_dir" "$runc_dir" "$cni_dir" "$faasd_dir" "$raw_dir"

	for arch in $ARCHES; do
		x=$work/$arch
		for pkg in containerd runc containernetworking-plugins; do
			fx_deb_extract "$(fx_deb "$arch" "$pkg")" "$x/root"
		done

		# containerd: every program of Debian's package under bin/.
		mkdir -p "$x/containerd/bin"
		for f in "$x"/root/usr/bin/containerd* "$x"/root/usr/bin/ctr; do
			cp -L "$f" "$x/containerd/bin/"
		done
		name=containerd-$CONTAINERD_VERSION-linux-$arch.tar.gz
		fx_tar_gz "$x/containerd" "$cd_dir/$name" bin
		fx_sha256_file "$cd_dir/$name" sha256sum

		cp -L "$x/root/usr/sbin/runc" "$runc_dir/runc.$arch"
		chmod 0755 "$runc_dir/runc.$arch"
		fx_sha256_file "$runc_dir/runc.$arch" sha256sum

		name=cni-plugins-linux-$arch-v$CNI_VERSION.tgz
		fx_tar_gz "$x/root/usr/lib/cni" "$cni_dir/$name"
		fx_sha256_file "$cni_dir/$name" sha256

		case $arch in
		amd64) bin=faasd ;;
		*) bin=faasd-$arch ;;
		esac
		standin_build "$arch" "$faasd_dir/$bin"
		fx_sha256_file "$faasd_dir/$bin" sha256
	done

	cp "$top"/tests/standin/raw/docker-compose.yaml "$top"/tests/standin/raw/prometheus.yml \
		"$top"/tests/standin/raw/resolv.conf "$raw_dir/"

	rm -rf "$work"
	fx_commit "$t" "$out"
}

if fx_built "$out"; then
	fx_log "cached: $out"
else
	fx_log "building $out"
	build
fi
fx_prune artifacts "$out"

fd=$out/faasd/releases/download/$FAASD_VERSION
fx_env 10-artifacts \
	"ARTIFACTS_DIR=$out" \
	"ARTIFACTS_FAASD_VERSION=$FAASD_VERSION" \
	"FAASD_STANDIN_AMD64=$fd/faasd" \
	"FAASD_STANDIN_ARM64=$fd/faasd-arm64" \
	"FAASD_STANDIN_AMD64_SHA256=$(cut -c1-64 "$fd/faasd.sha256")" \
	"FAASD_STANDIN_ARM64_SHA256=$(cut -c1-64 "$fd/faasd-arm64.sha256")"
