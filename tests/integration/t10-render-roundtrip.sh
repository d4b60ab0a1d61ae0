#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The emitter's hostile-string table read back by PyYAML (yaml.safe_load, the
# YAML 1.1 reader cloud-init uses): every value must come back as the same
# str, every key as the only key of its mapping. test-emit --dump writes the
# document and the expected strings in hex.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

bin="$FAASD_IMAGE_TOP/${BUILD:-build/default}/tests/test-emit"
[ -x "$bin" ] || skip "needs the unit binaries: run make unit"
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml (see ci/install-deps.sh)"

tmpdir_new
"$bin" --dump "$TMPDIR_NEW" || die "test-emit --dump failed"
assert_file "$TMPDIR_NEW/doc.yaml"

d=$TMPDIR_NEW
python3 - "$d/doc.yaml" "$d/expected.hex" <<'PY' || die "PyYAML read back something else"
import sys, yaml

with open(sys.argv[1], "rb") as f:
    raw = f.read()
assert raw.startswith(b"#cloud-config\n"), "no #cloud-config header"
doc = yaml.safe_load(raw.decode("utf-8"))
expected = [bytes.fromhex(l.strip()).decode("utf-8") for l in open(sys.argv[2])]
bad = 0
assert isinstance(doc, dict) and sorted(doc) == ["keys", "values"], "extra top-level keys"
values, keys = doc["values"], doc["keys"]
assert len(values) == len(expected) == len(keys), "item count differs"
for i, want in enumerate(expected):
    if type(values[i]) is not str or values[i] != want:
        print("value %d: want %r got %r" % (i, want, values[i]))
        bad += 1
    if "\0" in want:
        continue
    k = keys[i]
    if not isinstance(k, dict) or list(k.items()) != [(want, i)] or type(list(k)[0]) is not str:
        print("key %d: want %r got %r" % (i, want, k))
        bad += 1
print("%d strings checked as values and keys, %d wrong" % (len(expected), bad))
sys.exit(1 if bad else 0)
PY
