#!/bin/sh
# SPDX-License-Identifier: MIT
#
# faasd-image inspect --check: on an image holding an SSH host key, a
# machine id, faasd's password, shell histories, a private key, cloud-init
# instance state and a log, it exits 7 and names each; --canary finds a
# string that was written to a file since deleted (so only free blocks hold
# it). Once those are removed and the free space zeroed, the same command
# exits 0 and the canary is gone. inspect never changes the image.
# Four libguestfs launches (two to plant and clean with guestfish, two
# inspections); the image is tests/data/cloudimage/mkimage.sh's tiny one.
set -u
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"

need_cmd guestfish qemu-img sfdisk mkfs.fat mke2fs openssl python3
ls /boot/vmlinuz-* >/dev/null 2>&1 || skip "libguestfs needs a kernel in /boot (linux-image-amd64)"
# The appliance under TCG where KVM cannot run it (see TESTBED.md); faasd-image decides itself.
export LIBGUESTFS_BACKEND=direct

tmpdir_new
d=$TMPDIR_NEW
img=$d/image.qcow2
canary="faasd-image-canary-$$-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

sh "$FAASD_IMAGE_TOP/tests/data/cloudimage/mkimage.sh" amd64 "$img" qcow2 ||
	die "cannot make the test image"
openssl genrsa -out "$d/tls.key" 1024 2>/dev/null || die "openssl genrsa failed"
printf '%s\n' "$canary" >"$d/canary"

# guestfish gets TCG unconditionally (slower where KVM works, never wrong);
# faasd-image is left to probe for KVM itself.
guestfish_tcg() {
	LIBGUESTFS_BACKEND_SETTINGS=${LIBGUESTFS_BACKEND_SETTINGS:-force_tcg} guestfish "$@"
}

# Launch 1: plant, and leave the canary only in free blocks.
guestfish_tcg --format=qcow2 -a "$img" <<EOF || die "guestfish could not plant the findings"
run
mount /dev/sda2 /
upload $d/canary /var/tmp/canary
sync
rm /var/tmp/canary
upload $d/tls.key /etc/ssh/ssh_host_rsa_key
write /etc/machine-id "4f1c2e7d9a8b4c3d2e1f0a9b8c7d6e5f\n"
mkdir-p /var/lib/faasd/secrets
write /var/lib/faasd/secrets/basic-auth-password "planted-password\n"
write /root/.bash_history "echo hello\n"
write /home/debian/.bash_history "sudo -i\n"
mkdir-p /opt/app
upload $d/tls.key /opt/app/tls.key
mkdir-p /var/lib/cloud/instances/i-0123
ln-s /var/lib/cloud/instances/i-0123 /var/lib/cloud/instance
write /var/log/syslog "booted once\n"
EOF

before=$(sha256sum "$img" | cut -d' ' -f1)

# Launch 2: every finding named, exit 7.
"$FAASD_IMAGE" inspect --check --json --canary "$canary" "$img" >"$d/dirty.json" 2>"$d/dirty.err"
rc=$?
cat "$d/dirty.err"
assert_eq 7 "$rc" "inspect --check exit status on the planted image"
err=$(cat "$d/dirty.err")
for p in /etc/ssh/ssh_host_rsa_key /etc/machine-id /var/lib/faasd/secrets/basic-auth-password \
	/root/.bash_history /home/debian/.bash_history /opt/app/tls.key \
	/var/lib/cloud/instance /var/log/syslog; do
	assert_contains "$err" "'$p'" "inspect --check's errors"
done
assert_contains "$err" "canary string" "inspect --check's errors"
assert_contains "$err" "private key" "inspect --check's errors"
assert_eq "$before" "$(sha256sum "$img" | cut -d' ' -f1)" "the image's sha256 after inspect"

python3 - "$d/dirty.json" <<'EOF' || die "inspect --json is not what was expected"
import json, sys
r = json.load(open(sys.argv[1]))
paths = {f["path"] for f in r["findings"]}
want = {"/etc/ssh/ssh_host_rsa_key", "/etc/machine-id", "/opt/app/tls.key",
        "/var/lib/faasd/secrets/basic-auth-password", "/root/.bash_history"}
assert want <= paths, sorted(paths)
assert r["canary"] == "found", r["canary"]
assert r["os"]["arch"] == "x86_64" and r["os"]["distro"] == "debian", r["os"]
assert r["format"] == "qcow2"
names = {c["name"]: c for c in r["components"]}
assert names["containerd"]["version"] == "1.6.20~ds1-1+b1", names
assert {"target": "multi-user.target.wants", "unit": "ssh.service"} in r["units"]
assert r["faasd"]["delivery"] == "none"
EOF

# Launch 3: take it all out again and zero the free space.
guestfish_tcg --format=qcow2 -a "$img" <<EOF || die "guestfish could not clean the image"
run
mount /dev/sda2 /
rm /etc/ssh/ssh_host_rsa_key
truncate /etc/machine-id
rm-rf /var/lib/faasd/secrets
rm /root/.bash_history
rm /home/debian/.bash_history
rm-rf /opt/app
rm-rf /var/lib/cloud/instances
rm /var/lib/cloud/instance
truncate /var/log/syslog
zero-free-space /
EOF

# Launch 4: clean, and the canary is gone with the free blocks.
"$FAASD_IMAGE" inspect --check --canary "$canary" "$img" >"$d/clean.txt" 2>"$d/clean.err"
rc=$?
cat "$d/clean.txt" "$d/clean.err"
assert_eq 0 "$rc" "inspect --check exit status on the cleaned image"
assert_contains "$(cat "$d/clean.txt")" "findings:   0" "inspect's report"
assert_contains "$(cat "$d/clean.txt")" "canary:     not found" "inspect's report"
echo "ok: findings named, exit 7; clean image exit 0; canary found in free blocks, then gone"
