#!/bin/bash
# Runs in the bench guest.  Benchmark 1, the cost of tracking: fio on the
# same backing device through dm-linear and through `migrate`, alternating,
# REPS times each; the median of each is compared.
export DM_DISABLE_UDEV=1
REPO=$DMM_REPO
REPS=${REPS:-5}
RUNTIME=${RUNTIME:-6}
modprobe -a dm-mod brd
insmod "$REPO/build/$DMM_KVER/dm-migrate.ko" || { echo "cannot load module"; exit 1; }

# A 1 GiB RAM disk: the fastest backing device available, so the target's
# own cost is as visible as it can be.
rmmod brd 2>/dev/null
modprobe brd rd_nr=1 rd_size=$((1024 * 1024))
BACK=/dev/ram0
SZ=$(blockdev --getsz $BACK)
dmsetup create b_linear --table "0 $SZ linear $BACK 0"
dmsetup create b_migrate --table "0 $SZ migrate $BACK 128"

# fio_run DEV RW BS -> IOPS (4k) or MiB/s (1M)
fio_run() {
	fio --name=b --filename="$1" --rw="$2" --bs="$3" --direct=1 \
		--ioengine=libaio --iodepth=16 --numjobs=1 --time_based \
		--runtime="$RUNTIME" --size=1G --randrepeat=0 \
		--output-format=terse --terse-version=3 2>/dev/null |
	awk -F';' -v bs="$3" '{ if (bs == "4k") print $49; else printf "%.0f\n", $48 / 1024 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "# bench: tracking cost, $REPS alternating runs of ${RUNTIME}s, median"
printf '%-28s %12s %12s %8s\n' workload dm-linear migrate ratio
for w in "randwrite 4k IOPS" "write 1M MiB/s"; do
	set -- $w
	: > /tmp/lin; : > /tmp/mig
	for _ in $(seq "$REPS"); do
		fio_run /dev/mapper/b_linear "$1" "$2" >> /tmp/lin
		fio_run /dev/mapper/b_migrate "$1" "$2" >> /tmp/mig
	done
	lin=$(median < /tmp/lin)
	mig=$(median < /tmp/mig)
	printf '%-28s %12s %12s %8s\n' "$1 $2 ($3)" "$lin" "$mig" \
		"$(awk -v a="$mig" -v b="$lin" 'BEGIN { printf "%.3f", a / b }')"
done
echo "# migrate dirty after the runs: $(dmsetup status b_migrate | cut -d' ' -f4-)"
dmsetup remove b_linear
dmsetup remove b_migrate
echo "# bench done"
