#!/bin/bash
# Inside the demo guest: two "hosts" (network namespaces src and dst on a
# veth link), a 256 MiB VM disk on src with a writer running, migrated live
# to dst with dmsetup messages, as an operator would type them.
export DM_DISABLE_UDEV=1
cd "$DMM_REPO" || exit 1
. tests/lib.sh
for m in dm_mod loop veth $(modinfo -F depends "build/$DMM_KVER/dm-migrate.ko" | tr , ' '); do
	modprobe "$m"
done
insmod "build/$DMM_KVER/dm-migrate.ko"
net_setup
src=$(scratch_dev 256M)
dst=$(scratch_dev 256M)
fill_mixed "$src" 256
KEY=$(new_key)
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { echo "$ $*"; "$@"; }

say "Source host: the VM disk, tracked by the migrate target"
run dmsetup create vmdisk --table "0 $(blockdev --getsz "$src") migrate $src 128"
say "Destination host: an empty volume of the same size, in receive mode"
run dmsetup create vmdisk-in --table "0 $(blockdev --getsz "$dst") migrate $dst 128 1 receive"
echo "$ ip netns exec dst dmsetup message vmdisk-in 0 listen 198.18.0.2:7788 <key>"
ip netns exec dst dmsetup message vmdisk-in 0 listen 198.18.0.2:7788 "$KEY"

say "The VM keeps writing (fio, 1 MiB/s random 4 KiB writes)"
fio --name=vm --filename=/dev/mapper/vmdisk --rw=randwrite --bs=4k --direct=1 \
	--rate=1m --time_based --runtime=600 --eta=never --output=/dev/null &
FIO=$!

say "Push: bulk copy, then dirty rounds until converged"
echo "$ ip netns exec src dmsetup message vmdisk 0 push 198.18.0.2:7788 <key> converge_below=4M"
ip netns exec src dmsetup message vmdisk 0 push 198.18.0.2:7788 "$KEY" converge_below=4M
until [ "$(mode_of vmdisk)" = converged ]; do
	echo "  $(dmsetup status vmdisk | cut -d' ' -f4-13)"
	sleep 2
done
run dmsetup status vmdisk

say "Converged: mirror writes synchronously while the RAM pre-copy runs"
run dmsetup message vmdisk 0 mirror
sleep 3
kill $FIO; wait $FIO 2>/dev/null
say "VM paused: hand the disk off"
run dmsetup suspend vmdisk
run dmsetup message vmdisk 0 handoff
run dmsetup resume vmdisk
run dmsetup status vmdisk
run dmsetup status vmdisk-in
say "A write on the source is now refused:"
dd if=/dev/zero of=/dev/mapper/vmdisk bs=4k count=1 oflag=direct status=none
a=$(dev_sha "$src")
b=$(dev_sha "$dst")
say "sha256 source $a"
echo "sha256 destination $b"
[ "$a" = "$b" ] && echo "RESULT: identical, migration complete" || echo "RESULT: MISMATCH"
