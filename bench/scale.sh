#!/bin/bash
# Bench section "scale", run in a guest:
#   tests/vm/boot.sh KERNEL INITRD KVER LOGDIR TIMEOUT bench/scale.sh [ARGS]
# How dm-migrate's costs grow with the volume: 1, 4 and 16 TiB volumes of
# zeroes (dm-zero: no RAM, reads are a memset, writes are dropped) under a
# `migrate` device with 64 KiB chunks (16 TiB: 2^28 chunks, a 32 MiB
# bitmap), pushed to a receiver on a dm-zero volume over a veth link
# between two network namespaces.  Per size:
#   bitmap_MiB  kernel memory (vmalloc + unreclaimable slab) that
#               `dmsetup create` takes: the dirty bitmap
#   push_MiB    the same for `push`: read buffers, ring, busy chunks
#   create_ms   the target's constructor (mig_ctr(), ftrace)
#   start_ms    the `push` message's work (push_start(), ftrace: the
#               allocations, every bit set) / wall time from the message
#               until the status says connected (with the handshake)
#   pick_us     mean time of one pick of a run of chunks during the bulk
#               pass (mig_round_pick(), ftrace)
#   bulk_GiB/s  the bulk pass over zeroes (ENC_ZERO runs), WINDOW seconds
#               after WARM; bulk_s: the whole volume at that rate
#   push_cpu%   the push thread's CPU meanwhile (% of one CPU)
#   idle_cpu%   the push and acker threads' CPU while nothing is sent
#               (paused: no reads, no walks), IDLE seconds, and their
#               wakeups per second
#   walk_ms     a walk over the bitmap with 8 dirty chunks, as a dirty round
#               makes (`dirty_ranges`: mig_bitmap_format_ranges(), ftrace,
#               median of 5)
# then the growth from each size to the next (4x the size each).
# ARGS (comma-separated): sizes=1T+4T+16T  window=S  warm=S  idle=S
#   ko=PATH  another build of the module (relative to the repository), to
#            compare before and after a change (refused if a dm_migrate
#            is loaded already: run it in a fresh guest)
# Figures are TCG's and noisy: compare the rows of one run.
export DM_DISABLE_UDEV=1
REPO=${DMM_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$REPO" || exit 1
. tests/lib.sh
SIZES="1T 4T 16T"
WINDOW=20
WARM=5
IDLE=10
KO=build/$DMM_KVER/dm-migrate.ko
KO_GIVEN=
for a in $(echo "${DMM_ARGS:-}" | tr , ' '); do
	case "$a" in
	sizes=*) SIZES=$(echo "${a#sizes=}" | tr + ' ') ;;
	window=*) WINDOW=${a#window=} ;;
	warm=*) WARM=${a#warm=} ;;
	idle=*) IDLE=${a#idle=} ;;
	ko=*) KO=${a#ko=} KO_GIVEN=1 ;;
	*) echo "scale.sh: unknown argument '$a' (sizes=1T+4T, window=S, warm=S, idle=S, ko=PATH)" >&2
	   exit 2 ;;
	esac
done
for m in dm_mod dm_zero veth $(modinfo -F depends "$KO" | tr , ' '); do
	modprobe "$m" 2>/dev/null
done
# Loaded already when another section ran first in the same guest; then
# an explicit ko= cannot be honoured (the figures would be the loaded
# module's, not KO's).
if [ -d /sys/module/dm_migrate ]; then
	[ -z "$KO_GIVEN" ] || { echo "scale.sh: dm_migrate is loaded already, so ko=$KO cannot be measured: run the section in a fresh guest" >&2; exit 2; }
elif ! insmod "$KO"; then
	echo "scale.sh: cannot load $KO" >&2
	exit 1
fi

