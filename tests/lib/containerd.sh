# SPDX-License-Identifier: MIT
#
# A private containerd for tests on the host: its own root, state, socket
# and config (CRI plugin off) under a temporary directory, so tests never
# touch a system containerd or its images. Needs root.
#
#   containerd_start          # sets CONTAINERD_DIR, CONTAINERD_ADDRESS, CTR
#   $CTR -n openfaas images ls
#   containerd_stop           # kills it, unmounts and removes its directory
#
# CTR is a small wrapper script (ctr with --address), usable wherever a
# single program name is wanted (e.g. FAASD_STANDIN_CTR).

containerd_start() {
	CONTAINERD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/faasd-image-containerd.XXXXXX") || return 1
	CONTAINERD_ADDRESS=$CONTAINERD_DIR/containerd.sock
	cat >"$CONTAINERD_DIR/config.toml" <<CONF
version = 2
root = "$CONTAINERD_DIR/root"
state = "$CONTAINERD_DIR/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CONTAINERD_ADDRESS"
CONF
	printf '#!/bin/sh\nexec ctr --address %s "$@"\n' "$CONTAINERD_ADDRESS" >"$CONTAINERD_DIR/ctr"
	chmod 0755 "$CONTAINERD_DIR/ctr"
	CTR=$CONTAINERD_DIR/ctr
	containerd --config "$CONTAINERD_DIR/config.toml" >"$CONTAINERD_DIR/log" 2>&1 &
	echo $! >"$CONTAINERD_DIR/pid"
	_n=0
	until "$CTR" version >/dev/null 2>&1; do
		_n=$((_n + 1))
		if [ $_n -ge 100 ] || ! kill -0 "$(cat "$CONTAINERD_DIR/pid")" 2>/dev/null; then
			echo "containerd: did not start:" >&2
			tail -n 20 "$CONTAINERD_DIR/log" >&2
			return 1
		fi
		sleep 0.1
	done
	export CONTAINERD_DIR CONTAINERD_ADDRESS CTR
}

containerd_stop() {
	[ -n "${CONTAINERD_DIR:-}" ] || return 0
	for _ns in $("$CTR" namespaces ls -q 2>/dev/null); do
		for _c in $("$CTR" -n "$_ns" tasks ls -q 2>/dev/null); do
			"$CTR" -n "$_ns" tasks kill -s KILL "$_c" >/dev/null 2>&1
		done
	done
	sleep 0.5
	for _ns in $("$CTR" namespaces ls -q 2>/dev/null); do
		for _c in $("$CTR" -n "$_ns" containers ls -q 2>/dev/null); do
			"$CTR" -n "$_ns" tasks rm -f "$_c" >/dev/null 2>&1
			"$CTR" -n "$_ns" containers rm "$_c" >/dev/null 2>&1
		done
	done
	_pid=$(cat "$CONTAINERD_DIR/pid" 2>/dev/null || true)
	[ -n "$_pid" ] && kill "$_pid" 2>/dev/null
	_n=0
	while [ -n "$_pid" ] && kill -0 "$_pid" 2>/dev/null && [ $_n -lt 50 ]; do
		sleep 0.1
		_n=$((_n + 1))
	done
	# Snapshot mounts left by a task that died with containerd.
	grep " $CONTAINERD_DIR/" /proc/self/mounts | cut -d' ' -f2 | sort -r |
		while read -r _m; do umount -l "$_m" 2>/dev/null; done
	rm -rf "$CONTAINERD_DIR"
	CONTAINERD_DIR=""
}
