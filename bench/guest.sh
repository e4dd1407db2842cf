#!/bin/bash
# Runs in the bench guest (bench/run.sh).  BENCH_ARGS selects sections
# (comma-separated; default all):
#   tracking  fio through dm-linear and through `migrate` on the same RAM
#             disk, alternating, median of REPS runs: the cost of tracking.
#   bulk      bulk copy of a 1 GiB volume over a tbf-limited veth link for
#             incompressible, zero-heavy and image-like content: dm-migrate
#             qemu-storage-daemon blockdev-mirror to qemu-nbd, and DRBD's
#             initial sync, side by side: seconds, bytes on the wire,
#             effective rate / link rate.
#   converge  convergence under guest writes at 10, 50 and 90 % of the link
#             rate: time to converge, rounds, why, wire bytes / volume size,
#             the model's error on the time to converge when 10, 50 and 90 %
#             of it had passed, the guest's write throughput and latency
#             during pre-copy and mirroring.
# and narrow the bulk section with contents=A+B and tools=A+B, the
# convergence section with loads=10+50 and limits=default+old+auto (the
# push's stop conditions: the defaults, the converge_below=16M
# max_rounds=10 this section used before the time budget, or the defaults
# with auto_throttle=1), e.g.
#   BENCH_ARGS=bulk,contents=incompressible,tools=dm-migrate+qemu-mirror
export DM_DISABLE_UDEV=1
REPO=$DMM_REPO
cd "$REPO" || exit 1
. tests/lib.sh
REPS=${REPS:-5}
RUNTIME=${RUNTIME:-6}
LINK_MBIT=${LINK_MBIT:-200}
SECTIONS=
CONTENTS="incompressible zero-heavy image-like"
TOOLS="dm-migrate qemu-mirror drbd"
LOADS="10 50 90"
LIMITS="default"
for a in $(echo "${DMM_ARGS:-tracking,bulk,converge}" | tr , ' '); do
	case "$a" in
	contents=*) CONTENTS=$(echo "${a#contents=}" | tr + ' ') ;;
	tools=*) TOOLS=$(echo "${a#tools=}" | tr + ' ') ;;
	loads=*) LOADS=$(echo "${a#loads=}" | tr + ' ') ;;
	limits=*) LIMITS=$(echo "${a#limits=}" | tr + ' ') ;;
	*) SECTIONS="$SECTIONS $a" ;;
	esac
done
for m in dm_mod brd veth sch_tbf nbd drbd $(modinfo -F depends "build/$DMM_KVER/dm-migrate.ko" | tr , ' '); do
	modprobe "$m" 2>/dev/null
done
insmod "build/$DMM_KVER/dm-migrate.ko" || { echo "cannot load module"; exit 1; }
rmmod brd 2>/dev/null
modprobe brd rd_nr=2 rd_size=$((1024 * 1024))
SZ=$(blockdev --getsz /dev/ram0)

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# fio_run DEV RW BS -> IOPS (4k) or MiB/s (1M)
fio_run() {
	fio --name=b --filename="$1" --rw="$2" --bs="$3" --direct=1 \
		--ioengine=libaio --iodepth=16 --numjobs=1 --time_based \
		--runtime="$RUNTIME" --size=1G --randrepeat=0 \
		--output-format=terse --terse-version=3 2>/dev/null |
	awk -F';' -v bs="$3" '{ if (bs == "4k") print $49; else printf "%.0f\n", $48 / 1024 }'
}

bench_tracking() {
	dmsetup create b_linear --table "0 $SZ linear /dev/ram0 0"
	dmsetup create b_migrate --table "0 $SZ migrate /dev/ram0 128"
	echo "# tracking cost: $REPS alternating runs of ${RUNTIME}s, median"
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
		printf '%-28s %12s %12s %8s\n' "$1 $2 ($3)" "$lin" "$mig" "$(ratio "$mig" "$lin")"
	done
	dmsetup remove b_linear
	dmsetup remove b_migrate
}

# fill CONTENT: write /dev/ram0 with one of the three contents.
fill() {
	blkdiscard /dev/ram0 2>/dev/null || dd if=/dev/zero of=/dev/ram0 bs=1M status=none
	case "$1" in
	incompressible)
		openssl enc -aes-128-ctr -pass pass:dmm -nosalt -pbkdf2 < /dev/zero 2>/dev/null |
			head -c 1G | dd of=/dev/ram0 bs=1M iflag=fullblock status=none ;;
	zero-heavy)	# 10% random data spread in 1 MiB pieces
		for i in $(seq 0 10 1023); do
			head -c 1M /dev/urandom | dd of=/dev/ram0 bs=1M seek="$i" status=none
		done ;;
	image-like)	# 30% random (binaries), 30% text, 40% zeroes
		head -c 300M /dev/urandom | dd of=/dev/ram0 bs=1M iflag=fullblock status=none
		find /usr/share/doc /usr/include -type f 2>/dev/null | xargs cat 2>/dev/null |
			head -c 300M | dd of=/dev/ram0 bs=1M seek=300 iflag=fullblock status=none ;;
	esac
}

