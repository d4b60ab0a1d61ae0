#!/bin/sh
# SPDX-License-Identifier: MIT
#
# SIGINT in the middle of a download: fetch stops within moments, exits
# 130, and leaves no partial file or entry in the cache; the next run
# succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock containerd
hex=$(pinned_sha containerd)
cat >"$T/extra.conf" <<CONF
location = $P_CONTAINERD { limit_rate 4m; }
CONF
serve "$T/extra.conf"

"$FAASD_IMAGE" fetch --all --lock "$LOCK" --cache "$CACHE" --mirror "$HTTPS_URL" \
	>"$T/out" 2>"$T/err" &
pid=$!
n=0
while [ "$(stat -c %s "$CACHE/partial/$hex.part" 2>/dev/null || echo 0)" -lt 1000000 ]; do
	n=$((n + 1))
	[ $n -lt 600 ] || die "the download never started"
	sleep 0.05
done
kill -INT $pid
rc=0
wait $pid || rc=$?
cat "$T/err" >&2
assert_eq 130 "$rc" "exit status after SIGINT"
assert_contains "$(cat "$T/err")" "interrupted by signal 2"
assert_eq 0 "$(find "$CACHE" -type f | wc -l)" "files left in the cache"

assert_good_run
echo "ok"
