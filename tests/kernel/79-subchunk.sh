#!/bin/bash
# dmm-cost: 150
# dmm-timeout: 900
# Less write amplification: PIECE messages (docs/wire-protocol.rst,
# "Pieces"): after the bulk pass, a chunk a 4 KiB write dirtied goes as
# that 4 KiB, not as its 64 KiB.  Nothing may be lost on the way:
#  1. 4 KiB random writes (fio) after the bulk pass: the wire bytes of
#     the same writer for the same time with subchunk=1, then subchunk=0
#     (set at run time), both printed; PIECEs counted on both ends.
#  2. Writes that straddle sub-blocks and chunks, unaligned 512-byte
#     writes, discards and write-zeroes of parts of chunks.
#  3. The link cut while PIECEs flow (tbf-limited link): the source
#     reconnects and sends PIECEs again.
#  4. Mirror and hand off with the writer running: volumes identical.
#  5. Both directions degrade to whole chunks: a destination without the
#     feature (olddest: it stops on any message it does not know), and a
#     source that does not offer it (subchunk=0) to a kernel destination.
. "$(dirname "$0")/../lib.sh"

tap_plan 31
MDM=$REPO/build/migrate-dm
net_setup
trap 'kill $FIO $OLD 2>/dev/null; dm_cleanup; net_cleanup' EXIT

SIZE_MB=32
[ "$DMM_KVER" = debug ] && SIZE_MB=16
src=$(scratch_dev "${SIZE_MB}M")
dst=$(scratch_dev "${SIZE_MB}M")
sz=$(sectors_of "$src")
KEY=$(new_key)
printf '%s' "$KEY" > /tmp/key
# Incompressible: whole chunks cost their 64 KiB on the wire.
dd if=/dev/urandom of="$src" bs=1M count=$SIZE_MB oflag=direct status=none

# writer: 4 KiB random writes of fresh random data, 100 a second, over
# the whole source, until killed (its errors after a handoff: not shown).
writer() {
	fio --name=w --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k \
		--direct=1 --ioengine=libaio --iodepth=1 --rate_iops=100 \
		--refill_buffers --time_based --runtime=900 --randrepeat=0 \
		--eta=never --output=/dev/null 2>/dev/null &
	FIO=$!
}
stop_writer() { kill $FIO 2>/dev/null; wait $FIO 2>/dev/null; FIO=; }
wire() { status_field mt_src 8; }
pair() {	# pair PORT [push options]: fresh devices, listening and pushing
	blkdiscard "$dst" 2>/dev/null || dd if=/dev/zero of="$dst" bs=1M oflag=direct status=none
	dmsetup create mt_src --table "0 $sz migrate $src 128"
	dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:"$1" "$KEY"
}
unpair() {
	dmsetup remove mt_src
	dmsetup remove mt_dst
}
# finish: mirror, hand off with the writer running, compare.
finish() {
	"$MDM" mirror mt_src >/dev/null || return 1
	nap 1
	"$MDM" handoff mt_src >/dev/null || return 1
	stop_writer
	[ "$(dev_sha "$src")" = "$(dev_sha "$dst")" ]
}
# past_bulk: the bulk pass is over (round 1 or later).
past_bulk() {
	for _ in $(seq 600); do
		[ "$(json mt_src 's["round"] >= 1')" = True ] && return 0
		nap 0.2
	done
	return 1
}
# bulk_paused: the bulk pass is over and the push paused (pause_after_bulk).
bulk_paused() {
	for _ in $(seq 600); do
		[ "$(json mt_src 's["paused"] and s["round"] >= 1')" = True ] && return 0
		nap 0.2
	done
	return 1
}

# 1. The wire bytes of the dirty rounds, subchunk=1 then subchunk=0.
pair 7790
check "1: push, pause after the bulk pass" on_src dmsetup message mt_src 0 push \
	$DST_IP:7790 "$KEY" pause_after_bulk=1 max_rounds=100000 subchunk=1
check "1: the bulk pass is over" bulk_paused
bulk=$(wire)
expect_eq "1: the bulk pass sent whole chunks only" 0 "$(json mt_src 's["pieces_sent"]')"
expect_eq "1: the connection negotiated PIECE" True "$(json mt_src 's["peer_piece"]')"
writer
nap 1
"$MDM" resume mt_src
nap 1
w0=$(wire)
sleep 8
w1=$(wire)
p1=$(json mt_src 's["pieces_sent"]')
check "1: subchunk=1: the dirty rounds sent PIECEs ($p1)" test "$p1" -gt 50
check "1: the destination applied PIECEs" test "$(json mt_dst 's["pieces_applied"]')" -gt 0

# 2. Straddling, unaligned, discards (while PIECEs flow).
M=/dev/mapper/mt_src
check "2: 8 KiB across chunks 0 and 1" dd if=/dev/urandom of=$M bs=1k seek=60 count=8 \
	oflag=direct status=none
check "2: 6 KiB across sub-blocks at 1 KiB into one" dd if=/dev/urandom of=$M bs=512 \
	seek=$(((130 << 10) / 512 + 2)) count=12 oflag=direct status=none
