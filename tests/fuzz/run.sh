#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs every libFuzzer target in build/fuzz for SECONDS each, starting from
# its seed corpus in tests/fuzz/corpus/NAME (never written to: new inputs go
# to a scratch directory). A crash leaves its input under build/fuzz-findings
# and makes the script fail. Prints executions per target.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-60}

findings=$top/build/fuzz-findings
status=0
mkdir -p "$findings"

for bin in "$top"/build/fuzz/fuzz/fuzz-*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=$top/tests/fuzz/corpus/${name#fuzz-}
	work=$(mktemp -d)
	log=$findings/$name.log
	if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$findings/$name-" -print_final_stats=1 \
		"$work" "$seeds" >"$log" 2>&1; then
		runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		echo "$name: ${runs:-?} runs in ${seconds}s, no findings"
	else
		echo "$name: FINDING; see $log"
		tail -n 30 "$log"
		status=1
	fi
	rm -rf "$work"
done

exit $status
