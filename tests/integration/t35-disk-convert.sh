#!/bin/sh
# SPDX-License-Identifier: MIT
#
# t35-disk-convert: the conversions of an assembled disk and of a root tree.
# qcow2 (zstd clusters, same guest bytes as the raw), xz (decompresses to the
# raw; the same bytes with one thread and with two), bmap (bmaptool copy
# through it rebuilds the image), squashfs (lists the tree; two copies of
# the tree made at different times give the same bytes). Each is made twice
# and compared. A failing conversion leaves neither output nor temporary.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

driver="$FAASD_IMAGE_TOP/${BUILD:-build/default}/tests/test-disk"
[ -x "$driver" ] || skip "needs '$driver' (make unit)"
need_cmd qemu-img xz bmaptool mksquashfs unsquashfs sfdisk mkfs.fat mcopy mke2fs debugfs \
	grub-mkimage python3
[ -d /usr/lib/grub/x86_64-efi ] || skip "needs grub-efi-amd64-bin (see ci/install-deps.sh)"

tmpdir_new
t=$TMPDIR_NEW
epoch=1700000000

make_tree() {
	mkdir -p "$1/etc" "$1/usr/bin" "$1/boot"
	echo convert-test >"$1/etc/hostname"
	head -c 2000000 /dev/zero | tr '\0' 'k' >"$1/boot/vmlinuz-test"
	head -c 500000 /dev/zero | tr '\0' 'i' >"$1/boot/initrd.img-test"
	ln -s boot/vmlinuz-test "$1/vmlinuz"
	ln -s boot/initrd.img-test "$1/initrd.img"
	printf '#!/bin/sh\necho hi\n' >"$1/usr/bin/hi"
	chmod 0755 "$1/usr/bin/hi"
	touch -d @1600000000 "$1/etc/hostname" "$1/usr/bin/hi"
}

make_tree "$t/tree"
mkdir "$t/a" "$t/b"
"$driver" assemble efi amd64 "$t/tree" - "console=ttyS0" 256M 0 "t35:$epoch" $epoch \
	"$t/disk.img"
raw=$t/disk.img

# qcow2, compressed with zstd, twice.
for d in a b; do
	"$driver" qcow2 "$raw" "$t/$d/disk.qcow2" 1
done
qemu-img info --output=json "$t/a/disk.qcow2" >"$t/info.json"
python3 - "$t/info.json" <<'EOF' || die "unexpected qcow2: $(cat "$t/info.json")"
import json, sys
info = json.load(open(sys.argv[1]))
assert info["format"] == "qcow2", info["format"]
assert info["virtual-size"] == 256 * 1024 * 1024, info["virtual-size"]
assert info["format-specific"]["data"]["compression-type"] == "zstd", info
EOF
qemu-img compare -f raw -F qcow2 "$raw" "$t/a/disk.qcow2" >/dev/null ||
	die "the qcow2's guest bytes differ from the raw disk"
cmp "$t/a/disk.qcow2" "$t/b/disk.qcow2" || die "two qcow2 conversions differ"
"$driver" qcow2 "$raw" "$t/a/plain.qcow2" 0
qemu-img compare -f raw -F qcow2 "$raw" "$t/a/plain.qcow2" >/dev/null ||
	die "the uncompressed qcow2 differs from the raw disk"

# xz decompresses to the raw disk. With two threads and with one, the same
# bytes: shown on a 60 MB file, three of xz's 24 MiB blocks (quicker than a disk).
"$driver" xz "$raw" "$t/a/disk.img.xz" 2
xz -t "$t/a/disk.img.xz" || die "xz -t failed"
xz -dc "$t/a/disk.img.xz" | cmp - "$raw" || die "the xz does not decompress to the raw disk"
seq 1 8000000 >"$t/numbers"
"$driver" xz "$t/numbers" "$t/a/numbers.xz" 2
"$driver" xz "$t/numbers" "$t/b/numbers.xz" 1
[ "$(xz --robot -l "$t/a/numbers.xz" | awk '$1 == "totals" { print $3 }')" -ge 3 ] ||
	die "numbers.xz is not made of several blocks: $(xz --robot -l "$t/a/numbers.xz")"
cmp "$t/a/numbers.xz" "$t/b/numbers.xz" || die "xz with 1 and 2 threads differ"

# bmap: copying through it rebuilds the image; made twice, the same map.
"$driver" bmap "$raw" "$t/a/disk.bmap"
"$driver" bmap "$raw" "$t/b/disk.bmap"
grep -q '<MappedBlocksCount>' "$t/a/disk.bmap" || die "not a block map"
cmp "$t/a/disk.bmap" "$t/b/disk.bmap" || die "two block maps of one image differ"
bmaptool copy --bmap "$t/a/disk.bmap" "$raw" "$t/copy.img" 2>"$t/bmap.err" ||
	die "bmaptool copy: $(cat "$t/bmap.err")"
cmp "$raw" "$t/copy.img" || die "bmaptool copy through the map did not rebuild the image"

# squashfs: the tree, and a copy of it made later, give the same bytes.
"$driver" squashfs "$t/tree" "$t/a/root.squashfs" $epoch
sleep 1
make_tree "$t/tree2"
"$driver" squashfs "$t/tree2" "$t/b/root.squashfs" $epoch
unsquashfs -l "$t/a/root.squashfs" >"$t/list"
for f in squashfs-root/etc/hostname squashfs-root/usr/bin/hi squashfs-root/vmlinuz; do
	grep -qx "$f" "$t/list" || die "'$f' missing from the squashfs listing"
done
unsquashfs -lls "$t/a/root.squashfs" >"$t/llist"
assert_contains "$(grep 'usr/bin/hi' "$t/llist")" "-rwxr-xr-x root/root" "mode and owner of hi"
assert_contains "$(grep 'etc/hostname' "$t/llist")" "2023-11-14" "time of /etc/hostname"
cmp "$t/a/root.squashfs" "$t/b/root.squashfs" || die "two squashfs of one tree differ"

# A failing conversion: no output and no temporary left.
mkdir "$t/fail"
if "$driver" qcow2 "$t/missing.img" "$t/fail/disk.qcow2" 1 2>"$t/fail.err"; then
	die "converting a missing file succeeded"
fi
if "$driver" xz "$t/missing.img" "$t/fail/disk.img.xz" 2 2>>"$t/fail.err"; then
	die "compressing a missing file succeeded"
fi
assert_eq "" "$(ls -A "$t/fail")" "files left by failed conversions"
echo "ok: qcow2, xz, bmap and squashfs converted, checked and reproducible"
