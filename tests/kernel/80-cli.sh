#!/bin/bash
# dmm-cost: 143
# migrate-dm against the real module: every command, the errors an operator
# meets (wrong device, wrong key, no privilege, bad options), --json output
# parsed and checked, watch in its non-terminal form, events seeing each
# phase of a real migration, a key from the kernel keyring, and the
# destination's own view in status, status --json and watch.  A writer
# runs through the migration; both volumes are compared at the end.
. "$(dirname "$0")/../lib.sh"

tap_plan 47
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
expect_rc "status of a receive device with no receiver says how to start one" 0 \
	"^  receiver   none: 'migrate-dm receive mt_dst --listen ADDR:PORT' starts one" \
	"$MDM" status mt_dst
expect_rc "watch on a receive device with no receiver says how to start one" 1 \
	"mt_dst: no receiver is listening on it; start one with 'migrate-dm receive mt_dst" \
	"$MDM" watch mt_dst

# --- a migration driven by migrate-dm ----------------------------------
ip netns exec src "$MDM" events --json > /tmp/ev_src.json &
EVS=$!
ip netns exec dst "$MDM" events mt_dst --json > /tmp/ev_dst.json &
EVD=$!
nap 0.5

# The destination takes the same key from the kernel keyring.
python3 -c "import sys; sys.stdout.buffer.write(bytes.fromhex(open('/tmp/key').read().strip()))" |
	keyctl padd logon dm-migrate:cli @u > /dev/null
expect_rc "receive, key from the keyring" 0 "" \
	on_dst "$MDM" receive mt_dst --listen $DST_IP:7790 --key-desc logon:dm-migrate:cli
expect_rc "a second receive is refused" 1 "already listening" \
	on_dst "$MDM" receive mt_dst --listen $DST_IP:7791 --key-file /tmp/key

# dest_json EXPR...: assertions over the destination's status object s.
dest_json() {
	python3 -c "
import json, subprocess
s = json.loads(subprocess.check_output(['$MDM', 'status', 'mt_dst', '--json']))
for k in ('bytes_read', 'round', 'eta_ms', 'paused', 'wire_ratio', 'send_rate',
          'dirty_rate', 'peer', 'chunks_sent', 'writes_mirrored', 'prediction',
          'converge_reason', 'write_throttle', 'auto_throttle'):
    assert k not in s, ('source-only field', k, s)
assert s['role'] == 'destination' and s['listen'] == '$DST_IP:7790', s
$(printf '%s\n' "$@")
"
}
check "destination status --json while listening: its address, no source fields" dest_json \
	"assert s['phase'] == 'receiving' and s['connection'] == 'listening', s" \
	"assert s['connections'] == 0 and s['chunks_applied'] == 0 and s['source'] is None, s" \
	"assert s['chunks_total'] == $((sz / 128)), s"
"$MDM" status mt_dst > /tmp/st_dst.txt
tap_diag < /tmp/st_dst.txt
check "destination status text while listening: no read, round or ETA" sh -c "
	grep -q '^  receiver   on $DST_IP:7790: listening, 0 connections\$' /tmp/st_dst.txt &&
	grep -q '^  received   0 B on the wire, 0 chunks applied' /tmp/st_dst.txt &&
	! grep -qE 'read|round|converge|ETA|peer' /tmp/st_dst.txt"
expect_rc "watch --until a source's phase on a destination is refused" 2 \
	"mt_dst: a destination never reaches converged" "$MDM" watch mt_dst --until converged
"$MDM" watch mt_dst --timeout 400 > /tmp/watch_dst.txt 2>&1 &
WATCH_DST=$!
expect_rc "push with the wrong key: refused and aborted" 5 "refused us: .*authentication" \
	on_src "$MDM" push mt_src --to $DST_IP:7790 --key-file /tmp/wrongkey
expect_eq "after the refused push the source is tracking" tracking "$(mode_of mt_src)"

fio --name=load --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k \
	--size=$((SIZE_MB / 2))M --direct=1 --ioengine=libaio --iodepth=2 \
	--rate=512k --time_based --runtime=600 --eta=never --output=/dev/null &
FIO=$!
expect_rc "push" 0 "mt_src: pushing to $DST_IP:7790" \
	on_src "$MDM" push mt_src --to $DST_IP:7790 --key-file /tmp/key \
	--rate 4M --converge-time 500ms --max-rounds 15
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
# Raising the throttle releases what the lower rate held: a 1 MiB write
# held at 16 KiB/s (64 s) goes when the rate becomes 1 GiB/s.
"$MDM" limit mt_src --throttle 16K/s
timeout 120 dd if=/dev/urandom of=/dev/mapper/mt_src bs=1M count=1 seek=20 oflag=direct \
	status=none &
