#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A partial download left by a run that was killed (partial/HEX.part) is
# resumed with a Range request and verified as a whole; a partial whose
# bytes are wrong makes the result fail its hash, is removed, and the next
# run starts from nothing and succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
hex=$(pinned_sha faasd)
serve
mkdir -p "$CACHE/partial"
head -c 300000 "$ARTIFACTS_DIR$P_FAASD" >"$CACHE/partial/$hex.part"

run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "resumed fetch"
assert_contains "$(cat "$ERR")" "resuming faasd 0.19.7 amd64 at byte 300000"
line=$(grep "\"GET $P_FAASD HTTP" "$HTTPD_ACCESS_LOG")
assert_contains "$line" "\" 206 $(($(stat -c %s "$ARTIFACTS_DIR$P_FAASD") - 300000)) "
assert_eq "$hex" "$(sha256sum "$CACHE/sha256/$hex" | cut -d' ' -f1)" "resumed entry"
[ ! -e "$CACHE/partial/$hex.part" ] || die "the partial file was kept"

# A partial with wrong bytes: resumed, refused, removed.
rm -rf "$CACHE"
mkdir -p "$CACHE/partial"
head -c 300000 /dev/zero >"$CACHE/partial/$hex.part"
run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "sha256 mismatch for faasd 0.19.7 amd64"

assert_good_run

# A complete, right partial file needs no request at all; a complete but
# wrong one is started over (a 200, not a 206) and the result verifies.
size=$(stat -c %s "$ARTIFACTS_DIR$P_FAASD")
rm -rf "$CACHE"
mkdir -p "$CACHE/partial"
cp "$ARTIFACTS_DIR$P_FAASD" "$CACHE/partial/$hex.part"
: >"$HTTPD_ACCESS_LOG"
run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "fetch with a complete partial file"
assert_eq 0 "$(requests "$P_FAASD")" "requests for a complete partial file"
rm -rf "$CACHE"
mkdir -p "$CACHE/partial"
head -c "$size" /dev/zero >"$CACHE/partial/$hex.part"
run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "fetch with a complete but wrong partial file"
assert_contains "$(grep "\"GET $P_FAASD HTTP" "$HTTPD_ACCESS_LOG")" "\" 200 $size "
assert_eq "$hex" "$(sha256sum "$CACHE/sha256/$hex" | cut -d' ' -f1)" "entry after a restart"
echo "ok"
