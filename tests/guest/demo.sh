#!/bin/bash
# Inside the demo guest: what an operator would type.
export DM_DISABLE_UDEV=1
modprobe dm-mod
insmod "$DMM_REPO/build/$DMM_KVER/dm-migrate.ko"
set -x
truncate -s 1G /tmp/vm-disk.img
losetup /dev/loop0 /tmp/vm-disk.img
dmsetup create vmdisk --table "0 $(blockdev --getsz /dev/loop0) migrate /dev/loop0 128"
dmsetup status vmdisk
dd if=/dev/urandom of=/dev/mapper/vmdisk bs=1M seek=100 count=3 oflag=direct status=none
blkdiscard -o $((512 << 20)) -l $((1 << 20)) /dev/mapper/vmdisk
dmsetup status vmdisk
dmsetup message vmdisk 0 dirty_ranges
dmsetup message vmdisk 0 clear_dirty
dmsetup status vmdisk
dmsetup remove vmdisk