tx_bytes() { on_src cat /sys/class/net/veth-s/statistics/tx_bytes; }

run_migrate() {	# -> "seconds wire_bytes"
	local key t0 tx0 i
	key=$(new_key)
	dmsetup create b_dst --table "0 $SZ migrate /dev/ram1 128 1 receive"
	dmsetup create b_src --table "0 $SZ migrate /dev/ram0 128"
	on_dst dmsetup message b_dst 0 listen $DST_IP:7800 "$key"
	tx0=$(tx_bytes)
	t0=$(date +%s.%N)
	on_src dmsetup message b_src 0 push $DST_IP:7800 "$key"
	while [ "$(status_field b_src 4)" = 0 ]; do sleep 0.05; done
	echo "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') $(($(tx_bytes) - tx0))"
	dmsetup message b_src 0 abort
	dmsetup remove b_src
	dmsetup remove b_dst
}

run_qemu_mirror() {
	local tx0 secs
	rm -f /tmp/qsd.sock
	ip netns exec dst qemu-nbd -f raw -x vol -b $DST_IP -p 10809 --persistent \
		--cache=none --aio=native /dev/ram1 > /tmp/nbd.log 2>&1 &
	local nbd=$!
	sleep 1
	ip netns exec src qemu-storage-daemon \
		--blockdev driver=host_device,node-name=src,filename=/dev/ram0,cache.direct=on \
		--blockdev driver=nbd,node-name=dst,server.type=inet,server.host=$DST_IP,server.port=10809,export=vol \
		--chardev socket,path=/tmp/qsd.sock,server=on,wait=off,id=mon --monitor mon \
		> /tmp/qsd.log 2>&1 &
	local qsd=$!
	tx0=$(tx_bytes)
	secs=$(timeout 1000 ip netns exec src python3 bench/qmp-mirror.py /tmp/qsd.sock src dst) ||
		{ echo "qemu mirror failed; qsd: $(cat /tmp/qsd.log) nbd: $(cat /tmp/nbd.log)" >&2; secs=nan; }
	echo "$secs $(($(tx_bytes) - tx0))"
	kill $qsd $nbd 2>/dev/null
	wait $qsd $nbd 2>/dev/null
}

# DRBD 8.4 (the in-tree drbd.ko) opens its sockets in the initial network
# namespace, so its two nodes talk over lo (127.0.0.1 <-> 127.0.0.2), which
# gets the same tbf limit for the DRBD run.
DRBDSETUP=/usr/lib/drbd/drbdsetup-84
run_drbd() {	# initial full sync /dev/ram0 -> /dev/ram1
	local t0 tx0 secs i
	mkdir -p /run/lock	# drbdsetup's lock files; /run is empty in the guest
	tc qdisc add dev lo root tbf rate ${LINK_MBIT}mbit burst 256kb latency 100ms
	for n in 0 1; do
		yes yes | drbdmeta --force $n v08 /dev/ram$n internal create-md >/dev/null 2>&1
		$DRBDSETUP new-resource r$n
		$DRBDSETUP new-minor r$n $n 0
		$DRBDSETUP attach $n /dev/ram$n /dev/ram$n internal
		$DRBDSETUP disk-options $n --c-plan-ahead=0 --resync-rate=4000M
	done
	tx0=$(cat /sys/class/net/lo/statistics/tx_bytes)
	$DRBDSETUP connect r0 ipv4:127.0.0.1:7790 ipv4:127.0.0.2:7790 --protocol=C
	$DRBDSETUP connect r1 ipv4:127.0.0.2:7790 ipv4:127.0.0.1:7790 --protocol=C
	sleep 1
	t0=$(date +%s.%N)
	$DRBDSETUP primary 0 --force
	for i in $(seq 9000); do
		grep -A1 '^ 0:' /proc/drbd | grep -q 'ds:UpToDate/UpToDate' && break
		sleep 0.1
	done
	secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
	[ "$i" = 9000 ] && { echo "drbd did not sync: $(cat /proc/drbd)" >&2; secs=nan; }
	echo "$secs $(($(cat /sys/class/net/lo/statistics/tx_bytes) - tx0))"
	$DRBDSETUP down r0
	$DRBDSETUP down r1
	tc qdisc del dev lo root
}

bench_bulk() {
	net_setup
	on_src tc qdisc add dev veth-s root tbf rate ${LINK_MBIT}mbit burst 256kb latency 100ms
	local link_bps=$((LINK_MBIT * 1000000 / 8)) content tool r secs wire
	echo "# bulk copy of a 1 GiB volume over a ${LINK_MBIT} Mbit/s link"
	printf '%-15s %-12s %8s %10s %12s\n' content tool seconds wire_MB rate/link
	for content in $CONTENTS; do
		fill $content
		for tool in $TOOLS; do
			blkdiscard /dev/ram1 2>/dev/null
			case $tool in
			dm-migrate) r=$(run_migrate) ;;
			qemu-mirror) r=$(run_qemu_mirror) ;;
			drbd) r=$(run_drbd) ;;
			esac
			read -r secs wire <<< "$r"
			printf '%-15s %-12s %8s %10s %12s\n' $content $tool "$secs" \
				$((wire / 1000000)) \
				"$(awk -v s="$secs" -v l=$link_bps 'BEGIN { printf "%.2f", 1073741824 / s / l }')"
		done
	done
	net_cleanup
}

