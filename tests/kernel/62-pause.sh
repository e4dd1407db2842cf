#!/bin/bash
# dmm-cost: 42
# pause_after_bulk: a push that stops after its bulk pass (an orchestrator
# copies every disk of a VM once, then lets them converge together).
#  1. migrate-dm push --pause-after-bulk (netlink) on an idle volume: the
#     push pauses in "dirty"; 'resume' converges though nothing is dirty.
#  2. dmsetup push, then migrate-dm limit --pause-after-bulk (netlink
#     SET_LIMITS) during the bulk pass: the push pauses after it, sends
#     nothing while the guest's writes mark chunks dirty; set
#     pause_after_bulk=0 (dmsetup) and resume: converged, mirrored, handed
#     off, volumes identical.
. "$(dirname "$0")/../lib.sh"

tap_plan 20
net_setup
migration_pair 32 16
printf '%s' "$KEY" > /tmp/key

dmsetup create mt_src --table "0 $sz migrate $src 128"
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
on_dst dmsetup message mt_dst 0 listen $DST_IP:7788 "$KEY"

expect_fail_msg "pause_after_bulk=2 refused" "invalid option" \
	on_src dmsetup message mt_src 0 push $DST_IP:7788 "$KEY" pause_after_bulk=2

# 1. Idle volume.
check "push --pause-after-bulk" on_src "$MDM" push mt_src --to $DST_IP:7788 \
	--key-file /tmp/key --converge-below 256K --pause-after-bulk
check "bulk pass over: phase dirty" wait_mode mt_src dirty 240
expect_eq "paused after the bulk pass, round 1, nothing dirty" "True 1 0" \
	"$(json mt_src 's["paused"], s["round"], s["chunks_dirty"]')"
sleep 1
expect_eq "still dirty and paused 1 s later" "dirty True" \
	"$(mode_of mt_src) $(json mt_src 's["paused"]')"
check "resume" "$MDM" resume mt_src
check "nothing dirty: converged after the resume" wait_mode mt_src converged 30
check "abort" "$MDM" abort mt_src

# 2. The limit set during the bulk pass, writes while paused.
check "push, rate-limited (dmsetup message)" on_src dmsetup message mt_src 0 push \
	$DST_IP:7788 "$KEY" rate=2M converge_below=256K
check "limit --pause-after-bulk during the bulk pass" sh -c \
	"[ \"\$(dmsetup status mt_src | awk '{print \$4}')\" = bulk ] &&
	 '$MDM' limit mt_src --pause-after-bulk"
check "bulk pass over: phase dirty" wait_mode mt_src dirty 240
expect_eq "paused after the bulk pass" "True" "$(json mt_src 's["paused"]')"
dmsetup message mt_src 0 set rate=0
sent0=$(json mt_src 's["chunks_sent"]')
dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=32 seek=64 oflag=direct status=none
sleep 2
expect_eq "paused: nothing sent, the new writes are dirty" "$sent0 True" \
	"$(json mt_src 's["chunks_sent"], s["chunks_dirty"] >= 32')"
check "set pause_after_bulk=0 (dmsetup message) accepted" \
	dmsetup message mt_src 0 set pause_after_bulk=0
check "resume" "$MDM" resume mt_src
check "dirty rounds run: converged" wait_mode mt_src converged 120
check "mirror" dmsetup message mt_src 0 mirror
check "source mirrors" wait_mode mt_src mirroring 30
dd if=/dev/urandom of=/dev/mapper/mt_src bs=4k count=16 seek=100 oflag=direct status=none
dmsetup suspend mt_src
check "handoff" handoff_wait mt_src
dmsetup resume mt_src
expect_eq "sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"
tap_done
