#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A redirect loop stops after 5 redirects with a clear error and no retry.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
cat >"$T/extra.conf" <<CONF
location = $P_FAASD { return 302 /loop/a; }
location = /loop/a { return 302 /loop/b; }
location = /loop/b { return 302 $P_FAASD; }
CONF
serve "$T/extra.conf"

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "more than 5 redirects"
assert_eq 2 "$(requests "$P_FAASD")" "requests for the looping path (one attempt)"

assert_good_run
echo "ok"
