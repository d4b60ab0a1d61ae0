#!/bin/sh
# SPDX-License-Identifier: MIT
#
# 503 with Retry-After is transient: retried as often as allowed (counted
# in nginx's access log), then a clear failure with nothing cached; and
# when the server recovers between attempts, the retry succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock faasd
touch "$T/busy"
cat >"$T/extra.conf" <<CONF
location = $P_FAASD {
	if (-f $T/busy) {
		add_header Retry-After 1 always;
		return 503;
	}
}
CONF
serve "$T/extra.conf"

FAASD_IMAGE_RETRIES=2 run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "HTTP status 503 (gave up after 3 attempts)"
assert_eq 3 "$(requests "$P_FAASD")" "requests (1 + 2 retries)"
assert_eq 2 "$(grep -c 'retrying in 1.0 s' "$ERR")" "retries honouring Retry-After"

# The server recovers after the first 503: the retry fetches it.
: >"$HTTPD_ACCESS_LOG"
(
	n=0
	while [ "$(requests "$P_FAASD")" -lt 1 ] && [ $n -lt 300 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	rm -f "$T/busy"
) &
watcher=$!
run_fetch --mirror "$HTTPS_URL"
wait $watcher
assert_eq 0 "$RC" "fetch that recovers after a 503"
assert_eq 2 "$(requests "$P_FAASD")" "requests (one 503, one success)"
assert_file "$CACHE/sha256/$(pinned_sha faasd)"
echo "ok"
