# SPDX-License-Identifier: MIT
#
# Helpers for the scripts in ci/fixtures.d: a cache key from the inputs, a
# fixture built in a temporary directory and renamed into place, the world's
# variables (one env.d/NAME.env per script, joined into world.env), and
# Debian packages downloaded for any architecture through a private apt
# configuration that leaves the host's package state alone.
#
# The private apt configuration lives in $FAASD_IMAGE_TEST_CACHE/apt: its own
# lists, cache, empty dpkg status and no preferences, and a copy of the host's
# /etc/apt/sources.list.d/debian.sources (so no mirror is named here). The
# host's dpkg architectures and lists are never changed.

FAASD_IMAGE_TEST_CACHE=${FAASD_IMAGE_TEST_CACHE:-/var/cache/faasd-image-tests}
export FAASD_IMAGE_TEST_CACHE
FX_CACHE=$FAASD_IMAGE_TEST_CACHE

fx_log() {
	echo "fixtures: ${FX_NAME:-?}: $*" >&2
}

fx_die() {
	echo "fixtures: ${FX_NAME:-?}: error: $*" >&2
	exit 1
}

# fx_begin NAME: names the fixture for messages and waits for any other
# run of the same fixture (another `make fixtures`) to finish, so that two
# runs never build into the same temporary directory.
fx_begin() {
	FX_NAME=$1
	mkdir -p "$FX_CACHE"
	exec 9>"$FX_CACHE/.lock-$1"
	if ! flock -n 9; then
		fx_log "waiting for another run to finish"
		flock 9
	fi
}

# fx_hash: sha256 of stdin, hex.
fx_hash() {
	sha256sum | cut -c1-64
}

# fx_pkgver PKG...: "PKG VERSION" of each installed host package (or
# "PKG missing"), one a line: part of a cache key.
fx_pkgver() {
	for _p in "$@"; do
		_v=$(dpkg-query -W -f='${Version}' "$_p" 2>/dev/null) || _v=missing
		echo "$_p ${_v:-missing}"
	done
}

# fx_built DIR: true when DIR is a finished fixture.
fx_built() {
	[ -d "$1" ] && [ -e "$1/.complete" ]
}

# fx_tmp DIR: makes and prints an empty temporary sibling of DIR.
fx_tmp() {
	mkdir -p "$(dirname "$1")"
	rm -rf "$1.tmp"
	mkdir "$1.tmp"
	echo "$1.tmp"
}

# fx_commit TMP DIR: marks TMP finished and renames it to DIR.
fx_commit() {
	: >"$1/.complete"
	rm -rf "$2"
	mv -T "$1" "$2"
}

# fx_prune PREFIX KEEP: removes $FX_CACHE/PREFIX-* other than KEEP (older
# versions of one fixture), and leftovers of interrupted runs.
fx_prune() {
	for _d in "$FX_CACHE/$1"-*; do
		[ -e "$_d" ] || continue
		[ "$_d" = "$2" ] && continue
		rm -rf "$_d"
	done
}

