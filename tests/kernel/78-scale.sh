#!/bin/bash
# dmm-cost: 100
# Scale.  Part 1: a 16 TiB volume (dm-zero: no RAM; 2^28 chunks of
# 64 KiB) against a 64 GiB one, each pushed to a receiver on dm-zero:
# the bitmap takes its 32 MiB plus a 1/64 summary and no more, the push
# takes no more memory for 16 TiB (the chunks on their way are an xarray,
# not a second bitmap), its bulk pass goes about as fast (each pick once
# read the bitmap to the end of the volume: 16 TiB went ~1/15 as fast as
# 64 GiB), and a walk over a nearly clean 16 TiB bitmap finds exactly its
# dirty chunks.  Part 2 moves data: a sparse 512 MiB volume of 4 KiB
# chunks (2^17 chunks: 2048 bitmap words, 32 summary words) migrated
# while a writer dirties single chunks all over it through bulk, dirty
# rounds and mirroring: after the handoff both sides are identical and
# every acknowledged write is on the destination.
# Asserts on memory and state; rates only against each other, with a
# wide margin (CI runs two TCG guests on 2 cores).
# dmm-timeout: 400
. "$(dirname "$0")/../lib.sh"

tap_plan 16
net_setup
KEY=$(new_key)
PORT=7830
WINDOW=8
[ "$DMM_KVER" = debug ] && WINDOW=20
kmem_kb() { awk '/^(VmallocUsed|SUnreclaim):/ { s += $2 } END { print s }' /proc/meminfo; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# push_rate SECTORS: create mt_src over a dm-zero volume of SECTORS and
# push it to a dm-zero receiver; sets BITMAP_KB (kernel memory the target
# took), PUSH_KB (the push), RATE (chunks per second of the bulk pass,
# WINDOW s after connecting); leaves mt_src tracking (aborted).
push_rate() {
	local c0 c1 t0 t1 m0
	dmsetup create mt_zd --table "0 $1 zero"
	dmsetup create mt_dst --table "0 $1 migrate /dev/mapper/mt_zd 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
	dmsetup create mt_zs --table "0 $1 zero"
	m0=$(kmem_kb)
	dmsetup create mt_src --table "0 $1 migrate /dev/mapper/mt_zs 128"
	BITMAP_KB=$(($(kmem_kb) - m0))
	m0=$(kmem_kb)
	on_src dmsetup message mt_src 0 push $DST_IP:$PORT "$KEY"
	for _ in $(seq 600); do
		[ "$(status_field mt_src 5)" = connected ] && break
		nap 0.1
	done
	PUSH_KB=$(($(kmem_kb) - m0))
	sleep 1
	c0=$(status_field mt_src 9)
	t0=$(date +%s%N)
	sleep "$WINDOW"
	c1=$(status_field mt_src 9)
	t1=$(date +%s%N)
	RATE=$(((c1 - c0) * 1000000000 / (t1 - t0)))
	dmsetup message mt_src 0 abort
	dmsetup remove mt_dst
	dmsetup remove mt_zd
	PORT=$((PORT + 1))
}
drop_src() { dmsetup remove mt_src && dmsetup remove mt_zs; }

# walk_ms DEV: a walk over the bitmap (dirty_ranges), median of 3, in ms
# (with dmsetup's own start, which dominates).
walk_ms() {
	local t0 i
	for i in 1 2 3; do
		t0=$(now_ms)
		dmsetup message "$1" 0 dirty_ranges > /dev/null
		echo $(($(now_ms) - t0))
	done | sort -n | sed -n 2p
}

echo "# load: $(cut -d' ' -f1-3 /proc/loadavg)"
push_rate $((64 << 21))
small_rate=$RATE small_kb=$PUSH_KB small_bm=$BITMAP_KB
dmsetup message mt_src 0 clear_dirty
dmsetup message mt_src 0 mark_dirty 4099
small_walk=$(walk_ms mt_src)
echo "# 64 GiB: bitmap $small_bm kB, push $small_kb kB, bulk $small_rate chunks/s, nearly clean walk ${small_walk} ms"
drop_src

big=$((16 << 31))
push_rate $big
echo "# 16 TiB: bitmap $BITMAP_KB kB, push $PUSH_KB kB, bulk $RATE chunks/s"
expect_eq "16 TiB: 2^28 chunks tracked" "$((1 << 28))" \
	"$(status_field mt_src 3 | cut -d/ -f2)"
# 2^28 bits: 32 MiB, and a summary bit per 64 of them: 512 KiB.
check "16 TiB: the bitmap takes 32.5 MiB (32 MiB .. 34 MiB: $BITMAP_KB kB)" \
	test "$BITMAP_KB" -ge 32768 -a "$BITMAP_KB" -le 34816
check "16 TiB: the push takes at most 1 MiB more than over 64 GiB ($PUSH_KB vs $small_kb kB)" \
	test "$PUSH_KB" -le $((small_kb + 1024))
check "16 TiB: the bulk pass sends ($RATE chunks/s)" test "$RATE" -gt 0
check "16 TiB: the bulk pass goes at least 1/4 as fast as over 64 GiB ($RATE vs $small_rate chunks/s)" \
	test $((RATE * 4)) -ge "$small_rate"
expect_eq "16 TiB: aborted, back to tracking" tracking "$(mode_of mt_src)"

# A nearly clean bitmap: 8 chunks, one in each eighth, and the last one.
check "16 TiB: clear_dirty after the abort" dmsetup message mt_src 0 clear_dirty
want=
for i in 0 1 2 3 4 5 6 7; do
	c=$(((1 << 25) * i + 4095 + i))
	dmsetup message mt_src 0 mark_dirty "$c"
	want="$want${want:+,}$c"
done
last=$(((1 << 28) - 1))
dd if=/dev/zero of=/dev/mapper/mt_src bs=64k seek=$last count=1 oflag=direct status=none
want="$want,$last"
expect_eq "16 TiB: the walk finds exactly the dirty chunks" "$want" \
	"$(dmsetup message mt_src 0 dirty_ranges)"
echo "# 16 TiB: nearly clean walk $(walk_ms mt_src) ms (64 GiB: $small_walk ms; both mostly dmsetup's start)"
dmsetup message mt_src 0 clear_dirty 0-$(((1 << 27) - 1))
expect_eq "16 TiB: and after clearing the first half, only those of the second" \
	"${want#*,*,*,*,}" "$(dmsetup message mt_src 0 dirty_ranges)"
drop_src

# Part 2: data.  Sparse files in the guest's tmpfs: only what is written
# takes memory (zero runs go as ENC_ZERO and are zeroed on the receiver).
MB=512
[ "$DMM_KVER" = debug ] && MB=128
src=$(scratch_dev "${MB}M")
dst=$(scratch_dev "${MB}M")
sz=$(sectors_of "$src")
blocks=$((sz / 8))
# 24 regions of 128 KiB of random data, spread over the volume.
for i in $(seq 0 23); do
	dd if=/dev/urandom of="$src" bs=128k count=1 seek=$((MB * 8 / 24 * i + i)) \
		oflag=direct conv=notrunc status=none
done
dmsetup create mt_src --table "0 $sz migrate $src 8"
dmsetup create mt_dst --table "0 $sz migrate $dst 8 1 receive"
on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"

# The writer (tests/prog/records.py, one process): 4 KiB records at random
# blocks, 20 a second, each logged once acknowledged, until /tmp/stop.
rm -f /tmp/stop
python3 "$REPO/tests/prog/records.py" write /dev/mapper/mt_src 0 0 $blocks /tmp/stop 20 \
	> /tmp/record &
WRITER=$!
sleep 1
t0=$(now_ms)
check "$MB MiB, 4 KiB chunks: push with a writer running" \
	on_src dmsetup message mt_src 0 push $DST_IP:$PORT "$KEY" converge_below=1M
check "converges" wait_mode mt_src converged 180
echo "# converged after $(($(now_ms) - t0)) ms, $(wc -l < /tmp/record) writes: $(dmsetup status mt_src)"
check "enter mirroring" dmsetup message mt_src 0 mirror
check "mirrors" wait_mode mt_src mirroring 60
n0=$(wc -l < /tmp/record)
sleep 3
touch /tmp/stop
wait $WRITER
echo "# $(($(wc -l < /tmp/record) - n0)) writes while mirroring, $(wc -l < /tmp/record) in all"
dmsetup suspend mt_src
check "handoff" handoff_wait mt_src
dmsetup resume mt_src
expect_eq "both sides identical (sha256 of $MB MiB)" "$(dev_sha "$src")" "$(dev_sha "$dst")"
# The last record of each block, where it belongs on the destination
# (O_DIRECT: no page cache of the loop device in between).
python3 "$REPO/tests/prog/records.py" check "$dst" < /tmp/record > /tmp/record.bad
expect_eq "every acknowledged write is on the destination" "" "$(head -5 /tmp/record.bad)"
tap_done
