#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A build of the default profile (qemu, with a squashfs too) stopped by
# SIGINT or SIGTERM at each kind of stage, with a previous good build's
# outputs in place: while downloading (the mirror sends 64 bytes a second),
# while the cached base is unpacked (tar), while the root filesystem is made
# (mke2fs), while the qcow2 is converted (qemu-img) and while the squashfs
# is made (mksquashfs). The stage is found by watching for the partial
# download or the build's child program, never by sleeping. After each:
# exit 130, exactly one "interrupted by signal N" line, no temporary in the
# output directory or the cache, no program and no mount using the test's
# directories, the previous outputs byte for byte as they were; then a
# build succeeds. Last, SIGKILL while mke2fs runs: the temporaries stay
# (nobody could remove them), and the next build removes them, says so and
# succeeds. The bootstrap tarball is shared with t40 (warm after one run).
set -eu
. "$FAASD_IMAGE_TOP/tests/data/faults/lib.sh"
need_root
need_cmd mmdebstrap nginx openssl python3 qemu-img mke2fs mksquashfs sha256sum pgrep
bake_lock
faults_cache

# /slow/ serves the same tree at 64 bytes a second: a download is under way
# for as long as the test needs.
cat >"$T/slow.conf" <<EOF
location /slow/ {
	alias $ARTIFACTS_DIR/;
	limit_rate 64;
}
EOF
httpd_start "$ARTIFACTS_DIR" "$T/slow.conf" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

out=$T/out
d=$out/qemu
set -- --mirror "$HTTPS_URL" --set "outputs=[qcow2,squashfs,user-data,seed]"
mounts_before=$(grep -cF "$T/" /proc/self/mountinfo || true)
assert_eq 0 "$mounts_before" "mounts under the test directory before"

build_run "$out" "$T/good1.err" "$@"
assert_eq 0 "$RC" "exit status of the first build"
(cd "$d" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS does not verify"
before=$(snapshot "$d")

# interrupt WHAT SIGNAL: sends SIGNAL to the running build, checks the aftermath.
interrupt() {
	kill -s "$2" "$PID"
	build_wait
	case $2 in INT) _sig=2 ;; TERM) _sig=15 ;; esac
	check_failed "$1" 130 "$T/run.err" "$before" "$d" "interrupted"
	assert_contains "$(grep interrupted "$T/run.err")" "interrupted by signal $_sig" "$1"
	[ -z "$CHILD" ] || ! kill -0 "$CHILD" 2>/dev/null || die "after $1: '$CHILD' still runs"
	echo "ok: $1"
}

# partial_growing: a download has started writing its partial file.
partial_growing() {
	find "$CACHE/partial" -name '*.part' -size +0c | grep -q .
}

# During a download: the cached artifacts are dropped, the mirror is slow.
rm -rf "$CACHE/sha256"
build_start "$out" "$T/run.err" --mirror "$HTTPS_URL/slow" \
	--set "outputs=[qcow2,squashfs,user-data,seed]"
CHILD=""
wait_until "a download" partial_growing
interrupt "SIGINT during fetch" INT

build_start "$out" "$T/run.err" "$@"
wait_until "unpacking the base" child_of tar
sleep 1
interrupt "SIGTERM while the base is unpacked" TERM

build_start "$out" "$T/run.err" "$@"
wait_until "mke2fs" child_of mke2fs
interrupt "SIGINT during mke2fs" INT

build_start "$out" "$T/run.err" "$@"
wait_until "qemu-img" child_of qemu-img
interrupt "SIGTERM during qemu-img convert" TERM

build_start "$out" "$T/run.err" "$@"
wait_until "mksquashfs" child_of mksquashfs
interrupt "SIGINT during mksquashfs" INT

build_run "$out" "$T/good2.err" "$@"
assert_eq 0 "$RC" "exit status of the build after the interrupted ones"
(cd "$d" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS does not verify"
before=$(snapshot "$d")

# SIGKILL: nothing can clean up, so the temporaries stay until the next run.
build_start "$out" "$T/run.err" "$@"
wait_until "mke2fs" child_of mke2fs
kill -s KILL "$PID"
build_wait
assert_eq 137 "$RC" "exit status of a killed build"
kill -9 "-$CHILD" 2>/dev/null || true
settle
stale=$(cd "$d" && ls -A | grep -F '.faasd-image-tmp.' || true)
assert_contains "$stale" ".rootfs.faasd-image-tmp.$PID" "temporaries of the killed build"
assert_contains "$stale" "qemu.raw.faasd-image-tmp.$PID" "temporaries of the killed build"
assert_eq "$before" "$(snapshot "$d" | grep -vF '.faasd-image-tmp.')" "outputs after SIGKILL"

build_run "$out" "$T/good3.err" "$@"
assert_eq 0 "$RC" "exit status of the build after SIGKILL"
assert_contains "$(cat "$T/good3.err")" "left by an interrupted run" \
	"log of the build after SIGKILL"
assert_eq "" "$(leftovers)" "left behind after the build that followed SIGKILL"
(cd "$d" && sha256sum --check --quiet SHA256SUMS) || die "SHA256SUMS does not verify"
assert_eq 0 "$(grep -cF "$T/" /proc/self/mountinfo || true)" "mounts under the test directory"
echo ok
