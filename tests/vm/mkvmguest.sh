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
: > "$work/mods/order"
for m in virtio_pci virtio_blk; do
	modprobe -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
while read -r ko; do
	name=$(basename "$ko")
	case "$name" in
	*.ko.xz) xz -dc "$ko" > "$work/mods/${name%.xz}"; name=${name%.xz} ;;
	*.ko.zst) zstd -qdc "$ko" > "$work/mods/${name%.zst}"; name=${name%.zst} ;;
	*) cp "$ko" "$work/mods/$name" ;;
	esac
	echo "$name" >> "$work/mods/order"
done
(cd "$work" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
