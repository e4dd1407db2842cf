#!/bin/bash
# bench-weight: 4
# converge: a push of an image-like CONVERGE_SIZE MiB volume while the
# guest writes random 4 KiB blocks over all of it at LOAD % of the link
# rate in dirty-chunk terms (writes/s x the chunk size, 64 KiB: each write
# dirties a whole chunk, so 10 % is 1/16 of that in written bytes; repeats
# on a small volume make the chunks actually dirtied fewer: the column
# dirty/link is the model's measured dirty rate over the link's), for each
# of MODES; then 3 s of mirroring under the same writes, then the handoff.
# Prints seconds to converge, rounds, why it converged (status's
# converge_reason), wire bytes / volume, the model's error on the time to
# converge and on the wire bytes by then, from its predictions nearest 10,
# 50 and 90 % of the run (predicted minus actual, in % of the actual), the
# writes' throughput, mean and p99 latency during pre-copy and their
# throughput during mirroring, and whether the volumes are identical after
# the handoff.  The source's status is sampled every 0.5 s into
# converge-samples.csv.
# Mode qemu-bg is QEMU's mirror beside it: blockdev-mirror in background
# copy mode from qemu-storage-daemon, which owns the volume and exports it
# over NBD to /dev/nbd0 where the writer writes (the mirror sees only the
# writes through QEMU), to qemu-nbd on the destination; converged: the job
# is ready (its dirty set was empty once), else "not ready" after QEMU_WAIT
# s (8 x the volume's time on the link + 30); then the writer stops and the
# job is cancelled (a ready mirror copies the rest first).
#   loads=A+B      % of the link in dirty chunks (10+50+90+150)
#   modes=A+B      default: the push's defaults; auto: the defaults and
#                  auto_throttle=1; old: converge_below=16M max_rounds=10
#                  (this section's before the defaults had a time budget);
#                  qemu-bg (default default+auto+qemu-bg)
#   converge_size=MiB (64)
. bench/lib.sh
. bench/contents.sh
. bench/peers.sh
LOADS=${BENCH_LOADS:-10 50 90 150}
MODES=${BENCH_MODES:-${BENCH_LIMITS:-default auto qemu-bg}}	# limits=: its old name
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

# model_error T1 ACTUAL_WIRE: the model's error on the end of pre-copy (T1
# s after its start) and on the wire bytes by then (ACTUAL_WIRE), from the
# samples nearest 10, 50 and 90 % of it: "model_t=A/B/C model_w=A/B/C", %.
model_error() {
	jq -rs --argjson t1 "$1" --argjson w "$2" '
		def pct: round | if . >= 0 then "+\(.)" else "\(.)" end;
		[.[] | select(.t <= $t1 and .s.prediction != null) |
		 {t, end: (.t + .s.prediction.eta_ms / 1000), wire: .s.prediction.wire_bytes}] as $p |
		[0.1, 0.5, 0.9 | (. * $t1) as $at |
		 if ($p | length) == 0 then {t: "-", w: "-"} else
			($p | min_by(.t - $at | fabs)) |
			{t: ((.end - $t1) / $t1 * 100 | pct),
			 w: (if $w > 0 then (.wire - $w) / $w * 100 | pct else "-" end)}
		 end] | "model_t=\(map(.t) | join("/")) model_w=\(map(.w) | join("/"))"' /tmp/status.json
}

# dirty_link T1: the model's measured dirty rate (bytes of chunks/s) over
# the link's, its median over pre-copy.
dirty_link() {
	jq -rs --argjson t1 "$1" --argjson l "$LINK_BPS" '
		[.[] | select(.t <= $t1 and .s.dirty_rate > 0) | .s.dirty_rate] | sort |
		if length == 0 then "-" else .[length / 2 | floor] / $l * 100 | round | "\(.)%" end' \
		/tmp/status.json
}

# load_kib PCT: the writer's KiB/s for PCT % of the link in dirty chunks
# (4 KiB writes, each dirtying a 64 KiB chunk).
load_kib() { echo $((LINK_BPS * $1 / (100 * 16 * 1024))); }

# converge_run PCT MODE: one push under a writer at PCT % of the link.
converge_run() {
	local rate opts='' key t0 tx0 secs spid mir wire pre_bw pre_lat pre_p99
	rate=$(load_kib "$1")
	case $2 in
	default) ;;
	old) opts="converge_below=16M max_rounds=10" ;;
	auto) opts="auto_throttle=1" ;;
	*) echo "bench: unknown mode '$2' (default, auto, old, qemu-bg)" >&2; return 2 ;;
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
	wire=$(($(link_tx) - tx0))
	fio_stop
	$MDM status b_src --json > /tmp/converged.json
	dmsetup message b_src 0 mirror &&
	wait_mode b_src mirroring 60 >&2 || return 1
	fio_bg /dev/mapper/b_src "$rate" /tmp/fio.mirror || return 1
	sleep 3
	fio_stop
	# The dirty chunks left drain before the handoff completes.
	dmsetup suspend b_src &&
	dmsetup message b_src 0 handoff || return 1
	while dm_status b_src; [ "${ST[3]}" != handed_off ]; do nap 0.2; done
	kill "$spid"
	wait "$spid" 2>/dev/null
	samples "$1% $2"
	read -r pre_bw pre_lat pre_p99 < <(fio_bw_lat /tmp/fio.pre)
	mir=$(fio_bw_lat /tmp/fio.mirror)
	echo "seconds=$secs wire=$wire all_wire=$(($(link_tx) - tx0))" \
		"$(model_error "$secs" "$(jq .bytes_wire /tmp/converged.json)")" \
		"dirty=$(dirty_link "$secs")" \
		"$(jq -r '"rounds=\(.round) why=\(.converge_reason)"' /tmp/converged.json)" \
		"pre_bw=$pre_bw pre_lat=$pre_lat pre_p99=$pre_p99 mir_bw=${mir%% *}" \
		"identical=$(same_data "$SIZE_B")"
}

