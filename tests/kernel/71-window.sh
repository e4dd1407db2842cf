#!/bin/bash
# dmm-cost: 121
# Data safety: mirrored 1 MiB writes at iodepth 8 while thousands of chunk
# messages fill the send window over a slow link, for 64 KiB and 4 KiB
# chunks: every write completes, the window never overflows (its peak is
# in status), volumes identical after the handoff.
. "$(dirname "$0")/../safety.sh"

tap_plan 6
# --- window ------------------------------------------------------------
for chunk in 128 8; do
	fill_mixed "$src" "$SIZE"
	pair $chunk
	on_src tc qdisc add dev veth-s root tbf rate 16mbit burst 32kb latency 400ms
	push converge_below=1M
	# Mirror at once: the bulk pass goes on underneath, and writes to the
	# chunks it already sent (the first third) are mirrored while its
	# messages (the compressible rest: thousands) fill the ring.
	dmsetup message mt_src 0 mirror
	wait_mode mt_src mirroring 30 >/dev/null
	for _ in $(seq 600); do
		[ "$(status_field mt_src 9)" -gt $((sz / chunk / 3)) ] && break
		nap 0.1
	done
	check "window $((chunk / 2))K: 1 MiB writes at iodepth 8 all complete" \
		timeout 300 fio --name=w --filename=/dev/mapper/mt_src --rw=write \
		--bs=1M --iodepth=8 --ioengine=libaio --direct=1 --offset=0 \
		--size=$((SIZE / 4))M --time_based --runtime=15 --eta=never --output=/dev/null
	w=$(status_field mt_src 11)
	on_src tc qdisc del dev veth-s root
	check "window $((chunk / 2))K: handoff, volumes identical ($w mirrored writes)" finish
	p=$(peak)
	check "window $((chunk / 2))K: peak occupancy $p of 1024" test "$p" -gt 0 -a "$p" -le 1024
done

tap_done
