#!/bin/bash
# make bench, section vm (BENCH_ARGS=vm alone; bench/run.sh runs it after
# the other sections): boot a guest of the first test kernel (6.1, as make
# check-vm) and run bench/vm.sh in it: a VM live-migrated by migrate-dm
# and by libvirt's NBD + drive-mirror over the same tbf-limited link.
# Prints its table; writes build/bench/vm.csv (one row per tool).  Needs
# build/vm/vm1.save (make bench builds it).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
v=$(tests/kernels.sh | sed -n 1p)
logs=build/logs/bench-vm
tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
rm -f "$logs/output.log"	# never show an earlier run's figures
rc=0
tests/vm/boot.sh "/boot/vmlinuz-$v" "build/initrd-$v.gz" "$v" "$logs" 2400 bench/vm.sh || rc=$?
[ -f "$logs/output.log" ] && tr -d '\r' < "$logs/output.log"
if [ "$rc" != 0 ] || ! grep -q '^# bench done' "$logs/output.log"; then
	echo "bench vm: FAILED (boot.sh exit $rc; logs in $repo/$logs/)" >&2
	exit 1
fi
mkdir -p build/bench
sed -n 's/^vm\.csv: //p' "$logs/output.log" | tr -d '\r' > build/bench/vm.csv
echo "# bench vm: build/bench/vm.csv"
