#!/bin/bash
# dmm-cost: 36
# The destination's input checks: a source with the wrong key or geometry,
# one that talks garbage, and authenticated sources that send one malformed
# message each (oversized, bad CRC, bad LZO stream, index out of range,
# wrong length, out of sequence, data before authentication; a corrupt
# LZ4 block or zstd frame, valid ones that decode to more than the chunk,
# a zstd chunk on a connection that did not negotiate it), and sealed
# messages an attacker altered in transit (one byte flipped) or replayed
# from an earlier connection.  Each is refused with a clear error, the
# volume is unchanged, and the receiver keeps accepting: a well-formed chunk
# afterwards is applied.
. "$(dirname "$0")/../lib.sh"

tap_plan 24
net_setup
dst=$(scratch_dev 64M)
sz=$(sectors_of "$dst")
KEY=$(new_key)
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
on_dst dmsetup message mt_dst 0 listen $DST_IP:7789 "$KEY"
before=$(dev_sha "$dst")
peer() { on_src "$BIN/badpeer" $DST_IP 7789 "$1" "$sz" 128 "$2"; }

# What the destination answered (its ERROR's text), per mode.
said() { peer "$KEY" "$1" | tee "/tmp/said.$1"; }
for mode in garbage size preauth wrongkey oversize badcrc badlzo badindex badlen seq \
	    badlz4 badzstd lz4bomb zstdbomb unnegotiated; do
	check "malformed source ($mode) refused" said $mode
done
reasons() {
	grep -q "corrupt LZ4 block" /tmp/said.badlz4 && grep -q "corrupt LZ4 block" /tmp/said.lz4bomb &&
	grep -q "corrupt zstd frame" /tmp/said.badzstd && grep -q "corrupt zstd frame" /tmp/said.zstdbomb &&
	grep -q "chunk encoding not negotiated" /tmp/said.unnegotiated
}
check "the decoders' refusals name the reason" reasons
check "another random key refused" peer "$(new_key)" wrongkey
# The destination's answer (sealed) names the reason; badpeer prints it.
altered() { peer "$KEY" "$1" | tee /dev/stderr | grep -q "failed authentication"; }
check "a sealed chunk with one byte flipped in transit refused as altered" altered tamper
expect_eq "nothing written by refused sources" "$before" "$(dev_sha "$dst")"
errs=$(status_field mt_dst 13)
check "protocol errors counted ($errs)" test "$errs" -ge 17
check "still receiving" test "$(mode_of mt_dst)" = receiving
check "a well-formed chunk is applied afterwards" peer "$KEY" good
check "and changed the volume" test "$before" != "$(dev_sha "$dst")"
# Its first connection writes a chunk (ACKed); the replay is refused.
check "a sealed chunk replayed on a new connection refused as altered" altered replay
dmesg | grep -E "dm-migrate|migrate:" | tail -n 19 | tap_diag
tap_done
