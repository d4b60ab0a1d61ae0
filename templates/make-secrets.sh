#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Creates faasd's basic-auth secret once per machine, before faasd-provider
# starts: user "admin" and a password of 63 random letters and digits. An
# existing file is kept, so a password seeded by cloud-init's write_files
# (or set by hand) survives every boot.
set -eu
dir=/var/lib/faasd/secrets
umask 077
mkdir -p "$dir"
if [ ! -s "$dir/basic-auth-user" ]; then
    printf 'admin' >"$dir/basic-auth-user.tmp"
    mv "$dir/basic-auth-user.tmp" "$dir/basic-auth-user"
fi
if [ ! -s "$dir/basic-auth-password" ]; then
    LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c 63 >"$dir/basic-auth-password.tmp"
    mv "$dir/basic-auth-password.tmp" "$dir/basic-auth-password"
fi
chmod 0600 "$dir/basic-auth-user" "$dir/basic-auth-password"
