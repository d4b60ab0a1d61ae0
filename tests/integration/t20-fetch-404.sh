#!/bin/sh
# SPDX-License-Identifier: MIT
#
# 404 and 403 are final: exactly one request each (counted in nginx's
# access log), exit 4, one error line with the status, nothing cached.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
cat >"$T/extra.conf" <<CONF
location = $P_FAASD { return 404; }
location = /forbidden$P_FAASD { return 403; }
CONF
serve "$T/extra.conf"

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "HTTP status 404"
assert_eq 1 "$(requests "$P_FAASD")" "requests for a 404"

run_fetch --mirror "$HTTPS_URL/forbidden"
assert_failed_cleanly "HTTP status 403"
assert_eq 1 "$(requests "/forbidden$P_FAASD")" "requests for a 403"

assert_good_run
echo "ok"
