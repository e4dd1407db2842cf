#!/bin/bash
# An on-path attacker (tests/prog/mitm.py, a TCP relay between the hosts)
# flips one byte of the first CHUNK after a genuine handshake.  The sealed
# stream (AES-128-GCM) makes the destination refuse it: a protocol
# error, nothing of it written.  The source reconnects (the relay now
# passes everything untouched), a writer keeps writing, and the migration
# ends in a handoff with identical volumes.
. "$(dirname "$0")/../lib.sh"

tap_plan 5
net_setup
migration_pair 16 8
LOG=$(mktemp)
GATE=$(mktemp -u)
trap 'kill $MITM $WRITER 2>/dev/null; rm -f $LOG $GATE; dm_cleanup; net_cleanup' EXIT
dmsetup create mt_src --table "0 $sz migrate $src 128"
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
blank=$(dev_sha "$dst")
on_dst dmsetup message mt_dst 0 listen $DST_IP:7798 "$KEY"
on_dst python3 "$REPO/tests/prog/mitm.py" $DST_IP 7799 $DST_IP 7798 "$GATE" > "$LOG" &
MITM=$!
for i in $(seq 50); do on_dst ss -ltn | grep -q ":7799 " && break; sleep 0.2; done

on_src dmsetup message mt_src 0 push $DST_IP:7799 "$KEY"
for i in $(seq 150); do
	[ "$(status_field mt_dst 13)" -ge 1 ] && break
	sleep 0.2
done
check "the relay flipped a byte of a sealed CHUNK" grep -q flipped "$LOG"
check "the destination refused it as altered ($(status_field mt_dst 13) protocol errors)" \
	sh -c "dmesg | grep -q 'failed authentication (altered in transit?)'"
expect_eq "nothing of it was written (the destination's volume is still blank)" \
	"$blank" "$(dev_sha "$dst")"

# From now on the relay passes everything; the source reconnects.
touch "$GATE"
( for i in $(seq 40); do
	dd if=/dev/urandom of=/dev/mapper/mt_src bs=4k count=1 oflag=direct \
		seek=$((RANDOM % (sz / 8))) conv=notrunc status=none
	sleep 0.1
done ) &
WRITER=$!
check "the source reconnects and converges, a writer running" wait_mode mt_src converged 180
wait $WRITER
finish() {
	dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 60 &&
	dmsetup suspend mt_src && handoff_wait mt_src && dmsetup resume mt_src &&
	[ "$(dev_sha "$src")" = "$(dev_sha "$dst")" ]
}
check "handoff, volumes identical" finish
dmesg | grep -E "dm-migrate|migrate:" | tail -n 10 | tap_diag
tap_done