# fio_bg DEV RATE_KB OUT: random 4 KiB writes at a fixed rate until killed;
# writes bandwidth (KiB/s) and mean completion latency (us) to OUT.
fio_bg() {
	fio --name=g --filename="$1" --rw=randwrite --bs=4k --direct=1 \
		--ioengine=libaio --iodepth=4 --rate="${2}k" --time_based \
		--runtime=3600 --size=1G --output-format=terse --terse-version=3 \
		--eta=never 2>/dev/null |
	awk -F';' '{ printf "%s %.0f\n", $48, $81 }' > "$3" &
}

# model_error T0 T1: the model's error on the time pre-copy ended (T1),
# from the status lines in /tmp/pred ("time json"), when 10, 50 and 90 % of
# it had passed: predicted minus actual, in % of the time it took.
model_error() {
	python3 - "$1" "$2" <<'PY'
import json, sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
preds = []
for l in open('/tmp/pred'):
    t, _, s = l.strip().partition(' ')
    p = json.loads(s).get('prediction') if s.startswith('{') else None
    if p:
        preds.append((float(t), float(t) + p['eta_ms'] / 1000))
out = []
for f in (0.1, 0.5, 0.9):
    at = t0 + f * (t1 - t0)
    near = min(preds, key=lambda x: abs(x[0] - at)) if preds else None
    out.append('%+.0f%%' % (100 * (near[1] - t1) / (t1 - t0)) if near else '-')
print(' '.join(out))
PY
}

bench_converge() {
	local link_kb=$((LINK_MBIT * 1000 / 8)) pct key t0 t1 secs tx0 wire rounds why err lim opts
	net_setup
	on_src tc qdisc add dev veth-s root tbf rate ${LINK_MBIT}mbit burst 256kb latency 100ms
	fill image-like
	echo "# convergence under load: 1 GiB image-like volume, ${LINK_MBIT} Mbit/s link,"
	echo "# guest random 4 KiB writes at a share of the link rate; limits: the push's"
	echo "# defaults, old: converge_below=16M max_rounds=10, auto: auto_throttle=1;"
	echo "# model: its error on the time to converge at 10, 50, 90 % of it"
	printf '%-6s %-8s %8s %7s %-12s %10s %-16s %14s %14s %14s %14s\n' load limits conv_s \
		rounds why wire/dev model bulk_KiB/s bulk_lat_us mirror_KiB/s mirror_lat_us
	for pct in $LOADS; do
	for lim in $LIMITS; do
		blkdiscard /dev/ram1 2>/dev/null
		key=$(new_key)
		dmsetup create b_dst --table "0 $SZ migrate /dev/ram1 128 1 receive"
		dmsetup create b_src --table "0 $SZ migrate /dev/ram0 128"
		on_dst dmsetup message b_dst 0 listen $DST_IP:7801 "$key"
		tx0=$(tx_bytes)
		fio_bg /dev/mapper/b_src $((link_kb * pct / 100)) /tmp/fio.pre
		t0=$(date +%s.%N)
		case $lim in
		old) opts="converge_below=16M max_rounds=10" ;;
		auto) opts="auto_throttle=1" ;;
		*) opts= ;;
		esac
		# shellcheck disable=SC2086
		on_src dmsetup message b_src 0 push $DST_IP:7801 "$key" $opts
		: > /tmp/pred
		until [ "$(mode_of b_src)" = converged ]; do
			echo "$(date +%s.%N) $(build/migrate-dm status b_src --json)" >> /tmp/pred
			sleep 0.5
		done
		t1=$(date +%s.%N)
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		rounds=$(status_field b_src 4)
		why=$(build/migrate-dm status b_src --json |
			python3 -c 'import json, sys; print(json.load(sys.stdin)["converge_reason"])')
		err=$(model_error "$t0" "$t1")
		pkill -INT -x fio; wait
		dmsetup message b_src 0 mirror
		wait_mode b_src mirroring 30 >/dev/null
		fio_bg /dev/mapper/b_src $((link_kb * pct / 100)) /tmp/fio.mirror
		sleep 10
		pkill -INT -x fio; wait
		dmsetup suspend b_src
		dmsetup message b_src 0 handoff
		wait_mode b_src handed_off 120 >/dev/null
		wire=$(($(tx_bytes) - tx0))
		dmsetup resume b_src
		printf '%-6s %-8s %8s %7s %-12s %10s %-16s %14s %14s %14s %14s\n' "$pct%" "$lim" \
			"$secs" "$rounds" "$why" "$(ratio "$wire" 1073741824)" "${err// //}" \
			$(cat /tmp/fio.pre) $(cat /tmp/fio.mirror)
		dmsetup remove b_src
		dmsetup remove b_dst
	done
	done
	net_cleanup
}

for s in $SECTIONS; do
	"bench_$s"
done
echo "# bench done"
