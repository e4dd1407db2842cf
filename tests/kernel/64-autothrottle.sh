#!/bin/bash
# dmm-cost: 110
# auto_throttle (docs/dm-migrate.rst, "Convergence"): a guest writing
# faster than the link drains converges when the model holds its writes
# to what converges within a few rounds; the throttle is lifted at once
# when mirroring starts and on abort; every change is an event.
#  1. push --auto-throttle, a writer four times the link (8 MiB of random
#     data, 4 KiB writes dirtying 100 chunks/s; 63-converge shows that it
#     stops for no progress without): held, it converges on the time
#     budget; mirror lifts the throttle; handoff with the writer running,
#     volumes identical.
#  2. Again; once held, an explicit --throttle turns auto_throttle off,
#     --auto-throttle on again; abort lifts it: a write is not held.
. "$(dirname "$0")/../lib.sh"

tap_plan 17
MDM=$REPO/build/migrate-dm
json() {
	"$MDM" status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}
pair() {
	migration_pair 8 8
	dd if=/dev/urandom of="$src" bs=1M count=8 oflag=direct status=none
	printf '%s' "$KEY" > /tmp/key
	dmsetup create mt_src --table "0 $sz migrate $src 128"
	dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:"$1" "$KEY"
	fio --name=w --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k \
		--direct=1 --ioengine=libaio --iodepth=2 --rate=400k --time_based \
		--runtime=900 --randrepeat=0 --eta=never --output=/dev/null &
	FIO=$!
	# fio takes seconds to start in a TCG guest: writing before the push.
	for _ in $(seq 300); do
		[ "$(dirty_of mt_src)" -ge 8 ] && return
		nap 0.1
	done
}
unpair() {
	kill $FIO 2>/dev/null; wait $FIO 2>/dev/null
	dmsetup remove mt_src
	dmsetup remove mt_dst
}
# held: the throttle holds the guest (polling status, which also samples
# the rates auto_throttle reads).
held() {
	local i mode
	for i in $(seq 600); do
		mode=$(mode_of mt_src)
		[ "$(json mt_src 's["write_throttle"]')" -gt 0 ] && return 0
		case $mode in bulk|dirty) ;; *) break ;; esac
		nap 0.5
	done
	echo "never held: $("$MDM" status mt_src)"
	return 1
}
# events_say EXPR: a Python expression over the list ev of mt_src's events.
events_say() {
	python3 -c "
import json
ev = [e for e in map(json.loads, open('/tmp/ev.json')) if e['device'] == 'mt_src']
t = [e['write_throttle'] for e in ev if e['event'] == 'throttle']
assert $1, (t, ev[-5:])
"
}

net_setup
on_src tc qdisc add dev veth-s root tbf rate 12mbit burst 64kb latency 200ms
ip netns exec src "$MDM" events --json > /tmp/ev.json &
EV=$!

# 1.
pair 7788
check "1: push --auto-throttle" on_src "$MDM" push mt_src --to $DST_IP:7788 \
	--key-file /tmp/key --auto-throttle
check "1: the guest's writes are held" held
echo "# $("$MDM" status mt_src | grep -E 'throttle|model')"
check "1: converged" wait_mode mt_src converged 300
# The time budget, or no progress where a loaded TCG host's sealing rate
# moved under the throttle; never a round or byte limit.
reason=$(json mt_src 's["converge_reason"]')
check "1: by the default rule (budget or no progress; was: $reason)" \
	sh -c "case '$reason' in budget|no_progress) ;; *) exit 1 ;; esac"
echo "# $(dmesg | grep -o 'mt_src: converged after.*' | tail -n 1)"
echo "# $(dmesg | grep -c 'mt_src: auto_throttle: guest writes held') throttle changes"
check "1: mirror" "$MDM" mirror mt_src
expect_eq "1: mirroring lifted the throttle, auto_throttle stays on" "0 True" \
	"$(json mt_src 's["write_throttle"], s["auto_throttle"]')"
sleep 2
check "1: handoff with the writer running" "$MDM" handoff mt_src
kill $FIO 2>/dev/null; wait $FIO 2>/dev/null
expect_eq "1: sha256 of source and destination" "$(dev_sha "$src")" "$(dev_sha "$dst")"
unpair

# 2.
pair 7789
check "2: push --auto-throttle" on_src "$MDM" push mt_src --to $DST_IP:7789 \
	--key-file /tmp/key --auto-throttle
check "2: the guest's writes are held" held
"$MDM" limit mt_src --throttle 2M
expect_eq "2: --throttle 2M: the operator's rate, auto_throttle off" "2097152 False" \
	"$(json mt_src 's["write_throttle"], s["auto_throttle"]')"
"$MDM" limit mt_src --auto-throttle
expect_eq "2: --auto-throttle: on again" "True" "$(json mt_src 's["auto_throttle"]')"
dmsetup message mt_src 0 set throttle=3M auto_throttle=1
expect_eq "2: throttle and auto_throttle=1 in one message: the rate wins" "3145728 False" \
	"$(json mt_src 's["write_throttle"], s["auto_throttle"]')"
"$MDM" limit mt_src --auto-throttle
check "2: abort" "$MDM" abort mt_src
expect_eq "2: abort lifted the throttle" "0 False" \
	"$(json mt_src 's["write_throttle"], s["auto_throttle"]')"
check "2: a 1 MiB write is not held (under 5 s)" timeout 5 \
	dd if=/dev/zero of=/dev/mapper/mt_src bs=1M count=1 oflag=direct status=none
unpair

sleep 1
kill $EV; wait $EV 2>/dev/null
check "events: held (a rate), lifted by mirroring, then by abort" \
	events_say "any(t) and t.count(0) >= 2 and t[-1] == 0"
tap_done
