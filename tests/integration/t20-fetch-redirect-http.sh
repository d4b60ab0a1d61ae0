#!/bin/sh
# SPDX-License-Identifier: MIT
#
# An https download redirected to plain http is refused (https only unless
# plain http is allowed): exit 4, one error line, nothing cached, and the
# plain-http target never requested. With --allow-http the same redirect
# is followed, which shows the refusal was the protocol's.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

need_cmd curl
make_lock faasd
: >"$T/extra.conf"
serve "$T/extra.conf"
# Now that the plain-http port is known, point the redirect at it.
cat >"$T/extra.conf" <<CONF
location = /down$P_FAASD { return 302 $HTTPD_URL$P_FAASD; }
CONF
nginx -p "$HTTPD_DIR" -c "$HTTPD_DIR/nginx.conf" -s reload
n=0
until curl -s -o /dev/null -w '%{http_code}' --cacert "$HTTPD_CA" "$HTTPS_URL/down$P_FAASD" |
	grep -q 302; do
	n=$((n + 1))
	[ $n -lt 100 ] || die "nginx did not reload"
	sleep 0.1
done
: >"$HTTPD_ACCESS_LOG"

run_fetch --mirror "$HTTPS_URL/down"
assert_failed_cleanly "redirected to a URL whose protocol is not allowed"
assert_eq 1 "$(requests "/down$P_FAASD")" "requests (no retry)"
assert_eq 0 "$(requests "$P_FAASD")" "requests that followed the redirect"

run_fetch --mirror "$HTTPS_URL/down" --allow-http
assert_eq 0 "$RC" "the same redirect with --allow-http"
assert_eq 1 "$(requests "$P_FAASD")" "requests that followed the redirect with --allow-http"
echo "ok"
