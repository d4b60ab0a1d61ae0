#!/bin/sh
# SPDX-License-Identifier: MIT
#
# faasd-image test on images that cannot be healthy. Without QEMU: a file
# that is not a disk image (a text file, a MiB of zeros) gets one clear line
# and exit 1 at once. With short QEMU runs on small disks made here: a Pi
# SD image and an EFI disk, each found to be what it is and failing before
# any kernel, the Pi image left untouched. With one TCG boot of the test world's cloud image: a
# seed volume that is not a NoCloud seed (a vfat labelled NOTCIDATA) leaves
# cloud-init without user-data, and the report must say so and exit 6
# within the shortened --timeout. When the test world has an image whose
# containerd is disabled (CONTAINERD_OFF_IMAGE_AMD64), it must be reported
# as such.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

tmpdir_new
t=$TMPDIR_NEW
# Boots run from a copy, so that rebuilding faasd-image meanwhile does not
# fail with "Text file busy".
cp "$FAASD_IMAGE" "$t/faasd-image"
FAASD_IMAGE=$t/faasd-image

# Not disk images: fast, no QEMU.
echo "hello" >"$t/hello.txt"
rc=0
"$FAASD_IMAGE" test "$t/hello.txt" >"$t/out" 2>"$t/err" || rc=$?
assert_eq 1 "$rc" "exit status for a text file"
assert_contains "$(cat "$t/err")" "is not a disk image" "stderr for a text file"
[ "$(wc -l <"$t/err")" -eq 1 ] || die "more than one line for a text file: $(cat "$t/err")"

dd if=/dev/zero of="$t/zeros.img" bs=1024 count=1024 2>/dev/null
rc=0
"$FAASD_IMAGE" test "$t/zeros.img" >"$t/out" 2>"$t/err" || rc=$?
assert_eq 1 "$rc" "exit status for a file of zeros"
assert_contains "$(cat "$t/err")" "no MBR or GPT partition table" "stderr for zeros"

need_cmd qemu-system-x86_64 qemu-system-aarch64 qemu-img mkfs.fat mcopy mdir sfdisk python3

# json_check FILE PYTHON-EXPRESSION...: each expression, with r the report, must hold.
json_check() {
	_f=$1
	shift
	python3 - "$_f" "$@" <<'PY' || die "report check failed: $(cat "$_f")"
import json, sys
r = json.load(open(sys.argv[1]))
for expr in sys.argv[2:]:
    assert eval(expr), "%s does not hold" % expr
PY
}

# A Pi SD image whose kernel is not a kernel, 40 MiB (raspi3b wants a power
# of two: the harness grows its copy, never the file). QEMU refuses the
# device tree at once; the report must name the machine and QEMU's words.
truncate -s 40M "$t/pi.img"
printf 'label: dos\nstart=2048, size=65536, type=c\n' | sfdisk -q "$t/pi.img"
mkfs.fat -n system-boot --offset 2048 "$t/pi.img" 32768 >/dev/null 2>&1
printf 'kernel=vmlinuz-0\ninitramfs initrd.img-0 followkernel\n' >"$t/config.txt"
echo "root=LABEL=writable rw console=ttyS1,115200" >"$t/cmdline.txt"
for f in vmlinuz-0 initrd.img-0 bcm2837-rpi-3-b.dtb; do echo "not $f" >"$t/$f"; done
MTOOLS_SKIP_CHECK=1 mcopy -i "$t/pi.img@@1048576" "$t/config.txt" "$t/cmdline.txt" \
	"$t/vmlinuz-0" "$t/initrd.img-0" "$t/bcm2837-rpi-3-b.dtb" ::
before=$(sha256sum <"$t/pi.img")
rc=0
"$FAASD_IMAGE" test --machine raspi3b --timeout 60 --json "$t/pi.img" >"$t/pi.json" 2>"$t/err" ||
	rc=$?
assert_eq 6 "$rc" "exit status for a Pi image with no real kernel"
json_check "$t/pi.json" 'r["arch"] == "arm64"' 'r["machine"] == "raspi3b"' 'r["port"] == 0' \
	'r["seed"] == "the image'"'"'s boot partition"' \
	'r["reason"].startswith("QEMU failed before the kernel starting")' \
	'r["milestones"]["kernel"] is None'
assert_eq "$before" "$(sha256sum <"$t/pi.img")" "the Pi image's checksum"
assert_eq 41943040 "$(stat -c %s "$t/pi.img")" "the Pi image's size"

# A GPT disk whose ESP holds a BOOTX64.EFI that is no EFI program: amd64 on
# q35; OVMF finds nothing to run, and the short timeout names the kernel.
truncate -s 64M "$t/efi.img"
printf 'label: gpt\nstart=2048, size=65536, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B\n' |
	sfdisk -q "$t/efi.img"
mkfs.fat -F 16 -n ESP --offset 2048 "$t/efi.img" 32768 >/dev/null 2>&1
echo "not an EFI program" >"$t/BOOTX64.EFI"
MTOOLS_SKIP_CHECK=1 mmd -i "$t/efi.img@@1048576" ::/EFI ::/EFI/BOOT
MTOOLS_SKIP_CHECK=1 mcopy -i "$t/efi.img@@1048576" "$t/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
qemu-img convert -O qcow2 "$t/efi.img" "$t/efi.qcow2"
rc=0
"$FAASD_IMAGE" test --accel tcg --timeout 20 --json "$t/efi.qcow2" >"$t/efi.json" \
	2>"$t/err" || rc=$?
assert_eq 6 "$rc" "exit status for an EFI disk with no loader"
json_check "$t/efi.json" 'r["arch"] == "amd64"' 'r["machine"] == "q35"' 'r["accel"] == "tcg"' \
	'r["port"] > 0' 'r["seed"] == "rendered by the harness"' \
	'r["reason"].startswith("timed out after 20 s waiting for the kernel starting")'

world_load
world_need CLOUD_IMAGE_AMD64

# A vfat volume that is no NoCloud seed: cloud-init finds no user-data.
mkfs.fat -C -n NOTCIDATA "$t/noseed.img" 1024 >/dev/null
rc=0
"$FAASD_IMAGE" test --accel tcg --timeout 300 --seed "$t/noseed.img" --json \
	"$CLOUD_IMAGE_AMD64" >"$t/report.json" 2>"$t/err" || rc=$?
cat "$t/err" >&2
cat "$t/report.json"
assert_eq 6 "$rc" "exit status without a seed"
json_check "$t/report.json" 'r["passed"] is False' 'r["milestones"]["kernel"] is not None' \
	'any(s in r["reason"] for s in ("cloud-init did not finish", "found no seed",
	  "no status markers"))' 'r["units"] == {}'

if [ -n "${CONTAINERD_OFF_IMAGE_AMD64:-}" ] && [ -e "$CONTAINERD_OFF_IMAGE_AMD64" ]; then
	rc=0
	"$FAASD_IMAGE" test --accel tcg "$CONTAINERD_OFF_IMAGE_AMD64" >"$t/out" 2>"$t/err" || rc=$?
	cat "$t/out"
	assert_eq 6 "$rc" "exit status with containerd disabled"
	assert_contains "$(cat "$t/out")" "containerd.service is inactive" "report"
fi
echo "ok"
