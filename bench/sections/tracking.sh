#!/bin/bash
# bench-weight: 1
# tracking: what dirty tracking costs guest writes.  fio on one RAM disk
# through dm-linear and through `migrate` (tracking mode), in REPS
# interleaved pairs (linear, migrate, linear, ...) of RUNTIME s each,
# after a warm-up run of each: one fio process runs them all in turn
# (stonewall), so that its start (seconds under TCG) is paid once and the
# runs of a pair are adjacent.  The RAM disk is written whole first (brd
# allocates a page on its first write: the first runs would pay for it),
# and migrate's bits are cleared before each of its runs (exec_prerun),
# so that every run pays for setting them.  Prints min/median/max of both,
# the ratio of the medians, and min/median/max of the ratio within each
# pair: adjacent runs share the machine's load, so the spread of the
# pairs' ratios is the noise.  The runs are in tracking-runs.csv.
#   reps=N (9), runtime=S (4)
. bench/lib.sh
REPS=${BENCH_REPS:-9}
RUNTIME=${BENCH_RUNTIME:-4}
RUNS=$OUT/tracking-runs.csv

section_cleanup() { dm_gone b_linear b_migrate; }

# jobs RW BS: the fio job file: warm-ups w-lin and w-mig, then lin-I and
# mig-I for I in 1..REPS.
jobs() {
	local i
	printf '[global]\nrw=%s\nbs=%s\n' "$1" "$2"
	printf '%s\n' direct=1 thread ioengine=libaio iodepth=16 time_based \
		"runtime=$RUNTIME" randrepeat=0 stonewall
	for i in w $(seq "$REPS"); do
		printf '[lin-%s]\nfilename=/dev/mapper/b_linear\n' "$i"
		printf '[mig-%s]\nfilename=/dev/mapper/b_migrate\n' "$i"
		printf 'exec_prerun=dmsetup message b_migrate 0 clear_dirty\n'
	done
}

# one RW BS UNIT: the pairs of one workload -> "linear migrate" lines
# (IOPS, or MiB/s for UNIT MiB/s).
one() {
	local expr='.write.iops | floor'
	[ "$3" = MiB/s ] && expr='.write.bw / 1024 * 10 | floor / 10'
	jobs "$1" "$2" > /tmp/tracking.fio
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
dd if=/dev/zero of=/dev/ram0 bs=1M count="$SIZE_MB" oflag=direct status=none
sz=$(blockdev --getsz /dev/ram0)
dmsetup create b_linear --table "0 $sz linear /dev/ram0 0"
dmsetup create b_migrate --table "0 $sz migrate /dev/ram0 128"
[ -s "$RUNS" ] || echo workload,pair,linear,migrate > "$RUNS"
table tracking "tracking cost: $REPS interleaved pairs of ${RUNTIME} s fio runs (linear, migrate, ...) on a RAM disk;|ratio = migrate/linear of the medians; pair = migrate/linear within each pair" \
	workload:-13 unit:-5 lin_min:8 lin_med:8 lin_max:8 mig_min:8 mig_med:8 mig_max:8 \
	ratio:6 pair_min:8 pair_med:8 pair_max:8
# fio runs 2 (REPS + 1) times RUNTIME s, plus its start.
limit=$(((REPS + 1) * 2 * RUNTIME + 120))
for w in "randwrite 4k IOPS" "write 1M MiB/s"; do
	read -r rw bs unit <<< "$w"
	if ! attempt "$limit" "tracking-$rw-$bs" one true "$rw" "$bs" "$unit"; then
		row tracking workload="$rw $bs" unit="$unit" na="$NA"
		continue
	fi
	echo "$RESULT" > /tmp/pairs
	if [ "$(grep -c . /tmp/pairs)" != "$REPS" ]; then
		row tracking workload="$rw $bs" unit="$unit" na="fio reported $(grep -c . /tmp/pairs) of $REPS pairs"
		continue
	fi
	awk -v w="$rw $bs" '{ print w "," NR "," $1 "," $2 }' /tmp/pairs >> "$RUNS"
	read -r l1 l2 l3 <<< "$(awk '{ print $1 }' /tmp/pairs | min_med_max)"
	read -r m1 m2 m3 <<< "$(awk '{ print $2 }' /tmp/pairs | min_med_max)"
	read -r p1 p2 p3 <<< "$(awk '{ printf "%.3f\n", $2 / $1 }' /tmp/pairs | min_med_max)"
	row tracking workload="$rw $bs" unit="$unit" lin_min="$l1" lin_med="$l2" lin_max="$l3" \
		mig_min="$m1" mig_med="$m2" mig_max="$m3" ratio="$(ratio "$m2" "$l2")" \
		pair_min="$p1" pair_med="$p2" pair_max="$p3"
done
