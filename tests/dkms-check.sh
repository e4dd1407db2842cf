#!/bin/bash
# Prove that dkms.conf builds the module: `dkms build` against the newest
# installed 6.1 headers, in a private DKMS tree so the host is not touched.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
kver=$("$repo/tests/kernels.sh" | sed -n 1p)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$repo/dkms.conf")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/src/dm-migrate-$ver" "$tmp/tree"
cp -r "$repo"/{Kbuild,dkms.conf,kmod,include} "$tmp/src/dm-migrate-$ver/"
dkms --sourcetree "$tmp/src" --dkmstree "$tmp/tree" add "dm-migrate/$ver" >/dev/null
dkms --sourcetree "$tmp/src" --dkmstree "$tmp/tree" build "dm-migrate/$ver" -k "$kver"
ls "$tmp/tree/dm-migrate/$ver/$kver/x86_64/module/dm-migrate.ko"*
