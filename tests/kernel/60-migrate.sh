#!/bin/bash
# dmm-cost: 60
# dmm-timeout: 1200
# Live migration end to end: a 64 MiB volume with mixed content is pushed
# from netns "src" to netns "dst" while a writer runs through bulk, dirty
# rounds, convergence and mirroring; after handoff the two volumes are
# identical and every acknowledged write of the writer's record is on the
# destination.  The source then refuses writes.
. "$(dirname "$0")/../lib.sh"

tap_plan 14
net_setup
# 64 MiB; 16 MiB on the (much slower) debug kernel.  Every byte is sealed
# (AES-GCM, emulated under TCG): the bulk pass is CPU-bound.
migration_pair 64 16

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

# The record writer (tests/prog/records.py, one process): 4 KiB blocks of
# unique content to the second half, each logged only after its write
# returned (acknowledged to the guest).
RECORDS=300
[ "$DMM_KVER" = debug ] && RECORDS=50
python3 "$REPO/tests/prog/records.py" write /dev/mapper/mt_src $RECORDS \
	$((sz / 16)) $((sz / 16)) > /tmp/record
expect_eq "the record writer's writes acknowledged while mirroring" "$RECORDS" "$(wc -l < /tmp/record)"
kill $FIO; wait $FIO 2>/dev/null

check "suspend source" dmsetup suspend mt_src
check "handoff" handoff_wait mt_src
expect_eq "source is handed off" "handed_off" "$(mode_of mt_src)"
expect_eq "destination owns the volume" "tracking" "$(mode_of mt_dst)"
dmsetup resume mt_src
echo "# source: $(dmsetup status mt_src)"
echo "# destination: $(dmsetup status mt_dst)"
expect_eq "sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"

python3 "$REPO/tests/prog/records.py" check /dev/mapper/mt_dst < /tmp/record > /tmp/record.bad
expect_eq "every acknowledged write of the record is on the destination" "" "$(cat /tmp/record.bad)"
tap_done
