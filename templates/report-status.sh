#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Reports, once cloud-init is done, how the faasd stack came up: lines
# "faasd-image-status: ..." on the console (read by faasd-image test from
# the serial log) and in the journal. Waits up to $FAASD_IMAGE_STATUS_TIMEOUT
# seconds (300) for the units to settle and the gateway to answer.
set -u

units="containerd.service faasd-fetch.service faasd-provider.service faasd.service"
timeout=${FAASD_IMAGE_STATUS_TIMEOUT:-300}

say() {
    echo "faasd-image-status: $*"
    echo "faasd-image-status: $*" >/dev/console 2>/dev/null || true
}

gateway_code() {
    code=$(curl --silent --output /dev/null --max-time 5 --write-out '%{http_code}' \
        http://127.0.0.1:8080/healthz 2>/dev/null) || true
    echo "${code:-000}"
}

settled() {
    for u in $units; do
        case $(systemctl is-active "$u" 2>/dev/null) in
        activating | deactivating | reloading) return 1 ;;
        esac
    done
    return 0
}

start=$(date +%s)
while [ $(($(date +%s) - start)) -lt "$timeout" ]; do
    if settled; then
        [ "$(systemctl is-active faasd.service 2>/dev/null)" = active ] || break
        [ "$(gateway_code)" = 200 ] && break
    fi
    sleep 5
done

status=$(cloud-init status 2>/dev/null | sed -n 's/^status: //p')
say "cloud-init ${status:-unknown}"
for u in $units; do
    say "unit $u $(systemctl is-active "$u" 2>/dev/null || true)"
done
say "hostname $(hostname)"
say "gateway $(gateway_code)"
say "end"
