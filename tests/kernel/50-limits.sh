#!/bin/bash
# dmm-cost: 8
# Memory is one bit per chunk: a 16 TiB device at 64 KiB chunks (2^28
# chunks, 32 MiB of bitmap) loads, tracks and reports; bad messages are
# refused.
. "$(dirname "$0")/../lib.sh"

tap_plan 8
BIG=$((16 * 1024 * 1024 * 1024 * 2))	# 16 TiB in sectors
dmsetup create mt_zero --table "0 $BIG zero"
check "16 TiB device at 64 KiB chunks loads" \
	dmsetup create mt_big --table "0 $BIG migrate /dev/mapper/mt_zero 128"
expect_eq "16 TiB: 2^28 chunks" "tracking 128 0/268435456" \
	"$(dmsetup status mt_big | cut -d' ' -f4-6)"
dd if=/dev/zero of=/dev/mapper/mt_big bs=64k seek=$((268435456 - 1)) count=1 \
	oflag=direct status=none
expect_eq "write to the last chunk" "268435455" "$(dmsetup message mt_big 0 dirty_ranges)"
t0=$(date +%s%N)
dmsetup message mt_big 0 mark_dirty
expect_eq "mark_dirty of all 16 TiB marks every chunk" "268435456" "$(dirty_of mt_big)"
echo "# marking 2^28 chunks took $((($(date +%s%N) - t0) / 1000000)) ms"

expect_fail_msg "unknown message refused" "unrecognised message" \
	dmsetup message mt_big 0 frobnicate
expect_fail_msg "out-of-range chunk refused" "invalid chunk range" \
	dmsetup message mt_big 0 clear_dirty 268435456
expect_fail_msg "reversed range refused" "invalid chunk range" \
	dmsetup message mt_big 0 clear_dirty 9-3
dmsetup remove mt_big
check "16 TiB device removed" dmsetup remove mt_zero
tap_done
