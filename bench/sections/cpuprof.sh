#!/bin/bash
# bench-weight: 1
# cpuprof: where the CPU of unlimited.sh's dm-migrate copy goes.  The same
# copy (incompressible content, no rate limit) under `perf record -a -g -e
# cpu-clock` (the host's perf, over 9p), once per encoding in
# BENCH_CPUPROF_ENCODINGS (default: the push's default, then raw); for
# each, build/bench/cpuprof-ENC.txt holds perf's flat profile (symbols,
# both hosts: everything in the guest), by thread, and the callers of the
# top symbols; cpuprof-env.txt what the kernel picked for gcm(aes),
# ghash and crc32c (/proc/crypto).  BENCH_CPUPROF_MODS (cpuprof_mods=A+B):
# modules loaded after the first profiles, each encoding then profiled
# again as ENC-mods (e.g. aesni_intel+ghash_clmulni_intel+crc32c_intel:
# what the kernel picks with and without them).  Not in BENCH_SECTIONS:
# run it with BENCH_ARGS=cpuprof.
. bench/lib.sh
. bench/contents.sh
. bench/peers.sh
LINK_MBIT=40000
ENCODINGS=${BENCH_CPUPROF_ENCODINGS:-default raw}
PERF=${PERF:-/usr/bin/perf}
PERF_HZ=${BENCH_CPUPROF_HZ:-499}

ram_disks "$SIZE_MB"
link_up
content_fill incompressible /dev/ram0 || { echo "cpuprof: filling /dev/ram0 failed"; exit 1; }

# crypto_env TAG: what the kernel picked, into cpuprof-env.txt.
crypto_env() {
	{
		echo "# $1: kernel $(uname -r)"
		grep -m1 '^flags' /proc/cpuinfo
		awk '/^name/ { n = $3 } /^driver/ { d = $3 } /^priority/ { p = $3 }
		     /^$/ { if (n ~ /gcm|ghash|crc32c|^aes|ctr/) print n, d, p; n = "" }' /proc/crypto
		lsmod | grep -E 'crc32|ghash|aes|gcm' || true
	} >> "$OUT/cpuprof-env.txt" 2>&1
}
: > "$OUT/cpuprof-env.txt"
crypto_env before
runs=$ENCODINGS
if [ -n "${BENCH_CPUPROF_MODS:-}" ]; then
	for e in $ENCODINGS; do runs="$runs $e-mods"; done
fi

section_cleanup() { [ -z "${PERF_PID:-}" ] || kill -INT "$PERF_PID" 2>/dev/null; }
for run in $runs; do
	enc=${run%-mods}
	if [ "$run" != "$enc" ] && [ -z "${mods_loaded:-}" ]; then
		# shellcheck disable=SC2086	# words
		modprobe -a $BENCH_CPUPROF_MODS || echo "cpuprof: modprobe $BENCH_CPUPROF_MODS failed"
		mods_loaded=1
		crypto_env "after modprobe $BENCH_CPUPROF_MODS"
	fi
	discard /dev/ram1
	data=/tmp/perf-$run.data
	"$PERF" record -N -a -g -F "$PERF_HZ" -e cpu-clock -o "$data" \
		> "$OUT/logs/cpuprof-record-$run.log" 2>&1 &
	PERF_PID=$!
	nap 3	# perf's own start-up is not the copy
	args=
	[ "$enc" = default ] || args=encoding=$enc
	if DMM_PUSH_ARGS=$args attempt 240 "cpuprof-$run" peer_dm_migrate peer_dm_migrate_clean; then
		echo "cpuprof $run: $RESULT"
	else
		echo "cpuprof $run: n/a ($NA)"
	fi
	kill -INT "$PERF_PID"
	wait "$PERF_PID"
	PERF_PID=
	{
		echo "# $run: $RESULT $NA"
		echo "## flat, by symbol"
		"$PERF" report -i "$data" --stdio --no-children --sort sym -g none \
			--percent-limit 0.3 2>/dev/null | grep -v '^$'
		echo "## by module"
		"$PERF" report -i "$data" --stdio --no-children --sort dso -g none \
			--percent-limit 0.5 2>/dev/null | grep -v '^$'
		echo "## by thread"
		"$PERF" report -i "$data" --stdio --no-children --sort comm -g none \
			--percent-limit 0.5 2>/dev/null | grep -v '^$'
		echo "## with callers (top symbols)"
		"$PERF" report -i "$data" --stdio --no-children --sort sym \
			-g graph,0.5,callee,function,percent --percent-limit 2 2>/dev/null |
			grep -v '^$' | head -n 600
	} > "$OUT/cpuprof-$run.txt"
	sed -n '/^## flat/,/^## by thread/p' "$OUT/cpuprof-$run.txt" | head -n 40
	rm -f "$data"
done
