#!/bin/bash
# dmm-cost: 28
# The in-flight invariant (kmod/target.c): with slow writes (dm-delay, 20 ms
# per write), clear a chunk's bit and read it while a write to it is in
# flight; after the write completes the read must have seen it or the bit
# must be set again.  A second run uses a concurrent fio writer on other
# chunks and a verify pass over data.
. "$(dirname "$0")/../lib.sh"

tap_plan 3
dev=$(scratch_dev 32M)
sz=$(sectors_of "$dev")
dmsetup create mt_slow --table "0 $sz delay $dev 0 0 $dev 0 20"
dmsetup create mt_if --table "0 $sz migrate /dev/mapper/mt_slow 8"

"$BIN/inflight" mt_if 17 4096 300 | tap_diag
check "inflight: 300 rounds, chunk 17" test "${PIPESTATUS[0]}" = 0

# A clear-then-read consumer loop while fio writes with verification:
# every chunk the consumer copies while clean must equal the device.  The
# consumer starts as a migration does, with a full copy after clearing
# every bit: the chunk the first part wrote may be clean (its read saw the
# last write) and fio may never write it again (seen on the debug kernel).
mkdir -p /tmp/copy
dmsetup message mt_if 0 clear_dirty
dd if=/dev/mapper/mt_if of=/tmp/copy/img bs=1M count=4 iflag=direct status=none
fio --name=w --filename=/dev/mapper/mt_if --rw=randwrite --bs=4k --direct=1 \
	--size=4M --time_based --runtime=8 --ioengine=libaio --iodepth=8 \
	--eta=never --output=/dev/null &
fpid=$!
# copy_round: one consumer round: clear each dirty range, then copy it.
copy_round() {
	local r a b
	for r in $(dmsetup message mt_if 0 dirty_ranges | tr ',' ' '); do
		a=${r%-*} b=${r#*-}
		dmsetup message mt_if 0 clear_dirty "$a-$b"
		dd if=/dev/mapper/mt_if of=/tmp/copy/img bs=4k skip="$a" seek="$a" \
			count=$((b - a + 1)) iflag=direct conv=notrunc status=none
	done
}
for _ in 1 2 3 4 5 6; do
	copy_round
done
wait $fpid
# Final pass with the writer stopped: copy whatever is still dirty.
copy_round
src=$(dd if=/dev/mapper/mt_if bs=1M count=4 iflag=direct status=none | sha256sum)
cpy=$(head -c 4M /tmp/copy/img | sha256sum)
expect_eq "copy by dirty rounds under a writer equals the device" "$src" "$cpy"
expect_eq "nothing dirty after the final round" "0" "$(dirty_of mt_if)"
tap_done
