#!/bin/sh
# SPDX-License-Identifier: MIT
#
# 'faasd-image lock --update' against the test world's nginx over TLS:
# fills every unpinned sha256 and size from the checksum files beside the
# artifacts (or from the file itself when none is published), reports each
# change, writes nothing when nothing changed, and leaves the lock
# byte-identical when one entry fails.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"

serve
lock_template containerd runc cni faasd compose
"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$HTTPS_URL" --cache "$CACHE" \
	>"$T/out" 2>"$T/err" || { cat "$T/err" >&2; die "lock --update failed"; }
cat "$T/out"

# Each pin equals the checksum file the world publishes.
want=$(cut -d' ' -f1 "$ARTIFACTS_DIR$P_CONTAINERD.sha256sum")
assert_eq "$want" "$(pinned_sha containerd)" "containerd pin"
assert_eq "$FAASD_STANDIN_AMD64_SHA256" "$(pinned_sha faasd)" "faasd pin"
want=$(sha256sum "$ARTIFACTS_DIR/faasd/raw/0.19.7/docker-compose.yaml" | cut -d' ' -f1)
assert_eq "$want" "$(pinned_sha faasd-compose)" "compose pin (hashed from the file)"
size=$(stat -c %s "$ARTIFACTS_DIR$P_CONTAINERD")
grep -q "containerd-1.7.27-linux-amd64.tar.gz sha256=$(pinned_sha containerd) size=$size " "$LOCK" ||
	die "containerd entry lacks its size: $(grep containerd "$LOCK")"
assert_contains "$(cat "$T/out")" "containerd 1.7.27 amd64: sha256 none -> $(pinned_sha containerd)"
assert_contains "$(cat "$T/out")" "faasd 0.19.7 amd64: size 0 -> "
assert_contains "$(cat "$T/out")" "wrote '$LOCK' (10 changes)"

# The updated lock parses, shows as a table and as JSON.
"$FAASD_IMAGE" lock --lock "$LOCK" >"$T/table"
assert_contains "$(cat "$T/table")" "cni-plugins        0.9.1      amd64  "
"$FAASD_IMAGE" lock --lock "$LOCK" --json >"$T/json"
assert_contains "$(cat "$T/json")" "\"sha256\": \"$FAASD_STANDIN_AMD64_SHA256\""

# Nothing changed: nothing written.
cp "$LOCK" "$T/before"
touch -d @1 "$LOCK"
"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$HTTPS_URL" --cache "$CACHE" >"$T/out2"
assert_contains "$(cat "$T/out2")" "is up to date"
assert_eq 1 "$(stat -c %Y "$LOCK")" "mtime of an unchanged lock"

# A changed upstream hash is reported; a failing entry leaves the lock as it was.
sed "s/sha256=$FAASD_STANDIN_AMD64_SHA256/sha256=$(printf '%064d' 0)/" "$T/before" >"$LOCK"
echo "artifact faasd 9.9.9 amd64 $GH/openfaas/faasd/releases/download/9.9.9/faasd checksum=$GH/openfaas/faasd/releases/download/9.9.9/faasd.sha256" >>"$LOCK"
cp "$LOCK" "$T/broken"
rc=0
"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$HTTPS_URL" --cache "$CACHE" \
	>"$T/out3" 2>"$T/err3" || rc=$?
cat "$T/err3" >&2
assert_eq 4 "$rc" "exit status of a failing update"
cmp -s "$LOCK" "$T/broken" || die "a failing update changed the lock"
assert_contains "$(cat "$T/err3")" "faasd.sha256"

# Without the failing entry the changed hash is repaired and reported.
grep -v 9.9.9 "$T/broken" >"$LOCK"
"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$HTTPS_URL" --cache "$CACHE" >"$T/out4"
assert_contains "$(cat "$T/out4")" "faasd 0.19.7 amd64: sha256 $(printf '%064d' 0) -> $FAASD_STANDIN_AMD64_SHA256"
cmp -s "$LOCK" "$T/before" || die "the repaired lock differs from the first one"
echo "ok"
