#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A stalled server (nginx sending 64 bytes a second) trips the low-speed
# limit (FAASD_IMAGE_LOW_SPEED_TIME, shortened here from 60 s), is retried
# as a transient failure, then fails clearly with nothing cached.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
cat >"$T/extra.conf" <<CONF
location = $P_FAASD { limit_rate 64; }
CONF
serve "$T/extra.conf"

FAASD_IMAGE_LOW_SPEED_TIME=2 FAASD_IMAGE_RETRIES=1 run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "too slow or timed out"
assert_contains "$(grep 'error:' "$ERR")" "(gave up after 2 attempts)"
assert_eq 2 "$(requests "$P_FAASD")" "requests (1 + 1 retry)"

assert_good_run
echo "ok"
