#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Builds the test world: every script in ci/fixtures.d, in name order. Each
# one caches what it makes under $FAASD_IMAGE_TEST_CACHE, keyed by a hash of
# its inputs, and returns in seconds when nothing changed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
export FAASD_IMAGE_TOP="$top"
export FAASD_IMAGE_TEST_CACHE="${FAASD_IMAGE_TEST_CACHE:-/var/cache/faasd-image-tests}"
mkdir -p "$FAASD_IMAGE_TEST_CACHE"

for f in "$top"/ci/fixtures.d/*.sh; do
	[ -f "$f" ] || continue
	start=$(date +%s)
	echo "fixtures: $(basename "$f" .sh)"
	sh "$f"
	echo "fixtures: $(basename "$f" .sh) ready ($(($(date +%s) - start)) s)"
done
