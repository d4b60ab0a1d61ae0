#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Cloud images: the SHA256SUMS beside the image must carry a good detached
# signature by a key in the entry's keyring (checked with gpgv) before the
# image is fetched. 'lock --update' pins the image from the signed list;
# then a tampered list (bad signature), a missing signature and a
# signature by another key each fail: exit 4, one error line, nothing in
# the cache. The next good run succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"
need_cmd gpg gpgv

# Two signing keys, made here: the trusted one and a stranger.
for k in good wrong; do
	mkdir -m 700 "$T/gnupg-$k"
	gpg --homedir "$T/gnupg-$k" --batch --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "faasd-image test $k <$k@example.invalid>" ed25519 sign never \
		>"$T/gpg.log" 2>&1 || { cat "$T/gpg.log" >&2; die "cannot make a test key"; }
	at_exit "gpgconf --homedir '$T/gnupg-$k' --kill all 2>/dev/null || true"
done
gpg --homedir "$T/gnupg-good" --export >"$T/keyring.gpg"

rel=cloud-images.ubuntu.com/releases/24.04/release
img=ubuntu-24.04-server-cloudimg-amd64.img
mkdir -p "$T/www/$rel"
head -c 700000 /dev/urandom >"$T/www/$rel/$img"
sign_sums() {
	# sign_sums KEY: a fresh SHA256SUMS (binary-mode lines) and its signature
	(cd "$T/www/$rel" && sha256sum -b "$img" >SHA256SUMS &&
		printf '%064d *other.img\n' 0 >>SHA256SUMS)
	rm -f "$T/www/$rel/SHA256SUMS.gpg"
	gpg --homedir "$T/gnupg-$1" --batch --detach-sign \
		-o "$T/www/$rel/SHA256SUMS.gpg" "$T/www/$rel/SHA256SUMS"
}
sign_sums good
U=https://$rel
cat >"$LOCK" <<LOCK
source-date-epoch 1733011200
image ubuntu-24.04-server-cloudimg amd64 $U/$img checksums=$U/SHA256SUMS signature=$U/SHA256SUMS.gpg keyring=$T/keyring.gpg
LOCK

httpd_start "$T/www" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$HTTPS_URL" >"$T/update.out" ||
	die "lock --update of the image failed"
want=$(sha256sum "$T/www/$rel/$img" | cut -d' ' -f1)
assert_contains "$(cat "$T/update.out")" "ubuntu-24.04-server-cloudimg amd64: sha256 none -> $want"

run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "fetch of a properly signed image"
assert_eq "$want" "$(sha256sum "$CACHE/sha256/$want" | cut -d' ' -f1)" "image in the cache"
rm -rf "$CACHE"
: >"$HTTPD_ACCESS_LOG"

# Tampered after signing: a bad signature.
printf '%064d *evil.img\n' 1 >>"$T/www/$rel/SHA256SUMS"
run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "BAD signature"
assert_eq 0 "$(requests "/$rel/$img")" "image requests after a bad signature"

# Missing signature.
sign_sums good
rm "$T/www/$rel/SHA256SUMS.gpg"
run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "SHA256SUMS.gpg"
assert_contains "$(grep 'error:' "$ERR")" "HTTP status 404"

# Signed by a key that is not in the keyring.
sign_sums wrong
run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "No public key"

# A signed list that disagrees with the pin (the release was replaced).
head -c 700000 /dev/urandom >"$T/www/$rel/$img"
sign_sums good
run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "the release was replaced"
assert_eq 0 "$(requests "/$rel/$img")" "image requests after a pin mismatch"

# Good again: lock --update repins, fetch verifies.
"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$HTTPS_URL" >/dev/null
run_fetch --mirror "$HTTPS_URL"
assert_eq 0 "$RC" "fetch after a good update"
echo "ok"
