#!/bin/bash
# make bench: boot the 6.12 guest and run bench/guest.sh in it.  Prints a
# table of figures and ratios; absolute numbers on these machines are noisy,
# ratios between targets measured in the same run are what matter.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
# The section vm (bench/vm.sh) boots a guest of its own, after the other
# sections' guest; BENCH_ARGS empty: every section.
vm=1
args=${BENCH_ARGS:-}
if [ -n "$args" ]; then
	vm=$(echo "$args" | tr , '\n' | grep -cx vm || true)
	args=$(echo "$args" | tr , '\n' | grep -vx vm | paste -sd, || true)
fi
[ -z "${BENCH_ARGS:-}" ] || [ -n "$args" ] || exec bench/vm-run.sh
v=${BENCH_KVER:-$(tests/kernels.sh | tail -n1)}
tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
rm -f build/logs/bench/output.log	# never show an earlier run's figures
rc=0
DMM_GUEST_MEM=4096 tests/vm/boot.sh "/boot/vmlinuz-$v" "build/initrd-$v.gz" "$v" build/logs/bench 3000 \
	bench/guest.sh "$args" || rc=$?
[ -f build/logs/bench/output.log ] && cat build/logs/bench/output.log
if [ "$rc" != 0 ] || ! grep -q '^# bench done' build/logs/bench/output.log; then
	echo "bench: FAILED (boot.sh exit $rc; logs in $repo/build/logs/bench/)" >&2
	exit 1
fi
[ "$vm" = 0 ] || exec bench/vm-run.sh
