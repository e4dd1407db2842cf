#!/bin/bash
# bench-weight: 3
# bulk: one copy of a SIZE MiB volume over the LINK Mbit/s link by each
# tool (bench/peers.sh) for each content (bench/contents.sh): seconds,
# bytes on the wire, the effective rate (volume / seconds) over the link's,
# both against the content's compressibility limit (build/bench/climit -C
# lzo: what an ideal dm-migrate sender puts on the wire, and how long that
# takes on the link; the goal: wire/limit <= 1.05, time/limit <= 1.1), and
# the CPU seconds both hosts spent on it (lib.sh's cpu_mark), and whether
# the copy is identical to the source.  The limits themselves are
# rows "limit-lzo" and "limit-zstd" (zstd -1) of each content.
# A tool that takes longer than MIN_RATE of the link is stopped and shows
# n/a, and is not run again for the other contents.
#   contents=A+B  (default incompressible+zero-heavy+image-like+fs)
#   tools=A+B     (default dm-migrate+qemu-mirror+drbd)
. bench/lib.sh
. bench/contents.sh
. bench/peers.sh
CONTENTS=${BENCH_CONTENTS:-incompressible zero-heavy image-like fs}
CLIMIT=build/bench/climit
TOOLS=${BENCH_TOOLS:-dm-migrate qemu-mirror drbd}

for t in $TOOLS; do
	if [ "$(type -t "peer_${t//-/_}")" != function ]; then
		echo "bench: no tool '$t' (peer_${t//-/_} in bench/peers.sh)"
		exit 2
	fi
done
ram_disks "$SIZE_MB"
link_up
limit=$(xfer_limit "$SIZE_B")
table bulk "bulk copy of a $SIZE_MB MiB volume over a $LINK_MBIT Mbit/s link (stopped after $limit s)" \
	content:-15 tool:-12 seconds:8 wire_MB:8 wire/vol:8 rate/link:9 wire/limit:10 \
	time/limit:10 cpu_s:7 identical:9
for c in $CONTENTS; do
	if ! attempt 600 "bulk-fill-$c" content_fill true "$c" /dev/ram0; then
		row bulk content="$c" na="filling the volume: $NA"
		continue
	fi
	lim_wire='' lim_s=''
	if [ ! -x "$CLIMIT" ]; then
		row bulk content="$c" tool=limit na="no $CLIMIT: make bench-tools"
	elif attempt 300 "bulk-climit-$c" "$CLIMIT" true -C lzo,zstd:-1 -r "$LINK_MBIT" /dev/ram0; then
		# One row per codec: what an ideal sender puts on the wire, and
		# its time on the link; the ratios below are to LZO's (dm-migrate's).
		while read -r codec w ls; do
			[ -n "$lim_wire" ] || { lim_wire=$w; lim_s=$ls; }
			row bulk content="$c" tool="limit-$codec" seconds="$ls" wire_MB=$((w / 1000000)) \
				wire/vol="$(ratio "$w" "$SIZE_B")" \
				rate/link="$(awk -v s="$ls" -v b="$SIZE_B" -v l="$LINK_BPS" 'BEGIN { printf "%.2f", b / s / l }')" \
				wire/limit="$(ratio "$w" "$lim_wire")" time/limit="$(ratio "$ls" "$lim_s")"
		done < <(echo "$RESULT" | sed -n 's/^climit codec=\([^ ]*\) .* wire=\([0-9]*\) .* limit_s=\([0-9.]*\).*/\1 \2 \3/p')
	else
		row bulk content="$c" tool=limit na="$NA"
	fi
	for t in $TOOLS; do
		discard /dev/ram1
		if attempt "$limit" "bulk-$c-$t" "peer_${t//-/_}" "peer_${t//-/_}_clean"; then
			s=$(get seconds)
			w=$(get wire)
			row bulk content="$c" tool="$t" seconds="$s" wire_MB=$((w / 1000000)) \
				wire/vol="$(ratio "$w" "$SIZE_B")" \
				rate/link="$(awk -v s="$s" -v b="$SIZE_B" -v l="$LINK_BPS" 'BEGIN { printf "%.2f", b / s / l }')" \
				wire/limit="${lim_wire:+$(ratio "$w" "$lim_wire")}" \
				time/limit="${lim_s:+$(ratio "$s" "$lim_s")}" \
				cpu_s="$(get cpu_s)" identical="$(get identical)"
		else
			row bulk content="$c" tool="$t" na="$NA"
		fi
	done
done
