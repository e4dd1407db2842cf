#!/bin/bash
# A 16 TiB volume (dm-zero: no RAM; 2^28 chunks of 64 KiB, a 32 MiB
# bitmap) against a 64 GiB one, each pushed to a receiver on dm-zero: the
# bulk pass over 16 TiB goes about as fast as over 64 GiB (each pick once
# read the bitmap to the end of the volume: 16 TiB went 20x slower than
# 1 TiB), the push takes no more memory for it (the chunks on their way
# are an xarray, not a second bitmap), and a walk over a nearly clean
# 16 TiB bitmap finds exactly its dirty chunks.  Rates are compared within
# one run, so the kernel's speed does not matter.
# dmm-timeout: 900
. "$(dirname "$0")/../lib.sh"

tap_plan 8
net_setup
KEY=$(new_key)
PORT=7830
WINDOW=15
[ "$DMM_KVER" = debug ] && WINDOW=30
kmem_kb() { awk '/^(VmallocUsed|SUnreclaim):/ { s += $2 } END { print s }' /proc/meminfo; }

# push_rate SECTORS: push a dm-zero volume of SECTORS; sets RATE (chunks
# per second of the bulk pass, WINDOW s after connecting) and PUSH_KB
# (kernel memory the push took); leaves mt_src tracking (aborted).
push_rate() {
	local c0 c1 t0 t1 m0
	dmsetup create mt_zd --table "0 $1 zero"
	dmsetup create mt_dst --table "0 $1 migrate /dev/mapper/mt_zd 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
	dmsetup create mt_zs --table "0 $1 zero"
	dmsetup create mt_src --table "0 $1 migrate /dev/mapper/mt_zs 128"
	m0=$(kmem_kb)
	on_src dmsetup message mt_src 0 push $DST_IP:$PORT "$KEY"
	for _ in $(seq 600); do
		[ "$(status_field mt_src 5)" = connected ] && break
		sleep 0.1
	done
	PUSH_KB=$(($(kmem_kb) - m0))
	sleep 2
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

push_rate $((64 << 21))
small_rate=$RATE small_kb=$PUSH_KB
echo "# 64 GiB: $small_rate chunks/s, push took $small_kb kB"
drop_src

big=$((16 << 31))
push_rate $big
echo "# 16 TiB: $RATE chunks/s, push took $PUSH_KB kB"
expect_eq "16 TiB: 2^28 chunks tracked" "$((1 << 28))" \
	"$(status_field mt_src 3 | cut -d/ -f2)"
check "16 TiB: the bulk pass sends ($RATE chunks/s)" test "$RATE" -gt 0
check "16 TiB: the bulk pass goes at least 0.4x as fast as over 64 GiB ($RATE vs $small_rate chunks/s)" \
	test $((RATE * 10)) -ge $((small_rate * 4))
check "16 TiB: the push takes at most 1 MiB more than over 64 GiB ($PUSH_KB vs $small_kb kB)" \
	test "$PUSH_KB" -le $((small_kb + 1024))
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
dmsetup message mt_src 0 clear_dirty 0-$(((1 << 27) - 1))
expect_eq "16 TiB: and after clearing the first half, only those of the second" \
	"${want#*,*,*,*,}" "$(dmsetup message mt_src 0 dirty_ranges)"
drop_src
tap_done
