#!/bin/bash
# dmm-cost: 257
# Migration over a bad link: netem delay, loss and reordering for a whole
# migration with a writer running; the link cut mid-bulk and restored (the
# push resumes without restarting: total chunks sent stay near one pass);
# the link cut mid-mirroring (guest writes keep completing, marked dirty);
# the destination's connection killed (ss -K).  Every run ends in a handoff
# with identical volumes.
. "$(dirname "$0")/../lib.sh"

tap_plan 18
net_setup
migration_pair 64 32
NCHUNKS=$((sz / 128))
PORT=7790

start_pair() {	# fresh destination, then push
	dmsetup remove mt_dst 2>/dev/null
	dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
	on_src dmsetup message mt_src 0 push $DST_IP:$PORT "$KEY" "$@"
}
finish() {	# mirror, hand off, compare
	dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 60 &&
	dmsetup suspend mt_src && handoff_wait mt_src &&
	dmsetup resume mt_src &&
	[ "$(dev_sha "$src")" = "$(dev_sha "$dst")" ]
}
# reset_src: the source back to plain tracking for the next scenario.
reset_src() {
	dmsetup remove mt_src 2>/dev/null
	dmsetup create mt_src --table "0 $sz migrate $src 128"
}
chunks_sent() { status_field mt_src 9; }
conns() { status_field mt_src 12; }

# 0. Over IPv6 (before the link flaps below, which drop IPv6 addresses);
#    abort returns the source to tracking with its dirty chunks.
reset_src
dmsetup remove mt_dst 2>/dev/null
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
on_dst dmsetup message mt_dst 0 listen "[fd00:198:18::2]:$PORT" "$KEY"
on_src dmsetup message mt_src 0 push "[fd00:198:18::2]:$PORT" "$KEY" rate=10M
v6_connected() {
	for _ in $(seq 100); do
		dmsetup status mt_src | grep -q " connected " && return 0
		nap 0.1
	done
	dmsetup status mt_src; dmsetup status mt_dst; dmesg | tail -n 5
	return 1
}
check "ipv6: connected" v6_connected
check "abort: back to tracking" dmsetup message mt_src 0 abort
check "abort: unsent chunks still dirty" test "$(dirty_of mt_src)" -gt 0
# 1. netem: 5 ms +- 2 ms delay, 1% loss, 10% reordering, with a writer.
#    (TCP over such a link carries ~2 MB/s: the writer dirties less than
#    that, and max_rounds bounds the pre-copy anyway.)
reset_src
on_src tc qdisc add dev veth-s root netem delay 5ms 2ms loss 1% reorder 10% 25%
fio --name=load --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k --direct=1 \
	--rate=64k --time_based --runtime=600 --eta=never --output=/dev/null &
FIO=$!
start_pair converge_below=2M max_rounds=8
check "netem: converges" wait_mode mt_src converged 300
kill $FIO; wait $FIO 2>/dev/null
check "netem: handoff, volumes identical" finish
on_src tc qdisc del dev veth-s root

# 2. Link cut mid-bulk, restored after 10 s.
reset_src
dd if=/dev/urandom of="$src" bs=1M count=8 seek=16 oflag=direct status=none
# 3 MiB/s keeps the bulk pass (~23 MB on the wire) going for ~7 s.
start_pair rate=3M
sleep 2
check "cut: still in bulk when the link goes down" test "$(mode_of mt_src)" = bulk
on_src ip link set veth-s down
sleep 10	# longer than the 6 s TCP user timeout: the connection drops
check "cut: guest I/O works while the peer is away" \
	dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=4 seek=100 oflag=direct status=none
on_src ip link set veth-s up
on_src dmsetup message mt_src 0 set rate=0
check "cut: reconnects and converges" wait_mode mt_src converged 120
sent=$(chunks_sent)
check "cut: resumed, not restarted ($sent chunks sent for $NCHUNKS, $(conns) connections)" \
	test "$sent" -lt $((NCHUNKS * 3 / 2 + 64)) -a "$(conns)" -ge 2
check "cut: handoff, volumes identical" finish

# 3. Link cut during mirroring: writes complete, then drain after restore.
reset_src
start_pair
wait_mode mt_src converged 120
dmsetup message mt_src 0 mirror
wait_mode mt_src mirroring 30
on_src ip link set veth-s down
check "mirror cut: writes complete while the peer is away" timeout 40 \
	dd if=/dev/urandom of=/dev/mapper/mt_src bs=4k count=64 seek=1000 oflag=direct status=none
check "mirror cut: their chunks are dirty" test "$(dirty_of mt_src)" -gt 0
on_src ip link set veth-s up
check "mirror cut: handoff after restore, volumes identical" finish

# 4. The destination kills the connection (ss -K) mid-bulk.
reset_src
# 3 MiB/s keeps the bulk pass (~23 MB on the wire) going for ~7 s.
start_pair rate=3M
sleep 2
c0=$(conns)
check "kill: the connection is there" sh -c "ip netns exec dst ss -tnH state established dst $SRC_IP | grep -q ."
check "kill: destination socket destroyed" on_dst ss -K dst $SRC_IP
on_src dmsetup message mt_src 0 set rate=0
check "kill: reconnects and converges" wait_mode mt_src converged 120
check "kill: a second connection was made" test "$(conns)" -gt "$c0"
check "kill: handoff, volumes identical" finish

tap_done
