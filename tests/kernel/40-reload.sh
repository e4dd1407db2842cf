#!/bin/bash
# dmm-cost: 9
# Reloading the table keeps the tracking state; growing the origin and
# reloading with the larger size keeps it and marks the new space dirty;
# incompatible reloads are refused and keep the old table.
. "$(dirname "$0")/../lib.sh"

tap_plan 9
f=$(mktemp /tmp/scratch.XXXXXX)
truncate -s 64M "$f"
dev=$(losetup -f --show "$f")
sz=$(sectors_of "$dev")
dmsetup create mt_r --table "0 $sz migrate $dev 128"
dd if=/dev/urandom of=/dev/mapper/mt_r bs=64k seek=3 count=2 oflag=direct status=none
dd if=/dev/urandom of=/dev/mapper/mt_r bs=64k seek=500 count=1 oflag=direct status=none
before=$(dmsetup message mt_r 0 dirty_ranges)
expect_eq "writes tracked" "3-4,500" "$before"

dmsetup reload mt_r --table "0 $sz migrate $dev 128"
dmsetup suspend mt_r && dmsetup resume mt_r
expect_eq "same-size reload keeps the bitmap" "$before" "$(dmsetup message mt_r 0 dirty_ranges)"

expect_fail_msg "reload with another chunk size is refused" "Chunk size cannot change" \
	dmsetup reload mt_r --table "0 $sz migrate $dev 256"
dev2=$(scratch_dev 64M)
expect_fail_msg "reload onto another origin is refused" "Origin device differs" \
	dmsetup reload mt_r --table "0 $sz migrate $dev2 128"

# Grow: writes during the grow are tracked too.
truncate -s 80M "$f"
losetup -c "$dev"
nsz=$(sectors_of "$dev")
dmsetup reload mt_r --table "0 $nsz migrate $dev 128"
dd if=/dev/urandom of=/dev/mapper/mt_r bs=64k seek=700 count=1 oflag=direct status=none
dmsetup suspend mt_r && dmsetup resume mt_r
expect_eq "grow: status shows the new total" "tracking 128 $((3 + 1 + 256))/1280" \
	"$(dmsetup status mt_r | cut -d' ' -f4-6)"
expect_eq "grow keeps old bits and marks new space dirty" "3-4,500,700,1024-1279" \
	"$(dmsetup message mt_r 0 dirty_ranges)"
dd if=/dev/urandom of=/dev/mapper/mt_r bs=64k seek=1100 count=1 oflag=direct status=none
dmsetup message mt_r 0 clear_dirty 1024-1279
dd if=/dev/urandom of=/dev/mapper/mt_r bs=64k seek=1200 count=1 oflag=direct status=none
expect_eq "grown space is tracked" "3-4,500,700,1200" "$(dmsetup message mt_r 0 dirty_ranges)"

truncate -s 72M "$f"
losetup -c "$dev"
expect_fail_msg "shrink is refused" "Cannot shrink" \
	dmsetup reload mt_r --table "0 $(sectors_of "$dev") migrate $dev 128"
expect_eq "the live table still works" "tracking 128" \
	"$(dmsetup status mt_r | cut -d' ' -f4-5)"
tap_done
