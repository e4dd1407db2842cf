#!/bin/bash
# dmm-cost: 16
# The generic netlink family against bad input: the raw request program
# (tests/prog/nlbad.c) sends malformed, truncated, unknown-attribute,
# out-of-range and unprivileged requests; each is refused with the right
# errno and the device's state does not change.  Also: the family is
# reachable from another network namespace, and a push started there
# sends its events to listeners there.
. "$(dirname "$0")/../lib.sh"

tap_plan 5
src=$(scratch_dev 16M)
other=$(scratch_dev 16M)
dmsetup create mt_nl --table "0 $(sectors_of "$src") migrate $src 128"
dmsetup create mt_lin --table "0 $(sectors_of "$other") linear $other 0"
majmin() { dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '; }

before=$(dmsetup status mt_nl)
"$BIN/nlbad" "$(majmin mt_nl)" "$(majmin mt_lin)" > /tmp/nlbad.tap 2>&1
rc=$?
tap_diag < /tmp/nlbad.tap
expect_eq "raw netlink: every malformed request refused cleanly" 0 "$rc"
expect_eq "raw netlink: device state unchanged" "$before" "$(dmsetup status mt_nl)"

net_setup
umask 077
new_key > /tmp/nlkey
"$REPO/build/migrate-dm" events --json > /tmp/ev_init.json &
EV0=$!
ip netns exec src "$REPO/build/migrate-dm" events --json > /tmp/ev_src.json &
EV1=$!
nap 0.5
check "push from a network namespace (nobody listens: it keeps connecting)" \
	on_src "$REPO/build/migrate-dm" push mt_nl --to $DST_IP:7999 --key-file /tmp/nlkey --no-wait
sleep 1
check "abort" on_src "$REPO/build/migrate-dm" abort mt_nl
nap 0.5
kill $EV0 $EV1; wait $EV0 $EV1 2>/dev/null
check "events went to the push's namespace, not the initial one" python3 -c "
import json
src = [json.loads(l)['event'] for l in open('/tmp/ev_src.json')]
init = [json.loads(l)['event'] for l in open('/tmp/ev_init.json')]
assert 'phase' in src and 'error' in src, src
assert not init, init
"
tap_done
