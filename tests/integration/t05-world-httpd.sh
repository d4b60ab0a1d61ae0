#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The tests' web server (tests/lib/httpd.sh): serves a file over HTTP and
# over TLS with its throw-away CA, answers a range request with 206, lists
# no directory, applies EXTRA_CONF in both servers, and a client that
# trusts another CA is refused.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"
need_cmd nginx openssl curl

tmpdir_new
t=$TMPDIR_NEW
mkdir -p "$t/www/sub"
printf '0123456789abcdef\n' >"$t/www/sub/file.txt"
cat >"$t/extra.conf" <<'CONF'
location = /busy {
	add_header Retry-After 1 always;
	return 503;
}
CONF

httpd_start "$t/www" "$t/extra.conf" || die "httpd_start failed"
at_exit httpd_stop

body=$(curl -fsS "$HTTPD_URL/sub/file.txt")
assert_eq 0123456789abcdef "$body" "plain HTTP body"

body=$(curl -fsS --cacert "$HTTPD_CA" "$HTTPS_URL/sub/file.txt")
assert_eq 0123456789abcdef "$body" "HTTPS body"

host=$(echo "$HTTPS_URL" | sed 's,127\.0\.0\.1,localhost,')
body=$(curl -fsS --cacert "$HTTPD_CA" "$host/sub/file.txt")
assert_eq 0123456789abcdef "$body" "HTTPS body by host name"

code=$(curl -sS -o "$t/part" -w '%{http_code}' -r 2-5 "$HTTPD_URL/sub/file.txt")
assert_eq 206 "$code" "range request status"
assert_eq 2345 "$(cat "$t/part")" "range request body"

code=$(curl -sS -o /dev/null -w '%{http_code}' "$HTTPD_URL/sub/")
assert_eq 403 "$code" "directory listing status"

for u in "$HTTPD_URL" "$HTTPS_URL"; do
	hdr=$(curl -sS --cacert "$HTTPD_CA" -D - -o /dev/null "$u/busy")
	assert_contains "$hdr" " 503" "EXTRA_CONF status at $u"
	assert_contains "$hdr" "Retry-After: 1" "EXTRA_CONF header at $u"
done

assert_contains "$(cat "$HTTPD_ACCESS_LOG")" "/sub/file.txt" "access log"

# A CA of our own making must not vouch for the server.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	-days 1 -subj /CN=other -keyout "$t/o.key" -out "$t/o.pem" 2>/dev/null
if curl -fsS --cacert "$t/o.pem" "$HTTPS_URL/sub/file.txt" >/dev/null 2>"$t/err"; then
	die "a client trusting another CA accepted the server"
fi
echo "wrong CA refused: $(cat "$t/err")"

dir=$HTTPD_DIR
httpd_stop
[ ! -e "$dir" ] || die "httpd_stop left '$dir'"
if curl -fsS -m 5 "$HTTPD_URL/sub/file.txt" >/dev/null 2>&1; then
	die "server still answers after httpd_stop"
fi
echo "ok"
