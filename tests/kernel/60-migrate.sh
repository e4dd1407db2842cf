#!/bin/bash
# Live migration end to end: a 128 MiB volume with mixed content is pushed
# from netns "src" to netns "dst" while a writer runs through bulk, dirty
# rounds, convergence and mirroring; after handoff the two volumes are
# identical and every acknowledged write of the writer's record is on the
# destination.  The source then refuses writes.
. "$(dirname "$0")/../lib.sh"

tap_plan 13
net_setup
# 128 MiB; 24 MiB on the (much slower) debug kernel.  Every byte is sealed
# (AES-GCM, emulated under TCG): the bulk pass is CPU-bound.
migration_pair 128 24

dmsetup create mt_src --table "0 $sz migrate $src 128"
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
expect_eq "destination starts in receive mode" "receiving" "$(mode_of mt_dst)"
check "destination refuses local writes" \
	sh -c "! dd if=/dev/zero of=/dev/mapper/mt_dst bs=4k count=1 oflag=direct status=none 2>/dev/null"
check "listen on $DST_IP:7788" on_dst dmsetup message mt_dst 0 listen $DST_IP:7788 "$KEY"

# Background load through every phase before mirroring.
# fio writes the first half, the record writer the second.  Each random
# 4 KiB write dirties a 64 KiB chunk: 128 KiB/s dirties 2 MiB/s, which the
# sealed stream outruns under TCG (AES-GCM is emulated there: ~4-11 MB/s
# of chunks, where the real instructions do GB/s).
fio --name=load --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k \
	--offset=0 --size=$((SIZE_MB / 2))M \
	--direct=1 --ioengine=libaio --iodepth=4 --rate=128k --time_based \
	--runtime=600 --eta=never --output=/dev/null &
FIO=$!

t0=$(date +%s)
check "push to $DST_IP:7788" on_src dmsetup message mt_src 0 push $DST_IP:7788 "$KEY" \
	converge_below=4M max_rounds=20
check "source converges" wait_mode mt_src converged 240
echo "# converged after $(($(date +%s) - t0)) s: $(dmsetup status mt_src)"
check "enter mirroring" dmsetup message mt_src 0 mirror
check "source mirrors" wait_mode mt_src mirroring 30

# The record writer: 4 KiB blocks with unique content, logged only after
# the write returned (acknowledged to the guest).
rec_block() { { printf 'record %08d block %08d\n' "$1" "$2"; head -c 4096 /dev/zero; } | head -c 4096; }
: > /tmp/record
RECORDS=150
[ "$DMM_KVER" = debug ] && RECORDS=25	# each costs ~4 s on the debug kernel
for i in $(seq 1 $RECORDS); do
	blk=$(( sz / 16 + (RANDOM * 32768 + RANDOM) % (sz / 16) ))
	rec_block "$i" "$blk" |
		dd of=/dev/mapper/mt_src bs=4k seek="$blk" oflag=direct conv=notrunc status=none &&
		echo "$blk $i" >> /tmp/record
done
kill $FIO; wait $FIO 2>/dev/null

check "suspend source" dmsetup suspend mt_src
check "handoff" handoff_wait mt_src
expect_eq "source is handed off" "handed_off" "$(mode_of mt_src)"
expect_eq "destination owns the volume" "tracking" "$(mode_of mt_dst)"
dmsetup resume mt_src
echo "# source: $(dmsetup status mt_src)"
echo "# destination: $(dmsetup status mt_dst)"
expect_eq "sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"

bad=0
sort -k1,1n -k2,2n /tmp/record | awk '{ last[$1] = $2 } END { for (b in last) print b, last[b] }' |
while read -r blk i; do
	want=$(rec_block "$i" "$blk" | sha256sum)
	got=$(dd if=/dev/mapper/mt_dst bs=4k skip="$blk" count=1 iflag=direct status=none | sha256sum)
	[ "$want" = "$got" ] || echo "block $blk: write $i missing"
done > /tmp/record.bad
expect_eq "every acknowledged write of the record is on the destination" "" "$(cat /tmp/record.bad)"
tap_done
