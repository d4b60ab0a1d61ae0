#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Builds the default profile (qemu) from the test world: artifacts from the
# world's nginx through --mirror, Debian packages through mmdebstrap as
# usual. Checks that the outputs exist and SHA256SUMS verifies them; that
# manifest.json lists the pinned inputs, the image's packages and every
# output with its real sha256; that the first-boot image holds no faasd
# binary but the pinned URL and hash, and no SSH host key, machine id or
# password; then builds the same profile baked, from the warm bootstrap
# cache (mmdebstrap must not run), and finds exactly the pinned faasd in
# it. The bootstrap cache lives in the test world's cache directory, so
# only the first run on a machine pays for the bootstrap.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"
need_root
need_cmd mmdebstrap nginx openssl python3 debugfs qemu-img sfdisk sha256sum
world_need FAASD_STANDIN_AMD64
bake_lock

httpd_start "$ARTIFACTS_DIR" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

# The cache (bootstrap trees, verified artifacts) is shared between runs.
cache=$FAASD_IMAGE_TEST_CACHE/bake-cache
mkdir -p "$cache"

build() {
	# build OUT_DIR [ARGS...]: sets RC; output in $T/build.json, log in $T/build.err
	_out=$1
	shift
	RC=0
	"$FAASD_IMAGE" build --out-dir "$_out" --cache "$cache" --mirror "$HTTPS_URL" --json \
		"$@" >"$T/build.json" 2>"$T/build.err" || RC=$?
	cat "$T/build.err" >&2
}

# root_fs IMAGE: the raw root filesystem of a built image, for debugfs.
root_fs() {
	qemu-img convert -O raw "$1" "$T/disk.raw" || die "qemu-img convert '$1'"
	_start=$(sfdisk --json "$T/disk.raw" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
parts = [p for p in t["partitions"] if p["type"].upper() in
	("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", "83")]
print(parts[-1]["start"] * t.get("sectorsize", 512))')
	ROOTFS="$T/disk.raw?offset=$_start"
}

dbg() {
	debugfs -R "$1" "$ROOTFS" 2>/dev/null
}

out=$T/out
build "$out"
assert_eq 0 "$RC" "exit status of the qemu build"
d=$out/qemu
for f in qemu.qcow2 seed.img user-data manifest.json SHA256SUMS; do
	assert_file "$d/$f"
done
(cd "$d" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS does not verify"
assert_contains "$(cat "$T/build.err")" "delivered at first boot"
assert_eq first-boot "$(json_get "$T/build.json" 'j["delivery"]')" "summary delivery"

m=$d/manifest.json
compose=$(awk '$2 == "faasd-compose" { for (i = 6; i <= NF; i++) if ($i ~ /^sha256=/)
	print substr($i, 8) }' "$FAASD_IMAGE_LOCK")
assert_eq "$compose" "$(json_get "$m" \
	'[a["sha256"] for a in j["artifacts"] if a["component"] == "faasd-compose"][0]')" \
	"manifest: faasd-compose sha256"
assert_eq "$FAASD_STANDIN_AMD64_SHA256" "$(json_get "$m" \
	'[a["sha256"] for a in j["artifacts"] if a["component"] == "faasd"][0]')" \
	"manifest: faasd sha256"
for p in containerd cloud-init linux-image-cloud-amd64 systemd; do
	assert_contains "$(json_get "$m" '" ".join(p["name"] for p in j["packages"])')" " $p " \
		"manifest packages"
done
for f in qemu.qcow2 seed.img user-data; do
	assert_eq "$(sha256sum "$d/$f" | cut -d' ' -f1)" "$(json_get "$m" \
		"[o['sha256'] for o in j['outputs'] if o['name'] == '$f'][0]")" "manifest sha256 of $f"
done
assert_eq 1733011200 "$(json_get "$m" 'j["source_date_epoch"]')" "manifest timestamp"

root_fs "$d/qemu.qcow2"
dbg "stat /usr/local/bin/faasd" | grep -q Inode && die "first-boot image holds /usr/local/bin/faasd"
assert_contains "$(dbg 'cat /etc/faasd-image/faasd.env')" "FAASD_SHA256=$FAASD_STANDIN_AMD64_SHA256"
assert_contains "$(dbg 'cat /etc/systemd/system/faasd-fetch.service')" "fetch-faasd"
assert_contains "$(dbg 'stat /etc/systemd/system/multi-user.target.wants/faasd-fetch.service')" \
	"Type: symlink" "faasd-fetch.service enabled"
assert_eq "" "$(dbg 'ls /etc/ssh' | tr -s ' \n' '\n' | grep ssh_host_ || true)" "SSH host keys"
assert_eq "" "$(dbg 'cat /etc/machine-id')" "machine id"
dbg "stat /var/lib/faasd/secrets/basic-auth-password" | grep -q Inode &&
	die "the image holds a basic-auth password"
assert_eq "$compose" "$(dbg 'cat /var/lib/faasd/docker-compose.yaml' | sha256sum | cut -d' ' -f1)" \
	"docker-compose.yaml in the image"

# Baked, from the warm cache: mmdebstrap may report its version, nothing more.
mkdir -p "$T/bin"
cat >"$T/bin/mmdebstrap" <<'WRAP'
#!/bin/sh
[ "${1:-}" = --version ] && exec /usr/bin/mmdebstrap --version
echo "mmdebstrap ran: $*" >>"${MMDEBSTRAP_LOG:?}"
exit 1
WRAP
chmod +x "$T/bin/mmdebstrap"
export MMDEBSTRAP_LOG=$T/mmdebstrap.log
PATH=$T/bin:$PATH build "$out" --set faasd.delivery=baked
[ ! -e "$MMDEBSTRAP_LOG" ] || die "a warm build ran mmdebstrap: $(cat "$MMDEBSTRAP_LOG")"
assert_eq 0 "$RC" "exit status of the baked build"
assert_eq True "$(json_get "$T/build.json" 'j["base_cached"]')" "base from the cache"
assert_contains "$(cat "$T/build.err")" "EULA forbids redistributing"
root_fs "$d/qemu.qcow2"
assert_eq "$FAASD_STANDIN_AMD64_SHA256" "$(dbg 'cat /usr/local/bin/faasd' | sha256sum | cut -d' ' -f1)" \
	"baked faasd"
dbg "stat /etc/systemd/system/faasd-fetch.service" | grep -q Inode &&
	die "a baked image holds the fetch unit"

# Interrupted while the base is unpacked: exit 130, the previous outputs as
# they were, no temporary left behind.
before=$(cd "$d" && sha256sum qemu.qcow2 seed.img user-data manifest.json SHA256SUMS)
"$FAASD_IMAGE" build --out-dir "$out" --cache "$cache" --mirror "$HTTPS_URL" \
	>/dev/null 2>"$T/int.err" &
pid=$!
i=0
until ls -a "$d" | grep -q '^\.rootfs\.faasd-image-tmp\.'; do
	i=$((i + 1))
	[ $i -lt 600 ] || die "the build never started unpacking its base"
	sleep 0.2
done
sleep 1
kill -INT $pid
rc=0
wait $pid || rc=$?
assert_eq 130 "$rc" "exit status of an interrupted build"
assert_eq "$before" "$(cd "$d" && sha256sum qemu.qcow2 seed.img user-data manifest.json SHA256SUMS)" \
	"outputs after an interrupted build"
assert_eq "" "$(ls -a "$d" | grep faasd-image-tmp || true)" "temporaries after an interrupted build"

echo ok
