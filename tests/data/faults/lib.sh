# SPDX-License-Identifier: MIT
#
# Shared by tests/integration/t70-faults-*.sh: the bake test setup (a lock
# from the test world, T a temporary directory), a private artifact cache
# whose bootstrap/ is the shared one of the t40 tests (so only the first
# run on a machine bootstraps), a build started in the background, and the
# checks made after every build that was interrupted or failed: exit code,
# one clear line, no temporary, no program, no mount left behind, previous
# outputs unchanged.

. "$FAASD_IMAGE_TOP/tests/data/bake/lib.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"

# faults_cache: sets CACHE to $T/cache, its bootstrap/ the shared one.
faults_cache() {
	CACHE=$T/cache
	mkdir -p "$FAASD_IMAGE_TEST_CACHE/bake-cache/bootstrap" "$CACHE"
	ln -s "$FAASD_IMAGE_TEST_CACHE/bake-cache/bootstrap" "$CACHE/bootstrap"
}

# build_start OUT_DIR LOG [ARGS...]: starts a build of the default profile
# in the background; sets PID. Stdout goes to LOG.out, stderr to LOG.
build_start() {
	_out=$1
	_log=$2
	shift 2
	"$FAASD_IMAGE" build --out-dir "$_out" --cache "$CACHE" "$@" \
		>"$_log.out" 2>"$_log" &
	PID=$!
}

# build_wait: waits for the build of build_start; sets RC.
build_wait() {
	RC=0
	wait "$PID" || RC=$?
}

# build_run OUT_DIR LOG [ARGS...]: a build in the foreground; sets RC.
build_run() {
	build_start "$@"
	build_wait
	cat "$2" >&2
}

# wait_until WHAT CMD...: polls CMD every 0.1 s while the build runs; fails
# when the build ends first or after 15 minutes.
wait_until() {
	_what=$1
	shift
	_n=0
	until "$@"; do
		kill -0 "$PID" 2>/dev/null || { cat "$T/run.err" >&2 2>/dev/null;
			die "the build ended before $_what"; }
		_n=$((_n + 1))
		[ $_n -lt 9000 ] || die "the build never reached $_what"
		sleep 0.1
	done
}

# child_of NAME: true when the build has a child program NAME; sets CHILD.
child_of() {
	CHILD=$(pgrep -P "$PID" -x "$1" | head -n 1)
	[ -n "$CHILD" ]
}

# snapshot DIR: the listing and sha256 of every file in DIR, hidden ones too.
snapshot() {
	(cd "$1" && ls -A && find . -maxdepth 1 -type f ! -name '.*' -exec sha256sum {} + |
		sort -k 2)
}

# leftovers: prints programs and mounts still using $T (except the test's
# own mount OWN_MOUNT, if any), and temporaries.
leftovers() {
	ps -eo pid=,args= >"$T/ps.txt"
	grep -F "$T/" "$T/ps.txt" | sed 's/^/process: /' || true
	grep -F "$T/" /proc/self/mountinfo | grep -vF " ${OWN_MOUNT:-/nonexistent} " |
		sed 's/^/mount: /' || true
	find "$T" -name '*.faasd-image-tmp.*' | sed 's/^/temporary: /'
	find "$CACHE/partial" -type f 2>/dev/null | sed 's/^/partial: /'
}

# settle: waits (up to 20 s) for programs of a killed build to end.
settle() {
	_n=0
	while ps -eo args= | grep -F "$T/" | grep -qv grep && [ $_n -lt 200 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
}

# check_failed WHAT RC LOG SNAPSHOT_BEFORE DIR PATTERN: the build exited
# with RC, LOG holds exactly one line matching PATTERN (grep -E), nothing
# is left behind (a program that was killed with the build has already
# ended: ours must end theirs before exiting) and DIR is as it was.
check_failed() {
	assert_eq "$2" "$RC" "exit status after $1"
	_n=$(grep -Ec "$6" "$3" || true)
	[ "$_n" -eq 1 ] || { cat "$3" >&2; die "after $1: $_n lines match '$6', expected 1"; }
	_left=$(leftovers)
	[ -z "$_left" ] || die "after $1, left behind:
$_left"
	[ "$4" = "$(snapshot "$5")" ] || { snapshot "$5" >&2; die "after $1: outputs in '$5' changed"; }
}
