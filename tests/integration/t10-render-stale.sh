#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The committed cloud-config/ files are what the current templates, profiles
# and lock render: ci/render-cloud-config.sh into a temporary directory must
# give exactly the committed set. Run 'make cloud-config' after changing any
# of them. While the shipped lock lacks a pin that the user-data needs, the
# render must refuse, naming the artifact, and cloud-config/ must hold no
# user-data at all (only its README saying why): never a file that is not
# what the lock renders.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd cmp diff

tmpdir_new
t=$TMPDIR_NEW
if ! FAASD_IMAGE="$FAASD_IMAGE" sh "$FAASD_IMAGE_TOP/ci/render-cloud-config.sh" "$t/fresh" \
	>"$t/log" 2>&1; then
	if grep -q 'not yet locked' "$t/log"; then
		left=$(cd "$FAASD_IMAGE_TOP/cloud-config" && ls | grep -v '^README' || true)
		[ -z "$left" ] || die "cloud-config/ holds $left, but the lock cannot render it"
		grep -q 'lock --update' "$FAASD_IMAGE_TOP/cloud-config/README.md" ||
			die "cloud-config/README.md does not say how to pin the lock"
		echo "the lock is not pinned yet; render refuses: $(grep 'not yet locked' "$t/log" | head -n 1)"
		exit 0
	fi
	die "ci/render-cloud-config.sh failed: $(cat "$t/log")"
fi

committed="$FAASD_IMAGE_TOP/cloud-config"
fresh_list=$(cd "$t/fresh" && ls | sort | tr '\n' ' ')
committed_list=$(cd "$committed" && ls 2>/dev/null | grep -v '^README' | sort | tr '\n' ' ')
assert_eq "$fresh_list" "$committed_list" "files in cloud-config/ (run make cloud-config)"
for f in "$t"/fresh/*; do
	cmp -s "$f" "$committed/$(basename "$f")" ||
		die "cloud-config/$(basename "$f") is stale: run make cloud-config"
done
echo "cloud-config/ is up to date: $fresh_list"
