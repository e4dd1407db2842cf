#!/bin/bash
# bench-weight: 2
# converge: a push of an image-like CONVERGE_SIZE MiB volume while the
# guest writes random 4 KiB blocks over all of it at LOAD % of the link
# rate, for each set of stop conditions LIMITS; then 5 s of mirroring under
# the same writes, then the handoff.  Prints seconds to converge, rounds,
# why it converged (status's converge_reason), wire bytes / volume, the
# model's error on the time to converge when 10, 50 and 90 % of it had
# passed (its predicted end minus the actual, in % of the time it took),
# the writes' throughput and mean latency during pre-copy and during
# mirroring, and whether the volumes are identical after the handoff.  The
# source's status is sampled every 0.5 s into converge-samples.csv.
#   loads=A+B      % of the link (10+50+90)
#   limits=A+B     default: the push's defaults; old: converge_below=16M
#                  max_rounds=10 (this section's before the defaults had a
#                  time budget); auto: the defaults and auto_throttle=1
#   converge_size=MiB (64)
. bench/lib.sh
. bench/contents.sh
LOADS=${BENCH_LOADS:-10 50 90}
LIMITS=${BENCH_LIMITS:-default}
SIZE_MB=${BENCH_CONVERGE_SIZE:-64}
SIZE_B=$((SIZE_MB << 20))
SAMPLES=$OUT/converge-samples.csv
MDM=build/migrate-dm

section_cleanup() { dm_gone b_src b_dst; }

# sampler DEV: every 0.5 s a line {"t": seconds since the start, "s":
# status} of /tmp/status.json (one fork a sample: turned into CSV after).
sampler() {
	local t0=$EPOCHREALTIME j
	while j=$($MDM status "$1" --json); do
		echo "{\"t\":$(since "$t0"),\"s\":${j//$'\n'/}}"
		nap 0.5
	done > /tmp/status.json
}

# samples LABEL: /tmp/status.json as rows of SAMPLES.
samples() {
	jq -r --arg l "$1" '[$l, .t, .s.phase, (.s.chunks_dirty * .s.chunk_bytes / 1048576 | floor),
		.s.round, (.s.bytes_wire / 1e6 | floor),
		(.s.prediction.eta_ms // null | if . then . / 1000 else "" end),
		(.s.write_throttle / 1024 | floor)] | @csv' /tmp/status.json >> "$SAMPLES"
}

# model_error T1: the model's error on the end of pre-copy (T1 s after
# its start) from the samples nearest 10, 50 and 90 % of it, "A/B/C" %.
model_error() {
	jq -rs --argjson t1 "$1" '
		[.[] | select(.t <= $t1 and .s.prediction != null) |
		 {t, end: (.t + .s.prediction.eta_ms / 1000)}] as $p |
		[0.1, 0.5, 0.9 | (. * $t1) as $at |
		 if ($p | length) == 0 then "-" else
			($p | min_by(.t - $at | fabs)) | (.end - $t1) / $t1 * 100 | round |
			if . >= 0 then "+\(.)" else "\(.)" end
		 end] | join("/")' /tmp/status.json
}

# converge_run PCT LIMITS: one push under a writer at PCT % of the link.
converge_run() {
	local rate=$((LINK_BPS * $1 / 102400)) opts='' key t0 tx0 secs spid pre mir
	case $2 in
	default) ;;
	old) opts="converge_below=16M max_rounds=10" ;;
	auto) opts="auto_throttle=1" ;;
	*) echo "bench: unknown limits '$2' (default, old, auto)" >&2; return 2 ;;
	esac
	discard /dev/ram1
	key=$(new_key)
	dmsetup create b_dst --table "0 $SZ migrate /dev/ram1 128 1 receive" &&
	dmsetup create b_src --table "0 $SZ migrate /dev/ram0 128" &&
	on_dst dmsetup message b_dst 0 listen "$DST_IP:7801" "$key" || return 1
	tx0=$(link_tx)
	fio_bg /dev/mapper/b_src "$rate" /tmp/fio.pre || return 1
	sampler b_src &
	spid=$!
	t0=$EPOCHREALTIME
	# shellcheck disable=SC2086	# opts: words
	on_src dmsetup message b_src 0 push "$DST_IP:7801" "$key" $opts || return 1
	while dm_status b_src; [ "${ST[3]}" != converged ]; do nap 0.1; done
	secs=$(since "$t0")
	fio_stop
	$MDM status b_src --json > /tmp/converged.json
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
	wait "$spid" 2>/dev/null
	samples "$1% $2"
	pre=$(fio_bw_lat /tmp/fio.pre)
	mir=$(fio_bw_lat /tmp/fio.mirror)
	echo "seconds=$secs wire=$(($(link_tx) - tx0)) model=$(model_error "$secs")" \
		"$(jq -r '"rounds=\(.round) why=\(.converge_reason)"' /tmp/converged.json)" \
		"pre_bw=${pre% *} pre_lat=${pre#* } mir_bw=${mir% *} mir_lat=${mir#* }" \
		"identical=$(same_data "$SIZE_B")"
}

ram_disks "$SIZE_MB"
SZ=$(blockdev --getsz /dev/ram0)
link_up
[ -s "$SAMPLES" ] || echo run,t,phase,dirty_MiB,round,wire_MB,eta_s,throttle_KiBs > "$SAMPLES"
attempt 600 converge-fill content_fill true image-like /dev/ram0 ||
	echo "# converge: filling the volume: $NA"
# Pre-copy ends after the bulk pass and 3 rounds at most by default: up to
# 4 volumes, then what is dirty (at most one), at MIN_RATE of the link.
limit=$(xfer_limit $((SIZE_B * 5)))
table converge "convergence under load: $SIZE_MB MiB image-like volume, $LINK_MBIT Mbit/s link, guest random 4 KiB writes|at LOAD % of the link rate; limits: the push's defaults, old: converge_below=16M max_rounds=10,|auto: auto_throttle=1; model: its error on the time to converge at 10/50/90 % of it;|the writes' KiB/s and mean latency in pre-copy (pre) and mirroring (mir); stopped after $limit s" \
	load:-5 limits:-8 conv_s:7 rounds:6 why:-12 wire/vol:8 model:-14 pre_KiB/s:9 \
	pre_lat_us:10 mir_KiB/s:9 mir_lat_us:10 identical:9
for pct in $LOADS; do
	for lim in $LIMITS; do
		if attempt "$limit" "converge-$pct-$lim" converge_run section_cleanup "$pct" "$lim"; then
			row converge load="$pct%" limits="$lim" conv_s="$(get seconds)" \
				rounds="$(get rounds)" why="$(get why)" \
				wire/vol="$(ratio "$(get wire)" "$SIZE_B")" model="$(get model)" \
				pre_KiB/s="$(get pre_bw)" pre_lat_us="$(get pre_lat)" \
				mir_KiB/s="$(get mir_bw)" mir_lat_us="$(get mir_lat)" \
				identical="$(get identical)"
		else
			row converge load="$pct%" limits="$lim" na="$NA"
		fi
	done
done
