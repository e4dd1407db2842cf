#!/bin/bash
# Diagnostic (issue 11 item 6): where a mirrored 4 KiB write at
# depth 1 spends its time, by kprobe events and net tracepoints (one clock
# for source, router and destination: all in this guest).
export DM_DISABLE_UDEV=1
REPO=${DMM_REPO:-$(cd "$(dirname "$0")/../.." && pwd)}
# Guest only (boot.sh, as bench/latency.sh); PROBE_RTTS, PROBE_RUNTIME.
cd "$REPO" || exit 1
# shellcheck disable=SC2034 # read by bench/latency.sh
LAT_MB=64
# shellcheck disable=SC2034 # read by bench/latency.sh
DMM_ARGS=writes
# shellcheck source=bench/latency.sh
. bench/latency.sh
# shellcheck disable=SC2034 # read by fio_lat
LAT_RUNTIME=${PROBE_RUNTIME:-3}
lat_modules
lat_net
T=/sys/kernel/tracing
[ -e $T/kprobe_events ] || mount -t tracefs nodev $T
echo 0 > $T/tracing_on
echo 16384 > $T/buffer_size_kb
: > $T/kprobe_events
for p in "p:dmm/map dm_migrate:mig_mirror_map" \
	"p:dmm/sendmreq dm_migrate:send_mreq" \
	"p:dmm/parts dm_migrate:mig_send_parts" "r:dmm/parts_r dm_migrate:mig_send_parts" \
	"r:dmm/recvd_r dm_migrate:mig_recv_ticking" \
	"p:dmm/sealrecv dm_migrate:mig_seal_recv" "r:dmm/sealrecv_r dm_migrate:mig_seal_recv" \
	"p:dmm/vwrite dm_migrate:vol_write" "r:dmm/vwrite_r dm_migrate:vol_write" \
	"p:dmm/vflush dm_migrate:vol_flush" "r:dmm/vflush_r dm_migrate:vol_flush" \
	"p:dmm/ack dm_migrate:ack" "p:dmm/pushack dm_migrate:push_ack" \
	"p:dmm/mput dm_migrate:mig_mreq_put" "p:dmm/lendio dm_migrate:local_endio"; do
	echo "$p" >> $T/kprobe_events || echo "probe: cannot add $p"
done
echo 1 > $T/events/dmm/enable
echo 1 > $T/events/net/net_dev_xmit/enable
echo 1 > $T/events/net/netif_receive_skb/enable
echo 1 > $T/events/tcp/tcp_retransmit_skb/enable 2>/dev/null

analyse() {
	awk '
	function flush_cycle() {
		if (t0 == "") return
		ncyc++
		for (k in first) { sum[k] += first[k] - t0; cnt[k]++ }
		delete first
	}
	{
		ts = ""; ev = ""
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) { ts = substr($i, 1, length($i) - 1); ev = $(i + 1); break }
		if (ts == "") next
		comm = $1; sub(/-[0-9]+$/, "", comm); gsub(/[0-9]+/, "N", comm)
		ev = substr(ev, 1, length(ev) - 1)
		if (ev == "net_dev_xmit" || ev == "netif_receive_skb") {
			name = ""; len = 0
			for (j = i; j <= NF; j++) { if ($j ~ /^dev=|^name=/) { name = $j; sub(/^[a-z]+=/, "", name) } if ($j ~ /^len=/) { len = $j; sub(/len=/, "", len) } }
			if (name !~ /veth/) next
			key = ev ":" name ":" (len + 0 >= 1000 ? "DATA" : "small")
		} else key = ev ":" comm
		t = ts * 1e6
		if (ev == "map") { flush_cycle(); t0 = t }
		if (t0 != "" && !(key in first)) first[key] = t
	}
	END {
		flush_cycle()
		printf "# %d cycles (one per mirrored write); mean first time of each event after map, us\n", ncyc
		for (k in sum) printf "%10.1f %6d  %s\n", sum[k] / cnt[k], cnt[k], k | "sort -n"
	}' "$1"
}

for rtt in ${PROBE_RTTS:-1 10}; do
	lat_link "$rtt"
	lat_pair || { echo "pair failed"; lat_unpair; continue; }
	echo "=== rtt $rtt ms"
	ip netns exec src ss -tin
	ip netns exec dst ss -tin
	: > $T/trace
	echo 1 > $T/tracing_on
	echo "fio depth 1 (p50 p99 iops): $(fio_lat /dev/mapper/l_src 1)"
	echo 0 > $T/tracing_on
	ip netns exec src ss -tin
	ip netns exec dst ss -tin
	cat $T/trace > "/tmp/trace.$rtt"
	echo "trace lines: $(wc -l < "/tmp/trace.$rtt"); retransmits: $(grep -c tcp_retransmit_skb "/tmp/trace.$rtt")"
	analyse "/tmp/trace.$rtt"
	echo "--- raw sample (3 cycles from the middle)"
	awk -v m="$(grep -c " map:" "/tmp/trace.$rtt")" '/ map:/ { n++ } n >= int(m / 2) && n < int(m / 2) + 3' "/tmp/trace.$rtt" | grep -v "dev=lo\|name=lo" | cut -c1-200
	lat_unpair
done
echo 0 > $T/events/enable
: > $T/kprobe_events
lat_net_cleanup
echo "# probe done"
