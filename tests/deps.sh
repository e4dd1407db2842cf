#!/bin/bash
# Install everything `make check`, `make check-debug`, `make bench` and
# `make fuzz` need, from Debian's packages.  Idempotent: a second run
# installs nothing.  (The fuzzers: clang-14, and libclang-rt-14-dev, whose
# libclang_rt.fuzzer is what -fsanitize=fuzzer links; libfuzzer-14-dev is
# not needed.)  The VM test (make check-vm): libvirt-daemon-system (libvirtd,
# and the /etc, /var/lib, /var/log and /var/cache trees the test's hosts
# bind their private copies over), its QEMU driver, virsh, and libvirt-dev
# for migrate-dm's libvirt client.  The bench's compressibility limit
# (bench/climit.c): liblzo2-dev, libzstd-dev and liblz4-dev.
set -euo pipefail

BPO=/etc/apt/sources.list.d/dm-migrate-backports.list
STAMP=/var/lib/dm-migrate-deps.stamp
SELF_SUM=$(sha256sum "$0" | cut -d' ' -f1)

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: run as root (it installs Debian packages)" >&2
	exit 1
fi
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$SELF_SUM" ]; then
	exit 0
fi

if [ ! -f "$BPO" ]; then
	echo "deb http://deb.debian.org/debian bookworm-backports main" > "$BPO"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq

# The 6.12 LTS kernel from bookworm-backports: newest ABI with headers.
BPO_VER=$(apt-cache search --names-only '^linux-image-6\.12\..*-amd64$' |
	  awk '{print $1}' | grep -v -e dbg -e unsigned -e -rt- -e -cloud- | sed 's/linux-image-//' |
	  sort -V | tail -n1)
if [ -z "$BPO_VER" ]; then
	echo "deps.sh: no 6.12 kernel found in bookworm-backports" >&2
	exit 1
fi

apt-get install -y -qq --no-install-recommends \
	build-essential bc bison flex libelf-dev libssl-dev dwarves cpio xz-utils zstd kmod \
	linux-image-amd64 linux-headers-amd64 linux-source-6.1 \
	"linux-image-$BPO_VER" "linux-headers-$BPO_VER" \
	qemu-system-x86 busybox-static \
	dmsetup fio util-linux iproute2 e2fsprogs \
	sparse coccinelle dkms \
	libnl-3-dev libnl-genl-3-dev libdevmapper-dev libjson-c-dev libvirt-dev libxml2-dev keyutils bash-completion libssl-dev openssl pkg-config python3 \
	drbd-utils qemu-utils nbd-client \
	libvirt-daemon-system libvirt-daemon-driver-qemu libvirt-clients libvirt-dev \
	clang-14 libclang-rt-14-dev \
	liblzo2-dev libzstd-dev liblz4-dev >/dev/null

echo "$SELF_SUM" > "$STAMP"
