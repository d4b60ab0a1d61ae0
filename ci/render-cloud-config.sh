#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Regenerates cloud-config/: the user-data of the shipped user-data profiles
# (vps, multipass) for direct use, e.g.
#   multipass launch --cloud-init cloud-config/multipass.yaml
# PROFILE.yaml is the plain render; PROFILE-PROVIDER.yaml (or .gz where the
# provider takes gzip) is written only for a provider whose rules change it.
# Usage: ci/render-cloud-config.sh [DIR]   (default: cloud-config/ of the repo)
# Run by 'make cloud-config'; tests/integration/t10-render-stale.sh renders
# into a temporary directory and compares. Fails, naming the artifact, when
# the lock lacks a hash the install needs.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
exe=${FAASD_IMAGE:-$top/faasd-image}
dest=${1:-$top/cloud-config}
export FAASD_IMAGE_DATADIR="${FAASD_IMAGE_DATADIR:-$top}"

profiles="multipass vps"
providers="aws hetzner digitalocean linode openstack"

mkdir -p "$dest"
work=$(mktemp -d "${TMPDIR:-/tmp}/render-cloud-config.XXXXXX")
trap 'rm -rf "$work"' EXIT

for profile in $profiles; do
	"$exe" render -q --profile "$profile" -o "$work/$profile.yaml"
	for provider in $providers; do
		out="$work/$profile-$provider"
		"$exe" render -q --profile "$profile" --provider "$provider" -o "$out"
		cmp -s "$out" "$work/$profile.yaml" && rm -f "$out" && continue
		case $(head -c 2 "$out" | od -An -tx1 | tr -d ' ') in
		1f8b) mv "$out" "$out.yaml.gz" ;;
		*) mv "$out" "$out.yaml" ;;
		esac
	done
done

# Replace the rendered files as a set: stale provider variants go too.
for f in "$dest"/*.yaml "$dest"/*.yaml.gz; do
	[ -e "$f" ] || continue
	[ -e "$work/$(basename "$f")" ] || rm -f "$f"
done
for f in "$work"/*; do
	chmod 0644 "$f"
	cp "$f" "$dest/"
done
echo "render-cloud-config: $(ls "$work" | tr '\n' ' ')-> $dest"
