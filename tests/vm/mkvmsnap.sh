#!/bin/bash
# The VM test's nested VM, booted once on this machine and saved: under TCG
# in the TCG test guest the VM takes 4-6 min to boot, here (one level of
# TCG) seconds; the test restores it (virsh restore) instead of booting it.
#
# Usage: mkvmsnap.sh OUTDIR   (as root; run by make check-vm)
# Makes, with a libvirtd of the VM harness (tests/vmhost.sh) in namespaces
# of this machine and two loop devices as the disks:
#   OUTDIR/vm1.save              libvirt's save image of the running vm1
#   OUTDIR/vm1-disk0.img, -disk1 its two disks (32 MiB) as saved
#   OUTDIR/vm1.xml               its domain
#   OUTDIR/vm1.hb                its last heartbeat: "BOOT SEQ"
# The domain is vm_xml's: the same paths in the guest (/dev/mapper/vm1-disk0,
# build/vm/vmlinux, ...), the same QEMU binary (the guest sees this
# machine's /), the same machine type and CPU model (TCG's qemu64).
set -euo pipefail
out=$1
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export DM_DISABLE_UDEV=1
# shellcheck source=../vmhost.sh
. "$REPO/tests/vmhost.sh"
VMH_ROOT=$out/host
VM=vm1
DISK_MB=${VM_DISK_MB:-32}
H=vmsnap$$
P=vmsnapp$$
LOOPS=
cleanup() {
	vmh_down "$H" || true
	ip netns del "$P" 2>/dev/null || true
	for l in $LOOPS; do losetup -d "$l" || true; done
	rm -rf "$VMH_ROOT"
}
trap cleanup EXIT
rm -rf "$VMH_ROOT" "$out/$VM".*
mkdir -p "$VMH_ROOT"
vm_files
vmh_net "$H" 198.18.0.1 "$P" 198.18.0.2
vmh_up "$H" 198.18.0.1
for d in disk0 disk1; do
	rm -f "$out/$VM-$d.img"
	truncate -s "${DISK_MB}M" "$out/$VM-$d.img"
	l=$(losetup -f --show "$out/$VM-$d.img")
	LOOPS="$LOOPS $l"
	mm=$(stat -c '%t %T' "$l")
	mknod "$(vmh_dir "$H")/mapper/$VM-$d" b $((0x${mm% *})) $((0x${mm#* }))
done
vm_xml "$VM" "$VM-disk0" "$VM-disk1" > "$out/$VM.xml"
vmh_virsh "$H" create "$out/$VM.xml" >/dev/null
vm_wait_hb "$H" "$VM" 120 >/dev/null
# A few seconds of records on the disks before the save.
sleep 3
vmh_virsh "$H" save "$VM" "$out/$VM.save.tmp" >/dev/null
vm_last_hb "$H" "$VM" > "$out/$VM.hb"
for d in disk0 disk1; do
	"$REPO/build/tests/vmrec" check "$out/$VM-$d.img"
done
mv "$out/$VM.save.tmp" "$out/$VM.save"
echo "mkvmsnap: $out/$VM.save: $(cat "$out/$VM.hb")"
