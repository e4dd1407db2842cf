#!/bin/bash
# dmm-cost: 18
# The generic netlink family against random requests (tests/prog/nlrand.c):
# every command and unknown ones, random attribute types, lengths, nesting,
# duplicates and flags, device numbers of migrate devices in several modes,
# of a linear device and of none.  First unprivileged (uid 65534, then root
# without CAP_SYS_ADMIN): every request refused, no device changed (netlink
# dump, dmsetup status and table).  Then as root, with a writer on two
# devices: the requests start, pause, limit, mirror, hand off and abort
# pushes and receivers at random; afterwards every device answers status,
# every write completes, and every device can be removed from whatever
# state it was left in, its engine threads gone.  The kernel log is checked
# by the runner (KASAN in the debug lane).
#
# The devices: mt_trk tracking with chunks dirty; mt_rcv a receiver on
# 198.18.255.2:7788 and mt_src a push to it paused in its bulk pass, both
# set up by nlrand; mt_sus suspended, its push aimed at an address nothing
# routes to (random HANDOFFs decide a handoff on it); a linear origin.
#
# No traffic leaves 198.18.0.0/15: nlrand runs in a network namespace of its
# own (-N) where only loopback is up, with 198.18.255.1 and .2 on it (it
# refuses to run in a namespace with another interface up), and every
# address it sends is in 198.18.0.0/15 or does not parse.
#
# A run's seed is printed; to replay its requests, write it to
# build/nlrand-seed (the guest sees the repository) or set NLRAND_SEED.  A
# process costs much in a TCG guest, more under KASAN: this test starts few.
. "$(dirname "$0")/../lib.sh"

tap_plan 4
trap dm_cleanup EXIT
SEED=${NLRAND_SEED:-}
[ -z "$SEED" ] && [ -f "$REPO/build/nlrand-seed" ] && read -r SEED < "$REPO/build/nlrand-seed"
SEED=${SEED:-$((RANDOM << 15 | RANDOM))}
# Seconds of random requests per phase (nobody, nocap, root each).
T=1.5 T_ROOT=7
[ "$DMM_KVER" = debug ] && T=2 T_ROOT=12
echo "# seed $SEED (to replay it: echo $SEED > build/nlrand-seed; remove the file after)"

# Four 16 MiB origins: linear slices of one loop device.
S=32768
loop=$(scratch_dev 64M)
dmsetup create --concise "mt_zo_trk,,,,0 $S linear $loop 0;\
mt_zo_src,,,,0 $S linear $loop $S;mt_zo_rcv,,,,0 $S linear $loop $((2 * S));\
mt_zo_sus,,,,0 $S linear $loop $((3 * S));\
mt_trk,,,,0 $S migrate /dev/mapper/mt_zo_trk 128;\
mt_rcv,,,,0 $S migrate /dev/mapper/mt_zo_rcv 128 1 receive;\
mt_src,,,,0 $S migrate /dev/mapper/mt_zo_src 128;\
mt_sus,,,,0 $S migrate /dev/mapper/mt_zo_sus 128"
# Chunks dirty on mt_trk; on mt_src, data that does not compress (at 64
# KiB/s the bulk pass cannot end before the pause).
dd if=/dev/urandom of=/dev/mapper/mt_trk bs=64k count=8 seek=3 oflag=direct status=none
dd if=/dev/urandom of=/dev/mapper/mt_src bs=1M count=4 oflag=direct status=none
dmsetup suspend mt_sus

M=/dev/mapper
"$BIN/nlrand" -N -t "$T" -T "$T_ROOT" -c 'dmsetup status; dmsetup table' \
	-m $M/mt_trk -R $M/mt_rcv -S $M/mt_src -U $M/mt_sus -x $M/mt_zo_trk \
	-w $M/mt_trk -w $M/mt_src "$SEED" 1000000 > /tmp/nlrand.tap 2>&1
rc=$?
tap_diag < /tmp/nlrand.tap
expect_eq "nlrand: unprivileged requests refused, nothing changed; root ones answered, none hung; writes completed" \
	0 "$rc"
dmsetup status > /tmp/nlr.st
sed -n 's/^\(mt_[a-z]*: .* migrate .*\)/# \1/p' /tmp/nlr.st
expect_eq "dmsetup status answers for the 8 devices, a netlink dump lists the 4 migrate ones" \
	"8 4" "$(grep -c '^mt_' /tmp/nlr.st) $("$MDM" status --json | grep -c '"device":"mt_')"

# Removal from whatever state the random requests left: pushes paused or
# mirroring, a pending handoff on a suspended device, receivers anywhere.
t0=$SECONDS
timeout 60 dmsetup remove mt_trk mt_src mt_rcv mt_sus mt_zo_trk mt_zo_src mt_zo_rcv mt_zo_sus
expect_eq "every device removed ($((SECONDS - t0)) s)" "" "$(dmsetup ls | grep '^mt_')"
ENGINES='^dm-migrate-(push|ack|read|recv|accept)'
for _ in $(seq 50); do
	left=$(ps -e -o comm= | grep -E "$ENGINES")
	[ -z "$left" ] && break
	nap 0.1
done
expect_eq "no engine thread left, the netlink dump lists no device" "" \
	"$left$("$MDM" status --json)"
tap_done
