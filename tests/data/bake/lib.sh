# SPDX-License-Identifier: MIT
#
# Shared by tests/integration/t40-bake-*.sh: a lock pinned from the test
# world's artifact tree (every artifact the shipped profiles use, both
# architectures) with 'faasd-image lock --update', exported as
# FAASD_IMAGE_LOCK; T is a temporary directory.

. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

world_load
world_need ARTIFACTS_DIR

tmpdir_new
T=$TMPDIR_NEW
unset FAASD_IMAGE_CACHE SOURCE_DATE_EPOCH

GH=https://github.com
RAW=https://raw.githubusercontent.com/openfaas/faasd/0.19.7

bake_lock() {
	_lock=$T/bake.lock
	{
		echo "source-date-epoch 1733011200"
		for _a in amd64 arm64; do
			_c=$GH/containerd/containerd/releases/download/v1.7.27/containerd-1.7.27-linux-$_a.tar.gz
			_r=$GH/opencontainers/runc/releases/download/v1.1.12/runc.$_a
			_n=$GH/containernetworking/plugins/releases/download/v0.9.1/cni-plugins-linux-$_a-v0.9.1.tgz
			_f=$GH/openfaas/faasd/releases/download/0.19.7/faasd
			[ $_a = arm64 ] && _f=$_f-arm64
			echo "artifact containerd 1.7.27 $_a $_c checksum=$_c.sha256sum"
			echo "artifact runc 1.1.12 $_a $_r checksum=$_r.sha256sum"
			echo "artifact cni-plugins 0.9.1 $_a $_n checksum=$_n.sha256"
			echo "artifact faasd 0.19.7 $_a $_f checksum=$_f.sha256"
		done
		echo "artifact faasd-compose 0.19.7 all $RAW/docker-compose.yaml"
		echo "artifact faasd-prometheus 0.19.7 all $RAW/prometheus.yml"
		echo "artifact faasd-resolv 0.19.7 all $RAW/resolv.conf"
	} >"$_lock"
	"$FAASD_IMAGE" lock --update --lock "$_lock" --mirror "$ARTIFACTS_DIR" \
		--cache "$T/lock-cache" >"$T/lock.out" 2>"$T/lock.err" ||
		{ cat "$T/lock.err" >&2; die "lock --update from the test world failed"; }
	FAASD_IMAGE_LOCK=$_lock
	export FAASD_IMAGE_LOCK
}

# json_get FILE EXPR: evaluates a Python expression on the document as j.
json_get() {
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
