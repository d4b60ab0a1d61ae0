#!/bin/sh
# SPDX-License-Identifier: MIT
#
# t35-disk-efi: disk_assemble() with the EFI layout. A small root tree (a
# fake kernel and initrd, a hard link, a symlink, a name with a space, a file
# dated after the epoch) becomes a 256 MiB GPT disk; the table, the labels,
# the UUIDs derived from the seed, the files and their times, the GRUB loader
# on the ESP and the ext4's consistency are checked with the tools a user
# would reach for. Two assemblies from two copies of the tree, made at
# different times and run under a different umask and time zone, must give
# the same bytes. A disk too small for the tree fails with one clear line and
# leaves nothing behind. The driver is the test-disk unit binary (make unit).
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

driver="$FAASD_IMAGE_TOP/${BUILD:-build/default}/tests/test-disk"
[ -x "$driver" ] || skip "needs '$driver' (make unit)"
need_cmd sfdisk mkfs.fat mcopy mdir mtype mke2fs debugfs e2fsck blkid grub-mkimage python3
[ -d /usr/lib/grub/x86_64-efi ] || skip "needs grub-efi-amd64-bin (see ci/install-deps.sh)"

tmpdir_new
t=$TMPDIR_NEW
epoch=1700000000
seed="t35-efi:$epoch"
mib=1048576

# uuid ROLE: the UUID disk_assemble derives for ROLE, computed independently.
uuid() {
	python3 -c 'import hashlib, sys
d = bytearray(hashlib.sha256(sys.argv[1].encode()).digest()[:16])
d[6] = (d[6] & 0x0f) | 0x80
d[8] = (d[8] & 0x3f) | 0x80
h = d.hex()
print("-".join([h[:8], h[8:12], h[12:16], h[16:20], h[20:]]))' "$seed:$1"
}

make_tree() {
	mkdir -p "$1/etc" "$1/usr/share/doc/x" "$1/boot" "$1/var/empty"
	echo faasd-test >"$1/etc/hostname"
	printf 'line one\nline two\n' >"$1/usr/share/doc/x/a file with spaces"
	head -c 3000000 /dev/zero | tr '\0' 'k' >"$1/boot/vmlinuz-6.1.0-test"
	head -c 1000000 /dev/zero | tr '\0' 'i' >"$1/boot/initrd.img-6.1.0-test"
	mkdir -p "$1/usr/lib/big"
	head -c 12000000 /dev/zero | tr '\0' 'b' >"$1/usr/lib/big/blob"
	ln -s boot/vmlinuz-6.1.0-test "$1/vmlinuz"
	ln -s boot/initrd.img-6.1.0-test "$1/initrd.img"
	ln "$1/etc/hostname" "$1/etc/hostname.link"
	chmod 0600 "$1/etc/hostname"
	touch -d @1600000000 "$1/etc/hostname"
	touch -d @1800000000 "$1/usr/share/doc/x/a file with spaces" # after the epoch
}

make_tree "$t/tree1"
mkdir "$t/a"
(umask 022 && TZ=UTC "$driver" assemble efi amd64 "$t/tree1" - \
	"console=ttyS0 net.ifnames=0" 256M 0 "$seed" $epoch "$t/a/disk.img")
img=$t/a/disk.img
assert_file "$img"
assert_eq 268435456 "$(stat -c %s "$img")" "disk size"

# The partition table.
sfdisk --json "$img" >"$t/pt.json"
python3 - "$t/pt.json" "$(uuid disk)" "$(uuid esp-partition)" "$(uuid root-partition)" <<'EOF' ||
import json, sys
pt = json.load(open(sys.argv[1]))["partitiontable"]
want_id, want_esp, want_root = (u.upper() for u in sys.argv[2:5])
parts = pt["partitions"]
assert pt["label"] == "gpt", pt["label"]
assert pt["id"] == want_id, (pt["id"], want_id)
assert len(parts) == 2, parts
assert parts[0]["type"] == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B", parts[0]
assert parts[0]["start"] == 2048 and parts[0]["size"] == 204800, parts[0]
assert parts[0]["uuid"] == want_esp, parts[0]
assert parts[1]["type"] == "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709", parts[1]
assert parts[1]["start"] == 206848, parts[1]
assert parts[1]["uuid"] == want_root, parts[1]
# the root is last, so growpart can grow it
assert parts[1]["start"] + parts[1]["size"] == 255 * 2048, parts[1]
EOF
	die "unexpected partition table: $(cat "$t/pt.json")"
sfdisk --verify "$img" >"$t/verify" 2>&1 || die "sfdisk --verify: $(cat "$t/verify")"

# The filesystems, by their offsets.
esp_off=$((1 * mib))
root_off=$((101 * mib))
probe=$(blkid -p -O $root_off -o export "$img")
assert_contains "$probe" "TYPE=ext4" "root probe"
assert_contains "$probe" "LABEL=root" "root probe"
assert_contains "$probe" "UUID=$(uuid root-filesystem)" "root probe"
probe=$(blkid -p -O $esp_off -o export "$img")
assert_contains "$probe" "TYPE=vfat" "ESP probe"
assert_contains "$probe" "LABEL=UEFI" "ESP probe"
assert_contains "$probe" "VERSION=FAT32" "ESP probe"

root="$img?offset=$root_off"
e2fsck -fn "$root" >"$t/fsck" 2>&1 || die "e2fsck: $(cat "$t/fsck")"
assert_eq faasd-test "$(debugfs -R 'cat /etc/hostname' "$root" 2>/dev/null)" "/etc/hostname"
assert_eq "line two" "$(debugfs -R 'cat "/usr/share/doc/x/a file with spaces"' "$root" \
	2>/dev/null | tail -n 1)" "file with spaces"
