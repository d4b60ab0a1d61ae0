#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A cache on a file system that fills up (a 1 MiB tmpfs, mounted here as
# root) fails the download cleanly: exit 4, one error line saying so, no
# partial file and no entry left; no retry (a full disk is not transient).
# The next run with room succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"
need_root
need_cmd mount umount

make_lock containerd
serve
mkdir -p "$T/small"
mount -t tmpfs -o size=1m tmpfs "$T/small" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs here: $(cat "$T/mount.err")"
at_exit "umount '$T/small'"
CACHE=$T/small/cache

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "No space left on device"
assert_eq 0 "$(grep -c 'retrying' "$ERR" || true)" "retries of a full disk"
assert_eq 1 "$(requests "$P_CONTAINERD")" "requests"

CACHE=$T/cache
assert_good_run
echo "ok"
