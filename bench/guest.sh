#!/bin/bash
# The bench guest's main script (bench/run.sh boots it): mounts bench/run.sh's
# output directory (build/bench, writable) and runs each section given in
# BENCH_ARGS as its own process with its share of the time budget.
#
# BENCH_ARGS: comma-separated section names and key=value settings; a key
# becomes BENCH_<KEY> in every section ('+' in a value is a blank), e.g.
#   BENCH_ARGS=bulk,contents=incompressible+fs,tools=dm-migrate+drbd
# Settings (each section's header says more):
#   size=MiB       the RAM disks of tracking and bulk (128)
#   link=Mbit      the tbf-limited link between the two hosts (200)
#   min_rate=F     a transfer slower than F of the link is stopped (0.05)
#   reps=, runtime=           tracking: 7 pairs of 3 s runs
#   contents=A+B, tools=A+B   bulk: incompressible+zero-heavy+image-like+fs,
#                             dm-migrate+qemu-mirror+drbd
#   loads=A+B, modes=A+B, converge_size=MiB
#                             converge: 10+50+90+150, default+auto+qemu-bg
#                             (old), 64
#   rtt=A+B, depth=A+B, latency_reps=N, latency_runtime=S, latency_size=MiB
#                             latency: 1+10 ms, 1+16, 3, 5 s, 64
#   budget=S       set by bench/run.sh
#
# Layout, and how to extend it:
# - A section is bench/sections/NAME.sh, run with bash.  Most source
#   bench/lib.sh (modules, settings, helpers), print a table with `table`
#   and `row` (the rows also go to build/bench/NAME.csv, and
#   bench/report.py turns every CSV into results.json), and run anything
#   that could hang through `attempt` (time limit, cleanup, "n/a
#   (reason)"); section_cleanup, if defined, runs on exit.  A line
#   "# bench-weight: N" is its share of the time budget (default 1);
#   "# bench-guest: KEY=VALUE..." makes bench/run.sh boot a guest of its
#   own for it (see there; the vm section does).  Add its name to
#   BENCH_SECTIONS in bench/run.sh to run it by default.
# - A content for bulk is a function content_NAME DEV in
#   bench/contents.sh (a '-' in NAME is '_' in the function's name);
#   listed in bench/sections/bulk.sh's default contents.
# - A peer (tool) for bulk is peer_NAME and peer_NAME_clean in
#   bench/peers.sh, same naming.
# - A column: one more NAME:WIDTH in the section's `table` call and one
#   more NAME=VALUE in its `row` calls.
# - A plot: a function in bench/report.py's PLOTS (gnuplot, from the CSVs).
cd "$DMM_REPO" || exit 1
exec < /dev/null	# not the console: runs under `attempt` use job control
export DM_DISABLE_UDEV=1
sections=
for a in $(echo "${DMM_ARGS:-}" | tr , ' '); do
	case "$a" in
	[a-z]*=*)
		k=${a%%=*}
		if [[ ! $k =~ ^[a-z_]+$ ]]; then
			echo "bench: bad setting '$a' in BENCH_ARGS: a key is lower-case letters and '_'"
			exit 2
		fi
		export "BENCH_${k^^}=$(echo "${a#*=}" | tr + ' ')" ;;
	*)
		if [ ! -f "bench/sections/$a.sh" ]; then
			echo "bench: no section '$a' (bench/sections/$a.sh)"
			exit 2
		fi
		sections="$sections $a" ;;
	esac
done
if [ -z "$sections" ]; then
	echo "bench: no section given (bench/run.sh passes BENCH_SECTIONS)"
	exit 2
fi

ip link set lo up	# nothing else brings up the first namespace's loopback
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd	# for <(...); devtmpfs has none

export BENCH_OUT=/tmp/bench-out
mkdir -p "$BENCH_OUT"
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 benchout "$BENCH_OUT"; then
	echo "# bench: no output share (bench/run.sh's benchout); CSVs stay in the guest"
fi
mkdir -p "$BENCH_OUT/logs"
meta=$BENCH_OUT/guest-meta-$(echo "$sections" | xargs | tr " " -).csv
{
	echo key,value
	echo "kernel,$DMM_KVER"
	echo "args,\"${DMM_ARGS:-}\""
	echo "guest_cpus,$(nproc)"
	echo "guest_start,$(date -u +%FT%TZ)"
} > "$meta"

# Each section gets the remaining time in proportion to its weight; what
# one leaves unused goes to the ones after it.
end=$(($(date +%s) + ${BENCH_BUDGET:-3000} - 20))
weight() { sed -n 's/^# bench-weight: *\([0-9]*\).*/\1/p' "bench/sections/$1.sh" | grep . || echo 1; }
read -ra secs <<< "$sections"
for i in "${!secs[@]}"; do
	s=${secs[i]}
	total=0
	for r in "${secs[@]:i}"; do total=$((total + $(weight "$r"))); done
	left=$((end - $(date +%s)))
	share=$((left * $(weight "$s") / total))
	if ((share < 30)); then
		echo "# $s: n/a (the bench's time budget is spent)"
		continue
	fi
	echo
	t0=$(date +%s)
	BENCH_DEADLINE=$((t0 + share)) timeout -k 30 $((share + 60)) \
		bash "bench/sections/$s.sh"
	rc=$?
	echo "section_${s}_s,$(($(date +%s) - t0)) of $share" >> "$meta"
	[ "$rc" = 0 ] || echo "# $s: section stopped with exit status $rc (logs in build/bench/logs/)"
done
echo "guest_end,$(date -u +%FT%TZ)" >> "$meta"
umount "$BENCH_OUT" 2>/dev/null
echo "# bench done"