check "2: 512 bytes at 1 MiB + 1536" dd if=/dev/urandom of=$M bs=512 \
	seek=$(((1 << 20) / 512 + 3)) count=1 oflag=direct status=none
check "2: 200 KiB at an odd sector across four chunks" dd if=/dev/urandom of=$M bs=512 \
	seek=$(((5 << 20) / 512 - 1)) count=400 oflag=direct status=none
check "2: discard of one sub-block" blkdiscard -o $(((3 << 20) + 8192)) -l 4096 $M
check "2: discard of a whole chunk" blkdiscard -o $((2 << 20)) -l 65536 $M
check "2: write-zeroes of 12 KiB across a chunk end" blkdiscard -z \
	-o $(((4 << 20) - 8192)) -l 12288 $M
nap 2

# Same writer, same time, whole chunks.
check "1: set subchunk=0" dmsetup message mt_src 0 set subchunk=0
nap 1
w2=$(wire)
p2=$(json mt_src 's["pieces_sent"]')
sleep 8
w3=$(wire)
expect_eq "1: subchunk=0: no PIECE sent" "$p2" "$(json mt_src 's["pieces_sent"]')"
a=$((w1 - w0)) b=$((w3 - w2))
echo "# bulk pass $((bulk >> 10)) KiB; then 8 s of 100 4 KiB writes/s: subchunk=1 $((a >> 10)) KiB, subchunk=0 $((b >> 10)) KiB on the wire"
check "1: subchunk=1 sends less than a quarter of subchunk=0 ($((a >> 10)) vs $((b >> 10)) KiB)" \
	test $((a * 4)) -lt "$b"

# 3. The link cut while PIECEs flow, longer than the ACK timeout (2 s
#    here): the source drops the connection, marks what was not
#    acknowledged dirty (whole) and reconnects.
PARAM=/sys/module/dm_migrate/parameters/ack_timeout_ms
old_timeout=$(cat $PARAM)
echo 2000 > $PARAM
check "3: set subchunk=1 (the next connection offers it)" dmsetup message mt_src 0 set subchunk=1
on_src tc qdisc add dev veth-s root tbf rate 16mbit burst 32kb latency 400ms
nap 2
on_src ip link set veth-s down
nap 4
on_src ip link set veth-s up
reconnected() { [ "$(status_field mt_src 12)" -ge 2 ] && [ "$(status_field mt_src 5)" = connected ]; }
for _ in $(seq 300); do reconnected && break; nap 0.2; done
check "3: reconnected ($(status_field mt_src 12) connections)" reconnected
p3=$(json mt_src 's["pieces_sent"]')
sleep 4
check "3: PIECEs again after the reconnect" test "$(json mt_src 's["pieces_sent"]')" -gt "$p3"
on_src tc qdisc del dev veth-s root
echo "$old_timeout" > $PARAM

# 4. Mirror, hand off with the writer running.
check "4: mirror and handoff with the writer running, volumes identical" finish
unpair

# 5a. A destination without PIECE: whole chunks only; it stops on a PIECE.
pair 7791
dmsetup remove mt_dst
on_dst "$BIN/olddest" $DST_IP 7792 "$KEY" "$sz" 128 "$dst" offer:1f > /tmp/old 2>&1 &
OLD=$!
for _ in $(seq 50); do grep -q listening /tmp/old && break; nap 0.1; done
writer
check "5a: push to a destination without PIECE" on_src dmsetup message mt_src 0 push \
	$DST_IP:7792 "$KEY" max_rounds=100000 subchunk=1
check "5a: past the bulk pass" past_bulk
sleep 4
expect_eq "5a: the connection did not negotiate PIECE" False "$(json mt_src 's["peer_piece"]')"
expect_eq "5a: no PIECE sent" 0 "$(json mt_src 's["pieces_sent"]')"
dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 60
stop_writer
check "5a: handed off" sh -c "dmsetup suspend mt_src && dmsetup message mt_src 0 handoff"
wait_mode mt_src handed_off 120
dmsetup resume mt_src
wait $OLD
expect_eq "5a: olddest applied the handoff (exit 0)" 0 $?
OLD=
tap_diag < /tmp/old
expect_eq "5a: volumes identical" "$(dev_sha "$src")" "$(dev_sha "$dst")"
dmsetup remove mt_src

# 5b. A source that does not offer PIECE (subchunk=0) to a kernel destination.
pair 7793
writer
check "5b: push subchunk=0" on_src "$MDM" push mt_src --to $DST_IP:7793 --key-file /tmp/key \
	--subchunk off
check "5b: past the bulk pass" past_bulk
sleep 4
expect_eq "5b: not negotiated; nothing sent or applied as PIECE" "False 0 0" \
	"$(json mt_src 's["peer_piece"]') $(json mt_src 's["pieces_sent"]') $(json mt_dst 's["pieces_applied"]')"
expect_eq "5b: no masks: status says subchunk off" False "$(json mt_src 's["subchunk"]')"
check "5b: set subchunk=1 (no masks: whole chunks still)" dmsetup message mt_src 0 set subchunk=1
expect_eq "5b: still off in status" False "$(json mt_src 's["subchunk"]')"
check "5b: mirror and handoff, volumes identical" finish
unpair

tap_done
