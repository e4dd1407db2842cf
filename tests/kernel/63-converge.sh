#!/bin/bash
# dmm-cost: 96
# Convergence by default (docs/dm-migrate.rst, "Convergence"): no
# converge_below given, a push converges when its dirty rest can be sent
# within converge_ms (1 s) at the measured rate, or when rounds stop
# shrinking the dirty set; status, events and the kernel log say which.
#  1. A steady random writer (fio, 4-64 KiB) at a fraction of a
#     tbf-limited link: the push converges on the time budget; the model's
#     prediction is in status --json during pre-copy; mirror and hand off
#     with the writer running until the handoff; volumes identical.
#  2. A writer faster than the link, with an explicit converge_below: it
#     does not converge (the operator's rule); --converge-time brings the
#     default rule back and it stops for no progress; handoff, identical.
#  3. Limits: converge_ms out of range, a bad --converge-time.
. "$(dirname "$0")/../lib.sh"

tap_plan 20
MDM=$REPO/build/migrate-dm
LINK_MBIT=8
json() {
	"$MDM" status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}
# pair MB PORT: a pair of devices over fresh scratch volumes, listening.
pair() {
	migration_pair "$1" "$1"
	printf '%s' "$KEY" > /tmp/key
	dmsetup create mt_src --table "0 $sz migrate $src 128"
	dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:"$2" "$KEY"
}
unpair() {
	dmsetup remove mt_src
	dmsetup remove mt_dst
}
# writer BSRANGE RATE: random writes over the whole source until killed;
# returns once they mark chunks dirty.
writer() {
	local i
	fio --name=w --filename=/dev/mapper/mt_src --rw=randwrite --bsrange="$1" \
		--direct=1 --ioengine=libaio --iodepth=2 --rate="$2" --time_based \
		--runtime=900 --randrepeat=0 --eta=never --output=/dev/null &
	FIO=$!
	for i in $(seq 300); do
		[ "$(dirty_of mt_src)" -ge 4 ] && return
		nap 0.1
	done
}
# kernel_wall PATTERN: the wall-clock time of the last kernel log line
# matching PATTERN (the test notices a change later than it happens).
kernel_wall() {
	local ts up
	ts=$(dmesg | grep -- "$1" | tail -n 1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
	read -r up _ < /proc/uptime
	awk -v n="$(date +%s.%N)" -v u="$up" -v t="$ts" 'BEGIN { printf "%.3f", n - (u - t) }'
}
# handoff_check: mirror, hand off with the writer running, compare.
handoff_check() {
	check "$1: mirror" "$MDM" mirror mt_src
	sleep 2
	check "$1: handoff with the writer running" "$MDM" handoff mt_src
	kill $FIO 2>/dev/null; wait $FIO 2>/dev/null
	expect_eq "$1: sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"
}

net_setup
on_src tc qdisc add dev veth-s root tbf rate ${LINK_MBIT}mbit burst 64kb latency 200ms
ip netns exec src "$MDM" events --json > /tmp/ev.json &
EV=$!

# 1. A steady writer: ~128 KiB/s of 4-64 KiB writes, each dirtying one or
#    two 64 KiB chunks: about a third of the 1 MB/s link in chunks (the
#    sealed stream may carry less than the link under TCG, on a busy host).
pair 32 7788
writer 4k-64k 128k
check "1: push with the default limits" on_src "$MDM" push mt_src --to $DST_IP:7788 \
	--key-file /tmp/key
# The model's predictions while it runs: "time {prediction}" lines.
: > /tmp/pred
for _ in $(seq 1200); do
	case $(mode_of mt_src) in bulk|dirty) ;; *) break ;; esac
	echo "$(date +%s.%N) $("$MDM" status mt_src --json | grep -o '"prediction":{[^}]*}')" >> /tmp/pred
	nap 0.2
done
check "1: converged" wait_mode mt_src converged 240
t0=$(kernel_wall 'mt_src: pushing to')
t1=$(kernel_wall 'mt_src: converged after')
echo "# converged after $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s, $(json mt_src '"%.2f" % (s["bytes_wire"] / (s["chunks_total"] * s["chunk_bytes"]))') x the volume on the wire; $(dmesg | grep -o 'mt_src: converged after.*' | tail -n 1)"
expect_eq "1: on the time budget" "budget" "$(json mt_src 's["converge_reason"]')"
check "1: status --json had a prediction during pre-copy" grep -q '"prediction":{"eta_ms"' /tmp/pred
python3 - "$t0" "$t1" <<'PY' | tap_diag
import json, sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
preds = [(float(t), json.loads('{' + p + '}')['prediction'])
         for t, _, p in (l.strip().partition(' ') for l in open('/tmp/pred')) if p]
for t, p in preds[::max(1, len(preds) // 8)]:
    print('at %5.1f s: converged at %5.1f s, round %d (%s); really %.1f s'
          % (t - t0, t - t0 + p['eta_ms'] / 1000, p['round'], p['reason'], t1 - t0))
PY
check "1: status says why" sh -c "'$MDM' status mt_src | grep -q '^  converged  the dirty rest is sent within the converge time'"
check "1: the kernel log says why" sh -c "dmesg | grep -q 'mt_src: converged after .* dirty rounds (time budget)'"
handoff_check 1
unpair

# 2. A writer faster than the link: 4 KiB writes dirtying 100 chunks/s of
#    incompressible data, 6 times what the link carries, on 8 MiB.
#    converge_below: no convergence for as long as it is set.
pair 8 7789
dd if=/dev/urandom of="$src" bs=1M count=8 oflag=direct status=none
writer 4k-4k 400k
# rounds_unconverged N: N rounds ended, none of them converged.
rounds_unconverged() {
	local i
	for i in $(seq 1500); do
		[ "$(mode_of mt_src)" = converged ] && { echo "converged: $(dmsetup status mt_src)"; return 1; }
		[ "$(status_field mt_src 4)" -ge "$1" ] && return 0
		nap 0.2
	done
	echo "still at round $(status_field mt_src 4)"
	return 1
}
check "2: push --converge-below 64K" on_src "$MDM" push mt_src --to $DST_IP:7789 \
	--key-file /tmp/key --converge-below 64K
check "2: five rounds and not converged (converge_below is the rule)" rounds_unconverged 5
check "2: limit --converge-time 500ms brings the time rule back" "$MDM" limit mt_src \
	--converge-time 500ms
check "2: converged" wait_mode mt_src converged 240
expect_eq "2: for no progress" "no_progress" "$(json mt_src 's["converge_reason"]')"
echo "# $(dmesg | grep -o 'mt_src: converged after.*' | tail -n 1)"
handoff_check 2
unpair

# 3. Limits.
pair 8 7790
expect_fail_msg "3: converge_ms past 2^32 - 1 refused" "invalid option" \
	on_src dmsetup message mt_src 0 push $DST_IP:7790 "$KEY" converge_ms=4294967296
expect_rc "3: a bad --converge-time is a usage error" 2 "invalid --converge-time '1x'" \
	"$MDM" push mt_src --to $DST_IP:7790 --key-file /tmp/key --converge-time 1x
unpair

kill $EV; wait $EV 2>/dev/null
check "events: converged with its reason, budget then no progress" python3 -c "
import json
ev = [json.loads(l) for l in open('/tmp/ev.json') if l.strip()]
r = [e['reason'] for e in ev if e['event'] == 'converged' and e['device'] == 'mt_src']
assert r == ['budget', 'no_progress'], r
"
tap_done
