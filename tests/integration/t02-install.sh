#!/bin/sh
# SPDX-License-Identifier: MIT
# make install with PREFIX and DESTDIR puts the binary, the man page, the
# shipped data and the bash completion in the documented places, and the
# installed binary finds its profiles and templates there.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd make
tmpdir_new
t=$TMPDIR_NEW
stage=$t/stage

make -s -C "$FAASD_IMAGE_TOP" install DESTDIR="$stage" PREFIX=/usr >"$t/make.log" 2>&1 ||
	die "make install failed: $(cat "$t/make.log")"
for f in usr/bin/faasd-image usr/share/man/man1/faasd-image.1 \
	usr/share/faasd-image/profiles/qemu.yaml usr/share/faasd-image/profiles/artifacts.lock \
	usr/share/faasd-image/templates/install.yaml \
	usr/share/bash-completion/completions/faasd-image; do
	assert_file "$stage/$f"
done
[ -x "$stage/usr/bin/faasd-image" ] || die "the installed binary is not executable"

# Nothing of the source tree may leak in: run from elsewhere, without the
# variables tests/run.sh sets.
cd "$t"
names=$(env -u FAASD_IMAGE_DATADIR "$stage/usr/bin/faasd-image" list --names | tr '\n' ' ')
assert_contains "$names" "qemu " "installed profiles"
env -u FAASD_IMAGE_DATADIR FAASD_IMAGE_LOCK="$FAASD_IMAGE_TOP/tests/data/render/artifacts.lock" \
	"$stage/usr/bin/faasd-image" render --profile vps --stdout >"$t/user-data" ||
	die "the installed binary cannot render with its templates"
head -n 1 "$t/user-data" | grep -qx '#cloud-config' || die "rendered user-data has no header"
echo "installed: $names"
