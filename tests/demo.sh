#!/bin/bash
# make demo, the README's quick start: boot a throwaway guest on the newest
# test kernel (6.12) and run tests/guest/demo.sh in it, which plays two
# hosts with two network namespaces on a veth link and live-migrates a
# 256 MiB VM disk from one to the other while fio keeps writing to it, all
# driven by migrate-dm as an operator would type it: receive on the
# destination; push, watch until converged, status, mirror and handoff on
# the source; the status of both sides, a write the source now refuses, the
# events seen during the migration, and the sha256 of both volumes.
# Prints the guest's transcript; exits non-zero unless both volumes ended
# up identical.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
v=$(tests/kernels.sh | tail -n1)
logs=build/logs/demo
tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
echo "booting a throwaway guest ($v) under QEMU: two network namespaces play two hosts..."
rm -f "$logs/output.log"	# never show an earlier run's transcript
rc=0
tests/vm/boot.sh "/boot/vmlinuz-$v" "build/initrd-$v.gz" "$v" "$logs" 900 \
	tests/guest/demo.sh || rc=$?
[ -f "$logs/output.log" ] && cat "$logs/output.log"
if [ "$rc" != 0 ] || ! grep -q '^RESULT: identical' "$logs/output.log"; then
	echo "demo: FAILED (boot.sh exit $rc; logs in $repo/$logs/)" >&2
	exit 1
fi
