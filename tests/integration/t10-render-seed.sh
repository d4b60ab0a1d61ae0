#!/bin/sh
# SPDX-License-Identifier: MIT
#
# NoCloud seeds from 'faasd-image render --seed': a vfat volume labelled
# cidata holding exactly meta-data and user-data (and network-config when
# the profile has a network section), each equal to what render prints;
# the same profile rendered twice gives the same bytes. Inspected with
# mtools, nothing mounted. Uses the test lock of tests/data/render.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd mkfs.fat mcopy minfo mdir mtype cmp

export FAASD_IMAGE_LOCK="$FAASD_IMAGE_TOP/tests/data/render/artifacts.lock"
export MTOOLS_SKIP_CHECK=1
tmpdir_new
t=$TMPDIR_NEW
cd "$t"

"$FAASD_IMAGE" render -q --profile vps --seed "$t/seed.img" || die "render --seed failed"
assert_file "$t/seed.img"
[ ! -e out ] || die "--seed alone also wrote out/vps/user-data"

minfo -i "$t/seed.img" | grep -q 'disk label="cidata' || die "seed label is not cidata"
files=$(mdir -b -i "$t/seed.img" ::/ | sed 's|^::/||' | sort | tr '\n' ' ')
assert_eq "meta-data user-data " "$files" "files in the seed"

"$FAASD_IMAGE" render -q --profile vps --stdout >"$t/user-data" || die "render --stdout failed"
mtype -i "$t/seed.img" ::/user-data >"$t/seed-user-data"
cmp -s "$t/user-data" "$t/seed-user-data" || die "seed user-data differs from render's output"
mtype -i "$t/seed.img" ::/meta-data >"$t/meta-data"
grep -q '^instance-id: faasd-[0-9a-f]\{16\}$' "$t/meta-data" || die "meta-data has no instance-id"

# Reproducible: a second seed of the same profile is the same bytes.
sleep 1
"$FAASD_IMAGE" render -q --profile vps --seed "$t/seed2.img" || die "second seed failed"
cmp -s "$t/seed.img" "$t/seed2.img" || die "two seeds of the same profile differ"

# A different user-data gives a different instance-id (cloud-init runs again).
"$FAASD_IMAGE" render -q --profile vps --set timezone=Europe/Berlin --seed "$t/seed3.img" ||
	die "seed with --set failed"
mtype -i "$t/seed3.img" ::/meta-data >"$t/meta-data3"
cmp -s "$t/meta-data" "$t/meta-data3" && die "instance-id did not change with the user-data"

# A network section adds network-config (netplan v2).
cat >"$t/net.yaml" <<'YAML'
extends: vps
network:
  ethernet:
    address: 192.168.1.50/24
    gateway: 192.168.1.1
    nameservers: [9.9.9.9]
YAML
"$FAASD_IMAGE" render -q --profile "$t/net.yaml" --seed "$t/seed4.img" ||
	die "seed with network failed"
files=$(mdir -b -i "$t/seed4.img" ::/ | sed 's|^::/||' | sort | tr '\n' ' ')
assert_eq "meta-data network-config user-data " "$files" "files in the seed with a network"
mtype -i "$t/seed4.img" ::/network-config >"$t/nc"
python3 - "$t/nc" <<'PY' || die "network-config is not the expected netplan"
import sys, yaml
nc = yaml.safe_load(open(sys.argv[1]))
eth = nc["ethernets"]["eth0"]
assert nc["version"] == 2, nc
assert eth["addresses"] == ["192.168.1.50/24"] and eth["gateway4"] == "192.168.1.1", eth
assert eth["nameservers"]["addresses"] == ["9.9.9.9"], eth
PY

# A failed seed leaves nothing behind.
"$FAASD_IMAGE" render -q --profile vps --seed-format iso --seed "$t/seed5.img" 2>/dev/null &&
	die "iso seeds are not built yet but render accepted one"
[ ! -e "$t/seed5.img" ] || die "a failed seed left a file"
echo "seed: label cidata, files equal to render's output, reproducible"
