#!/bin/bash
# Build (once) the debug kernel for `make check-debug` from Debian's
# linux-source-6.1 with tests/debug.config over x86_64_defconfig, cache it
# outside the repository, and build dm-migrate.ko against it into
# build/debug/.
#
#   tests/debug-kernel.sh          build if needed, then build the module
#   tests/debug-kernel.sh --print  print the cached kernel tree's path
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tarball=/usr/src/linux-source-6.1.tar.xz
cache=${DMM_CACHE:-/var/cache/dm-migrate}
key=$( (dpkg-query -W -f='${Version}' linux-source-6.1; cat "$repo/tests/debug.config") |
	sha256sum | cut -c1-16)
tree=$cache/linux-debug-$key

if [ "${1:-}" = --print ]; then
	echo "$tree"
	exit 0
fi

if [ ! -f "$tree/.dmm-built" ]; then
	echo "# building the debug kernel in $tree (about 15 minutes on 2 cores)"
	if [ ! -f "$tree/Makefile" ]; then
		rm -rf "$tree"
		mkdir -p "$tree"
		tar -xJf "$tarball" -C "$tree" --strip-components=1
	fi
	cd "$tree"
	make -s x86_64_defconfig
	scripts/kconfig/merge_config.sh -m .config "$repo/tests/debug.config" >/dev/null
	make -s olddefconfig
	# Every requested option must have survived olddefconfig.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=[ym]' "$repo/tests/debug.config" |
		  grep -vxF -f .config || true)
	if [ -n "$missing" ]; then
		echo "debug-kernel.sh: options not taken by the kernel config:" >&2
		echo "$missing" >&2
		exit 1
	fi
	t0=$(date +%s)
	make -s -j"$(nproc)" bzImage modules
	cp arch/x86/boot/bzImage "$tree/bzImage"
	echo "# debug kernel built in $(($(date +%s) - t0)) s"
	touch "$tree/.dmm-built"
fi

mkdir -p "$repo/build/debug"
cp -r "$repo"/{Kbuild,kmod,include} "$repo/build/debug/"
make -s -C "$tree" M="$repo/build/debug" modules
