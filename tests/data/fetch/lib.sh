# SPDX-License-Identifier: MIT
#
# Shared by tests/integration/t20-fetch-*.sh: a test lock made from the
# test world's artifact tree with 'faasd-image lock --update', the real
# nginx of tests/lib/httpd.sh in front of that tree (with an EXTRA_CONF of
# fault locations), and the assertions every failure test makes: exit 4,
# one error line, nothing left in the cache. Source it after setting
# nothing; it sets T (a temporary directory), CACHE and LOCK.

. "$FAASD_IMAGE_TOP/tests/lib/common.sh"
. "$FAASD_IMAGE_TOP/tests/lib/httpd.sh"

need_cmd nginx openssl
world_load
world_need ARTIFACTS_DIR

tmpdir_new
T=$TMPDIR_NEW
CACHE=$T/cache
LOCK=$T/test.lock
export FAASD_IMAGE_RETRY_DELAY_MS=${FAASD_IMAGE_RETRY_DELAY_MS:-100}
unset FAASD_IMAGE_LOCK FAASD_IMAGE_CACHE

GH=https://github.com
# Upstream URLs, exactly as the shipped lock spells them (runc's checksum
# file as the test world lays it out).
U_CONTAINERD=$GH/containerd/containerd/releases/download/v1.7.27/containerd-1.7.27-linux-amd64.tar.gz
U_RUNC=$GH/opencontainers/runc/releases/download/v1.1.12/runc.amd64
U_CNI=$GH/containernetworking/plugins/releases/download/v0.9.1/cni-plugins-linux-amd64-v0.9.1.tgz
U_FAASD=$GH/openfaas/faasd/releases/download/0.19.7/faasd
U_RAW=https://raw.githubusercontent.com/openfaas/faasd/0.19.7
U_COMPOSE=$U_RAW/docker-compose.yaml

# Paths of the same files on the mirror (and in the artifact tree).
P_CONTAINERD=/containerd/releases/download/v1.7.27/containerd-1.7.27-linux-amd64.tar.gz
P_FAASD=/faasd/releases/download/0.19.7/faasd

# lock_template NAME...: writes $LOCK with unpinned entries for the named
# artifacts (containerd runc cni faasd compose prometheus resolv).
lock_template() {
	echo "source-date-epoch 1733011200" >"$LOCK"
	for _a in "$@"; do
		case $_a in
		containerd) echo "artifact containerd 1.7.27 amd64 $U_CONTAINERD checksum=$U_CONTAINERD.sha256sum" ;;
		runc) echo "artifact runc 1.1.12 amd64 $U_RUNC checksum=$U_RUNC.sha256sum" ;;
		cni) echo "artifact cni-plugins 0.9.1 amd64 $U_CNI checksum=$U_CNI.sha256" ;;
		faasd) echo "artifact faasd 0.19.7 amd64 $U_FAASD checksum=$U_FAASD.sha256" ;;
		compose) echo "artifact faasd-compose 0.19.7 all $U_COMPOSE" ;;
		prometheus) echo "artifact faasd-prometheus 0.19.7 all $U_RAW/prometheus.yml" ;;
		resolv) echo "artifact faasd-resolv 0.19.7 all $U_RAW/resolv.conf" ;;
		*) die "lock_template: unknown artifact '$_a'" ;;
		esac
	done >>"$LOCK"
}

# make_lock NAME...: a pinned test lock, filled by 'lock --update' from the
# artifact tree used as a directory mirror (its own cache, not $CACHE).
make_lock() {
	lock_template "$@"
	"$FAASD_IMAGE" lock --update --lock "$LOCK" --mirror "$ARTIFACTS_DIR" \
		--cache "$T/update-cache" >"$T/update.out" 2>"$T/update.err" ||
		{ cat "$T/update.err" >&2; die "lock --update from the artifact tree failed"; }
}

# pinned_sha NAME: the sha256 the test lock pins for a component.
pinned_sha() {
	awk -v c="$1" '$1 == "artifact" && $2 == c {
		for (i = 6; i <= NF; i++) if ($i ~ /^sha256=/) print substr($i, 8) }' "$LOCK"
}

# serve [EXTRA_CONF]: nginx over the artifact tree; trusts its CA.
serve() {
	httpd_start "$ARTIFACTS_DIR" "${1:-}" || die "httpd_start failed"
	at_exit httpd_stop
	export FAASD_IMAGE_CA_FILE="$HTTPD_CA"
}

# run_fetch ARGS...: fetch --all with the test lock and cache; sets RC,
# OUT and ERR (file names).
run_fetch() {
	OUT=$T/fetch.out
	ERR=$T/fetch.err
	RC=0
	"$FAASD_IMAGE" fetch --all --lock "$LOCK" --cache "$CACHE" "$@" >"$OUT" 2>"$ERR" || RC=$?
	cat "$ERR" >&2
}

# requests PATH: how many requests for PATH nginx logged.
requests() {
	grep -c "\"[A-Z]* $1 HTTP" "$HTTPD_ACCESS_LOG" || true
}

# assert_failed_cleanly NEEDLE: exit 4, exactly one error line containing
# NEEDLE, and no file at all in the cache (no entry, no partial).
assert_failed_cleanly() {
	assert_eq 4 "$RC" "exit status"
	_n=$(grep -c 'error:' "$ERR" || true)
	assert_eq 1 "$_n" "number of error lines"
	assert_contains "$(grep 'error:' "$ERR")" "$1" "the error line"
	_left=$(find "$CACHE" -type f 2>/dev/null | wc -l)
	assert_eq 0 "$_left" "files left in the cache '$CACHE'"
	[ ! -s "$OUT" ] || die "fetch printed an artifact line although it failed"
}

# assert_good_run [ARGS...]: a fetch against a clean server succeeds and
# the cache holds every pinned hash.
assert_good_run() {
	httpd_stop
	serve
	run_fetch --mirror "$HTTPS_URL" "$@"
	assert_eq 0 "$RC" "exit status of the good run"
	for _h in $(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^sha256=/) print substr($i, 8) }' "$LOCK"); do
		assert_file "$CACHE/sha256/$_h"
		assert_eq "$_h" "$(sha256sum "$CACHE/sha256/$_h" | cut -d' ' -f1)" "cache entry hash"
	done
}
