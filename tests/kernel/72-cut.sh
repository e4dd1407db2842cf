#!/bin/bash
# dmm-cost: 120
# Data safety: the link cut 3 times for 9 s while 1 MiB writes are
# mirrored: every write completes, the source reconnects, and the handoff
# leaves identical volumes.
. "$(dirname "$0")/../safety.sh"

tap_plan 3
# --- cut -----------------------------------------------------------------
mirroring_pair
on_src tc qdisc add dev veth-s root tbf rate 16mbit burst 32kb latency 400ms
fio --name=c --filename=/dev/mapper/mt_src --rw=randwrite --bs=1M --iodepth=4 \
	--ioengine=libaio --direct=1 --time_based --runtime=40 --eta=never \
	--output=/dev/null &
FIO=$!
for i in 1 2 3; do
	sleep 3
	link down
	sleep 9
	link up
done
waited=0
while kill -0 $FIO 2>/dev/null && [ $waited -lt 120 ]; do sleep 1; waited=$((waited + 1)); done
if kill -0 $FIO 2>/dev/null; then
	kill -9 $FIO
	not_ok "cut: every mirrored 1 MiB write completed across 3 cuts (fio hangs)"
else
	wait $FIO
	expect_eq "cut: every mirrored 1 MiB write completed across 3 cuts (fio's exit)" 0 $?
fi
on_src tc qdisc del dev veth-s root
check "cut: reconnected ($(status_field mt_src 12) connections)" test "$(status_field mt_src 12)" -ge 2
check "cut: handoff, volumes identical" finish

tap_done
