#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The boot harness must fail, with the reason, on an image whose containerd
# is disabled: builds the default profile from the test world as a raw
# disk, disables containerd.service in the root filesystem with debugfs
# (no mount): its enablement links removed and the unit masked, since
# faasd's units want containerd and would start it otherwise. Boots it with
# 'faasd-image test' and expects exit 6 with containerd reported not active. The bootstrap cache is
# shared with t40-bake-qemu.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"
need_root
need_cmd mmdebstrap nginx qemu-system-x86_64 debugfs sfdisk python3
world_need FAASD_STANDIN_AMD64
bake_lock

httpd_start "$ARTIFACTS_DIR" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

cache=$FAASD_IMAGE_TEST_CACHE/bake-cache
mkdir -p "$cache"
"$FAASD_IMAGE" build --out-dir "$T/out" --cache "$cache" --mirror "$HTTPS_URL" \
	--set 'outputs=[raw]' || die "building the qemu profile failed"
img=$T/out/qemu/qemu.raw
assert_file "$img"

# The root filesystem is the last partition of the GPT disk.
start=$(sfdisk --json "$img" | python3 -c \
	'import json,sys; t=json.load(sys.stdin)["partitiontable"]; print(t["partitions"][-1]["start"] * t.get("sectorsize", 512))')
fs="$img?offset=$start"
found=0
for wants in multi-user.target.wants sysinit.target.wants; do
	link=/etc/systemd/system/$wants/containerd.service
	if debugfs -R "stat $link" "$fs" 2>/dev/null | grep -q 'Type: symlink'; then
		debugfs -w -R "rm $link" "$fs" >/dev/null 2>&1 || die "cannot remove '$link'"
		found=1
	fi
done
assert_eq 1 "$found" "containerd.service was enabled in the built image"
debugfs -w -R "symlink /etc/systemd/system/containerd.service /dev/null" "$fs" >/dev/null 2>&1 ||
	die "cannot mask containerd.service"
debugfs -R "stat /etc/systemd/system/containerd.service" "$fs" 2>/dev/null | grep -q 'Type: symlink' ||
	die "containerd.service is not masked"

rc=0
"$FAASD_IMAGE" test --timeout 1800 --mirror "$HTTPD_URL/" --json "$img" >"$T/report.json" || rc=$?
cat "$T/report.json"
assert_eq 6 "$rc" "exit status of faasd-image test on an image without containerd enabled"
assert_eq False "$(json_get "$T/report.json" 'j["passed"]')" "passed"
state=$(json_get "$T/report.json" 'j["units"].get("containerd.service")')
case $state in
None | active | "") die "containerd.service reported '$state'" ;;
esac
assert_contains "$(json_get "$T/report.json" 'j["reason"]')" containerd "the reason"
echo "containerd.service: $state"