debugfs -R 'stat /etc/hostname' "$root" 2>/dev/null >"$t/stat"
assert_contains "$(cat "$t/stat")" "Mode:  0600" "mode kept"
assert_contains "$(cat "$t/stat")" "Links: 2" "hard link kept"
# mtime from the tree; atime and ctime (copied from the host by mke2fs) set to the epoch
assert_contains "$(grep ' mtime:' "$t/stat")" "0x5f5e1000" "mtime of /etc/hostname"
assert_contains "$(grep ' ctime:' "$t/stat")" "0x6553f100" "ctime of /etc/hostname"
assert_contains "$(grep ' atime:' "$t/stat")" "0x6553f100" "atime of /etc/hostname"
# a modification time after the epoch is clamped to it
assert_contains "$(debugfs -R 'stat "/usr/share/doc/x/a file with spaces"' "$root" 2>/dev/null |
	grep ' mtime:')" "0x6553f100" "clamped mtime"
assert_eq "boot/vmlinuz-6.1.0-test" "$(debugfs -R 'stat /vmlinuz' "$root" 2>/dev/null |
	sed -n 's/^Fast link dest: "\(.*\)"$/\1/p')" "/vmlinuz symlink"

# GRUB on the ESP, with the configuration that boots the root by label.
export MTOOLS_SKIP_CHECK=1
mdir -b -i "$img@@$esp_off" ::/EFI/BOOT >"$t/esp"
assert_contains "$(cat "$t/esp")" "::/EFI/BOOT/BOOTX64.EFI" "ESP listing"
mcopy -i "$img@@$esp_off" ::/EFI/BOOT/BOOTX64.EFI "$t/grub.efi"
assert_eq MZ "$(head -c 2 "$t/grub.efi")" "PE signature of BOOTX64.EFI"
grep -a -q 'search --no-floppy --label --set=root root' "$t/grub.efi" ||
	die "BOOTX64.EFI lacks the embedded search by label"
grep -a -q 'linux /vmlinuz root=LABEL=root console=ttyS0 net.ifnames=0' "$t/grub.efi" ||
	die "BOOTX64.EFI lacks the kernel command line"

# Reproducible: another copy of the tree, made later (other ctimes and
# atimes), assembled in another directory under another umask and zone.
sleep 1
make_tree "$t/tree2"
cat "$t/tree2/etc/hostname" >/dev/null # a fresh atime
mkdir -p "$t/b"
(umask 077 && TZ=Asia/Tokyo LC_ALL=C "$driver" assemble efi amd64 "$t/tree2" - \
	"console=ttyS0 net.ifnames=0" 256M 0 "$seed" $epoch "$t/b/disk.img")
cmp "$img" "$t/b/disk.img" || die "two assemblies of the same tree differ"
assert_eq 644 "$(stat -c %a "$t/b/disk.img")" "output mode under umask 077"

# Another seed: other identifiers, so other bytes.
"$driver" assemble efi amd64 "$t/tree1" - "console=ttyS0" 256M 0 other:1 $epoch "$t/c.img"
cmp -s "$img" "$t/c.img" && die "a different seed gave the same disk"

# arm64: GRUB for arm64-efi as BOOTAA64.EFI, the arm64 root partition type.
if [ -d /usr/lib/grub/arm64-efi ]; then
	"$driver" assemble efi arm64 "$t/tree1" - "console=ttyAMA0" 256M 0 "$seed" $epoch \
		"$t/arm64.img"
	sfdisk --json "$t/arm64.img" | grep -q '"type": "B921B045-1DF0-41C3-AF44-4C6F280D3FAE"' ||
		die "arm64 disk lacks the arm64 root partition type"
	mcopy -i "$t/arm64.img@@$esp_off" ::/EFI/BOOT/BOOTAA64.EFI "$t/grubaa64.efi"
	# PE machine type 0xaa64 at the offset the MZ header points to, plus 4
	pe=$(od -An -tu4 -j60 -N4 "$t/grubaa64.efi" | tr -d ' ')
	assert_eq "64 aa" "$(od -An -tx1 -j$((pe + 4)) -N2 "$t/grubaa64.efi" | sed 's/^ //')" \
		"machine type of BOOTAA64.EFI"
else
	echo "note: no /usr/lib/grub/arm64-efi (grub-efi-arm64-bin); arm64 ESP not checked"
fi

# Too small: one clear line, no output, no temporaries.
mkdir "$t/small"
if "$driver" assemble efi amd64 "$t/tree1" - "" 118M 0 "$seed" $epoch \
	"$t/small/disk.img" 2>"$t/small.err"; then
	die "a 118 MiB disk for a tree that cannot fit was accepted"
fi
assert_contains "$(cat "$t/small.err")" "needs a disk of at least" "too-small error"
assert_contains "$(cat "$t/small.err")" "disk_size is 118.0 MiB" "too-small error"
assert_eq 1 "$(wc -l <"$t/small.err")" "lines of the too-small error"
assert_eq "" "$(ls -A "$t/small")" "files left by a failed assembly"

# No kernel in the tree: GRUB would have nothing to boot.
rm "$t/tree2/vmlinuz"
if "$driver" assemble efi amd64 "$t/tree2" - "" 256M 0 "$seed" $epoch "$t/small/disk.img" \
	2>"$t/nokernel.err"; then
	die "a tree without /vmlinuz was accepted"
fi
assert_contains "$(cat "$t/nokernel.err")" "has no /vmlinuz" "missing kernel error"
assert_eq "" "$(ls -A "$t/small")" "files left by a failed assembly"
echo "ok: GPT disk assembled, checked and reproducible"
