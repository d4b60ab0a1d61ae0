#!/bin/sh
# SPDX-License-Identifier: MIT
#
# `faasd-image build` of a profile whose base is a published cloud image
# (base.kind: cloud-image): the test world's signed fixture image, pinned in
# a test lock by 'lock --update' from its signed SHA256SUMS, served with the
# artifact tree by the world's nginx. Checks that the outputs exist, that
# SHA256SUMS verifies them, that manifest.json names the base image's URL
# and sha256, and that `inspect --check` finds the image clean, first-boot
# delivery and faasd-fetch enabled. Refused: a squashfs output (at plan
# time, before any download) and an arm64 base image for an amd64 profile
# (exit 5, nothing left in the output directory). One successful build;
# two libguestfs launches in all, slow without KVM.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"
need_root
need_cmd nginx openssl python3 qemu-img gpgv sha256sum guestfish
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "libguestfs needs a kernel in /boot (linux-image-amd64)"
world_need CLOUD_IMAGES_DIR
world_need CLOUD_IMAGE_AMD64
world_need CLOUD_IMAGE_KEYRING
world_need FAASD_STANDIN_AMD64
export LIBGUESTFS_BACKEND=direct

# One tree laid out like upstream: the artifacts, and the cloud images under their host.
www=$T/www
mkdir -p "$www"
for e in "$ARTIFACTS_DIR"/*; do
	ln -s "$e" "$www/${e##*/}"
done
host=cloud-images.ubuntu.com
ln -s "$CLOUD_IMAGES_DIR" "$www/$host"

bake_lock
U=https://$host/${CLOUD_IMAGE_AMD64_PATH%/*}
img_line() {
	# img_line ARCH IMAGE_PATH: the lock's image entry of that fixture image
	echo "image test-cloudimg $1 https://$host/$2 checksums=$U/SHA256SUMS" \
		"signature=$U/SHA256SUMS.gpg keyring=$CLOUD_IMAGE_KEYRING"
}
img_line amd64 "$CLOUD_IMAGE_AMD64_PATH" >>"$FAASD_IMAGE_LOCK"
if [ -n "${CLOUD_IMAGE_ARM64_PATH:-}" ] && [ -f "${CLOUD_IMAGE_ARM64:-}" ]; then
	img_line arm64 "$CLOUD_IMAGE_ARM64_PATH" >>"$FAASD_IMAGE_LOCK"
fi
"$FAASD_IMAGE" lock --update --lock "$FAASD_IMAGE_LOCK" --mirror "$www" \
	--cache "$T/lock-cache" >"$T/lock.out" 2>"$T/lock.err" ||
	{ cat "$T/lock.err" >&2; die "lock --update of the image entries failed"; }
want=$(sha256sum "$CLOUD_IMAGE_AMD64" | cut -d' ' -f1)
grep -q "^image test-cloudimg amd64 .*sha256=$want" "$FAASD_IMAGE_LOCK" ||
	die "lock --update did not pin the image's sha256 $want"

httpd_start "$www" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

write_profile() {
	# write_profile FILE OUTPUTS: the test profile, with that outputs list
	cat >"$1" <<YAML
description: faasd VM from the test world's fixture cloud image
arch: amd64
board: generic
base:
  kind: cloud-image
  image: test-cloudimg
outputs: [$2]
disk_size: 4G
components:
  containerd: {source: upstream, version: 1.7.27}
  runc: {source: upstream, version: 1.1.12}
  cni: {source: upstream, version: 0.9.1}
  faasd: {source: upstream, version: 0.19.7}
faasd:
  delivery: first-boot
  edition: ce
hostname: faasd
YAML
}
profile=$T/cloudtest.yaml
write_profile "$profile" "qcow2, seed"
mkdir -p "$T/sq"
write_profile "$T/sq/cloudtest.yaml" "qcow2, squashfs"
cache=$T/cache

build() {
	# build OUT_DIR [ARGS...]: sets RC; summary in $T/build.json, log in $T/build.err
	_out=$1
	shift
	RC=0
	"$FAASD_IMAGE" build --profile "${PROFILE:-$profile}" --out-dir "$_out" --cache "$cache" \
		--mirror "$HTTPS_URL" --json "$@" >"$T/build.json" 2>"$T/build.err" || RC=$?
	cat "$T/build.err" >&2
}

# A squashfs needs a tree on the host: refused when planning, before any download.
PROFILE=$T/sq/cloudtest.yaml
build "$T/sq/out"
PROFILE=""
assert_eq 3 "$RC" "exit status with a squashfs output"
assert_contains "$(cat "$T/build.err")" "cannot be made from a cloud image base"
[ ! -e "$cache/sha256/$want" ] || die "the image was downloaded for a refused plan"

out=$T/out
build "$out"
assert_eq 0 "$RC" "exit status of the cloud-image build"
d=$out/cloudtest
for f in cloudtest.qcow2 seed.img manifest.json SHA256SUMS; do
	assert_file "$d/$f"
done
left=$(ls -A "$d" | grep -v -x -e cloudtest.qcow2 -e seed.img -e manifest.json \
	-e SHA256SUMS || true)
[ -z "$left" ] || die "the build left other files in '$d': $left"
(cd "$d" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS does not verify"
assert_eq qcow2 "$(qemu-img info --output=json "$d/cloudtest.qcow2" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["format"])')" "output format"

m=$d/manifest.json
assert_eq cloud-image "$(json_get "$m" 'j["base"]["kind"]')" "manifest base kind"
assert_eq "https://$host/$CLOUD_IMAGE_AMD64_PATH $want" "$(json_get "$m" \
	'" ".join([a["url"] + " " + a["sha256"] for a in j["artifacts"]
		if a["component"] == "base-image"])')" "manifest base image input"
echo "manifest packages: $(json_get "$m" 'len(j["packages"])')"

"$FAASD_IMAGE" inspect --check --json "$d/cloudtest.qcow2" >"$T/inspect.json" \
	2>"$T/inspect.err" || { cat "$T/inspect.err" >&2; die "inspect --check failed"; }
assert_eq first-boot "$(json_get "$T/inspect.json" 'j["faasd"]["delivery"]')" \
	"inspect delivery"
assert_eq True "$(json_get "$T/inspect.json" \
	'any(u["unit"] == "faasd-fetch.service" for u in j["units"])')" "faasd-fetch enabled"
assert_eq None "$(json_get "$T/inspect.json" 'j["faasd"]["sha256"]')" \
	"a faasd binary in a first-boot image"

# An arm64 image for an amd64 profile: refused, nothing left behind.
if grep -q "^image test-cloudimg arm64 " "$FAASD_IMAGE_LOCK"; then
	sed -i 's/^image test-cloudimg amd64 /image test-cloudimg-amd64 amd64 /;
		s/^image test-cloudimg arm64 /image test-cloudimg amd64 /' \
		"$FAASD_IMAGE_LOCK"
	build "$T/wrong"
	assert_eq 5 "$RC" "exit status with an arm64 base image"
	assert_contains "$(cat "$T/build.err")" "arm64"
	left=$(ls -A "$T/wrong/cloudtest" 2>/dev/null || true)
	[ -z "$left" ] || die "the refused build left files: $left"
else
	echo "no arm64 fixture image: wrong-arch refusal not checked"
fi
