#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The committed cloud-config/ files are what the current templates, profiles
# and lock render: ci/render-cloud-config.sh into a temporary directory must
# give exactly the committed set. Run 'make cloud-config' after changing any
# of them. Skips (a failure under CI) when the shipped lock cannot render the
# user-data profiles yet, naming what is missing.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
need_cmd cmp diff

tmpdir_new
t=$TMPDIR_NEW
if ! FAASD_IMAGE="$FAASD_IMAGE" sh "$FAASD_IMAGE_TOP/ci/render-cloud-config.sh" "$t/fresh" \
	>"$t/log" 2>&1; then
	if grep -q 'not yet locked' "$t/log"; then
		skip "the shipped lock cannot render cloud-config/:" \
			"$(grep 'not yet locked' "$t/log" | head -n 1)"
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