# ftrace (function_graph) times every call of a few of the module's
# functions.  They are patched in once, here, while none of them runs, and
# out at the end (TCG trips over code patched while another CPU runs it);
# a measurement only switches the ring buffer on and off.
TRACED="mig_ctr push_start mig_round_pick mig_bitmap_format_ranges"
TR=/sys/kernel/tracing
[ -e $TR/trace ] || mount -t tracefs nodev $TR 2>/dev/null || TR=/sys/kernel/debug/tracing
[ -e $TR/trace ] || { echo "scale.sh: no tracefs in the guest" >&2; exit 1; }
echo 0 > $TR/tracing_on
for f in $TRACED; do echo "$f:mod:dm_migrate"; done > $TR/set_ftrace_filter
echo function_graph > $TR/current_tracer
echo 1 > $TR/options/funcgraph-tail	# a call that slept: "} /* f */"
ftrace_on() { echo > $TR/trace; echo 1 > $TR/tracing_on; }
ftrace_off() {	# FUNCTION -> its calls' durations in us, one a line
	echo 0 > $TR/tracing_on
	sed -n -e "/ $1 \\[dm_migrate\\]();/s/^[^|]*[^0-9.]\\([0-9][0-9.]*\\) us *|.*/\\1/p" \
		-e "/} \\/\\* $1 \\[dm_migrate\\] \\*\\//s/^[^|]*[^0-9.]\\([0-9][0-9.]*\\) us *|.*/\\1/p" $TR/trace
}
ftrace_end() { echo 0 > $TR/tracing_on; echo nop > $TR/current_tracer; echo > $TR/set_ftrace_filter; }

sectors() {	# 16T -> sectors
	local n=${1%[GT]}
	case "$1" in
	*G) echo $((n << 21)) ;;
	*T) echo $((n << 31)) ;;
	esac
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# kernel memory in kB: vmalloc, and slab (kmalloc of more than a few
# pages comes from the page allocator, counted there too)
kmem_kb() { awk '/^(VmallocUsed|SUnreclaim):/ { s += $2 } END { print s }' /proc/meminfo; }
mib() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a - b) / 1024 }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
mean() { awk '{ s += $1; n++ } END { if (n) printf "%.1f", s / n; else print "-" }'; }
ms_of() { awk '{ printf "%.1f", $1 / 1000 }'; }

# pids_of REGEX: the threads whose comm matches (no process per thread:
# under TCG each fork costs milliseconds).
pids_of() {
	local p c
	for p in /proc/[0-9]*; do
		read -r c < "$p/comm" 2>/dev/null || continue
		[[ $c =~ $1 ]] && echo "${p#/proc/}"
	done
}
# sched_sum FIELD PID...: a field of /proc/PID/sched, summed.
sched_sum() {
	local f=$1 p
	shift
	for p in "$@"; do cat "/proc/$p/sched" 2>/dev/null; done |
		awk -v f="$f" '$1 == f { s += $3 } END { printf "%.3f\n", s }'
}
# pct MS_CPU MS_WALL: CPU time as % of one CPU
pct() { awk -v c="$1" -v w="$2" 'BEGIN { printf "%.2f", 100 * c / w }'; }

net_setup
KEY=$(new_key)
PORT=7810
ROW='%-5s %10s %8s %9s %15s %8s %10s %8s %9s %9s %9s %8s\n'

