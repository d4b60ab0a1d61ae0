#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The output directory runs out of space. It is a tmpfs holding the outputs
# of an earlier, smaller build (user-data and seed only); the default
# profile's build into it then fails three ways: a tmpfs too small for the
# base tree (tar), one shrunk to what is in use as soon as mke2fs starts
# (the raw disk cannot grow), and one shrunk as soon as qemu-img starts
# (the qcow2 cannot be written). Each time: exit 5, "No space left on
# device" and the output directory named, no temporary left, the earlier
# outputs byte for byte as they were. The tmpfs is unmounted at exit.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/faults/lib.sh"
need_root
need_cmd mmdebstrap nginx openssl python3 qemu-img mke2fs sha256sum pgrep
bake_lock
faults_cache

httpd_start "$ARTIFACTS_DIR" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

small=$T/small
mkdir "$small"
mount -t tmpfs -o size=64m,mode=0755 faasd-image-test "$small" || skip "cannot mount a tmpfs"
at_exit "umount '$small' || umount -l '$small'"
OWN_MOUNT=$small
out=$small/out
d=$out/qemu

build_run "$out" "$T/small.err" --mirror "$HTTPS_URL" --set "outputs=[user-data,seed]"
assert_eq 0 "$RC" "exit status of the user-data build"
before=$(snapshot "$d")

# used_kib: what the tmpfs holds now, in KiB.
used_kib() {
	df -k --output=used "$small" | tail -n 1 | tr -d ' '
}

# full WHAT STAGE: the build failed for want of space in STAGE.
full() {
	build_wait
	cat "$T/run.err" >&2
	check_failed "$1" 5 "$T/run.err" "$before" "$d" "failed in the $2 stage"
	assert_contains "$(cat "$T/run.err")" "No space left on device" "$1"
	assert_contains "$(grep -F 'failed in the' "$T/run.err")" "'$d'" "$1"
	echo "ok: $1"
}

build_start "$out" "$T/run.err" --mirror "$HTTPS_URL"
CHILD=""
full "a tmpfs too small for the base tree" base

# shrink WHAT PROGRAM STAGE: a large tmpfs, shrunk to what it holds when PROGRAM starts.
shrink() {
	mount -o remount,size=3g "$small" || die "cannot grow the tmpfs"
	build_start "$out" "$T/run.err" --mirror "$HTTPS_URL"
	wait_until "$2" child_of "$2"
	mount -o remount,size=$(($(used_kib) + 4096))k "$small" ||
		die "cannot shrink the tmpfs"
	full "$1" "$3"
}
shrink "no room for the raw disk" mke2fs assemble
shrink "no room for the qcow2" qemu-img convert
echo ok
