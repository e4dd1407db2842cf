#!/bin/bash
# The encoding helper's bench: boot the 6.12 guest (BENCH_KVER=... for
# another) and run bench/encode-guest.sh with ENC_ARGS (see there).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
v=${BENCH_KVER:-$(tests/kernels.sh | tail -n1)}
tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
log=build/logs/encode-bench
DMM_GUEST_MEM=4096 tests/vm/boot.sh "/boot/vmlinuz-$v" "build/initrd-$v.gz" "$v" $log 3000 \
	bench/encode-guest.sh "${ENC_ARGS:-}" || true
cat $log/output.log
grep -q '^# bench done' $log/output.log
