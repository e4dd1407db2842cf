#!/bin/bash
# bench-weight: 2
# converge: a push of an image-like CONVERGE_SIZE MiB volume while the
# guest writes random 4 KiB blocks over all of it at LOAD % of the link
# rate.  Pre-copy stops at converge_below=16M, max_rounds=10 or
# max_bytes=2 volumes (whichever comes first: "stop" says which), then 5 s
# of mirroring under the same writes, then the handoff.  Prints seconds to converge, rounds,
# wire bytes / volume, the writes' throughput and mean latency during
# pre-copy and during mirroring, and whether the volumes are identical
# after the handoff.  The dirty set is sampled every 0.5 s into
# converge-samples.csv.
#   loads=A+B  (% of the link; default 10+50+90)
#   converge_size=MiB (64: a run moves up to 3 volumes)
. bench/lib.sh
. bench/contents.sh
LOADS=${BENCH_LOADS:-10 50 90}
SIZE_MB=${BENCH_CONVERGE_SIZE:-64}
SIZE_B=$((SIZE_MB << 20))
SAMPLES=$OUT/converge-samples.csv
BELOW=$((16 << 20))
ROUNDS=10

section_cleanup() { dm_gone b_src b_dst; }

# sampler DEV LABEL: every 0.5 s a line of SAMPLES: the label, seconds
# since the start, mode, dirty MiB, round, MB sent.
sampler() {
	local t0=$EPOCHREALTIME t
	while dm_status "$1" && [ -n "${ST[3]:-}" ]; do
		t=$(((${EPOCHREALTIME/./} - ${t0/./}) / 10000))
		printf '%s,%d.%02d,%s,%d,%s,%d\n' "$2" $((t / 100)) $((t % 100)) "${ST[3]}" \
			$((${ST[5]%/*} * ST[4] / 2048)) "${ST[6]}" $((ST[10] / 1000000))
		nap 0.5
	done >> "$SAMPLES"
}

# converge_run PCT: one push under a writer at PCT % of the link.
converge_run() {
	local rate=$((LINK_BPS * $1 / 102400)) key t0 tx0 secs rounds dirty stop spid
	blkdiscard /dev/ram1 2>/dev/null
	key=$(new_key)
	dmsetup create b_dst --table "0 $SZ migrate /dev/ram1 128 1 receive" &&
	dmsetup create b_src --table "0 $SZ migrate /dev/ram0 128" &&
	on_dst dmsetup message b_dst 0 listen "$DST_IP:7801" "$key" || return 1
	tx0=$(link_tx)
	fio_bg /dev/mapper/b_src "$rate" /tmp/fio.pre || return 1
	sampler b_src "$1%" &
	spid=$!
	t0=$EPOCHREALTIME
	on_src dmsetup message b_src 0 push "$DST_IP:7801" "$key" converge_below=$BELOW \
		max_rounds=$ROUNDS max_bytes=$((SIZE_B * 2)) || return 1
	while dm_status b_src; [ "${ST[3]}" != converged ]; do nap 0.1; done
	secs=$(since "$t0")
	rounds=${ST[6]}
	dirty=$((${ST[5]%/*} * ST[4] * 512))
	if ((dirty <= BELOW)); then stop=dirty; elif ((rounds >= ROUNDS)); then stop=rounds; else stop=bytes; fi
	fio_stop
	dmsetup message b_src 0 mirror &&
	wait_mode b_src mirroring 60 >&2 || return 1
	fio_bg /dev/mapper/b_src "$rate" /tmp/fio.mirror || return 1
	sleep 5
	fio_stop
	# The dirty chunks left drain before the handoff completes.
	dmsetup suspend b_src &&
	dmsetup message b_src 0 handoff || return 1
	while dm_status b_src; [ "${ST[3]}" != handed_off ]; do nap 0.2; done
	kill "$spid"
	read -r pre_bw pre_lat <<< "$(fio_bw_lat /tmp/fio.pre)"
	read -r mir_bw mir_lat <<< "$(fio_bw_lat /tmp/fio.mirror)"
	echo "seconds=$secs rounds=$rounds stop=$stop wire=$(($(link_tx) - tx0))" \
		"pre_bw=$pre_bw pre_lat=$pre_lat mir_bw=$mir_bw mir_lat=$mir_lat identical=$(same_data "$SIZE_B")"
}

ram_disks "$SIZE_MB"
SZ=$(blockdev --getsz /dev/ram0)
link_up
[ -s "$SAMPLES" ] || echo load,t,mode,dirty_MiB,round,wire_MB > "$SAMPLES"
attempt 600 converge-fill content_fill true image-like /dev/ram0 ||
	echo "# converge: filling the volume: $NA"
# Up to 2 volumes in pre-copy, then what is dirty (at most a volume).
limit=$(xfer_limit $((SIZE_B * 3)))
table converge "convergence under load: $SIZE_MB MiB image-like volume, $LINK_MBIT Mbit/s link, guest random 4 KiB writes|at LOAD % of the link rate; pre-copy stops at 16 MiB dirty, 10 rounds or 2 volumes sent (stop);|the writes' KiB/s and mean latency in pre-copy (pre) and mirroring (mir); stopped after $limit s" \
	load:-5 conv_s:7 rounds:6 stop:-6 wire/vol:8 pre_KiB/s:10 pre_lat_us:10 mir_KiB/s:10 mir_lat_us:10 identical:9
for pct in $LOADS; do
	if attempt "$limit" "converge-$pct" converge_run section_cleanup "$pct"; then
		row converge load="$pct%" conv_s="$(get seconds)" rounds="$(get rounds)" stop="$(get stop)" \
			wire/vol="$(ratio "$(get wire)" "$SIZE_B")" \
			pre_KiB/s="$(get pre_bw)" pre_lat_us="$(get pre_lat)" \
			mir_KiB/s="$(get mir_bw)" mir_lat_us="$(get mir_lat)" identical="$(get identical)"
	else
		row converge load="$pct%" na="$NA"
	fi
done
