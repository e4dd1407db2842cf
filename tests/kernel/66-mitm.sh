#!/bin/bash
# dmm-cost: 46
# An on-path attacker (tests/prog/mitm.py, a TCP relay between the hosts),
# after genuine handshakes:
# 1. flips a data byte of the first raw CHUNK and corrects its CRC32C to
#    match (without the seal the chunk would be written): the destination
#    refuses it as altered, nothing of it is written;
# 2. on the next connection flips a byte of the first ACK's tag (a forged
#    ACK would make the source count data as durable): the source drops
#    the connection as altered and resends.
# Then the relay passes everything, a writer keeps writing, and the
# migration ends in a handoff with identical volumes.
. "$(dirname "$0")/../lib.sh"

tap_plan 7
net_setup
migration_pair 16 4
# All random: every chunk is a raw CHUNK, so whichever read finishes
# first, the first CHUNK sent is the one altered and nothing precedes it.
dd if=/dev/urandom of="$src" bs=1M count=$SIZE_MB oflag=direct status=none
WRITES=40
[ "$DMM_KVER" = debug ] && WRITES=10
LOG=$(mktemp)
GATE=$(mktemp -u)
trap 'kill $MITM $WRITER 2>/dev/null; rm -f $LOG $GATE; dm_cleanup; net_cleanup' EXIT
# dmesg lines from here on only (earlier tests' lines are in the log too).
mark=$(kmsg_mark)
since_mark() { kmsg_since "$mark"; }
logged() { since_mark | grep -q -- "$1"; }
dmsetup create mt_src --table "0 $sz migrate $src 128"
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
blank=$(dev_sha "$dst")
on_dst dmsetup message mt_dst 0 listen $DST_IP:7798 "$KEY"
on_dst python3 "$REPO/tests/prog/mitm.py" $DST_IP 7799 $DST_IP 7798 "$GATE" 65536 > "$LOG" &
MITM=$!
for i in $(seq 50); do on_dst ss -ltn | grep -q ":7799 " && break; nap 0.2; done

on_src dmsetup message mt_src 0 push $DST_IP:7799 "$KEY"
for i in $(seq 150); do
	[ "$(status_field mt_dst 13)" -ge 1 ] && break
	nap 0.2
done
check "the relay flipped a data byte of a raw CHUNK and fixed its CRC" grep -q "flipped chunk" "$LOG"
check "the destination refused it as altered" \
	logged 'mt_dst: protocol error from the source: a message failed authentication'
expect_eq "nothing of it was written (the destination's volume is still blank)" \
	"$blank" "$(dev_sha "$dst")"

# The next connection gets a forged ACK.
touch "$GATE"
for i in $(seq 150); do
	since_mark | grep -q "mt_src: a message from .* failed authentication" && break
	nap 0.2
done
check "the relay flipped a byte of an ACK's tag" grep -q "flipped ack" "$LOG"
check "the source refused the ACK as altered and dropped the connection" \
	logged 'mt_src: a message from .* failed authentication'

# From now on the relay passes everything.
( for i in $(seq $WRITES); do
	dd if=/dev/urandom of=/dev/mapper/mt_src bs=4k count=1 oflag=direct \
		seek=$((RANDOM % (sz / 8))) conv=notrunc status=none
	nap 0.1
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
since_mark | grep -E "dm-migrate|migrate:" | tail -n 10 | tap_diag
tap_done
