#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A download with one byte flipped fails its sha256 check: exit 4, one
# error line naming both hashes, one request only (a hash mismatch is never
# retried), nothing in the cache; the next good run succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
mkdir -p "$T/bad"
cp "$ARTIFACTS_DIR$P_FAASD" "$T/bad/faasd"
printf '\377' | dd of="$T/bad/faasd" bs=1 seek=4096 conv=notrunc 2>/dev/null
cat >"$T/extra.conf" <<CONF
location = $P_FAASD { alias $T/bad/faasd; }
CONF
serve "$T/extra.conf"

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "sha256 mismatch for faasd 0.19.7 amd64"
assert_contains "$(cat "$ERR")" "expected $(pinned_sha faasd), got $(sha256sum "$T/bad/faasd" | cut -d' ' -f1)"
assert_eq 1 "$(requests "$P_FAASD")" "requests (no retry on a hash mismatch)"

assert_good_run
echo "ok"
