#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Hostile --set values for the fields render writes (hostname, timezone,
# locale, the basic-auth password): each is either refused with a message
# naming the field, or comes out in the user-data as exactly the string the
# profile holds, and no value ever adds, removes or re-types a top-level key
# or a write_files entry. Checked by parsing the output with PyYAML.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd python3
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml (see ci/install-deps.sh)"

export FAASD_IMAGE_LOCK="$FAASD_IMAGE_TOP/tests/data/render/artifacts.lock"

python3 - "$FAASD_IMAGE" <<'PY' || die "a hostile value changed the user-data's shape"
import subprocess, sys, yaml

exe = sys.argv[1]

def render(*sets):
    args = [exe, "render", "-q", "--profile", "vps", "--stdout"]
    for s in sets:
        args += ["--set", s]
    return subprocess.run(args, capture_output=True)

base = render()
assert base.returncode == 0, base.stderr
base_doc = yaml.safe_load(base.stdout)
base_keys = sorted(base_doc)
base_paths = [w["path"] for w in base_doc["write_files"]]

hostile = [
    "yes", "no", "on", "off", "true", "False", "~", "null", "0644", "1e3", "0x10", ".inf",
    "a: b", "a #b", "- a", "{}", "[]", "&a", "*a", "!a", "|", ">", "'q'", '"q"',
    "x\nruncmd: [reboot]", "x\n- y", " lead", "trail ", "tab\there", "\u2028x", "x\u0085y",
    "\ufeffbom", "é", "faasd\nbootcmd: [x]", "a" * 300, "faasd-1.example.org", "#comment",
    "%YAML", "@x", "`x`", "x\\y", "x'y", 'x"y', "--- x", "... x", "? x", ": x", "=",
]
fields = {
    "hostname": lambda d: d.get("hostname"),
    "timezone": lambda d: d.get("timezone"),
    "locale": lambda d: d.get("locale"),
    "faasd.basic_auth_password": lambda d: next(
        (w["content"] for w in d.get("write_files", [])
         if w["path"] == "/var/lib/faasd/secrets/basic-auth-password"), None),
}
bad = accepted = refused = 0
for field, get in fields.items():
    for v in hostile:
        r = render("%s=%s" % (field, v))
        if r.returncode != 0:
            err = r.stderr.decode("utf-8", "replace")
            short = field.split(".")[-1]
            if short not in err:
                print("%s=%r refused without naming the field: %s" % (field, v, err))
                bad += 1
            refused += 1
            continue
        accepted += 1
        doc = yaml.safe_load(r.stdout)
        try:
            want = yaml.safe_load(v)
        except yaml.YAMLError:
            want = None
        keys = sorted(doc)
        paths = [w["path"] for w in doc["write_files"]]
        secret = "/var/lib/faasd/secrets/basic-auth-password"
        if keys != base_keys:
            print("%s=%r changed the top-level keys: %s" % (field, v, keys))
            bad += 1
        if [p for p in paths if p != secret] != base_paths:
            print("%s=%r changed write_files: %s" % (field, v, paths))
            bad += 1
        got = get(doc)
        if want is None:
            # A YAML null unsets the key: nothing may appear in its place.
            if got is not None and got != base_doc.get(field) and got != v:
                print("%s=%r (null) came out as %r" % (field, v, got))
                bad += 1
        elif type(got) is not str or (isinstance(want, str) and got != want):
            print("%s=%r came out as %r" % (field, v, got))
            bad += 1
print("%d accepted and round-tripped, %d refused naming the field, %d wrong"
      % (accepted, refused, bad))
sys.exit(1 if bad or accepted == 0 else 0)
PY
