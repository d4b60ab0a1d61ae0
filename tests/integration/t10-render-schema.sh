#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Every shipped profile's user-data, for every provider, is valid
# cloud-config by 'cloud-init schema' and uses only the top-level keys of
# tests/data/render/cloud-config-keys.txt (cloud-init 22.4 does not flag an
# unknown top-level key). Also the hand-made renders of test-render --dump:
# distro components, a mirror, the baked image's part, MIME multipart.
# Renders with the test lock of tests/data/render (made-up hashes), so the
# check covers the templates even while the shipped lock is incomplete.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd cloud-init python3

export FAASD_IMAGE_LOCK="$FAASD_IMAGE_TOP/tests/data/render/artifacts.lock"
keys="$FAASD_IMAGE_TOP/tests/data/render/cloud-config-keys.txt"
tmpdir_new
t=$TMPDIR_NEW
checked=0

# check FILE: schema-valid cloud-config (or MIME with one) with known top-level keys.
# Identical renders (most providers give the plain text) are checked once.
seen=" "
check() {
	sum=$(sha256sum <"$1" | cut -c1-64)
	case $seen in *" $sum "*) checked=$((checked + 1)); return 0 ;; esac
	seen="$seen$sum "
	python3 - "$1" "$keys" "$1.cc" <<'PY' || die "'$1' uses keys cloud-init does not know"
import email, sys, yaml
raw = open(sys.argv[1], "rb").read()
if raw.startswith(b"Content-Type: multipart/mixed"):
    parts = [p for p in email.message_from_bytes(raw).walk()
             if p.get_content_type() == "text/cloud-config"]
    assert len(parts) == 1, "MIME without exactly one cloud-config part"
    raw = parts[0].get_payload(decode=True)
assert raw.startswith(b"#cloud-config\n"), "no #cloud-config header"
open(sys.argv[3], "wb").write(raw)
allowed = {l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")}
doc = yaml.safe_load(raw)
unknown = sorted(set(doc) - allowed)
if unknown:
    print("unknown top-level keys: %s" % unknown)
    sys.exit(1)
PY
	cloud-init schema --config-file "$1.cc" >"$t/schema.out" 2>&1 ||
		die "cloud-init schema rejects '$1': $(cat "$t/schema.out")"
	checked=$((checked + 1))
}

for f in "$FAASD_IMAGE_TOP"/profiles/*.yaml; do
	profile=$(basename "$f" .yaml)
	for p in generic aws hetzner digitalocean linode openstack; do
		out="$t/$profile-$p"
		if ! "$FAASD_IMAGE" render -q --profile "$profile" --provider "$p" -o "$out" \
			2>"$t/err"; then
			# Only the size rule may refuse a shipped profile.
			grep -q 'over its limit' "$t/err" ||
				die "render of '$profile' for $p failed: $(cat "$t/err")"
			continue
		fi
		case $(head -c 2 "$out" | od -An -tx1 | tr -d ' ') in
		1f8b) gzip -dc <"$out" >"$out.plain" && out="$out.plain" ;;
		esac
		check "$out"
	done
done

bin="$FAASD_IMAGE_TOP/${BUILD:-build/default}/tests/test-render"
if [ -x "$bin" ]; then
	mkdir -p "$t/dump"
	"$bin" --dump "$t/dump" || die "test-render --dump failed"
	for f in "$t"/dump/*; do
		check "$f"
	done
fi
[ "$checked" -gt 10 ] || die "only $checked user-data files checked"
echo "$checked user-data files valid ($(echo $seen | wc -w) distinct), top-level keys known"
