#!/bin/bash
# Diagnostic (issue 11 item 6), guest only: the TCP request/response floor of this guest's link
# next to untraced mirrored fio at depth 1.
export DM_DISABLE_UDEV=1
REPO=${DMM_REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$REPO" || exit 1
# shellcheck disable=SC2034 # read by bench/latency.sh
LAT_MB=64
# shellcheck disable=SC2034 # read by bench/latency.sh
DMM_ARGS=writes
# shellcheck source=bench/latency.sh
. bench/latency.sh
# shellcheck disable=SC2034 # read by fio_lat
LAT_RUNTIME=4
lat_modules
lat_net
port=7900
for rtt in 1 10; do
	lat_link "$rtt"
	port=$((port + 1))
	ip netns exec dst /usr/bin/python3 bench/diag/pingpong.py server $LAT_DST $port > /tmp/srv.$rtt 2>&1 &
	sleep 2
	echo "rtt $rtt: $(ip netns exec src /usr/bin/python3 bench/diag/pingpong.py client $LAT_DST $port 4)"
	wait
	lat_pair || { echo "pair failed"; lat_unpair; continue; }
	echo "rtt $rtt: mirrored fio depth 1 (p50 p99 iops): $(fio_lat /dev/mapper/l_src 1)"
	lat_unpair
	dmsetup create l_src --table "0 $LAT_SZ migrate /dev/ram0 128"
	echo "rtt $rtt: local fio depth 1 (p50 p99 iops): $(fio_lat /dev/mapper/l_src 1)"
	dmsetup remove l_src
done
lat_net_cleanup
echo "# floor done"