# fx_env NAME LINE...: writes $FX_CACHE/env.d/NAME.env ("VAR=value"
# lines) and rebuilds world.env from every env.d file, both atomically.
fx_env() {
	_n=$1
	shift
	mkdir -p "$FX_CACHE/env.d"
	printf '%s\n' "$@" >"$FX_CACHE/env.d/$_n.env.tmp"
	mv "$FX_CACHE/env.d/$_n.env.tmp" "$FX_CACHE/env.d/$_n.env"
	{
		echo "# the faasd-image test world; made by ci/fixtures.sh, do not edit"
		echo "FAASD_IMAGE_TEST_CACHE=$FX_CACHE"
		cat "$FX_CACHE"/env.d/*.env
	} >"$FX_CACHE/world.env.tmp"
	mv "$FX_CACHE/world.env.tmp" "$FX_CACHE/world.env"
}

# fx_env_get NAME VAR: prints VAR from env.d/NAME.env (empty if absent).
fx_env_get() {
	[ -f "$FX_CACHE/env.d/$1.env" ] || return 0
	sed -n "s/^$2=//p" "$FX_CACHE/env.d/$1.env" | tail -n 1
}

# Private apt: see the paragraph at the top.
_fx_apt_setup() {
	_a=$FX_CACHE/apt
	[ -f "$_a/apt.conf" ] && return 0
	mkdir -p "$_a/sources.list.d" "$_a/lists/partial" "$_a/cache/archives/partial" \
		"$_a/preferences.d"
	[ -f /etc/apt/sources.list.d/debian.sources ] ||
		fx_die "no /etc/apt/sources.list.d/debian.sources to copy"
	cp /etc/apt/sources.list.d/debian.sources "$_a/sources.list.d/"
	: >"$_a/status"
	cat >"$_a/apt.conf.tmp" <<CONF
APT::Architecture "amd64";
APT::Architectures { "amd64"; "arm64"; };
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "$_a/sources.list.d";
Dir::Etc::Preferences "/dev/null";
Dir::Etc::PreferencesParts "$_a/preferences.d";
Dir::State::Lists "$_a/lists";
Dir::State::status "$_a/status";
Dir::Cache "$_a/cache";
Acquire::Languages "none";
APT::Sandbox::User "root";
CONF
	mv "$_a/apt.conf.tmp" "$_a/apt.conf"
}

_fx_apt() {
	APT_CONFIG=$FX_CACHE/apt/apt.conf "$@"
}

# fx_apt_update: refreshes the private lists unless done in the last 12 h.
fx_apt_update() {
	_fx_apt_setup
	_s=$FX_CACHE/apt/updated
	if [ -n "$(find "$_s" -mmin -720 2>/dev/null)" ]; then
		return 0
	fi
	fx_log "apt-get update (private lists, amd64 + arm64)"
	_fx_apt apt-get -qq update >&2 || fx_die "apt-get update failed"
	: >"$_s"
}

# fx_deb ARCH PKG [VERSION]: prints the path of PKG's .deb for ARCH in
# $FX_CACHE/debs, downloading it if missing. VERSION defaults to the host's
# installed version of PKG, so that the cache key (fx_pkgver) names the
# bytes; when the mirror no longer has it, the candidate is used instead.
fx_deb() {
	_arch=$1 _pkg=$2 _ver=${3:-$(dpkg-query -W -f='${Version}' "$2" 2>/dev/null || true)}
	mkdir -p "$FX_CACHE/debs"
	_evless=$(echo "$_ver" | sed 's/^[0-9]*://')
	for _f in "$FX_CACHE/debs/${_pkg}_${_evless}_${_arch}.deb" \
		"$FX_CACHE/debs/${_pkg}_${_evless}_all.deb"; do
		[ -n "$_ver" ] && [ -s "$_f" ] && { echo "$_f"; return 0; }
	done
	fx_apt_update
	_dl=$(mktemp -d "$FX_CACHE/debs/.dl.XXXXXX")
	if [ -z "$_ver" ] || ! (cd "$_dl" &&
		_fx_apt apt-get -qq download "$_pkg:$_arch=$_ver" >&2); then
		[ -n "$_ver" ] && fx_log "$_pkg $_ver ($_arch) not on the mirror; taking its candidate"
		(cd "$_dl" && _fx_apt apt-get -qq download "$_pkg:$_arch" >&2) ||
			{ rm -rf "$_dl"; fx_die "cannot download $_pkg ($_arch)"; }
	fi
	_f=$(ls "$_dl"/*.deb)
	_dest=$FX_CACHE/debs/$(basename "$_f" | sed 's/%3a/:/; s/_[0-9]*:/_/')
	mv "$_f" "$_dest"
	rmdir "$_dl"
	echo "$_dest"
}

# fx_deb_extract DEB DIR: unpacks DEB's files into DIR (no scripts run).
fx_deb_extract() {
	mkdir -p "$2"
	dpkg-deb -x "$1" "$2"
}

# fx_tar_gz DIR OUT [PATH...]: a reproducible gzip tarball of DIR's PATHs
# (default "."), written to OUT atomically.
fx_tar_gz() {
	_d=$1 _o=$2
	shift 2
	[ $# -gt 0 ] || set -- .
	tar -C "$_d" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner \
		--format=gnu -cf - "$@" | gzip -n -1 >"$_o.tmp"
	mv "$_o.tmp" "$_o"
}

# fx_sha256_file FILE SUFFIX: writes "HEX  NAME" to FILE.SUFFIX.
fx_sha256_file() {
	(cd "$(dirname "$1")" && sha256sum "$(basename "$1")") >"$1.$2"
}
