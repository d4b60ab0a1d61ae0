#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A body shorter than the pinned size (a truncated or replaced file served
# with a consistent Content-Length) is refused before it reaches the cache:
# exit 4, one error line with both sizes, nothing cached; next run good.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
mkdir -p "$T/bad"
head -c 100000 "$ARTIFACTS_DIR$P_FAASD" >"$T/bad/faasd"
cat >"$T/extra.conf" <<CONF
location = $P_FAASD { alias $T/bad/faasd; }
CONF
serve "$T/extra.conf"

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "has 100000 bytes, the lock pins $(stat -c %s "$ARTIFACTS_DIR$P_FAASD")"
assert_eq 1 "$(requests "$P_FAASD")" "requests"

assert_good_run
echo "ok"
