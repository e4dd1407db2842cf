#!/bin/bash
# bench-weight: 3
# latency: bench/latency.sh's two measurements (it says more), each run
# under a time limit, as two tables:
#   latency-handoff  the handoff of a mirroring LATENCY_SIZE MiB device over
#                    a link of the first RTT, LATENCY_REPS times per writer
#                    (idle, mirrored 4 KiB writes, 2 MiB writes that dirty
#                    chunks): median/max ms of the module's timing (the
#                    source's total, suspend, drain, confirm; the
#                    destination's total and flush) and of what a script
#                    sees (suspend, message handoff, polling); goal < 50 ms
#   latency-writes   4 KiB random direct writes (fio, LATENCY_RUNTIME s):
#                    p50/p99 in us while the device only tracks (local) and
#                    while it mirrors, per RTT and iodepth; mirrored p99 /
#                    local p99, and the goal: mirrored <= local + RTT + 10 %
#   rtt=1+10 (ms), depth=1+16, latency_reps=3, latency_runtime=5,
#   latency_size=64
. bench/lib.sh
RTTS=${BENCH_RTT:-1 10}
DEPTHS=${BENCH_DEPTH:-1 16}
REPS=${BENCH_LATENCY_REPS:-3}
RUNTIME=${BENCH_LATENCY_RUNTIME:-5}
export LAT_MB=${BENCH_LATENCY_SIZE:-64}
net_cleanup	# latency.sh makes its own namespaces (src, rt, dst)

# lat_run PART: bench/latency.sh PART with this section's settings.
lat_run() {
	DMM_ARGS="$1,rtt=${RTTS// /+},depth=${DEPTHS// /+},reps=$REPS,runtime=$RUNTIME" \
		bash bench/latency.sh
}
# lat_clean: what latency.sh left (its own exit trap usually removed it
# all; net_cleanup's status says only whether there was something to remove).
lat_clean() {
	dm_gone l_src l_dst || return 1
	ip netns del rt 2>/dev/null
	net_cleanup
	return 0
}

# Each handoff run: a pair set up (a push of the volume) and 3 s of writes.
table latency-handoff "handoff of a mirroring $LAT_MB MiB device, ${RTTS%% *} ms RTT (netem), $REPS runs per writer; median/max ms;|dirty: chunks dirty at the decision; src: total = drain + confirm, suspend before it; dst: HANDOFF to|its ACK, of which the flush; script: suspend + message + polling status; goal: total < 50 ms" \
	writer:-6 dirty:10 total:12 suspend:12 drain:12 confirm:12 dst_total:12 dst_flush:12 script:12
if attempt $((REPS * 3 * 60 + 30)) latency-handoff lat_run lat_clean handoff; then
	while read -r w d tot sus dr co dt df sc; do
		row latency-handoff writer="$w" dirty="$d" total="$tot" suspend="$sus" drain="$dr" \
			confirm="$co" dst_total="$dt" dst_flush="$df" script="$sc"
	done < <(echo "$RESULT" | grep -E '^(idle|4k|2m) ')
	echo "$RESULT" | grep '^# .* failed' || true
else
	row latency-handoff writer=- na="$NA"
fi

n=$(($(wc -w <<< "$RTTS") * $(wc -w <<< "$DEPTHS")))
table latency-writes "4 KiB random direct writes, ${RUNTIME} s each (fio): latency p50/p99 in us, local (tracking) vs|mirrored; p99 ratio: mirrored / local; goal: mirrored p99 <= local p99 + RTT + 10 %" \
	rtt_ms:6 depth:5 local_p50:9 local_p99:9 mir_p50:9 mir_p99:9 p99_ratio:9 \
	goal_p99:9 met:4 local_iops:10 mir_iops:9 mirrored:8
if attempt $((n * (RUNTIME * 2 + 90) + 30)) latency-writes lat_run lat_clean writes; then
	# latency.sh's rows: rtt depth local_p50/p99 mirror_p50/p99 local_iops
	# mir_iops goal_p50/p99 mirrored
	while read -r rtt d loc mir li mi goal m; do
		row latency-writes rtt_ms="$rtt" depth="$d" local_p50="${loc%/*}" local_p99="${loc#*/}" \
			mir_p50="${mir%/*}" mir_p99="${mir#*/}" p99_ratio="$(ratio "${mir#*/}" "${loc#*/}")" \
			goal_p99="${goal#*/}" met="$([ "${mir#*/}" -le "${goal#*/}" ] && echo yes || echo no)" \
			local_iops="$li" mir_iops="$mi" mirrored="$m"
	done < <(echo "$RESULT" | grep -E '^[0-9.]+ +[0-9]+ +[0-9]+/[0-9]+ ')
	echo "$RESULT" | grep '^# pair failed' || true
else
	row latency-writes rtt_ms=- na="$NA"
fi
