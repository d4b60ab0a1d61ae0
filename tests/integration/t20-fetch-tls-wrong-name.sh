#!/bin/sh
# SPDX-License-Identifier: MIT
#
# TLS names are verified: a certificate from the trusted test CA but for
# another name is refused (exit 4, one error line, nothing cached, no
# retry), and so is the right certificate reached by a name it does not
# cover; the next good run succeeds.
set -eu
. "$FAASD_IMAGE_TOP/tests/data/fetch/lib.sh"
need_cmd curl

make_lock faasd
serve
ca_dir=$(dirname "$HTTPD_CA")
[ -r "$ca_dir/ca.key" ] || skip "the test CA key is not readable in '$ca_dir'"

# A certificate for wrong.invalid only, signed by the CA the client trusts.
(
	cd "$T"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-subj "/CN=wrong.invalid" -keyout wrong.key -out wrong.csr
	printf '%s\n' "subjectAltName=DNS:wrong.invalid" "extendedKeyUsage=serverAuth" >wrong.ext
	openssl x509 -req -in wrong.csr -CA "$HTTPD_CA" -CAkey "$ca_dir/ca.key" \
		-CAcreateserial -CAserial "$T/ca.srl" -days 2 -extfile wrong.ext -out wrong.pem
) >"$T/openssl.log" 2>&1 || { cat "$T/openssl.log" >&2; die "cannot make the certificate"; }

sed -i "s|ssl_certificate .*;|ssl_certificate $T/wrong.pem;|; s|ssl_certificate_key .*;|ssl_certificate_key $T/wrong.key;|" \
	"$HTTPD_DIR/nginx.conf"
nginx -p "$HTTPD_DIR" -c "$HTTPD_DIR/nginx.conf" -s reload
n=0
while curl -s -o /dev/null --cacert "$HTTPD_CA" "$HTTPS_URL$P_FAASD"; do
	n=$((n + 1))
	[ $n -lt 100 ] || die "nginx did not switch certificates"
	sleep 0.1
done
: >"$HTTPD_ACCESS_LOG"

run_fetch --mirror "$HTTPS_URL"
assert_failed_cleanly "TLS verification failed"
assert_contains "$(grep 'error:' "$ERR")" "127.0.0.1"
assert_eq 0 "$(grep -c 'retrying' "$ERR" || true)" "retries of a TLS failure"

# The good certificate, but reached by a name it does not cover: the
# machine's host name when it resolves to 127.0.0.1 (checked, not assumed).
httpd_stop
serve
host=$(hostname)
if [ "$(getent hosts "$host" | awk '{ print $1; exit }')" = 127.0.0.1 ] &&
	[ "$host" != localhost ]; then
	url=$(echo "$HTTPS_URL" | sed "s,127\.0\.0\.1,$host,")
	run_fetch --mirror "$url"
	assert_failed_cleanly "TLS verification failed"
else
	echo "note: host name '$host' does not resolve to 127.0.0.1; second case not run"
fi

assert_good_run
echo "ok"
