#!/bin/bash
# Build the initramfs of the VM test's nested guest: busybox, the record
# writer (build/tests/vmrec, static) and the virtio modules of KVER.
# Usage: mkvmguest.sh KVER VMREC OUT
set -euo pipefail
kver=$1
vmrec=$2
out=$3
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work"/{bin,proc,sys,dev,mods}
cp /bin/busybox "$work/bin/busybox"
for app in sh mount insmod mkdir cat sleep echo ls tr cut; do
	ln -s busybox "$work/bin/$app"
done
cp "$vmrec" "$work/bin/vmrec"
cp "$here/nested/init" "$work/init"
chmod +x "$work/init"
. "$here/kmods.sh"
copy_kmods "$kver" "$work/mods" virtio_pci virtio_blk
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