# one SIZE: prints a row of figures
one() {
	local size=$1 sz chunks m0 m1 m2 t0 create start_k start pick c0 c1 tw0 tw1
	local pids r0 r1 s0 s1 rate bulk_s push_cpu idle_cpu wake walk i
	sz=$(sectors "$size")
	chunks=$((sz / 128))
	dmsetup create mt_zd --table "0 $sz zero"
	dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_zd 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
	dmsetup create mt_zs --table "0 $sz zero"
	m0=$(kmem_kb)
	ftrace_on
	dmsetup create mt_src --table "0 $sz migrate /dev/mapper/mt_zs 128"
	create=$(ftrace_off mig_ctr | ms_of)
	m1=$(kmem_kb)

	ftrace_on
	t0=$(now_ms)
	on_src dmsetup message mt_src 0 push $DST_IP:$PORT "$KEY"
	until [ "$(status_field mt_src 5)" = connected ]; do sleep 0.01; done
	start=$(($(now_ms) - t0))
	start_k=$(ftrace_off push_start | ms_of)
	m2=$(kmem_kb)

	# the bulk pass over zeroes: chunks sent in WINDOW s, after WARM s
	sleep "$WARM"
	pids=$(pids_of '^dm-migrate-push$')
	ftrace_on
	c0=$(status_field mt_src 9)
	r0=$(sched_sum se.sum_exec_runtime $pids)
	tw0=$(now_ms)
	sleep "$WINDOW"
	c1=$(status_field mt_src 9)
	r1=$(sched_sum se.sum_exec_runtime $pids)
	tw1=$(now_ms)
	pick=$(ftrace_off mig_round_pick | mean)
	rate=$(awk -v c=$((c1 - c0)) -v ms=$((tw1 - tw0)) \
		'BEGIN { printf "%.3f", c * 65536 / 1073741824 / (ms / 1000) }')
	bulk_s=$(awk -v r="$rate" -v n="$chunks" \
		'BEGIN { if (r > 0) printf "%.0f", n * 65536 / 1073741824 / r; else print "inf" }')
	push_cpu=$(pct "$(awk -v a="$r0" -v b="$r1" 'BEGIN { print b - a }')" $((tw1 - tw0)))

	# idle: paused, the reads in flight done
	dmsetup message mt_src 0 pause
	sleep 2
	pids=$(pids_of '^dm-migrate-(push|ack)$')
	r0=$(sched_sum se.sum_exec_runtime $pids)
	s0=$(sched_sum nr_switches $pids)
	tw0=$(now_ms)
	sleep "$IDLE"
	r1=$(sched_sum se.sum_exec_runtime $pids)
	s1=$(sched_sum nr_switches $pids)
	tw1=$(now_ms)
	idle_cpu=$(pct "$(awk -v a="$r0" -v b="$r1" 'BEGIN { print b - a }')" $((tw1 - tw0)))
	wake=$(awk -v a="$s0" -v b="$s1" -v ms=$((tw1 - tw0)) \
		'BEGIN { printf "%.1f", (b - a) / ms * 1000 }')
	dmsetup message mt_src 0 abort

	# a nearly clean bitmap: 8 dirty chunks spread over the volume
	dmsetup message mt_src 0 clear_dirty
	for i in 0 1 2 3 4 5 6 7; do
		dmsetup message mt_src 0 mark_dirty $((chunks / 8 * i + 3))
	done
	[ "$(dirty_of mt_src)" = 8 ] || echo "# $size: $(dirty_of mt_src) dirty chunks, not 8" >&2
	ftrace_on
	for i in 1 2 3 4 5; do dmsetup message mt_src 0 dirty_ranges > /dev/null; done
	walk=$(ftrace_off mig_bitmap_format_ranges | median | ms_of)

	printf "$ROW" "$size" "$(mib "$m1" "$m0")" "$(mib "$m2" "$m1")" "$create" \
		"$start_k/$start" "$pick" "$rate" "$bulk_s" "$push_cpu" "$idle_cpu" \
		"$wake" "$walk"
	dmsetup remove mt_src
	dmsetup remove mt_zs
	dmsetup remove mt_dst
	dmsetup remove mt_zd
	PORT=$((PORT + 1))
}

echo "# scale: dm-zero volumes, 64 KiB chunks, bulk window ${WINDOW} s after ${WARM} s, idle ${IDLE} s"
echo "# $(uname -r), $(nproc) CPUs, $(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo) MiB, $KO"
printf "$ROW" size bitmap_MiB push_MiB create_ms start_ms/wall pick_us \
	bulk_GiB/s bulk_s push_cpu% idle_cpu% wakeups/s walk_ms | tee /tmp/scale.rows
for s in $SIZES; do
	one "$s" | tee -a /tmp/scale.rows
done
ftrace_end

# growth from each size to the next: each figure over the previous size's
# (start_ms: the kernel's part)
echo "# growth: each figure over the previous size's (start_ms: push_start())"
awk 'NR == 1 { printf "%-9s", "ratio"; for (i = 2; i <= NF; i++) printf " %9s", $i; print ""; next }
     { sub("/.*", "", $5) }
     NR > 2 { printf "%-9s", prev[1] "->" $1
	      for (i = 2; i <= NF; i++)
		      printf " %9s", (prev[i] + 0 > 0) ? sprintf("%.2f", $i / prev[i]) : "-"
	      print "" }
     { for (i = 1; i <= NF; i++) prev[i] = $i }' /tmp/scale.rows
echo "# scale done"
