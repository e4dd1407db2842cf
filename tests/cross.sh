#!/bin/bash
# Cross-kernel migration: a 6.1 guest pushes to a 6.12 guest over a QEMU
# socket network (on the host's loopback).  Prints TAP lines for run.sh:
# the handoff completed on both sides and the volumes are identical.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo" || exit 1
read -r k61 k612 < <(tests/kernels.sh | xargs)
logs=build/logs/cross
port=$((20000 + RANDOM % 20000))
for v in "$k61" "$k612"; do
	[ -f "build/initrd-$v.gz" ] || tests/vm/mkinitramfs.sh "$v" "build/initrd-$v.gz"
done

DMM_QEMU_EXTRA="-netdev socket,id=n0,listen=127.0.0.1:$port -device virtio-net-pci,netdev=n0,mac=52:54:00:00:18:02" \
	tests/vm/boot.sh "/boot/vmlinuz-$k612" "build/initrd-$k612.gz" "$k612" "$logs/dst" 900 \
	tests/guest/cross.sh dst &
dst_pid=$!
sleep 2
DMM_QEMU_EXTRA="-netdev socket,id=n0,connect=127.0.0.1:$port -device virtio-net-pci,netdev=n0,mac=52:54:00:00:18:01" \
	tests/vm/boot.sh "/boot/vmlinuz-$k61" "build/initrd-$k61.gz" "$k61" "$logs/src" 900 \
	tests/guest/cross.sh src
wait $dst_pid

sed 's/^/# [cross src] /' "$logs/src/output.log"
sed 's/^/# [cross dst] /' "$logs/dst/output.log"
src_sha=$(sed -n 's/^cross: sha //p' "$logs/src/output.log" | tr -d '\r')
dst_sha=$(sed -n 's/^cross: sha //p' "$logs/dst/output.log" | tr -d '\r')
if grep -q "migrate handed_off" "$logs/src/output.log" &&
   grep -q "migrate tracking" "$logs/dst/output.log"; then
	echo "ok 1 cross: $k61 source handed off to $k612 destination"
else
	echo "not ok 1 cross: $k61 source handed off to $k612 destination"
fi
if [ -n "$src_sha" ] && [ "$src_sha" = "$dst_sha" ]; then
	echo "ok 2 cross: volumes identical ($src_sha)"
else
	echo "not ok 2 cross: volumes identical (src '$src_sha', dst '$dst_sha')"
fi
