#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The good path of 'faasd-image fetch': everything downloads over TLS from
# a mirror into the content-addressed cache, a second run finds it cached,
# a warm cache serves with the server gone (--offline too), a corrupt cache
# entry is detected, removed and fetched again, a directory mirror works,
# plain HTTP needs --allow-http, and --offline with an empty cache fails
# naming every missing artifact.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

make_lock containerd runc cni faasd compose
serve

run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "first fetch"
assert_eq 5 "$(grep -c ' downloaded$' "$OUT")" "downloaded lines"
assert_contains "$(cat "$OUT")" "faasd              0.19.7     amd64"
for c in containerd runc cni-plugins faasd faasd-compose; do
	h=$(pinned_sha "$c")
	assert_eq "$h" "$(sha256sum "$CACHE/sha256/$h" | cut -d' ' -f1)" "cache entry of $c"
done
assert_eq 0 "$(find "$CACHE/partial" -type f | wc -l)" "partial files after success"

run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "second fetch"
assert_eq 5 "$(grep -c ' cached$' "$OUT")" "cached lines"
assert_eq 1 "$(requests "$P_FAASD")" "requests for faasd after a cached run"

# Warm cache, server gone: online and offline both succeed without a request.
httpd_stop
run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "fetch with a warm cache and no server"
run_fetch --offline
assert_eq 0 "$RC" "fetch --offline with a warm cache"
assert_eq 5 "$(grep -c ' cached$' "$OUT")" "cached lines offline"

# A corrupt entry is noticed on use, removed, and fetched again.
h=$(pinned_sha faasd)
printf 'X' | dd of="$CACHE/sha256/$h" bs=1 seek=100 conv=notrunc 2>/dev/null
run_fetch --offline
assert_eq 4 "$RC" "offline fetch with a corrupt entry"
assert_contains "$(cat "$ERR")" "is corrupt"
assert_contains "$(grep 'error:' "$ERR")" "faasd 0.19.7 amd64 is not in the cache"
[ ! -e "$CACHE/sha256/$h" ] || die "the corrupt entry was kept"
serve
run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "fetch after removing a corrupt entry"
assert_contains "$(grep faasd "$OUT" | head -n 1)" "downloaded"
assert_eq "$h" "$(sha256sum "$CACHE/sha256/$h" | cut -d' ' -f1)" "refetched entry"

# --offline with an empty cache names every missing artifact.
rm -rf "$CACHE"
run_fetch --offline
assert_eq 4 "$RC" "offline fetch with an empty cache"
for a in "containerd 1.7.27 amd64" "runc 1.1.12 amd64" "cni-plugins 0.9.1 amd64" \
	"faasd 0.19.7 amd64" "faasd-compose 0.19.7 all"; do
	assert_contains "$(cat "$ERR")" "$a is not in the cache"
done

# A directory mirror is read from the file system.
rm -rf "$CACHE"
run_fetch --mirror "$ARTIFACTS_DIR"
assert_eq 0 "$RC" "fetch from a directory mirror"
assert_eq 5 "$(grep -c ' downloaded$' "$OUT")" "downloaded lines from a directory"

# Plain HTTP only when allowed.
rm -rf "$CACHE"
run_fetch --mirror "$HTTPD_URL"
assert_eq 4 "$RC" "fetch over plain HTTP without --allow-http"
assert_contains "$(grep 'error:' "$ERR")" "refusing plain-HTTP URL"
run_fetch --mirror "$HTTPD_URL" --allow-http
assert_eq 0 "$RC" "fetch over plain HTTP with --allow-http"

# What a profile needs: the shipped vps profile (upstream containerd, runc
# and CNI; faasd's compose files), baked here so that faasd comes too, with
# the mirror taken from the profile's artifacts.mirror.
make_lock containerd runc cni faasd compose prometheus resolv
rm -rf "$CACHE"
"$FAASD_IMAGE" fetch --profile vps --set faasd.delivery=baked \
	--set "artifacts.mirror=$HTTPS_URL" --lock "$LOCK" --cache "$CACHE" >"$OUT" 2>"$ERR" ||
	{ cat "$ERR" >&2; die "fetch --profile vps failed"; }
assert_eq 7 "$(grep -c ' downloaded$' "$OUT")" "artifacts the vps profile needs"
for c in containerd runc cni-plugins faasd faasd-compose faasd-prometheus faasd-resolv; do
	assert_contains "$(cat "$OUT")" "$c "
done
# First-boot delivery leaves faasd itself out.
"$FAASD_IMAGE" fetch --profile vps --set "artifacts.mirror=$HTTPS_URL" --lock "$LOCK" \
	--cache "$CACHE" >"$OUT"
assert_eq 6 "$(grep -c ' cached$' "$OUT")" "artifacts of vps with first-boot delivery"
case $(cat "$OUT") in *"faasd              0.19.7"*) die "first-boot fetch included faasd" ;; esac

# An unpinned entry is refused with the documented advice.
lock_template faasd
run_fetch --mirror "$HTTPS_URL"
assert_eq 4 "$RC" "fetch of an unpinned artifact"
assert_contains "$(cat "$ERR")" "no sha256 pinned for 'faasd 0.19.7 amd64'; run 'faasd-image lock --update' where the upstream is reachable"
echo "ok"
