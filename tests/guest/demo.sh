#!/bin/bash
# Inside the guest of make demo-disk (tests/demo.sh disk): two "hosts"
# (network namespaces src and dst on a veth link), a 256 MiB VM disk on src
# with a writer running, migrated live to dst with migrate-dm, as an
# operator would type it.  Exits non-zero if
# a step fails or the volumes differ (tests/demo.sh reports it).
export DM_DISABLE_UDEV=1
cd "$DMM_REPO" || exit 1
. tests/lib.sh
dmm_load dm_mod loop veth || exit 1
net_setup
src=$(scratch_dev 256M)
dst=$(scratch_dev 256M)
fill_mixed "$src" 256
PATH=$DMM_REPO/build:$PATH
umask 077
mkdir -p /tmp/keys
openssl rand -hex 32 > /tmp/keys/vmdisk.key

say() { printf '\n\033[1m%s\033[0m\n' "$*"; }
# run HOST COMMAND...: show the command as typed on that host, run it
# there; the demo ends if it fails.
run() {
	local host=$1 rc=0
	shift
	echo "$host# $*"
	ip netns exec "$host" "$@" || rc=$?
	if [ "$rc" != 0 ]; then
		echo "RESULT: FAILED: '$*' on $host exited with $rc"
		exit 1
	fi
}

say "Source host: the VM disk, tracked by the migrate target"
run src dmsetup create vmdisk --table "0 $(blockdev --getsz "$src") migrate $src 128"
say "Destination host: an empty volume of the same size, in receive mode"
# (Both "hosts" share one device-mapper in this guest, so the destination's
# device is called vmdisk-in; on a real pair of hosts it would be vmdisk.)
run dst dmsetup create vmdisk-in --table "0 $(blockdev --getsz "$dst") migrate $dst 128 1 receive"
run dst migrate-dm receive vmdisk-in --listen 198.18.0.2:7788 --key-file /tmp/keys/vmdisk.key

say "The VM keeps writing (fio, 1 MiB/s random 4 KiB writes)"
fio --name=vm --filename=/dev/mapper/vmdisk --rw=randwrite --bs=4k --direct=1 \
	--rate=1m --time_based --runtime=600 --eta=never --output=/dev/null &
FIO=$!
ip netns exec src migrate-dm events vmdisk > /tmp/events.txt &
EVENTS=$!

say "Push: bulk copy, then dirty rounds until converged"
run src migrate-dm push vmdisk --to 198.18.0.2:7788 --key-file /tmp/keys/vmdisk.key \
	--converge-below 4M --rate 60M/s
run src migrate-dm watch vmdisk --until converged --interval 2
run src migrate-dm status vmdisk
say "Meanwhile on the destination: what it received and applied"
run dst migrate-dm status vmdisk-in

say "Converged: mirror writes synchronously while the RAM pre-copy runs"
run src migrate-dm mirror vmdisk
sleep 3
kill $FIO; wait $FIO 2>/dev/null
say "VM paused: hand the disk off"
run src migrate-dm handoff vmdisk
run src migrate-dm status vmdisk
run dst migrate-dm status vmdisk-in
say "A write on the source is now refused:"
if dd if=/dev/zero of=/dev/mapper/vmdisk bs=4k count=1 oflag=direct status=none; then
	echo "RESULT: FAILED: the source still accepts writes after the handoff"
	exit 1
fi
kill $EVENTS; wait $EVENTS 2>/dev/null
say "What happened, as migrate-dm events saw it:"
cat /tmp/events.txt
a=$(dev_sha "$src")
b=$(dev_sha "$dst")
say "sha256 source      $a"
echo "sha256 destination $b"
if [ "$a" != "$b" ]; then
	echo "RESULT: MISMATCH"
	exit 1
fi
echo "RESULT: identical, migration complete"
