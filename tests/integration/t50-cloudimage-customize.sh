#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The cloud-image base (builder/base-image.c) and its libguestfs root tree
# (builder/rootfs-guestfs.c), driven by tests/data/cloudimage/customize-driver.c
# (compiled here against the build tree's objects) until `faasd-image build`
# takes a `base.kind: cloud-image` profile. The base is the test world's
# fixture cloud image when it has one (CLOUD_IMAGE_AMD64), else the tiny
# image of tests/data/cloudimage/mkimage.sh.
#
# Hostile bases are refused with one clear line and leave nothing in the
# output directory: a qcow2 with a backing file, a truncated qcow2 (both
# before any VM starts), an arm64 image for an amd64 build. The customized
# image is then checked with `faasd-image inspect --check`: the copied-in
# binary and the enabled unit are there, the per-instance state the driver
# planted is gone, and a deleted file's contents are not in the disk's bytes.
# Three libguestfs launches.
set -u
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

need_cmd cc pkg-config guestfish qemu-img sfdisk mkfs.fat mke2fs python3
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "libguestfs needs a kernel in /boot (linux-image-amd64)"
export LIBGUESTFS_BACKEND=direct

top=$FAASD_IMAGE_TOP
build=$top/${BUILD:-build/default}
objs=""
for o in "$build"/*.o; do
	[ -f "$o" ] && [ "${o##*/}" != main.o ] && objs="$objs $o"
done
[ -n "$objs" ] || skip "no objects in '$build': run make first"

tmpdir_new
d=$TMPDIR_NEW
out=$d/out
mkdir -p "$out"
driver=$d/customize-driver
libs=$(sed -n 's/^LIBS_PC := //p' "$top/Makefile")
san=""
case $build in *sanitize*) san="-fsanitize=address,undefined" ;; esac
# shellcheck disable=SC2086,SC2046 # lists, split on purpose
cc -std=gnu11 -O1 -g $san -I"$top/builder" -o "$driver" \
	"$top/tests/data/cloudimage/customize-driver.c" $objs $(pkg-config --libs $libs) ||
	die "cannot compile the driver"

base=""
if [ -s "$FAASD_IMAGE_TEST_CACHE/world.env" ]; then
	# shellcheck disable=SC1091
	. "$FAASD_IMAGE_TEST_CACHE/world.env"
	base=${CLOUD_IMAGE_AMD64:-}
fi
if [ -z "$base" ] || [ ! -f "$base" ]; then
	base=$d/mini.qcow2
	sh "$top/tests/data/cloudimage/mkimage.sh" amd64 "$base" qcow2 || die "cannot make an image"
fi
echo "base image: $base"
base_sum=$(sha256sum "$base" | cut -d' ' -f1)
printf '#!/bin/sh\necho stand-in faasd\n' >"$d/faasd"
canary="faasd-image-deleted-$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

# out_empty WHAT: the output directory holds nothing, temporaries included.
out_empty() {
	left=$(ls -A "$out")
	[ -z "$left" ] || die "$1 left files in the output directory: $left"
}

# refused WHAT IMAGE ARCH MESSAGE: the driver fails with MESSAGE and leaves nothing.
refused() {
	"$driver" "$2" "$3" "$out/x.qcow2" 0 "$d/faasd" "$canary" >"$d/err" 2>&1
	rc=$?
	cat "$d/err"
	[ $rc -ne 0 ] || die "$1 was accepted"
	assert_contains "$(cat "$d/err")" "$4" "the error for $1"
	out_empty "$1"
}

# A backing file would make QEMU read another file of this host.
qemu-img create -q -f qcow2 -b "$base" -F qcow2 "$d/backed.qcow2" || die "qemu-img create failed"
refused "a backing file" "$d/backed.qcow2" amd64 "has a backing file '$base'; refusing"

qemu-img convert -q -O qcow2 "$base" "$d/cut.qcow2"
size=$(stat -c %s "$d/cut.qcow2")
truncate -s $((size / 2)) "$d/cut.qcow2"
refused "a truncated image" "$d/cut.qcow2" amd64 "is corrupt or truncated"

printf 'not a disk\n' >"$d/text.img"
truncate -s 1 "$d/text.img"
refused "a one-byte file" "$d/text.img" amd64 "refusing"

# Launch 1: the right format, the wrong architecture.
sh "$top/tests/data/cloudimage/mkimage.sh" arm64 "$d/arm64.qcow2" qcow2 || die "no arm64 image"
refused "an arm64 image" "$d/arm64.qcow2" amd64 "is for 'aarch64', the profile for 'amd64'"

# Launch 2: customize.
start=$(date +%s)
"$driver" "$base" amd64 "$out/custom.qcow2" 3G "$d/faasd" "$canary" || die "customizing failed"
echo "customized in $(($(date +%s) - start)) s"
assert_eq "$base_sum" "$(sha256sum "$base" | cut -d' ' -f1)" "the base image's sha256"
assert_eq "custom.qcow2" "$(ls -A "$out")" "the output directory"
vsize=$(qemu-img info --output=json "$out/custom.qcow2" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
assert_eq 3221225472 "$vsize" "the grown virtual size"

# Launch 3: what inspect sees.
"$FAASD_IMAGE" inspect --check --json --canary "$canary" "$out/custom.qcow2" >"$d/report.json"
rc=$?
assert_eq 0 "$rc" "inspect --check of the customized image"
python3 - "$d/report.json" "$(sha256sum "$d/faasd" | cut -d' ' -f1)" <<'EOF' ||
import json, sys
r = json.load(open(sys.argv[1]))
assert r["findings"] == [], r["findings"]
assert r["canary"] == "absent", r["canary"]
assert r["faasd"]["delivery"] == "baked", r["faasd"]
assert r["faasd"]["sha256"] == sys.argv[2], r["faasd"]
assert {"target": "multi-user.target.wants", "unit": "faasd-fetch.service"} in r["units"], r["units"]
assert r["os"]["arch"] == "x86_64", r["os"]
EOF
	die "inspect's report of the customized image is wrong: $(cat "$d/report.json")"
echo "ok: hostile bases refused; customized image clean, binary and unit in place"
