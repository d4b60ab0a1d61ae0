#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The test world's OCI archives (IMAGES_DIR): skopeo reads each one,
# a private containerd imports every one into namespace "openfaas" under the
# exact reference of the world's docker-compose.yaml, for amd64 and arm64,
# and the gateway image's own entrypoint answers /healthz with 200 inside
# its container.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
. "$FAASD_IMAGE_TOP/tests/lib/containerd.sh"
need_root
need_cmd skopeo containerd ctr runc
world_load
world_need IMAGES_DIR ARTIFACTS_DIR

compose=$ARTIFACTS_DIR/faasd/raw/0.19.7/docker-compose.yaml
refs=$(sed -n 's/^ *image: *//p' "$compose")
[ "$(echo "$refs" | wc -l)" -eq 4 ] || die "expected 4 images in '$compose'"

containerd_start || die "cannot start a private containerd"
at_exit containerd_stop

for ref in $refs; do
	file=$IMAGES_DIR/$(echo "$ref" | tr '/:' '__').tar
	assert_file "$file"
	for arch in amd64 arm64; do
		got=$(skopeo inspect --override-arch "$arch" --format '{{.Architecture}}' \
			"oci-archive:$file")
		assert_eq "$arch" "$got" "architecture of $ref"
	done
	$CTR -n openfaas images import "$file" >/dev/null || die "import of '$file' failed"
done

listed=$($CTR -n openfaas images ls -q)
for ref in $refs; do
	echo "$listed" | grep -qx "$ref" || die "'$ref' not in namespace openfaas: $listed"
done
plat=$($CTR -n openfaas images ls | grep gateway)
assert_contains "$plat" "linux/arm64" "gateway platforms"

gw=ghcr.io/openfaas/gateway:0.27.12
$CTR -n openfaas run -d "$gw" t05-gateway >/dev/null || die "cannot run the gateway image"
n=0 body=""
while [ $n -lt 50 ]; do
	body=$($CTR -n openfaas tasks exec --exec-id probe t05-gateway \
		/bin/busybox wget -q -O - http://127.0.0.1:8080/healthz 2>/dev/null) && break
	n=$((n + 1))
	sleep 0.2
done
assert_eq OK "$body" "gateway /healthz inside its container"
echo "ok"
