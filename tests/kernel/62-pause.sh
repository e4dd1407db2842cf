#!/bin/bash
# pause_after_bulk: a push that stops after its bulk pass (an orchestrator
# copies every disk of a VM once, then lets them converge together).  The
# push pauses in "dirty" with nothing more sent while the guest's writes
# keep marking chunks dirty; 'resume' runs the dirty rounds, and the
# volumes end identical after the handoff.  Both front-ends: netlink
# (migrate-dm push --pause-after-bulk) and dmsetup messages (set, and a
# bad value refused).
. "$(dirname "$0")/../lib.sh"

tap_plan 13
MDM=$REPO/build/migrate-dm
json() {
	"$MDM" status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}
net_setup
migration_pair 32 16
printf '%s' "$KEY" > /tmp/key

dmsetup create mt_src --table "0 $sz migrate $src 128"
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
on_dst dmsetup message mt_dst 0 listen $DST_IP:7788 "$KEY"

expect_fail_msg "pause_after_bulk=2 refused" "invalid option" \
	on_src dmsetup message mt_src 0 push $DST_IP:7788 "$KEY" pause_after_bulk=2
check "push --pause-after-bulk" on_src "$MDM" push mt_src --to $DST_IP:7788 \
	--key-file /tmp/key --converge-below 256K --pause-after-bulk
check "bulk pass over: phase dirty" wait_mode mt_src dirty 240
expect_eq "paused after the bulk pass, round 1" "True 1" \
	"$(json mt_src 's["paused"], s["round"]')"

# The guest writes on; the push sends nothing while paused.
sent0=$(json mt_src 's["chunks_sent"]')
dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=32 seek=64 oflag=direct status=none
sleep 2
expect_eq "paused: nothing sent, the new writes are dirty" "$sent0 True" \
	"$(json mt_src 's["chunks_sent"], s["chunks_dirty"] >= 32')"
expect_eq "still dirty and paused 2 s later" "dirty True" \
	"$(mode_of mt_src) $(json mt_src 's["paused"]')"

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
