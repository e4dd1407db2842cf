#!/bin/bash
# One side of the cross-kernel migration (tests/cross.sh): DMM_ARGS is
# "src" or "dst".  The two guests are joined by a QEMU socket network;
# 198.18.1.1 is the source, 198.18.1.2 the destination.
export DM_DISABLE_UDEV=1
REPO=$DMM_REPO
cd "$REPO" || exit 1
. tests/lib.sh
trap - EXIT
KEY=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
SIZE_MB=128
for m in dm_mod loop virtio_net $(modinfo -F depends "build/$DMM_KVER/dm-migrate.ko" | tr , ' '); do
	modprobe "$m"
done
insmod "build/$DMM_KVER/dm-migrate.ko" || { echo "cross: cannot load module"; exit 1; }
ip link set lo up
ip link set eth0 up
dev=$(scratch_dev ${SIZE_MB}M)
sz=$(sectors_of "$dev")
echo "cross: $DMM_ARGS on $(uname -r)"

if [ "$DMM_ARGS" = dst ]; then
	ip addr add 198.18.1.2/24 dev eth0
	dmsetup create mt_x --table "0 $sz migrate $dev 128 1 receive"
	dmsetup message mt_x 0 listen 198.18.1.2:7788 $KEY
	wait_mode mt_x tracking 600 || exit 1
	echo "cross: status $(dmsetup status mt_x)"
	echo "cross: sha $(dev_sha "$dev")"
	exit 0
fi

ip addr add 198.18.1.1/24 dev eth0
fill_mixed "$dev" $SIZE_MB
dmsetup create mt_x --table "0 $sz migrate $dev 128"
fio --name=load --filename=/dev/mapper/mt_x --rw=randwrite --bs=4k --direct=1 \
	--rate=512k --time_based --runtime=900 --eta=never --output=/dev/null &
FIO=$!
dmsetup message mt_x 0 push 198.18.1.2:7788 $KEY converge_below=2M
wait_mode mt_x converged 400 || exit 1
dmsetup message mt_x 0 mirror
wait_mode mt_x mirroring 60 || exit 1
sleep 3
kill $FIO; wait $FIO 2>/dev/null
dmsetup suspend mt_x
dmsetup message mt_x 0 handoff && wait_mode mt_x handed_off 120 || exit 1
dmsetup resume mt_x
echo "cross: status $(dmsetup status mt_x)"
echo "cross: sha $(dev_sha "$dev")"
