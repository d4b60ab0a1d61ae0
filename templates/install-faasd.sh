#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Installs the faasd stack on a stock cloud image at first boot, run once by
# cloud-init's runcmd. Every parameter comes from /etc/faasd-image/install.env
# (written by faasd-image render from profiles/artifacts.lock): each download
# is pinned by URL and checked with sha256sum before it is used, and the
# architecture is chosen here, from uname -m. Components whose source is
# "distro" came from the distribution's packages (cloud-init's packages:).
set -eu

. /etc/faasd-image/install.env

say() {
    echo "faasd-image-install: $*"
    echo "faasd-image-install: $*" >/dev/console 2>/dev/null || true
}

die() {
    say "error: $*"
    exit 1
}

case $(uname -m) in
x86_64) ARCH=amd64 ;;
aarch64 | arm64) ARCH=arm64 ;;
*)
    die "this machine is $(uname -m); faasd supports only 64-bit x86_64 and aarch64" \
        "(since 0.19.0): install a 64-bit OS"
    ;;
esac

# value NAME: the variable NAME_ARCH of install.env.
value() {
    eval "printf '%s' \"\${${1}_${ARCH}:-}\""
}

proto='=https'
[ "$ALLOW_HTTP" = 1 ] && proto='=https,http'

work=$(mktemp -d /var/tmp/faasd-image-install.XXXXXX)
trap 'rm -rf "$work"' EXIT

# fetch URL SHA256 NAME: downloads into the work directory and checks the hash.
fetch() {
    [ -n "$1" ] && [ -n "$2" ] || die "no pinned URL and sha256 for $3"
    say "downloading $1"
    curl --fail --location --silent --show-error --proto "$proto" \
        --retry 5 --retry-delay 5 --connect-timeout 30 -o "$work/$3" "$1" ||
        die "cannot download $1"
    echo "$2  $work/$3" | sha256sum --check --status ||
        die "sha256 of $1 is not the locked $2"
}

install_containerd() {
    if [ "$CONTAINERD_SOURCE" = upstream ]; then
        fetch "$(value CONTAINERD_URL)" "$(value CONTAINERD_SHA256)" containerd.tar.gz
        # The tarball's bin/ holds containerd, its shims and ctr.
        tar -xzf "$work/containerd.tar.gz" -C /usr/local
    fi
    systemctl daemon-reload
    systemctl enable --now containerd.service
}

install_runc() {
    [ "$RUNC_SOURCE" = upstream ] || return 0
    fetch "$(value RUNC_URL)" "$(value RUNC_SHA256)" runc
    install -m 0755 "$work/runc" /usr/local/sbin/runc
}

install_cni() {
    if [ "$CNI_SOURCE" = upstream ]; then
        fetch "$(value CNI_URL)" "$(value CNI_SHA256)" cni.tgz
        mkdir -p /opt/cni/bin
        tar -xzf "$work/cni.tgz" -C /opt/cni/bin
    elif [ ! -e /opt/cni/bin ]; then
        # Debian keeps the plugins in /usr/lib/cni; faasd looks in /opt/cni/bin.
        mkdir -p /opt/cni
        ln -s /usr/lib/cni /opt/cni/bin
    fi
}

install_faasd() {
    fetch "$(value FAASD_URL)" "$(value FAASD_SHA256)" faasd
    # containerd's log driver runs exactly /usr/local/bin/faasd.
    install -m 0755 "$work/faasd" /usr/local/bin/faasd
    if [ "${FAAS_CLI_SOURCE:-none}" = upstream ]; then
        fetch "$(value FAAS_CLI_URL)" "$(value FAAS_CLI_SHA256)" faas-cli
        install -m 0755 "$work/faas-cli" /usr/local/bin/faas-cli
    fi
    mkdir -p /var/lib/faasd/secrets /var/lib/faasd-provider
    fetch "$COMPOSE_URL" "$COMPOSE_SHA256" docker-compose.yaml
    fetch "$PROMETHEUS_URL" "$PROMETHEUS_SHA256" prometheus.yml
    fetch "$RESOLV_URL" "$RESOLV_SHA256" resolv.conf
    for f in docker-compose.yaml prometheus.yml resolv.conf; do
        install -m 0644 "$work/$f" "/var/lib/faasd/$f"
    done
}

say "installing faasd $FAASD_VERSION for $ARCH"
install_runc
install_cni
install_containerd
install_faasd

systemctl restart systemd-modules-load.service || say "warning: modules did not all load"
sysctl --system >/dev/null || say "warning: sysctl settings did not all apply"

systemctl daemon-reload
systemctl enable faasd-secrets.service faasd-provider.service faasd.service
systemctl start faasd-secrets.service
systemctl start --no-block faasd-provider.service faasd.service
say "faasd $FAASD_VERSION installed"
