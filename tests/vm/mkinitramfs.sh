#!/bin/bash
# Build a tiny busybox initramfs that mounts the host's / read-only over 9p
# and runs the test command inside it.  Usage: mkinitramfs.sh KVER OUT
#   KVER: a kernel whose modules are installed on this host, or "builtin"
#         for a kernel with virtio and 9p built in (the debug kernel).
set -euo pipefail
kver=$1
out=$2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,proc,sys,dev,root,mods}
cp /bin/busybox "$work/bin/busybox"
for app in sh mount umount insmod mkdir cat poweroff sleep echo dmesg grep; do
	ln -s busybox "$work/bin/$app"
done
cp "$here/init" "$work/init"
chmod +x "$work/init"

: > "$work/mods/order"
if [ "$kver" != builtin ]; then
	. "$here/kmods.sh"
	copy_kmods "$kver" "$work/mods" virtio_pci 9pnet_virtio 9p
fi

(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