# qemu_run PCT: QEMU's mirror (background copy mode) under the same writer
# (see the header).
QSD=/tmp/qsd.sock	# qemu_pair's monitor (bench/peers.sh)
QSD_NBD=/tmp/qsd-nbd.sock
qemu_run() {
	local rate tx0 res pre_bw pre_lat pre_p99
	rate=$(load_kib "$1")
	discard /dev/ram1
	rm -f $QSD_NBD
	qemu_pair --nbd-server addr.type=unix,addr.path=$QSD_NBD \
		--export type=nbd,id=e,node-name=src,name=vol,writable=on
	for _ in $(seq 100); do
		[ -S $QSD_NBD ] && break
		nap 0.1
	done
	nbd-client -unix $QSD_NBD /dev/nbd0 -block-size 4096 -name vol >&2 || return 1
	fio_bg /dev/nbd0 "$rate" /tmp/fio.pre || return 1
	tx0=$(link_tx)
	res=$(on_src python3 bench/qmp-mirror.py $QSD src dst --converge "$QEMU_WAIT" /tmp/qemu.samples) ||
		return 1
	fio_stop
	echo "$res wire=$(($(link_tx) - tx0))"
	awk -F, -v l="$1% qemu-bg" '{ printf "\"%s\",%s,%s,%d,,%d,,\n", l, $1,
		$2 ? "ready" : "mirror", $3 / 1048576, $4 / 1e6 }' /tmp/qemu.samples >> "$SAMPLES"
	on_src python3 bench/qmp-mirror.py $QSD --finish || return 1
	read -r pre_bw pre_lat pre_p99 < <(fio_bw_lat /tmp/fio.pre)
	echo "pre_bw=$pre_bw pre_lat=$pre_lat pre_p99=$pre_p99 all_wire=$(($(link_tx) - tx0))"
	case $res in
	*ready=yes*) echo "identical=$(same_data "$SIZE_B")" ;;
	esac
}
qemu_clean() {	# attempt killed the daemons (the run's process group)
	nbd-client -d /dev/nbd0 >/dev/null 2>&1
	rm -f $QSD $QSD_NBD
	section_cleanup
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
QEMU_WAIT=$((SIZE_B * 8 / LINK_BPS + 30))
table converge "convergence under load: $SIZE_MB MiB image-like volume, $LINK_MBIT Mbit/s link, guest random 4 KiB writes at|LOAD % of the link in dirty chunks (dirty/link: as the model measured it); modes: default limits, auto: auto_throttle=1,|old: converge_below=16M max_rounds=10, qemu-bg: QEMU's mirror (converged: ready, or not after $QEMU_WAIT s);|model: its error on the time to converge (t) and wire bytes (w) at 10/50/90 % of it; the writes'|KiB/s, mean and p99 latency in pre-copy (pre), KiB/s in mirroring (mir); stopped after $limit s" \
	load:-5 mode:-8 dirty/link:10 conv_s:7 rounds:6 why:-12 wire/vol:8 model_t:-14 model_w:-14 \
	pre_KiB/s:9 pre_lat_us:10 pre_p99_us:10 mir_KiB/s:9 identical:9
for pct in $LOADS; do
	for m in $MODES; do
		if [ "$m" = qemu-bg ]; then
			if attempt $((QEMU_WAIT + 90)) "converge-$pct-$m" qemu_run qemu_clean "$pct"; then
				row converge load="$pct%" mode="$m" \
					conv_s="$([ "$(get ready)" = yes ] && get seconds)" \
					why="$([ "$(get ready)" = yes ] && echo ready || echo "not ready")" \
					wire/vol="$(ratio "$(get wire)" "$SIZE_B")" \
					pre_KiB/s="$(get pre_bw)" pre_lat_us="$(get pre_lat)" \
					pre_p99_us="$(get pre_p99)" identical="$(get identical)"
			else
				row converge load="$pct%" mode="$m" na="$NA"
			fi
		elif attempt "$limit" "converge-$pct-$m" converge_run section_cleanup "$pct" "$m"; then
			row converge load="$pct%" mode="$m" dirty/link="$(get dirty)" conv_s="$(get seconds)" \
				rounds="$(get rounds)" why="$(get why)" \
				wire/vol="$(ratio "$(get wire)" "$SIZE_B")" model_t="$(get model_t)" \
				model_w="$(get model_w)" \
				pre_KiB/s="$(get pre_bw)" pre_lat_us="$(get pre_lat)" \
				pre_p99_us="$(get pre_p99)" mir_KiB/s="$(get mir_bw)" \
				identical="$(get identical)"
		else
			row converge load="$pct%" mode="$m" na="$NA"
		fi
	done
done
