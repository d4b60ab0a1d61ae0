# SPDX-License-Identifier: MIT
#
# Small helpers for the integration tests: failing, skipping (exit 77),
# prerequisites, the test world made by `make fixtures`, temporary
# directories and a few assertions. Source it; it defines functions only,
# changes no shell option and starts nothing.

FAASD_IMAGE_TEST_CACHE=${FAASD_IMAGE_TEST_CACHE:-/var/cache/faasd-image-tests}
export FAASD_IMAGE_TEST_CACHE

# die MESSAGE...: says why the test failed and exits 1.
die() {
	echo "FAIL: $*" >&2
	exit 1
}

# skip REASON...: one line saying which prerequisite is missing; exit 77.
skip() {
	echo "skip: $*"
	exit 77
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# need_cmd CMD...: skips unless every CMD is on PATH.
need_cmd() {
	for _c in "$@"; do
		command -v "$_c" >/dev/null 2>&1 || skip "needs '$_c' (see ci/install-deps.sh)"
	done
}

# world_load: sets the variables of the test world (ARTIFACTS_DIR,
# IMAGES_DIR, ROOTFS_AMD64, ...) from the files ci/fixtures.d wrote, or
# skips when the world has not been built.
world_load() {
	[ -s "$FAASD_IMAGE_TEST_CACHE/world.env" ] ||
		skip "test world not built in '$FAASD_IMAGE_TEST_CACHE': run make fixtures"
	# shellcheck disable=SC1091
	. "$FAASD_IMAGE_TEST_CACHE/world.env"
}

# world_need VAR...: skips unless the world defines each VAR and the path
# it names exists (a fixture that was not built, e.g. arm64 ones).
world_need() {
	for _v in "$@"; do
		eval "_p=\${$_v:-}"
		[ -n "$_p" ] && [ -e "$_p" ] ||
			skip "test world has no $_v: run make fixtures"
	done
}

# Exit handling: at_exit CMD queues CMD (e.g. httpd_stop) to run when the
# shell exits, then the directories made by tmpdir_new are removed.
_at_exit=""
_tmpdirs=""
_common_exit() {
	eval "$_at_exit"
	for _d in $_tmpdirs; do
		rm -rf "$_d"
	done
}
_common_traps() {
	trap '_common_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
at_exit() {
	_at_exit="$_at_exit
$1"
	_common_traps
}

# tmpdir_new: makes a temporary directory, removed at exit, and sets
# TMPDIR_NEW to it (not printed: a $(...) subshell would lose the trap).
tmpdir_new() {
	TMPDIR_NEW=$(mktemp -d "${TMPDIR:-/tmp}/faasd-image-test.XXXXXX") ||
		die "cannot make a temporary directory"
	_tmpdirs="$_tmpdirs $TMPDIR_NEW"
	_common_traps
}

assert_eq() {
	# assert_eq EXPECTED ACTUAL [WHAT]
	[ "$1" = "$2" ] || die "${3:-value}: expected '$1', got '$2'"
}

assert_contains() {
	# assert_contains HAYSTACK NEEDLE [WHAT]
	case $1 in
	*"$2"*) ;;
	*) die "${3:-output} does not contain '$2': $1" ;;
	esac
}

assert_file() {
	# assert_file PATH: a non-empty regular file
	[ -f "$1" ] && [ -s "$1" ] || die "missing or empty file '$1'"
}
