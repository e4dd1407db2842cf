#!/bin/bash
# make demo / make demo-disk, the README's quick start: boot a throwaway
# guest and run a demo in it, its transcript shown as it goes (also in
# build/logs/demo-MODE/output.log).
#
#   tests/demo.sh vm     make demo: a running VM (libvirt, QEMU) live-migrated
#                        with its two disks between two libvirt hosts by
#                        migrate-dm prepare and migrate (tests/guest/demo-vm.sh,
#                        on the harness of make check-vm), in a guest of the
#                        first test kernel (6.1); on a terminal, migrate's
#                        terminal display (else plain lines)
#   tests/demo.sh disk   make demo-disk: one 256 MiB volume with a writer
#                        running, moved with the single-device commands
#                        (tests/guest/demo.sh), in a guest of the newest test
#                        kernel (6.12)
#
# Exits non-zero unless the guest's script ended with its success line:
# every record intact (vm), both volumes identical (disk).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
mode=${1:-vm}
args=
case "$mode" in
vm)
	v=$(tests/kernels.sh | sed -n 1p)	# (head would end it early: pipefail)
	script=tests/guest/demo-vm.sh
	ok='^RESULT: intact'
	[ -t 1 ] && args="tty"
	what="a libvirt host pair in network namespaces, a VM on one of them" ;;
disk)
	v=$(tests/kernels.sh | tail -n1)
	script=tests/guest/demo.sh
	ok='^RESULT: identical'
	what="two network namespaces play two hosts" ;;
*)
	echo "usage: tests/demo.sh vm|disk" >&2
	exit 2 ;;
esac
logs=build/logs/demo-$mode
tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
echo "booting a throwaway guest ($v) under QEMU: $what..."
mkdir -p "$logs"
: > "$logs/output.log"	# never show an earlier run's transcript
t0=$SECONDS
rc=0
tests/vm/boot.sh "/boot/vmlinuz-$v" "build/initrd-$v.gz" "$v" "$logs" 900 \
	"$script" "$args" &
boot=$!
tail -n +1 -F --pid=$boot "$logs/output.log" 2>/dev/null | sed -u 's/\r*$//' || true
wait $boot || rc=$?
echo "(the demo took $((SECONDS - t0)) s)"
if [ "$rc" != 0 ] || ! grep -q "$ok" "$logs/output.log"; then
	echo "demo: FAILED (boot.sh exit $rc; logs in $repo/$logs/)" >&2
	exit 1
fi