DD=$!
sleep 1
t0=$(date +%s%N)
"$MDM" limit mt_src --throttle 1G/s
wait $DD
ms=$((($(date +%s%N) - t0) / 1000000))
check "throttle raised: the write the lower rate held goes at once ($ms ms, not a minute)" \
	test "$ms" -lt 10000
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
assert s['write_throttle'] == 0 and s['auto_throttle'] is False, s
assert 'prediction' in s and 'converge_reason' in s, s
assert not any('key' in k for k in s), s
"
check "destination status --json during the push: source connected, chunks applied" dest_json \
	"assert s['phase'] == 'receiving' and s['connection'] == 'connected', s" \
	"assert s['connections'] == 1 and s['bytes_received'] > 0 and s['chunks_applied'] > 0, s" \
	"assert s['protocol_errors'] >= 1, s  # the wrong key"
"$MDM" status mt_dst > /tmp/st_dst.txt
tap_diag < /tmp/st_dst.txt
check "destination status text during the push" sh -c "
	grep -q '^mt_dst ([0-9]*:[0-9]*): destination, receiving\$' /tmp/st_dst.txt &&
	grep -q '^  receiver   on $DST_IP:7790: source connected, 1 connection\$' /tmp/st_dst.txt &&
	grep -qE '^  received   [0-9.]+ [KMG]iB on the wire, [1-9][0-9]* chunks applied' /tmp/st_dst.txt &&
	grep -qE '^  errors     [1-9][0-9]* protocol errors?; last: ' /tmp/st_dst.txt"
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
sleep 2		# writes mirrored to the destination
kill $FIO; wait $FIO 2>/dev/null
expect_rc "handoff" 0 "handed off" "$MDM" handoff mt_src
expect_eq "phases after handoff" "handed_off tracking" \
	"$(json mt_src 's["phase"]') $(json mt_dst 's["phase"]')"
expect_rc "abort after handoff is refused" 1 "handed off" "$MDM" abort mt_src
"$MDM" status mt_src | grep '^  handoff' | tap_diag
check "status: the handoff's timing, text and JSON (total = drain + confirm)" sh -c "
	'$MDM' status mt_src | grep -qE '^  handoff    took [0-9.]+ m?s: drain [0-9.]+ m?s, confirmation [0-9.]+ m?s; the suspend before it took [0-9.]+ m?s\$' &&
	python3 -c \"
import json, subprocess
s = json.loads(subprocess.check_output(['$MDM', 'status', 'mt_src', '--json']))
t, d, c = s['handoff_us'], s['handoff_drain_us'], s['handoff_confirm_us']
assert 0 <= d + c <= t <= d + c + 1 and s['handoff_suspend_us'] >= 0, s
\""
check "destination status --json after the handoff: closed, every chunk applied, writes" dest_json \
	"assert s['phase'] == 'tracking' and s['connection'] == 'closed', s" \
	"assert s['chunks_applied'] >= s['chunks_total'] > 0, s" \
	"assert s['zero_chunks'] > 0 and s['writes_applied'] > 0, s"
"$MDM" status mt_dst > /tmp/st_dst.txt
tap_diag < /tmp/st_dst.txt
check "destination status text after the handoff" sh -c "
	grep -q '^  receiver   on $DST_IP:7790: closed after handoff, 1 connection\$' /tmp/st_dst.txt &&
	grep -qE '^  writes     [1-9][0-9]* mirrored writes? applied\$' /tmp/st_dst.txt &&
	grep -q '^  tracking   ' /tmp/st_dst.txt"
check "destination status: the handoff's timing, text and JSON" sh -c "
	grep -qE '^  handoff    took [0-9.]+ m?s from HANDOFF to its ACK, the volume.s flush [0-9.]+ m?s\$' /tmp/st_dst.txt &&
	python3 -c \"
import json, subprocess
s = json.loads(subprocess.check_output(['$MDM', 'status', 'mt_dst', '--json']))
assert s['handoff_us'] >= s['handoff_flush_us'] > 0, s
\""
wait $WATCH_DST
rc=$?
tail -n 3 /tmp/watch_dst.txt | tap_diag
expect_eq "watch on the destination ends at the handoff" 0 "$rc"
check "watch on the destination: chunks applied and the connection, no round or ETA" sh -c "
	grep -qE '^mt_dst receiving +[0-9.]+%  [1-9][0-9]* chunks applied  [0-9.]+ [KMG]?i?B/s  [0-9]+ writes  source connected\$' /tmp/watch_dst.txt &&
	tail -n 1 /tmp/watch_dst.txt | grep -qE '^mt_dst tracking +100.0%  .*  closed after handoff\$' &&
	! grep -qE 'round|ETA|savings' /tmp/watch_dst.txt"
expect_eq "sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"

nap 0.5
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
