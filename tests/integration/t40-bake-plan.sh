#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The plan of a build (build --dry-run, text and JSON): the default qemu
# profile delivers faasd at first boot (its pinned URL and sha256 in
# faasd.env, no faasd binary among the files), a baked profile carries
# exactly the pinned binary at /usr/local/bin/faasd and says why it must
# not be shared, upstream containerd comes from its tarball, the timestamp
# comes from the lock unless SOURCE_DATE_EPOCH says otherwise, and an
# unpinned artifact stops the plan with exit 4.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
need_cmd python3
bake_lock

faasd_sha=$FAASD_STANDIN_AMD64_SHA256

"$FAASD_IMAGE" build --dry-run --json >"$T/qemu.json" || die "dry run of qemu failed"
assert_eq first-boot "$(json_get "$T/qemu.json" 'j["delivery"]')" "qemu delivery"
assert_eq "out/qemu/qemu.qcow2" "$(json_get "$T/qemu.json" 'j["outputs"][0]')" "first output"
assert_eq "[]" "$(json_get "$T/qemu.json" \
	'[f for f in j["files"] if f["path"] == "/usr/local/bin/faasd"]')" "faasd binary in qemu"
assert_eq False "$(json_get "$T/qemu.json" \
	'[a["baked"] for a in j["artifacts"] if a["component"] == "faasd"][0]')" "faasd baked"
env_text=$(json_get "$T/qemu.json" \
	'[f["content"] for f in j["files"] if f["path"] == "/etc/faasd-image/faasd.env"][0]')
assert_contains "$env_text" "FAASD_SHA256=$faasd_sha"
assert_contains "$env_text" "FAASD_URL=https://github.com/openfaas/faasd/releases/download/0.19.7/faasd"
assert_contains "$(json_get "$T/qemu.json" 'j["units"]')" "faasd-fetch.service"
assert_contains "$(json_get "$T/qemu.json" 'j["base"]["packages"]')" "'containerd'"
assert_contains "$(json_get "$T/qemu.json" 'j["base"]["packages"]')" "'linux-image-cloud-amd64'"
assert_eq None "$(json_get "$T/qemu.json" 'j["base"]["mirror"]')" "bootstrap mirror"
assert_eq "1733011200 lock" "$(json_get "$T/qemu.json" \
	'"%d %s" % (j["source_date_epoch"], j["source_date_epoch_from"])')" "timestamp"

SOURCE_DATE_EPOCH=1234 "$FAASD_IMAGE" build --dry-run --json >"$T/sde.json"
assert_eq "1234 environment" "$(json_get "$T/sde.json" \
	'"%d %s" % (j["source_date_epoch"], j["source_date_epoch_from"])')" "timestamp from env"

"$FAASD_IMAGE" build --dry-run --json --set faasd.delivery=baked >"$T/baked.json" ||
	die "dry run of a baked profile failed"
assert_eq baked "$(json_get "$T/baked.json" 'j["delivery"]')" "baked delivery"
assert_eq "artifact faasd" "$(json_get "$T/baked.json" \
	'[f["kind"] + " " + f["artifact"] for f in j["files"] if f["path"] == "/usr/local/bin/faasd"][0]')" \
	"faasd binary in the baked plan"
assert_eq "$faasd_sha" "$(json_get "$T/baked.json" \
	'[a["sha256"] for a in j["artifacts"] if a["component"] == "faasd" and a["baked"]][0]')" \
	"baked faasd hash"
assert_eq "[]" "$(json_get "$T/baked.json" \
	'[u for u in j["units"] if u == "faasd-fetch.service"]')" "fetch unit in a baked plan"
"$FAASD_IMAGE" build --dry-run --set faasd.delivery=baked >"$T/baked.txt"
assert_contains "$(cat "$T/baked.txt")" "EULA forbids redistributing"

"$FAASD_IMAGE" build --dry-run --json --set components.containerd.source=upstream \
	--set components.containerd.version=1.7.27 >"$T/up.json" || die "upstream containerd plan"
assert_eq "['bin/containerd', 'bin/containerd-shim-runc-v2', 'bin/ctr']" "$(json_get "$T/up.json" \
	'[f["members"] for f in j["files"] if f["path"] == "/usr/local/bin"][0]')" "containerd members"
assert_eq "[]" "$(json_get "$T/up.json" \
	'[p for p in j["base"]["packages"] if p == "containerd"]')" "distro containerd with upstream"

# An artifact without a pinned sha256 stops the plan, naming it.
grep -v '^artifact faasd-prometheus' "$FAASD_IMAGE_LOCK" >"$T/unpinned.lock"
echo "artifact faasd-prometheus 0.19.7 all $RAW/prometheus.yml" >>"$T/unpinned.lock"
rc=0
FAASD_IMAGE_LOCK=$T/unpinned.lock "$FAASD_IMAGE" build --dry-run >/dev/null 2>"$T/err" || rc=$?
assert_eq 4 "$rc" "exit status with an unpinned artifact"
assert_contains "$(cat "$T/err")" "faasd-prometheus 0.19.7 (all) has no sha256 pinned"
echo ok
