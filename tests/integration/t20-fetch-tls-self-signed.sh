#!/bin/sh
# SPDX-License-Identifier: MIT
#
# A self-signed server certificate is refused, and so is the test server's
# own certificate when its CA is not named in $FAASD_IMAGE_CA_FILE (the
# system store does not know it): exit 4, one error line, nothing cached,
# no retry. The next good run succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"
need_cmd curl

make_lock faasd
serve

# Not trusting the throw-away CA: refused.
FAASD_IMAGE_CA_FILE= run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "TLS verification failed"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
	-subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
	-keyout "$T/self.key" -out "$T/self.pem" >"$T/openssl.log" 2>&1 ||
	{ cat "$T/openssl.log" >&2; die "cannot make the certificate"; }
sed -i "s|ssl_certificate .*;|ssl_certificate $T/self.pem;|; s|ssl_certificate_key .*;|ssl_certificate_key $T/self.key;|" \
	"$HTTPD_DIR/nginx.conf"
nginx -p "$HTTPD_DIR" -c "$HTTPD_DIR/nginx.conf" -s reload
n=0
while curl -s -o /dev/null --cacert "$HTTPD_CA" "$HTTPS_URL$P_FAASD"; do
	n=$((n + 1))
	[ $n -lt 100 ] || die "nginx did not switch certificates"
	sleep 0.1
done

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "TLS verification failed"
assert_contains "$(grep 'error:' "$ERR")" "self-signed"
assert_eq 0 "$(grep -c 'retrying' "$ERR" || true)" "retries of a TLS failure"

assert_good_run
echo "ok"
