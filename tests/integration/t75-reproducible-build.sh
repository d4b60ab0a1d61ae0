#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Two builds of the default profile (qemu) from the test world, into two
# output directories, with every output asked for (qcow2, raw, squashfs,
# user-data, seed) and the same SOURCE_DATE_EPOCH, the second under another
# umask (077), time zone (Asia/Tokyo) and locale (C.UTF-8): every output,
# manifest.json and SHA256SUMS must be the same bytes. When a file differs
# the test says where (the first differing bytes, the ext4 inode or squashfs
# entry when it can tell) before it fails.
#
# Both builds unpack the same cached bootstrap tarball, so they share one
# root tree: this checks everything faasd-image does after mmdebstrap (the
# stack, the disk, the conversions, the rendered files), not mmdebstrap's
# own reproducibility (see docs/reproducible.md).
set -eu
. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"
need_root
need_cmd mmdebstrap nginx openssl python3 qemu-img mke2fs mksquashfs sha256sum cmp sfdisk debugfs
bake_lock

httpd_start "$ARTIFACTS_DIR" || die "httpd_start failed"
at_exit httpd_stop
export FAASD_IMAGE_CA_FILE="$HTTPD_CA"

# The bootstrap cache is shared with the t40 tests: only the first run on a
# machine bootstraps.
cache=$FAASD_IMAGE_TEST_CACHE/bake-cache
mkdir -p "$cache"
epoch=1733011200
outputs="outputs=[qcow2,raw,squashfs,user-data,seed]"
files="qemu.raw qemu.qcow2 qemu.squashfs user-data seed.img manifest.json SHA256SUMS"

# build N UMASK TZ LC_ALL: builds into $T/outN; log in $T/buildN.err.
build() {
	_rc=0
	(
		umask "$2"
		TZ=$3 LC_ALL=$4 SOURCE_DATE_EPOCH=$epoch exec "$FAASD_IMAGE" build \
			--out-dir "$T/out$1" --cache "$cache" --mirror "$HTTPS_URL" --set "$outputs" \
			>"$T/build$1.out" 2>"$T/build$1.err"
	) || _rc=$?
	cat "$T/build$1.err" >&2
	assert_eq 0 "$_rc" "exit status of build $1 (umask $2, TZ=$3, LC_ALL=$4)"
}

build 1 022 UTC C
build 2 077 Asia/Tokyo C.UTF-8
a=$T/out1/qemu
b=$T/out2/qemu

# explain NAME: what differs inside NAME, on stderr.
explain() {
	echo "--- $1 differs; first differing bytes (offset, octal):" >&2
	cmp -l "$a/$1" "$b/$1" 2>&1 | head -n 10 >&2 || true
	case $1 in
	*.raw)
		# Which file of the root filesystem holds the first differing byte?
		_start=$(sfdisk --json "$a/$1" | python3 -c '
import json, sys
t = json.load(sys.stdin)["partitiontable"]
print(t["partitions"][-1]["start"] * t.get("sectorsize", 512))')
		_off=$(cmp "$a/$1" "$b/$1" | awk '{ sub(",", "", $5); print $5 - 1 }')
		if [ "$_off" -ge "$_start" ]; then
			_blk=$(((_off - _start) / 4096))
			_ino=$(debugfs -R "icheck $_blk" "$a/$1?offset=$_start" 2>/dev/null |
				awk 'NR == 2 { print $2 }')
			echo "root filesystem block $_blk, inode $_ino:" >&2
			debugfs -R "ncheck $_ino" "$a/$1?offset=$_start" 2>/dev/null >&2 || true
		else
			echo "before the root partition (at byte $_start)" >&2
		fi
		;;
	*.squashfs)
		if command -v unsquashfs >/dev/null 2>&1; then
			unsquashfs -lls -n "$a/$1" >"$T/sq1.txt" 2>/dev/null || true
			unsquashfs -lls -n "$b/$1" >"$T/sq2.txt" 2>/dev/null || true
			diff "$T/sq1.txt" "$T/sq2.txt" | head -n 20 >&2 || true
		fi
		;;
	esac
}

differ=""
for f in $files; do
	assert_file "$a/$f"
	assert_file "$b/$f"
	cmp -s "$a/$f" "$b/$f" || { differ="$differ $f"; explain "$f"; }
done
for f in $files; do
	[ "$f" = SHA256SUMS ] && continue
	grep -q " $f\$" "$a/SHA256SUMS" || die "SHA256SUMS does not list $f"
done
[ -z "$differ" ] || die "outputs differ between the two builds:$differ"
echo ok
