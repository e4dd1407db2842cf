#!/bin/bash
# The README's quick start: boot a throwaway guest on the 6.12 kernel, create
# a tracked device over a scratch volume, write to it, and show what the
# target tracked.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
v=$(tests/kernels.sh | tail -n1)
tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
echo "booting a throwaway guest ($v) under QEMU: two network namespaces play two hosts..."
tests/vm/boot.sh "/boot/vmlinuz-$v" "build/initrd-$v.gz" "$v" build/logs/demo 900 \
	tests/guest/demo.sh
cat build/logs/demo/output.log
