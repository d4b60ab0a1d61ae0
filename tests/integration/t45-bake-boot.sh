#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The whole product in one test: builds the default profile (qemu) from the
# test world with the core images preloaded from the world's OCI archives,
# then boots it with 'faasd-image test' (QEMU, the world's artifact tree as
# the guest's mirror for the first-boot download of faasd) and expects a
# healthy host: cloud-init done, containerd, faasd-fetch, faasd-provider
# and faasd active, the gateway answering. Slow (several minutes under
# TCG); the bootstrap cache is shared with t40-bake-qemu.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"
need_root
need_cmd mmdebstrap nginx openssl python3 qemu-system-x86_64 qemu-img
world_need FAASD_STANDIN_AMD64 IMAGES_DIR
bake_lock

httpd_start "$ARTIFACTS_DIR" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

cache=$FAASD_IMAGE_TEST_CACHE/bake-cache
mkdir -p "$cache"
"$FAASD_IMAGE" build --out-dir "$T/out" --cache "$cache" --mirror "$HTTPS_URL" \
	--set faasd.preload_images=true --set "faasd.images_from=$IMAGES_DIR" ||
	die "building the qemu profile failed"
assert_file "$T/out/qemu/qemu.qcow2"
assert_contains "$(cat "$T/out/qemu/manifest.json")" '"delivery":"first-boot"'

rc=0
"$FAASD_IMAGE" test --timeout 1800 --mirror "$HTTPD_URL/" --json "$T/out/qemu/qemu.qcow2" >"$T/report.json" ||
	rc=$?
cat "$T/report.json"
assert_eq 0 "$rc" "exit status of faasd-image test"
assert_contains "$(cat "$HTTPD_ACCESS_LOG")" "/faasd/releases/download/0.19.7/faasd" \
	"the guest's first-boot download"
echo ok
