#!/bin/bash
# dmm-cost: 16
# The bitmap matches exactly the chunks written by real I/O: dd (aligned,
# unaligned, cross-chunk), fio with random offsets and sizes, discard,
# write-zeroes; flushes and FUA reach the origin; data passes through.
. "$(dirname "$0")/../lib.sh"

tap_plan 14
CHUNK_SECT=16		# 8 KiB chunks: many chunks, cheap to reason about
CHUNK=$((CHUNK_SECT * 512))
SIZE=$((96 * 1024 * 1024 + 3 * 512))	# not a multiple of the chunk
dev=$(scratch_dev "$SIZE")
sz=$(sectors_of "$dev")
dmsetup create mt_t --table "0 $sz migrate $dev $CHUNK_SECT"
T=/dev/mapper/mt_t
WRITES=/tmp/writes.txt

ranges() { dmsetup message mt_t 0 dirty_ranges; }
expected() { "$BIN/chunkset" "$CHUNK" "$SIZE" < "$WRITES" | head -n1; }
reset() { dmsetup message mt_t 0 clear_dirty; : > "$WRITES"; }

# ddw OFFSET_BYTES LENGTH_BYTES: direct write, logged.
ddw() {
	dd if=/dev/urandom of=$T bs=512 seek=$(($1 / 512)) count=$(($2 / 512)) \
		oflag=direct conv=notrunc status=none
	echo "$1 $2" >> "$WRITES"
}

reset
expect_eq "fresh device has no dirty chunks" "" "$(ranges)"

ddw 0 512
ddw $((CHUNK * 5 - 512)) 1024			# straddles chunks 4 and 5
ddw $((CHUNK * 10 + 1536)) $((CHUNK * 3))	# unaligned, spans 4 chunks
ddw $((SIZE - 512)) 512				# last, partial chunk
expect_eq "dd: aligned, unaligned, cross-chunk and tail writes" "$(expected)" "$(ranges)"
expect_eq "status counts the same chunks" \
	"$("$BIN/chunkset" "$CHUNK" "$SIZE" < "$WRITES" | tail -n1)" "$(dirty_of mt_t)"

reads_before=$(dirty_of mt_t)
dd if=$T of=/dev/null bs=1M iflag=direct status=none
expect_eq "reads mark nothing" "$reads_before" "$(dirty_of mt_t)"

reset
fio --name=rnd --filename=$T --rw=randwrite --direct=1 --ioengine=psync \
	--bsrange=512-256k --blockalign=512 --size="$((SIZE / 512 * 512))" \
	--number_ios=400 --randrepeat=0 --write_iolog=/tmp/fio.log \
	--output=/dev/null
awk '$3 == "write" { print $4, $5 }' /tmp/fio.log > "$WRITES"
expect_eq "fio: 400 random writes, random sizes 512 B-256 KiB" "$(expected)" "$(ranges)"

reset
blkdiscard -o $((CHUNK * 100)) -l $((CHUNK * 7)) $T
echo "$((CHUNK * 100)) $((CHUNK * 7))" >> "$WRITES"
expect_eq "discard marks its chunks" "$(expected)" "$(ranges)"

reset
blkdiscard -z -o $((CHUNK * 300 + 4096)) -l $((CHUNK * 2)) $T
echo "$((CHUNK * 300 + 4096)) $((CHUNK * 2))" >> "$WRITES"
expect_eq "write-zeroes marks its chunks" "$(expected)" "$(ranges)"

# Data passes through unchanged, in both directions.
dd if=/dev/urandom of=/tmp/pattern bs=1M count=4 status=none
dd if=/tmp/pattern of=$T bs=1M seek=7 oflag=direct status=none
expect_eq "written data reaches the origin" "$(sha256sum < /tmp/pattern)" \
	"$(dd if="$dev" bs=1M skip=7 count=4 iflag=direct status=none | sha256sum)"
expect_eq "discarded range reads back as zeroes from the origin" \
	"$(head -c $((CHUNK * 7)) /dev/zero | sha256sum)" \
	"$(dd if="$dev" bs=$CHUNK skip=100 count=7 iflag=direct status=none | sha256sum)"

# Flushes and FUA reach the origin: the loop device counts them
# (field 16 of /sys/block/loopN/stat is completed flush requests).
flushes() { awk '{ print $16 }' "/sys/block/${dev#/dev/}/stat"; }
f0=$(flushes)
dd if=/dev/zero of=$T bs=4k count=1 oflag=direct conv=fsync,notrunc status=none
f1=$(flushes)
check "fsync's flush passes through to the origin ($f0 -> $f1)" test "$f1" -gt "$f0"
dd if=/dev/zero of=$T bs=4k count=1 oflag=direct,dsync conv=notrunc status=none
f2=$(flushes)
check "FUA write is honoured at the origin ($f1 -> $f2)" test "$f2" -gt "$f1"

dmsetup message mt_t 0 mark_dirty
total=$(status_field mt_t 3 | cut -d/ -f2)
expect_eq "mark_dirty marks every chunk" "$total" "$(dirty_of mt_t)"
dmsetup message mt_t 0 clear_dirty 10-19
expect_eq "clear_dirty of a range" "0-9,20-$((total - 1))" "$(ranges)"
expect_eq "dirty_ranges with from and max" "20-$((total - 1))" \
	"$(dmsetup message mt_t 0 dirty_ranges 10 1)"
tap_done
