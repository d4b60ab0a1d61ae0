#!/bin/sh
# SPDX-License-Identifier: MIT
# A short libFuzzer run of every parser and of the emitter, from their seed
# corpora; `make fuzz` runs them longer.
set -eu
. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
ls "$FAASD_IMAGE_TOP"/build/fuzz/fuzz/fuzz-* >/dev/null 2>&1 || die "no fuzzers built: make fuzzers"
sh "$FAASD_IMAGE_TOP/tests/fuzz/run.sh" "${FAASD_IMAGE_FUZZ_SECONDS:-10}"
