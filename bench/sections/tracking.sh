#!/bin/bash
# bench-weight: 2
# tracking: what dirty tracking costs guest writes.  fio through dm-linear
# and through `migrate` (tracking mode) on RAM disks, REPS pairs of
# RUNTIME s runs after a warm-up pair, measured two ways:
#   interleaved  linear, migrate, linear, ... on the same RAM disk;
#   concurrent   the pair's two runs at once, on the two RAM disks
#                (swapped every pair): both see the same load, and their
#                share of the CPUs is the same, so the ratio of their rates
#                is the ratio of their costs per write, whatever the load
#                of the machine does meanwhile.
# One fio process runs all the pairs of a workload (stonewall), so that its
# start (seconds under TCG) is paid once.  The RAM disks are written whole
# first (brd allocates a page on its first write: the first runs would pay
# for it), and migrate's bits are cleared before each of its runs
# (exec_prerun), so that every run pays for setting them.  Prints
# min/median/max of both, the ratio of the medians, and min/median/max of
# the ratio within each pair: the pairs' spread is the noise.  Every run is
# in tracking-runs.csv.
#   reps=N (7), runtime=S (3)
. bench/lib.sh
REPS=${BENCH_REPS:-7}
RUNTIME=${BENCH_RUNTIME:-3}
RUNS=$OUT/tracking-runs.csv

section_cleanup() { dm_gone b_lin0 b_mig0 b_lin1 b_mig1; }

# job NAME DEV CLEAR [stonewall]: one fio job, which first clears the
# bits of CLEAR: its own (a migrate job), or the idle migrate device's (a
# linear job: so that the two jobs of a concurrent pair start alike).
job() {
	printf '[%s]\nfilename=/dev/mapper/%s\n' "$1" "$2"
	echo "exec_prerun=dmsetup message $3 0 clear_dirty"
	[ -z "${4:-}" ] || echo stonewall
}

# jobs MODE RW BS: the fio job file: pairs lin-I and mig-I, I = w (the
# warm-up), 1..REPS.
jobs() {
	local i a=0 b=1
	printf '[global]\nrw=%s\nbs=%s\n' "$2" "$3"
	printf '%s\n' direct=1 thread ioengine=libaio iodepth=16 time_based \
		"runtime=$RUNTIME" randrepeat=0
	for i in w $(seq "$REPS"); do
		if [ "$1" = interleaved ]; then
			job "lin-$i" b_lin0 b_mig1 stonewall
			job "mig-$i" b_mig0 b_mig0 stonewall
		else
			job "lin-$i" "b_lin$a" "b_mig$a" stonewall
			job "mig-$i" "b_mig$b" "b_mig$b"
			a=$((1 - a)) b=$((1 - b))
		fi
	done
}

# pairs MODE RW BS UNIT: the pairs of one workload -> "linear migrate"
# lines (IOPS, or MiB/s for UNIT MiB/s).
pairs() {
	local expr='.write.iops | floor'
	[ "$4" = MiB/s ] && expr='.write.bw / 1024 * 10 | floor / 10'
	jobs "$1" "$2" "$3" > /tmp/tracking.fio
	# In /tmp: fio saves each exec_prerun's output in the current directory.
	(cd /tmp && fio --output-format=json --output=tracking.json tracking.fio) >/dev/null ||
		return 1
	sed -n '/^{/,$p' /tmp/tracking.json |
		jq -r "[.jobs[] | select(.jobname | test(\"-[0-9]+$\")) | $expr] |
		       range(0; length; 2) as \$i | \"\\(.[\$i]) \\(.[\$i + 1])\""
}

# min_med_max < FILE: "min median max" of a column of numbers.
min_med_max() {
	sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[1], a[int((NR + 1) / 2)], a[NR] }'
}

ram_disks "$SIZE_MB"
sz=$(blockdev --getsz /dev/ram0)
for d in 0 1; do
	dd if=/dev/zero of=/dev/ram$d bs=1M count="$SIZE_MB" oflag=direct status=none
	dmsetup create b_lin$d --table "0 $sz linear /dev/ram$d 0"
	dmsetup create b_mig$d --table "0 $sz migrate /dev/ram$d 128"
done
[ -s "$RUNS" ] || echo workload,mode,pair,linear,migrate > "$RUNS"
table tracking "tracking cost: $REPS pairs of ${RUNTIME} s fio runs (linear, migrate) on RAM disks, interleaved and concurrent;|ratio = migrate/linear of the medians; pair = migrate/linear within each pair" \
	workload:-13 mode:-11 unit:-5 lin_min:8 lin_med:8 lin_max:8 mig_min:8 mig_med:8 \
	mig_max:8 ratio:6 pair_min:8 pair_med:8 pair_max:8
# fio runs 2 (REPS + 1) times RUNTIME s, plus its start.
limit=$(((REPS + 1) * 2 * RUNTIME + 120))
for w in "randwrite 4k IOPS" "write 1M MiB/s"; do
	read -r rw bs unit <<< "$w"
	for mode in interleaved concurrent; do
		set -- workload="$rw $bs" mode="$mode" unit="$unit"
		if ! attempt "$limit" "tracking-$rw-$bs-$mode" pairs true "$mode" "$rw" "$bs" "$unit"; then
			row tracking "$@" na="$NA"
			continue
		fi
		echo "$RESULT" > /tmp/pairs
		if [ "$(grep -c . /tmp/pairs)" != "$REPS" ]; then
			row tracking "$@" na="fio reported $(grep -c . /tmp/pairs) of $REPS pairs"
			continue
		fi
		awk -v w="$rw $bs,$mode" '{ print w "," NR "," $1 "," $2 }' /tmp/pairs >> "$RUNS"
		read -r l1 l2 l3 <<< "$(awk '{ print $1 }' /tmp/pairs | min_med_max)"
		read -r m1 m2 m3 <<< "$(awk '{ print $2 }' /tmp/pairs | min_med_max)"
		read -r p1 p2 p3 <<< "$(awk '{ printf "%.3f\n", $2 / $1 }' /tmp/pairs | min_med_max)"
		row tracking "$@" lin_min="$l1" lin_med="$l2" lin_max="$l3" \
			mig_min="$m1" mig_med="$m2" mig_max="$m3" ratio="$(ratio "$m2" "$l2")" \
			pair_min="$p1" pair_med="$p2" pair_max="$p3"
	done
done
