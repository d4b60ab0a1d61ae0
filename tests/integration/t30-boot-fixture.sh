#!/bin/sh
# SPDX-License-Identifier: MIT
#
# One TCG boot of the test world's amd64 cloud image (Debian with
# cloud-init, no faasd) with the seed faasd-image test renders: cloud-init
# must finish with status done and the report must show it with its time,
# the missing faasd units must be reported as not found, and the verdict
# must be FAIL with exit 6. The user's image must come out unchanged.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

need_cmd qemu-system-x86_64 qemu-img mkfs.fat mcopy mdir
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || [ -f /usr/share/OVMF/OVMF_CODE.fd ] ||
	skip "needs OVMF (package ovmf)"
world_load
world_need CLOUD_IMAGE_AMD64

tmpdir_new
t=$TMPDIR_NEW
# Boots run from a copy, so that rebuilding faasd-image meanwhile does not
# fail with "Text file busy".
cp "$FAASD_IMAGE" "$t/faasd-image"
FAASD_IMAGE=$t/faasd-image
before=$(sha256sum <"$CLOUD_IMAGE_AMD64")

rc=0
"$FAASD_IMAGE" test --accel tcg --timeout 900 "$CLOUD_IMAGE_AMD64" >"$t/report.txt" \
	2>"$t/err" || rc=$?
cat "$t/err" >&2
cat "$t/report.txt"
report=$(cat "$t/report.txt")

assert_eq 6 "$rc" "exit status for an image without faasd"
assert_contains "$report" "cloud-init status: done" "report"
# cloud-init's milestone has a time, not "not reached".
echo "$report" | grep -Eq '^  cloud-init +[0-9]+\.[0-9] s$' ||
	die "no time for cloud-init in the report"
echo "$report" | grep -Eq '^  faasd\.service +(inactive|not-found)$' ||
	die "faasd.service not reported as inactive or not-found"
assert_contains "$report" "FAIL: " "verdict"
assert_contains "$report" "faasd.service is " "reason"
assert_eq "$before" "$(sha256sum <"$CLOUD_IMAGE_AMD64")" "the image's checksum"
echo "ok"
