#!/bin/bash
# migrate-dm against the real module: every command, the errors an operator
# meets (wrong device, wrong key, no privilege, bad options), --json output
# parsed and checked, watch in its non-terminal form, events seeing each
# phase of a real migration, a key from the kernel keyring.  A writer runs
# through the migration; both volumes are compared at the end.
. "$(dirname "$0")/../lib.sh"

MDM=$REPO/build/migrate-dm
tap_plan 34
net_setup
migration_pair 96
other=$(scratch_dev 16M)
umask 077
new_key > /tmp/key
new_key > /tmp/wrongkey
KEYHEX=$(cat /tmp/key)

dmsetup create mt_src --table "0 $sz migrate $src 128"
dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
dmsetup create mt_lin --table "0 $(sectors_of "$other") linear $other 0"

# expect_rc DESC RC PATTERN COMMAND...: exit code RC and stderr+stdout
# matching PATTERN.
expect_rc() {
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -qE -- "$pat"; then
		ok "$desc"
		printf '%s\n' "$out" | head -n 3 | tap_diag
	else
		not_ok "$desc"
		printf 'exit %s (want %s), output:\n%s\n' "$rc" "$want" "$out" | tap_diag
	fi
}

# json DEV EXPR: evaluate a Python expression over the status object s.
json() {
	"$MDM" status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}

# --- operator errors --------------------------------------------------
expect_rc "unknown option: usage error" 2 "unknown option '--frobnicate'" \
	"$MDM" push mt_src --frobnicate
expect_rc "missing --to: usage error" 2 "--to HOST:PORT is required" \
	"$MDM" push mt_src --key-file /tmp/key
expect_rc "bad size: usage error" 2 "invalid value '12Q' for --rate" \
	"$MDM" limit mt_src --rate 12Q
expect_rc "no such device" 4 "mt_nope: no such device-mapper device" \
	"$MDM" pause mt_nope
expect_rc "not a migrate device" 4 "mt_lin: not a migrate device" \
	"$MDM" push mt_lin --to $DST_IP:7790 --key-file /tmp/key
expect_rc "not root" 3 "permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MDM" abort mt_src
expect_rc "status needs root, like dmsetup" 3 "permission denied" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MDM" status mt_src --json
expect_rc "mirror without a push is refused" 1 "mirror refused: no push is running" \
	"$MDM" mirror mt_src
expect_rc "every command has --help" 0 "usage: migrate-dm handoff DEV" \
	"$MDM" handoff --help

# --- a migration driven by migrate-dm ----------------------------------
ip netns exec src "$MDM" events --json > /tmp/ev_src.json &
EVS=$!
ip netns exec dst "$MDM" events mt_dst --json > /tmp/ev_dst.json &
EVD=$!
sleep 0.5

# The destination takes the same key from the kernel keyring.
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(open('/tmp/key').read().strip()))" |
	keyctl padd logon dm-migrate:cli @u > /dev/null
expect_rc "receive, key from the keyring" 0 "" \
	on_dst "$MDM" receive mt_dst --listen $DST_IP:7790 --key-desc logon:dm-migrate:cli
expect_rc "a second receive is refused" 1 "already listening" \
	on_dst "$MDM" receive mt_dst --listen $DST_IP:7791 --key-file /tmp/key
expect_rc "push with the wrong key: refused and aborted" 5 "refused us: .*authentication" \
	on_src "$MDM" push mt_src --to $DST_IP:7790 --key-file /tmp/wrongkey
expect_eq "after the refused push the source is tracking" tracking "$(mode_of mt_src)"

fio --name=load --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k \
	--size=$((SIZE_MB / 2))M --direct=1 --ioengine=libaio --iodepth=2 \
	--rate=512k --time_based --runtime=600 --eta=never --output=/dev/null &
FIO=$!
expect_rc "push" 0 "mt_src: pushing to $DST_IP:7790" \
	on_src "$MDM" push mt_src --to $DST_IP:7790 --key-file /tmp/key \
	--rate 4M --converge-below 2M --max-rounds 15
