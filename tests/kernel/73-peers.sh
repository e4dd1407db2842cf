#!/bin/bash
# dmm-cost: 120
# Data safety against peers: the destination re-created on a blanked
# volume mid-bulk (a restart or power loss) makes the source send
# everything again; 64 idle connections on the receiver do not keep the
# source out; a destination that accepts and says nothing times out and
# abort stays quick.
. "$(dirname "$0")/../safety.sh"

tap_plan 13
# --- fresh -----------------------------------------------------------------
dd if=/dev/urandom of="$src" bs=1M count="$SIZE" oflag=direct status=none
pair 128
push rate=4M
for _ in $(seq 100); do
	[ "$(dmsetup status mt_dst | awk '{print $12}')" -gt $((sz / 128 / 3)) ] && break
	nap 0.2
done
check "fresh: the destination got part of the volume" test "$(mode_of mt_src)" = bulk
dmsetup remove mt_dst
dd if=/dev/zero of=/dev/mapper/mt_dlin bs=1M oflag=direct status=none 2>/dev/null
dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_dlin 128 1 receive"
on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
on_src dmsetup message mt_src 0 set rate=0
check "fresh: converges again" wait_mode mt_src converged 240
check "fresh: the source saw the blank destination and started over" \
	sh -c "dmesg | grep -q 'mt_src: .* holds nothing of this migration'"
sent=$(status_field mt_src 9)
check "fresh: every chunk sent again ($sent chunks for $((sz / 128)))" \
	test "$sent" -ge $((sz / 128 + sz / 128 / 3))
dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 30 >/dev/null
check "fresh: handoff, volumes identical" finish

# --- idle ------------------------------------------------------------------
pair 128
on_src "$BIN/badpeer" $DST_IP $PORT "$KEY" "$sz" 128 idle 64 > /tmp/idle.out &
IDLE=$!
for _ in $(seq 50); do grep -q idle /tmp/idle.out && break; nap 0.1; done
check "idle: 64 silent connections held open" grep -q "idle 64" /tmp/idle.out
push
check "idle: the real source gets in and converges" wait_mode mt_src converged 240
kill $IDLE
dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 30 >/dev/null
check "idle: handoff, volumes identical" finish

# --- silent ----------------------------------------------------------------
pair 128
on_dst python3 -c "
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$DST_IP', 7795)); s.listen(16); c = []
while True: c.append(s.accept())" &
SILENT=$!
# python3 takes seconds to start on the debug kernel: push once it listens.
for _ in $(seq $((50 * SLOW))); do on_dst ss -ltn | grep -q ":7795 " && break; nap 0.2; done
mark=$(kmsg_mark)
on_src dmsetup message mt_src 0 push $DST_IP:7795 "$KEY"
# One handshake timed out (5 s), the next one is waiting.
for _ in $(seq $((30 * SLOW))); do
	kmsg_since "$mark" | grep -q 'mt_src: .*handshake timed out' && break
	sleep 1
done
t0=$(date +%s%N)
check "silent: abort accepted" dmsetup message mt_src 0 abort
ms=$(since "$t0")
check "silent: abort returned in $ms ms" test "$ms" -lt $((3000 * SLOW))
check "silent: back to tracking" test "$(mode_of mt_src)" = tracking
check "silent: the handshake timed out, said so" \
	sh -c "dmesg | sed -n '/$mark\$/,\$p' | grep -q 'mt_src: .*handshake timed out'"
kill $SILENT
check "silent: device removable" dmsetup remove mt_src

tap_done
