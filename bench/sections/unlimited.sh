#!/bin/bash
# bench-weight: 3
# unlimited: the bulk copy of bench/sections/bulk.sh with no rate limit on
# the link (its tbf at 40 Gbit/s, far above what the guest moves, only
# counts the bytes): what each tool (bench/peers.sh) moves per second and
# per CPU-second, the engine's CPU cost.  CPU: both hosts are in the
# guest, so it is the busy time of the guest's CPUs during the copy, less
# the bench script's own polling (lib.sh's cpu_mark).  The physical limit
# here is the CPU; rows of the same table give it:
#   memcpy     dd from one RAM disk to the other (1 MiB, direct I/O): what
#              a copy costs with no network and no encoding;
#   lzo-1core  LZO's speed on one core over the same content
#              (build/bench/climit, userspace liblzo2);
#   gcm-1core  AES-128-GCM's speed on one core (openssl speed, 64 KiB
#              buffers), the cipher that seals dm-migrate's stream: under
#              TCG its AES-NI and PCLMULQDQ instructions are emulated;
# and dm-migrate-raw (encoding=raw) beside dm-migrate: compression's share.
# Columns: seconds, MB/s (volume / seconds), cpu_s, MB per CPU-second,
# and both against dm-migrate's (rate/dmm, mb_per_cpu/dmm).
#   unlimited_contents=A+B  (incompressible+fs); the volume: size= (128)
. bench/lib.sh
. bench/contents.sh
. bench/peers.sh
LINK_MBIT=40000
LINK_BPS=$((LINK_MBIT * 125000))
CONTENTS=${BENCH_UNLIMITED_CONTENTS:-incompressible fs}
TOOLS=${BENCH_TOOLS:-dm-migrate dm-migrate-raw qemu-mirror drbd}
CLIMIT=build/bench/climit
LIMIT_S=240	# one copy; under TCG the sealed stream moves ~4 MB/s

# memcpy_run: the copy without a network, as the peers print it.
memcpy_run() {
	local t0 c0 secs
	busy_mark	# dd is the copy: its CPU counts
	c0=$BUSY_MS
	t0=$EPOCHREALTIME
	dd if=/dev/ram0 of=/dev/ram1 bs=1M iflag=direct oflag=direct status=none || return 1
	secs=$(since "$t0")
	busy_mark
	echo "seconds=$secs wire=0 cpu_s=$(cpu_s $((BUSY_MS - c0))) identical=$(same_data "$SIZE_B")"
}
memcpy_clean() { :; }
# dm-migrate-raw: the same push without compression (encoding=raw), so
# that the two dm-migrate rows tell compression's CPU from the rest
# (reading, sealing with AES-128-GCM, TCP, writing).
peer_dm_migrate_raw() { DMM_PUSH_ARGS=encoding=raw peer_dm_migrate; }
peer_dm_migrate_raw_clean() { peer_dm_migrate_clean; }

ram_disks "$SIZE_MB"
link_up
table unlimited "bulk copy of a $SIZE_MB MiB volume over an unlimited link (tbf at $LINK_MBIT Mbit/s counts bytes): rate and CPU|cpu_s: the guest's busy CPU during the copy (both hosts), less the bench script's own" \
	content:-15 tool:-12 seconds:8 MB/s:8 cpu_s:7 MB/cpu_s:9 rate/dmm:9 mb_per_cpu/dmm:14 \
	wire_MB:8 identical:9
# gcm_speed: AES-128-GCM's MB/s on one core, as the peers print it.
gcm_speed() {
	local k
	k=$(openssl speed -elapsed -seconds 2 -bytes 65536 -evp aes-128-gcm 2>/dev/null |
		sed -n 's/^AES-128-GCM *\([0-9.]*\)k$/\1/p')
	[ -n "$k" ] || return 1
	echo "mbps=$(awk -v k="$k" 'BEGIN { printf "%.0f", k / 1000 }')"
}
if attempt 60 unlimited-gcm gcm_speed true; then
	row unlimited content=any tool=gcm-1core MB/s="$(get mbps)" MB/cpu_s="$(get mbps)"
else
	row unlimited content=any tool=gcm-1core na="$NA"
fi
for c in $CONTENTS; do
	if ! attempt 600 "unlimited-fill-$c" content_fill true "$c" /dev/ram0; then
		row unlimited content="$c" na="filling the volume: $NA"
		continue
	fi
	if [ -x "$CLIMIT" ] && attempt 300 "unlimited-climit-$c" "$CLIMIT" true -C lzo /dev/ram0; then
		mbps=$(echo "$RESULT" | sed -n 's/^climit codec=lzo .* mbps=\([0-9.]*\).*/\1/p')
		row unlimited content="$c" tool=lzo-1core MB/s="$mbps" MB/cpu_s="$mbps"
	fi
	dmm_rate='' dmm_eff=''
	for t in $TOOLS memcpy; do
		discard /dev/ram1
		run=peer_${t//-/_} clean=peer_${t//-/_}_clean
		[ "$t" = memcpy ] && run=memcpy_run clean=memcpy_clean
		if attempt "$LIMIT_S" "unlimited-$c-$t" "$run" "$clean"; then
			s=$(get seconds)
			cpu=$(get cpu_s)
			rate=$(awk -v s="$s" -v b="$SIZE_B" 'BEGIN { printf "%.1f", b / s / 1e6 }')
			eff=$(awk -v c="$cpu" -v b="$SIZE_B" 'BEGIN { if (c > 0) printf "%.1f", b / c / 1e6; else print "-" }')
			if [ "$t" = dm-migrate ]; then dmm_rate=$rate dmm_eff=$eff; fi
			row unlimited content="$c" tool="$t" seconds="$s" MB/s="$rate" cpu_s="$cpu" \
				MB/cpu_s="$eff" rate/dmm="${dmm_rate:+$(ratio "$rate" "$dmm_rate")}" \
				mb_per_cpu/dmm="${dmm_eff:+$(ratio "$eff" "$dmm_eff")}" \
				wire_MB=$(($(get wire) / 1000000)) identical="$(get identical)"
		else
			row unlimited content="$c" tool="$t" na="$NA"
		fi
	done
done
