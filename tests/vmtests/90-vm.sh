#!/bin/bash
# dmm-timeout: 1800
# The VM harness end to end (tests/vmhost.sh): two hosts with their own
# libvirtd in one test guest, a nested VM with two virtio disks on host A
# whose sources are `migrate` devices in tracking mode, its record writer
# running; libvirt's own live migration with storage copy
# (virsh migrate --live --p2p --copy-storage-all: NBD + drive-mirror) moves
# it to host B.  Asserts the same VM runs on B (same boot id, sequence
# continued, not a reboot), it is gone from A, and every record is intact
# and without a gap on B's volumes.  Prints the time of every step.
# This is also the peer `make bench` compares `migrate-dm migrate` with
# (bench/vm.sh).
. "$(dirname "$0")/lib.bash"
trap vmt_cleanup EXIT

tap_plan 12
check "the nested VM's kernel and initramfs are built" vm_files
vmh_net $A $A_IP $B $B_IP
check "host $A: libvirtd up" vmh_up $A $A_IP
step "host $A up (QEMU capabilities probed)"
check "host $B: libvirtd up" vmh_up $B $B_IP
step "host $B up (capabilities copied from $A)"

# Volumes: on A a migrate device (tracking) over a loop device per disk; on
# B a dm-linear of the same size, the target of libvirt's NBD copy.
vmt_src_disks
vmt_dst_disks ""
expect_eq "A's disks are migrate devices in tracking mode" "tracking tracking" \
	"$(for d in $DISKS; do mode_of "$A-$d"; done | xargs)"

# The orchestration (migrate-dm on host A) finds A's device behind
# /dev/mapper/vm1-disk0 by its device number: the kernel knows it as
# hosta-vm1-disk0 (userspace/dmdev.c).
out=$(vmh $A "$REPO/build/migrate-dm" status "/dev/mapper/$VM-disk0" 2>&1)
check "migrate-dm on $A resolves /dev/mapper/$VM-disk0 to $A-$VM-disk0" \
	grep -q "$A-$VM-disk0" <<< "$out"
echo "$out" | tap_diag

# shellcheck disable=SC2086
check "start $VM on $A ($(vm_start_how))" vm_start $A $VM $DISKS
step "$(vm_start_how)"
hb=$(vm_wait_hb $A $VM 900)
check "$VM's writer heartbeat on $A's console" test -n "$hb"
step "to the first heartbeat"
sleep 1
[ -f "$VMH_ROOT/boot.times" ] && echo "# $VM since virsh start: $(tr '\n' ';' < "$VMH_ROOT/boot.times")"
grep -a 'vm-init: userspace' "$(vm_console $A $VM)" | tr -d '\r' | tap_diag
# Let it write a few seconds of records before the migration.
sleep 10
before=$(vm_last_hb $A $VM)
boot=${before% *}
echo "# before migration: boot $boot seq ${before#* }"

TS=$SECONDS
# While it runs: when does B's QEMU open its disks, and in which state is
# the domain on B then (the Prepare phase: paused, "incoming migration")?
vmh_virsh $A migrate --live --p2p --copy-storage-all \
	--persistent --undefinesource $VM "$(vmh_uri $B)" > "$VMH_ROOT/migrate.out" 2>&1 &
mpid=$!
opened=
while kill -0 $mpid 2>/dev/null; do
	if [ -z "$opened" ] &&
	   [ "$(dmsetup info -c --noheadings -o open "$B-$VM-disk0" | tr -d ' ')" -gt 0 ]; then
		opened="+$((SECONDS - TS)) s, $VM on $B: $(vmh_virsh $B domstate --reason $VM 2>&1 | xargs)"
	fi
	sleep 0.2
done
wait $mpid
rc=$?
tap_diag < "$VMH_ROOT/migrate.out"
expect_eq "virsh migrate --live --p2p --copy-storage-all to $B" 0 "$rc"
step "libvirt live migration with storage copy"
echo "# $B's QEMU opened $VM-disk0 at ${opened:-?}"
vmh_virsh $B domjobinfo --completed $VM 2>&1 | grep -E 'elapsed|downtime|File processed|Memory processed|Total data|Data processed' | tap_diag
expect_eq "$VM is gone from $A" "" "$(vmh_virsh $A list --all --name | xargs)"
expect_eq "$VM runs on $B" "running" "$(vmh_virsh $B domstate $VM | xargs)"

after=$(vm_wait_hb $B $VM 300 "${before#* }")
expect_eq "same boot on $B (not a reboot)" "$boot" "${after% *}"
echo "# first heartbeat on $B: seq ${after#* } (last on $A before: ${before#* })"
step "first heartbeat on $B"
sleep 5
out=$(vmt_records $B "$boot")
rc=$?
echo "$out" | tap_diag
expect_eq "both disks on $B (paused): records intact, in order, without gap since boot, up to the last heartbeat" 0 "$rc"
echo "# source devices: $(for d in $DISKS; do dmsetup status "$A-$d"; done | tr '\n' ';')"
step "checks"
tap_done
