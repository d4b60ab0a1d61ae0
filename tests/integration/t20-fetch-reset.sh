#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The connection dies mid-transfer (nginx's worker is killed while it sends
# a rate-limited body). Without retries: exit 4, one error line, nothing
# cached. With retries: the next attempt resumes the partial file with a
# Range request (a 206 in nginx's log) and the result verifies.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"
need_cmd pgrep

make_lock containerd
hex=$(pinned_sha containerd)
cat >"$T/extra.conf" <<CONF
location = $P_CONTAINERD { limit_rate 4m; }
CONF
serve "$T/extra.conf"

# kill_worker_midway: once the partial file has 2 MB, kills nginx's worker
# (the master starts a new one, so the server stays up).
kill_worker_midway() {
	_n=0
	while [ "$(stat -c %s "$CACHE/partial/$hex.part" 2>/dev/null || echo 0)" -lt 2000000 ]; do
		_n=$((_n + 1))
		[ $_n -lt 600 ] || return 0
		sleep 0.05
	done
	_master=$(cat "$HTTPD_DIR/nginx.pid")
	for _w in $(pgrep -P "$_master"); do
		kill -9 "$_w"
	done
}

kill_worker_midway &
killer=$!
FAASD_IMAGE_RETRIES=0 run_fetch --mirror "$HTTPS_URL"
wait $killer
assert_failed_cleanly "cannot download containerd 1.7.27 amd64"
assert_contains "$(grep 'error:' "$ERR")" "(gave up after 1 attempt)"

: >"$HTTPD_ACCESS_LOG"
sleep 0.5
kill_worker_midway &
killer=$!
run_fetch --mirror "$HTTPS_URL"
wait $killer
assert_eq 0 "$RC" "fetch with retries after a reset"
assert_contains "$(cat "$ERR")" "resuming containerd 1.7.27 amd64 at byte"
grep -q "\"GET $P_CONTAINERD HTTP/1.1\" 206 " "$HTTPD_ACCESS_LOG" ||
	die "no 206 (range) response in the access log"
assert_eq "$hex" "$(sha256sum "$CACHE/sha256/$hex" | cut -d' ' -f1)" "resumed entry"
echo "ok"
