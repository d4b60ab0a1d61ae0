#!/bin/sh
# SPDX-License-Identifier: MIT
# Profile errors on the command line: a missing profile, a misspelt key, a
# wrong type, an invalid hostname and a broken SSH key each give exactly one
# line on stderr, naming file:line:column and the key, and exit code 3; the
# same through --set. Then the good side: list, list --names, list --json,
# list --show with --set, and docs/profiles.md holding the exact key table
# that 'list --schema' prints.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
tmpdir_new
TMP=$TMPDIR_NEW
fi=$FAASD_IMAGE
data=$FAASD_IMAGE_TOP/tests/data/profiles
unset FAASD_IMAGE_SET
E="faasd-image: profile: error:"
shipped="multipass, qemu, qemu-arm64, qemu-ubuntu, rpi3, rpi4, vps"

# expect_profile_error EXPECTED-LINE COMMAND...: exit 3 and that one line on stderr.
expect_profile_error() {
	want=$1
	shift
	set +e
	"$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	set -e
	assert_eq 3 "$rc" "exit code of '$*'"
	assert_eq 1 "$(wc -l <"$TMP/err")" "stderr lines of '$*'"
	assert_eq "$want" "$(cat "$TMP/err")" "stderr of '$*'"
}

for cmd in "build --profile" "list --show"; do
	# shellcheck disable=SC2086
	expect_profile_error "$E profile 'nosuch' not found; shipped profiles: $shipped" \
		"$fi" $cmd nosuch
	# shellcheck disable=SC2086
	expect_profile_error "$E $data/misspelt-key.yaml:3:10: unknown key 'hostnme'; did you mean 'hostname'?" \
		"$fi" $cmd "$data/misspelt-key.yaml"
done

expect_profile_error "$E $data/wrong-type.yaml:3:1: 'disk_size': expected a string, found a list" \
	"$fi" list --show "$data/wrong-type.yaml"
expect_profile_error "$E $data/bad-hostname.yaml:3:11: 'hostname': 'my_host' is not a valid hostname (RFC 1123: letters, digits and '-', at most 63 per label)" \
	"$fi" list --show "$data/bad-hostname.yaml"
expect_profile_error "$E $data/broken-ssh-key.yaml:6:9: 'users.0.ssh_authorized_keys.0': SSH public key says 'ssh-rsa' but its data holds a 'ssh-ed25519' key" \
	"$fi" list --show "$data/broken-ssh-key.yaml"
expect_profile_error "$E --set hostname=my_host: 'hostname': 'my_host' is not a valid hostname (RFC 1123: letters, digits and '-', at most 63 per label)" \
	"$fi" list --show qemu --set hostname=my_host
expect_profile_error "$E --set arch=armhf: 'arch': 'armhf' is 32-bit Arm, which faasd dropped in 0.19.0; use arm64 (a Raspberry Pi 3, 4 or 5 runs a 64-bit OS)" \
	"$fi" list --show rpi4 --set arch=armhf
FAASD_IMAGE_SET="hostname=bad_name" expect_profile_error \
	"$E FAASD_IMAGE_SET hostname=bad_name: 'hostname': 'bad_name' is not a valid hostname (RFC 1123: letters, digits and '-', at most 63 per label)" \
	"$fi" list --show qemu

# The good side: a personal profile on top of a shipped one.
"$fi" list --show "$data/good-pi.yaml" --set hostname=pi-shed >"$TMP/show" 2>"$TMP/err"
assert_eq 0 "$(wc -c <"$TMP/err")" "stderr of list --show"
grep -qx 'hostname: pi-shed  # --set hostname=pi-shed' "$TMP/show" || die "--set not shown: $(cat "$TMP/show")"
grep -qx 'board: rpi4  # .*/profiles/rpi4.yaml:[0-9]*' "$TMP/show" || die "parent value not shown"
grep -q "passphrase: '\*\*\*\*\*\*\*\*'" "$TMP/show" || die "wifi passphrase not masked"
if grep -q 'correct horse' "$TMP/show"; then die "secret printed"; fi

# list: a header and one line per shipped profile, in name order.
"$fi" list >"$TMP/list"
assert_eq 8 "$(wc -l <"$TMP/list")" "lines of list"
grep -qE '^rpi4 +arm64 +rpi4 +img,img.xz +Raspberry Pi 4' "$TMP/list" || die "rpi4 line: $(cat "$TMP/list")"
"$fi" list --names >"$TMP/names"
ls "$FAASD_IMAGE_TOP/profiles" | sed -n 's/\.yaml$//p' | sort >"$TMP/files"
cmp -s "$TMP/names" "$TMP/files" || die "list --names differs from profiles/*.yaml"
if command -v python3 >/dev/null 2>&1; then
	"$fi" list --json | python3 -c 'import json, sys
d = json.load(sys.stdin)
assert [p["name"] for p in d] == sys.argv[1].split(), d
assert d[0]["outputs"] == ["user-data"], d[0]' "$(cat "$TMP/names")" || die "list --json"
	"$fi" list --json --show "$data/good-pi.yaml" | python3 -c 'import json, sys
d = json.load(sys.stdin)
assert d["network"]["ethernet"]["dhcp"] is True, d
assert d["users"][0]["groups"] == ["sudo"], d' || die "list --show --json"
fi

# An invalid shipped profile makes list fail with the one line.
mkdir "$TMP/data" "$TMP/data/profiles"
cp "$FAASD_IMAGE_TOP"/profiles/*.yaml "$TMP/data/profiles/"
printf 'description: broken\nhostname: no_good\n' >"$TMP/data/profiles/broken.yaml"
FAASD_IMAGE_DATADIR=$TMP/data expect_profile_error \
	"$E $TMP/data/profiles/broken.yaml:2:11: 'hostname': 'no_good' is not a valid hostname (RFC 1123: letters, digits and '-', at most 63 per label)" \
	"$fi" list

# docs/profiles.md holds the key table exactly as the schema prints it.
"$fi" list --schema >"$TMP/schema"
sed -n '/^<!-- schema:begin/,/^<!-- schema:end/p' "$FAASD_IMAGE_TOP/docs/profiles.md" |
	sed '1d;$d' >"$TMP/doc-schema"
cmp -s "$TMP/schema" "$TMP/doc-schema" ||
	die "docs/profiles.md key table is stale: regenerate it with 'faasd-image list --schema'"
echo "ok"
