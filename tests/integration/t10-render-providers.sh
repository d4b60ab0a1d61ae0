#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Provider size and encoding rules of 'faasd-image render --provider': the
# vps user-data stays plain everywhere; a large compressible user-data is
# gzipped for aws and openstack (raw gzip), gzip+base64 for hetzner, and
# refused for digitalocean and linode; an incompressible one is refused by
# aws with one line naming provider, limit and size, and a refusal writes
# nothing. Uses the test lock of tests/data/render (made-up hashes).
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd python3 gzip base64 cmp

export FAASD_IMAGE_LOCK="$FAASD_IMAGE_TOP/tests/data/render/artifacts.lock"
tmpdir_new
t=$TMPDIR_NEW

"$FAASD_IMAGE" render -q --profile vps --provider generic -o "$t/generic" ||
	die "generic render failed"
for p in aws hetzner digitalocean linode openstack; do
	"$FAASD_IMAGE" render -q --profile vps --provider "$p" -o "$t/$p" ||
		die "vps for $p failed"
	cmp -s "$t/generic" "$t/$p" || die "vps user-data for $p is not the plain text"
done
head -n 1 "$t/generic" | grep -qx '#cloud-config' || die "no #cloud-config header"

# big_profile NAME KIND: a profile extending vps with one large write_files entry,
# 'text' (compressible, 70 KB) or 'noise' (incompressible, 40 KB of hex).
big_profile() {
	python3 - "$t/$1.yaml" "$2" <<'PY'
import hashlib, sys
path, kind = sys.argv[1], sys.argv[2]
if kind == "text":
    body = "faasd says hello to the world, again and again\n" * 1500
else:
    body = "".join(hashlib.sha256(str(i).encode()).hexdigest() + "\n" for i in range(620))
lines = body.splitlines()
with open(path, "w") as f:
    f.write("extends: vps\nwrite_files:\n")
    for part in range(0, len(lines), 600):
        f.write("  - path: /srv/big-%d.txt\n    content: |\n" % part)
        for line in lines[part:part + 600]:
            f.write("      " + line + "\n")
PY
}

big_profile text text
big_profile noise noise

"$FAASD_IMAGE" render -q --profile "$t/text.yaml" --provider generic -o "$t/text.plain" ||
	die "generic render of the large profile failed"
size=$(wc -c <"$t/text.plain")
[ "$size" -gt 65536 ] || die "test profile too small ($size bytes)"

for p in aws openstack; do
	"$FAASD_IMAGE" render -q --profile "$t/text.yaml" --provider "$p" -o "$t/text.$p" ||
		die "$p should gzip a large compressible user-data"
	[ "$(head -c 2 "$t/text.$p" | od -An -tx1 | tr -d ' ')" = 1f8b ] ||
		die "$p output is not gzip"
	gzip -dc <"$t/text.$p" | cmp -s - "$t/text.plain" ||
		die "$p gzip does not decompress to the user-data"
done
[ "$(wc -c <"$t/text.aws")" -le 16384 ] || die "aws output over 16384 bytes"

"$FAASD_IMAGE" render -q --profile "$t/text.yaml" --provider hetzner -o "$t/text.hetzner" ||
	die "hetzner should take gzip+base64"
base64 -d <"$t/text.hetzner" | gzip -dc | cmp -s - "$t/text.plain" ||
	die "hetzner output is not base64 of gzip of the user-data"
[ "$(wc -c <"$t/text.hetzner")" -le 32768 ] || die "hetzner output over 32768 bytes"

# Deterministic gzip: twice the same bytes.
"$FAASD_IMAGE" render -q --profile "$t/text.yaml" --provider aws -o "$t/text.aws2"
cmp -s "$t/text.aws" "$t/text.aws2" || die "gzip output differs between runs"

# Refusals: exit 1, one line naming provider, limit and size, nothing written.
refuse() { # refuse PROFILE PROVIDER LIMIT
	echo keep >"$t/existing"
	if "$FAASD_IMAGE" render --profile "$t/$1.yaml" --provider "$2" -o "$t/existing" \
		2>"$t/err"; then
		die "$2 accepted the $1 profile"
	else
		rc=$?
	fi
	[ "$rc" -eq 1 ] || die "$2 refusal exited $rc, not 1"
	[ "$(wc -l <"$t/err")" -eq 1 ] || die "$2 refusal is not one line: $(cat "$t/err")"
	grep -q "$2" "$t/err" && grep -q "$3" "$t/err" ||
		die "$2 refusal does not name it: $(cat "$t/err")"
	grep -q '[0-9]\{5,\} bytes' "$t/err" || die "$2 refusal does not give the size"
	[ "$(cat "$t/existing")" = keep ] || die "$2 refusal changed the output file"
	[ -z "$(ls "$t" | grep '\.tmp-\|faasd-image-tmp')" ] || die "$2 refusal left a temporary"
	"$FAASD_IMAGE" render -q --profile "$t/$1.yaml" --provider "$2" -o "$t/new-$2" \
		2>/dev/null && die "$2 accepted the $1 profile"
	[ ! -e "$t/new-$2" ] || die "$2 refusal wrote a file"
}
refuse text digitalocean 65536
refuse text linode 16384
refuse noise aws 16384

echo "provider rules hold: plain, gzip (aws, openstack), gzip+base64 (hetzner), refusals"
