#!/bin/bash
# Inside the guest of make demo (tests/demo.sh vm): the VM harness of make
# check-vm (tests/vmtests/lib.bash, tests/vmhost.sh): two hosts, each with
# its own libvirtd, and vm1 (restored from build/vm/vm1.save) running on
# hosta with its two disks on migrate devices, its record writer writing a
# checksummed, sequenced record every 100 ms to both.  Then what an
# operator types: migrate-dm prepare on hostb, migrate-dm migrate on hosta,
# with its progress display (its terminal display when DMM_ARGS is "tty":
# the guest script's output is a serial port, a terminal; else plain lines),
# the downtime and its parts; then that the VM runs on hostb (the same
# boot, its heartbeat sequence going on), that hosta's disks refuse writes,
# and every record on hostb's disks (vmrec check).  Prints "RESULT: intact"
# and exits 0 only when every record is there.
cd "$DMM_REPO" || exit 1
. tests/vmtests/lib.bash
dmm_load dm_mod loop veth || exit 1
export PATH=$REPO/build:$PATH
RATE=${DEMO_RATE:-256K}
export VMT_SHOW=1
set -o pipefail

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
fail() {
	echo "RESULT: FAILED: $*"
	exit 1
}
# on HOST CMD...: shown as typed on HOST, run there; the demo ends if it fails.
on() {
	local host=$1
	shift
	echo "$host# $*"
	vmh "$host" "$@" || fail "'$*' on $host exited with $?"
}
hb_line() { tr -d '\r' < "$(vm_console "$1" $VM)" | grep -a 'vmrec: hb' | tail -n 1; }
trap 'vmh $B "$MDM" prepare $VM --cancel >/dev/null 2>&1; vmt_cleanup "$VM-*"' EXIT

say "Two hosts in this guest, each with its own libvirtd: $A ($A_IP) and $B ($B_IP)"
vmh_net $A $A_IP $B $B_IP
vmh_up $A $A_IP || fail "libvirtd on $A"
vmh_up $B $B_IP || fail "libvirtd on $B"

say "$A: $VM's disks are migrate devices in the tracking mode (every write marks its chunk)"
vmt_src_disks || fail "the source disks"
for d in $DISKS; do
	echo "$A# dmsetup table $d    # the kernel's $A-$d in this guest"
	dmsetup table "$A-$d"
done
echo "(starting $VM on $A: $(vm_start_how))"
# shellcheck disable=SC2086
vm_start $A $VM $DISKS >/dev/null || fail "cannot start $VM on $A"
hb=$(vm_wait_hb $A $VM 900) || fail "no heartbeat of $VM on $A"
boot=${hb% *}
on $A virsh -q list
on $A virsh -q domblklist $VM
echo "$VM's record writer on its console (a record to each disk every 100 ms):"
echo "  $(hb_line $A)"

say "$B: an empty volume of the same size per disk, where prepare looks for them"
vmt_dst_disks "$VOLS" || fail "the destination volumes"
on $B ls -l "$VOLS"
vmt_key
echo "(the key both hosts prove: openssl rand -hex 32 > $KEY)"

say "$B, the destination: prepare (a receiving device per disk, listening)"
vmt_prepare || fail "prepare on $B"

say "$A, the source: migrate (disks first, RAM once every disk converged and mirrors)"
echo "(--rate $RATE/s: the saved VM's disks are mostly zero chunks, sent as a flag; at the"
echo " link's full speed their push would be over before the display shows it)"
before=$(vm_last_hb $A $VM)
t0=$SECONDS
if [ "$DMM_ARGS" = tty ]; then
	vmt_migrate --rate "$RATE" --migrate-uri tcp://$B_IP
else
	vmt_migrate --rate "$RATE" --migrate-uri tcp://$B_IP | cat
fi || fail "migrate exited with $?"
echo "(migrate took $((SECONDS - t0)) s)"

say "The VM runs on $B: the same boot, its record sequence going on"
on $B virsh -q list
echo "$A# virsh list --all    # (nothing: it left)"
vmh_virsh $A list --all
after=$(vm_wait_hb $B $VM 300 "${before#* }") || fail "no heartbeat on $B"
echo "last heartbeat on $A before the migration: boot ${before% *} seq ${before#* }"
echo "heartbeat on $B now:                       boot ${after% *} seq ${after#* }"
[ "${after% *}" = "$boot" ] || fail "$VM on $B has another boot id: it rebooted"
echo "  $(hb_line $B)"

say "$A's devices refuse writes (handed off): the VM can only run on $B"
for d in $DISKS; do
	if dd if=/dev/zero of="/dev/mapper/$A-$d" bs=4k count=1 oflag=direct status=none 2>/dev/null; then
		fail "$A's $d still accepts writes"
	fi
	echo "$A: $d: $(dmsetup status "$A-$d" | cut -d' ' -f4), a write fails"
done

sleep 3
say "Every record on $B's disks: intact, in order, without a gap (vmrec check, $VM paused)"
vmt_records $B "$boot" || fail "records missing or damaged on $B (above)"
echo "RESULT: intact: $VM moved to $B live, every record written before, during and after is there"