expect_rc "pause" 0 "" "$MDM" pause mt_src
sleep 1		# runs already read when the pause came still go out
sent0=$(json mt_src 's["chunks_sent"]')
sleep 1.5
expect_eq "paused: status says so and nothing is sent" "True $sent0" \
	"$(json mt_src 's["paused"], s["chunks_sent"]')"
expect_rc "guest write throttle" 0 "" "$MDM" limit mt_src --throttle 1M/s
t0=$(date +%s%N)
dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=48 seek=64 oflag=direct status=none
ms=$((($(date +%s%N) - t0) / 1000000))
check "throttled: 3 MiB of guest writes take about 3 s ($ms ms)" test "$ms" -ge 2500
expect_rc "resume" 0 "" "$MDM" resume mt_src
expect_rc "limit while running" 0 "" "$MDM" limit mt_src --rate none --throttle 0
check "status --json: source, peer, counters, no key" python3 -c "
import json, subprocess
s = json.loads(subprocess.check_output(['$MDM', 'status', 'mt_src', '--json']))
assert s['role'] == 'source', s
assert s['phase'] in ('bulk', 'dirty', 'converged'), s
assert s['peer'] == '$DST_IP:7790', s
assert s['connection'] == 'connected', s
assert s['chunks_total'] == $((sz / 128)) and s['chunk_bytes'] == 65536, s
assert s['bytes_read'] > 0 and s['bytes_wire'] > 0, s
assert not any('key' in k for k in s), s
"
check "the key appears in no status, dump, table or log" sh -c "
	! { '$MDM' status; '$MDM' status --json; dmsetup table; dmsetup status; dmesg; } | grep -qi '$KEYHEX'"

on_src "$MDM" watch mt_src --until converged --timeout 180 > /tmp/watch.txt 2>&1
rc=$?
tap_diag < /tmp/watch.txt
expect_eq "watch (not a terminal) until converged" 0 "$rc"
check "watch printed plain progress lines" grep -qE '^mt_src (bulk|dirty|converged) +[0-9.]+%  round' /tmp/watch.txt
expect_rc "mirror" 0 "mt_src: mirroring writes to $DST_IP:7790" "$MDM" mirror mt_src
check "watch on a terminal draws a progress bar" sh -c \
	"script -qec '$MDM watch mt_src --until mirroring' /dev/null | grep -q '\[mirroring *\] \[#'"
expect_rc "pause while mirroring is refused" 1 "cannot pause while mirroring" "$MDM" pause mt_src
kill $FIO; wait $FIO 2>/dev/null
expect_rc "handoff" 0 "handed off" "$MDM" handoff mt_src
expect_eq "phases after handoff" "handed_off tracking" \
	"$(json mt_src 's["phase"]') $(json mt_dst 's["phase"]')"
expect_rc "abort after handoff is refused" 1 "handed off" "$MDM" abort mt_src
expect_eq "sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"

sleep 0.5
kill $EVS $EVD; wait $EVS $EVD 2>/dev/null
check "events: the source saw every phase, the connection, convergence and the handoff" python3 -c "
import json
ev = [json.loads(l) for l in open('/tmp/ev_src.json')]
ev = [e for e in ev if e['device'] == 'mt_src']
phases = [e['phase'] for e in ev if e['event'] == 'phase']
kinds = {e['event'] for e in ev}
for p in ('bulk', 'dirty', 'converged', 'mirroring', 'handed_off'):
    assert p in phases, (p, phases)
assert {'connected', 'converged', 'handoff_done', 'error'} <= kinds, kinds
assert any(e['event'] == 'error' and 'authentication' in (e['message'] or '') for e in ev)
"
check "events: the destination saw the source connect and the handoff" python3 -c "
import json
kinds = [json.loads(l)['event'] for l in open('/tmp/ev_dst.json')]
assert 'connected' in kinds and 'handoff_done' in kinds, kinds
"
tap_done
