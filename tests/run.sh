#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs the whole suite, or the tests whose names contain $1: the unit test
# binaries, then tests/integration/t*.sh in name order. An integration test
# exits 0 (pass), 77 (skip: a prerequisite is missing, and it says which) or
# anything else (fail). Under CI a skip counts as a failure, because CI
# installs every prerequisite. The last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build/default}
filter=${1:-}
logdir=${FAASD_IMAGE_TEST_LOGS:-$top/build/test-logs}
mkdir -p "$logdir"

export FAASD_IMAGE="$top/faasd-image"
export FAASD_IMAGE_TOP="$top"
export FAASD_IMAGE_DATADIR="$top"
export FAASD_IMAGE_TEST_CACHE="${FAASD_IMAGE_TEST_CACHE:-/var/cache/faasd-image-tests}"

passed=0 failed=0 skipped=0 failures=""

run_one() {
	name=$1
	shift
	case $name in *"$filter"*) ;; *) return ;; esac
	start=$(date +%s)
	"$@" >"$logdir/$name.log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		passed=$((passed + 1))
		echo "PASS $name (${took}s)"
	elif [ $rc -eq 77 ] && [ "${CI:-}" != true ]; then
		skipped=$((skipped + 1))
		echo "SKIP $name: $(tail -n 1 "$logdir/$name.log")"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		echo "FAIL $name (${took}s, exit $rc); last lines of $logdir/$name.log:"
		tail -n 30 "$logdir/$name.log" | sed 's/^/    /'
	fi
}

for t in "$top/$build"/tests/test-*; do
	[ -x "$t" ] || continue
	run_one "$(basename "$t")" "$t"
done

# The same unit tests built with ASan and UBSan, when that flavour is built.
if [ "$build" != build/sanitize ]; then
	for t in "$top"/build/sanitize/tests/test-*; do
		[ -x "$t" ] || continue
		ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
			run_one "sanitize-$(basename "$t")" "$t"
	done
fi

for t in "$top"/tests/integration/t*.sh; do
	[ -f "$t" ] || continue
	run_one "$(basename "$t" .sh)" sh "$t"
done

[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
