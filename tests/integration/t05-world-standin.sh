#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The faasd stand-in published in the test world (tests/standin): it says it
# is not faasd, its checksum files match, `up` refuses to start while an
# image of docker-compose.yaml is missing from containerd's "openfaas"
# namespace and serves /healthz once all are there, and `provider` answers
# 200 only to the basic auth found in its secrets.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
. "$FAASD_IMAGE_TOP/tests/lib/containerd.sh"
need_root
need_cmd containerd ctr curl
world_load
world_need ARTIFACTS_DIR IMAGES_DIR FAASD_STANDIN_AMD64 FAASD_STANDIN_ARM64
tmpdir_new
t=$TMPDIR_NEW
rel=$ARTIFACTS_DIR/faasd/releases/download/0.19.7
name="faasd-standin (test double for faasd; not faasd)"

(cd "$rel" && sha256sum -c faasd.sha256 faasd-arm64.sha256) || die "checksum files"
assert_contains "$(file -b "$rel/faasd-arm64" 2>/dev/null || echo aarch64)" "aarch64" \
	"faasd-arm64 type"

out=$("$FAASD_STANDIN_AMD64" version)
assert_contains "$out" "$name" "version output"
if command -v qemu-aarch64-static >/dev/null; then
	out=$(qemu-aarch64-static "$FAASD_STANDIN_ARM64" version)
	assert_contains "$out" "$name" "arm64 version output"
fi

port() {
	awk -v s="$$$(date +%N)$1" \
		'BEGIN { srand(s % 2147483647); print 20000 + int(rand() * 40000) }'
}

# wait_http URL [CURL ARGS]: prints the status once the server answers.
wait_http() {
	_u=$1
	shift
	_n=0
	while [ $_n -lt 100 ]; do
		_c=$(curl -s -o /dev/null -w '%{http_code}' "$@" "$_u" || true)
		[ "$_c" != 000 ] && { echo "$_c"; return 0; }
		_n=$((_n + 1))
		sleep 0.1
	done
	echo 000
}

mkdir -p "$t/faasd/secrets"
cp "$ARTIFACTS_DIR/faasd/raw/0.19.7/docker-compose.yaml" "$t/faasd/"

# No containerd at all.
if (cd "$t/faasd" && FAASD_STANDIN_CTR=false "$FAASD_STANDIN_AMD64" up) >"$t/up0" 2>&1; then
	die "up succeeded without containerd"
fi
assert_contains "$(cat "$t/up0")" "is containerd running" "up without containerd"

containerd_start || die "cannot start a private containerd"
at_exit containerd_stop
export FAASD_STANDIN_CTR="$CTR"

# Three of four images: up must name the missing one and fail.
for f in "$IMAGES_DIR"/*.tar; do
	case $f in *queue-worker*) continue ;; esac
	$CTR -n openfaas images import "$f" >/dev/null
done
if (cd "$t/faasd" && "$FAASD_STANDIN_AMD64" up) >"$t/up1" 2>&1; then
	die "up succeeded with an image missing"
fi
qw=ghcr.io/openfaas/queue-worker:0.14.2
assert_contains "$(cat "$t/up1")" "image '$qw' of service 'queue-worker' is missing" \
	"up with a missing image"

$CTR -n openfaas images import "$IMAGES_DIR/ghcr.io_openfaas_queue-worker_0.14.2.tar" >/dev/null
gp=$(port g)
(cd "$t/faasd" && FAASD_STANDIN_GATEWAY_PORT=$gp exec "$FAASD_STANDIN_AMD64" up) \
	>"$t/up2" 2>&1 &
echo $! >"$t/up.pid"
at_exit 'kill $(cat "'"$t"'/up.pid") 2>/dev/null'
assert_eq 200 "$(wait_http "http://127.0.0.1:$gp/healthz")" "gateway /healthz"
assert_eq 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$gp/x")" "other path"
assert_contains "$(cat "$t/up2")" "$name: up: service 'gateway'" "up log"

# Provider: fails without secrets, then checks basic auth.
export secret_mount_path="$t/faasd/secrets"
if "$FAASD_STANDIN_AMD64" provider >"$t/p0" 2>&1; then
	die "provider started without secrets"
fi
assert_contains "$(cat "$t/p0")" "basic-auth-password" "provider without secrets"
echo admin >"$secret_mount_path/basic-auth-user"
echo s3cretPassw0rd >"$secret_mount_path/basic-auth-password"
pp=$(port p)
FAASD_STANDIN_PROVIDER_PORT=$pp "$FAASD_STANDIN_AMD64" provider >"$t/p1" 2>&1 &
echo $! >"$t/p.pid"
at_exit 'kill $(cat "'"$t"'/p.pid") 2>/dev/null'
u=http://127.0.0.1:$pp/system/functions
assert_eq 401 "$(wait_http "$u")" "provider without auth"
assert_eq 401 "$(wait_http "$u" -u admin:wrong)" "provider with a wrong password"
assert_eq 200 "$(wait_http "$u" -u admin:s3cretPassw0rd)" "provider with the password"
assert_contains "$(cat "$t/p1")" "$name: provider: GET /system/functions 200" "provider log"

out=$("$FAASD_STANDIN_AMD64" collect)
assert_contains "$out" "does nothing" "collect"
echo "ok"
