#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Small OCI images standing in for faasd's core services, one oci-archive
# per image reference of the test world's docker-compose.yaml, importable
# with `ctr -n openfaas images import FILE`. Each archive holds an image
# index for linux/amd64 and linux/arm64 whose single layer is Debian's
# busybox-static (plus /www/healthz for the gateway, whose entrypoint is
# busybox httpd on port 8080; the others sleep). Everything is reproducible:
# layer tars sorted with mtime 0 and numeric root ownership, gzip -n, fixed
# "created" dates, so the digests only change when busybox-static does.
# Publishes IMAGES_DIR (the archives, plus images.txt: "FILE REFERENCE").
set -eu
top=${FAASD_IMAGE_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib/fixture.sh"
fx_begin oci-images

REFS="docker.io/library/nats-streaming:0.25.6
docker.io/prom/prometheus:v3.1.0
ghcr.io/openfaas/gateway:0.27.12
ghcr.io/openfaas/queue-worker:0.14.2"
ARCHES="amd64 arm64"
CREATED=1970-01-01T00:00:00Z

key=$({
	cat "$0" "$top/tests/lib/fixture.sh"
	fx_pkgver busybox-static
} | fx_hash | cut -c1-16)
out=$FX_CACHE/oci-images-$key

# blob FILE LAYOUT: moves FILE into LAYOUT's blobs; prints its digest hex.
blob() {
	_h=$(sha256sum "$1" | cut -c1-64)
	mv "$1" "$2/blobs/sha256/$_h"
	echo "$_h"
}

size() {
	wc -c <"$1" | tr -d ' '
}

# layer ARCH ROLE WORK LAYOUT: makes the layer; sets LAYER_HEX, LAYER_SIZE,
# DIFF_HEX.
layer() {
	_r=$3/layer-$1-$2
	mkdir -p "$_r/bin" "$_r/etc" "$_r/tmp"
	cp "$3/busybox-$1/bin/busybox" "$_r/bin/busybox"
	ln -s busybox "$_r/bin/sh"
	chmod 1777 "$_r/tmp"
	printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' \
		>"$_r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$_r/etc/group"
	if [ "$2" = gateway ]; then
		mkdir -p "$_r/www"
		printf 'OK\n' >"$_r/www/healthz"
	fi
	tar -C "$_r" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-cf "$3/layer.tar" .
	DIFF_HEX=$(sha256sum "$3/layer.tar" | cut -c1-64)
	gzip -n "$3/layer.tar"
	LAYER_SIZE=$(size "$3/layer.tar.gz")
	LAYER_HEX=$(blob "$3/layer.tar.gz" "$4")
}

# manifest ARCH ROLE WORK LAYOUT: config + manifest for one platform; sets
# MANIFEST_HEX, MANIFEST_SIZE.
manifest() {
	layer "$@"
	case $2 in
	gateway)
		entry='["/bin/busybox","httpd","-f","-v","-p","8080","-h","/www"]'
		ports=',"ExposedPorts":{"8080/tcp":{}}'
		;;
	*)
		entry='["/bin/sh","-c","while :; do sleep 3600; done"]'
		ports=""
		;;
	esac
	printf '%s' "{\"architecture\":\"$1\",\"os\":\"linux\",\"created\":\"$CREATED\"," \
		"\"config\":{\"Env\":[\"PATH=/bin\"],\"Entrypoint\":$entry$ports," \
		"\"Labels\":{\"org.opencontainers.image.description\":" \
		"\"faasd-image test double for $2; busybox-static from Debian\"}}," \
		"\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$DIFF_HEX\"]}," \
		"\"history\":[{\"created\":\"$CREATED\",\"created_by\":\"ci/fixtures.d/20-oci-images.sh\"}]}" \
		>"$3/config.json"
	_cs=$(size "$3/config.json")
	_ch=$(blob "$3/config.json" "$4")
	printf '%s' "{\"schemaVersion\":2," \
		"\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"," \
		"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"," \
		"\"digest\":\"sha256:$_ch\",\"size\":$_cs}," \
		"\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\"," \
		"\"digest\":\"sha256:$LAYER_HEX\",\"size\":$LAYER_SIZE}]}" >"$3/manifest.json"
	MANIFEST_SIZE=$(size "$3/manifest.json")
	MANIFEST_HEX=$(blob "$3/manifest.json" "$4")
}

# archive REF WORK OUTFILE
archive() {
	role=$(echo "$1" | sed 's,.*/,,; s,:.*,,')
	lay=$2/layout-$role
	mkdir -p "$lay/blobs/sha256"
	entries=""
	for arch in $ARCHES; do
		manifest "$arch" "$role" "$2" "$lay"
		entries="$entries${entries:+,}{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$MANIFEST_HEX\",\"size\":$MANIFEST_SIZE,\"platform\":{\"architecture\":\"$arch\",\"os\":\"linux\"}}"
	done
	printf '%s' "{\"schemaVersion\":2," \
		"\"mediaType\":\"application/vnd.oci.image.index.v1+json\"," \
		"\"manifests\":[$entries]}" >"$2/index-inner.json"
	_is=$(size "$2/index-inner.json")
	_ih=$(blob "$2/index-inner.json" "$lay")
	printf '%s' "{\"schemaVersion\":2," \
		"\"mediaType\":\"application/vnd.oci.image.index.v1+json\"," \
		"\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.index.v1+json\"," \
		"\"digest\":\"sha256:$_ih\",\"size\":$_is,\"annotations\":{" \
		"\"io.containerd.image.name\":\"$1\"," \
		"\"org.opencontainers.image.ref.name\":\"${1##*:}\"}}]}" >"$lay/index.json"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$lay/oci-layout"
	tar -C "$lay" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		--format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
		-cf "$3" oci-layout index.json blobs
}

build() {
	t=$(fx_tmp "$out")
	work=$t/.work
	mkdir -p "$work"
	for arch in $ARCHES; do
		fx_deb_extract "$(fx_deb "$arch" busybox-static)" "$work/busybox-$arch"
	done
	for ref in $REFS; do
		file=$(echo "$ref" | tr '/:' '__').tar
		archive "$ref" "$work" "$t/$file"
		echo "$file $ref" >>"$t/images.txt"
		if command -v skopeo >/dev/null; then
			skopeo inspect "oci-archive:$t/$file" >/dev/null ||
				fx_die "skopeo cannot read '$t/$file'"
		fi
	done
	rm -rf "$work"
	fx_commit "$t" "$out"
}

if fx_built "$out"; then
	fx_log "cached: $out"
else
	fx_log "building $out"
	build
fi
fx_prune oci-images "$out"
fx_env 20-oci-images "IMAGES_DIR=$out"
