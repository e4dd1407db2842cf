#!/bin/bash
# Handoff and mirroring latency (a bench section; runs in a guest).
#
#   handoff  the handoff of a mirroring device over a link with the first
#            RTT, REPS times per guest writer running until the suspend
#            (none, mirrored 4 KiB writes, 2 MiB writes that dirty chunks):
#            the module's timing in `dmsetup status` (the source's total,
#            suspend, drain, confirm; the destination's total and flush),
#            and suspend + handoff + polling the status as a script sees
#            it.  Median and max of the runs.
#   writes   the guest's 4 KiB random direct write latency (fio, p50 and
#            p99, submission to completion) on the source device while it
#            only tracks (local) and while it mirrors to the destination,
#            for each RTT and iodepth; the goal is mirrored <= local + 1 RTT
#            + 10 %.
#
# Arguments (DMM_ARGS, comma-separated; default handoff,writes):
#   handoff | writes    sections
#   rtt=1+10            round trips to measure, in ms (handoff: the first)
#   reps=N              handoffs per case (default 5)
#   runtime=S           seconds of each fio run (default 10)
#   depth=1+16          fio iodepths
#
# Standalone, on the host (the 6.12 kernel; any test kernel works):
#   v=6.12.117+deb12-amd64; make modules tools
#   tests/vm/mkinitramfs.sh $v build/initrd-$v.gz
#   DMM_GUEST_MEM=4096 tests/vm/boot.sh /boot/vmlinuz-$v build/initrd-$v.gz \
#       $v build/logs/latency 3000 bench/latency.sh handoff,writes,rtt=1+10
#   cat build/logs/latency/output.log
export DM_DISABLE_UDEV=1
REPO=${DMM_REPO:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$REPO" || exit 1
# shellcheck source=tests/lib.sh
. tests/lib.sh

LAT_SECTIONS=
LAT_RTTS="1 10"
LAT_REPS=5
LAT_RUNTIME=10
LAT_DEPTHS="1 16"
LAT_MB=256		# volume size
for a in $(echo "${DMM_ARGS:-handoff,writes}" | tr , ' '); do
	case "$a" in
	rtt=*) LAT_RTTS=$(echo "${a#rtt=}" | tr + ' ') ;;
	reps=*) LAT_REPS=${a#reps=} ;;
	runtime=*) LAT_RUNTIME=${a#runtime=} ;;
	depth=*) LAT_DEPTHS=$(echo "${a#depth=}" | tr + ' ') ;;
	handoff | writes) LAT_SECTIONS="$LAT_SECTIONS $a" ;;
	*) echo "latency.sh: unknown argument $a" >&2; exit 2 ;;
	esac
done

lat_modules() {
	local m
	for m in dm_mod veth sch_netem $(modinfo -F depends "build/$DMM_KVER/dm-migrate.ko" | tr , ' '); do
		[ -d "/sys/module/$m" ] || modprobe "$m" 2>/dev/null
	done
	[ -d /sys/module/dm_migrate ] || insmod "build/$DMM_KVER/dm-migrate.ko" ||
		{ echo "latency.sh: cannot load build/$DMM_KVER/dm-migrate.ko" >&2; exit 1; }
	LAT_SZ=$((LAT_MB * 2048))
	if [ "$(blockdev --getsz /dev/ram1 2>/dev/null)" != "$LAT_SZ" ]; then
		rmmod brd 2>/dev/null
		modprobe brd rd_nr=2 rd_size=$((LAT_MB * 1024)) ||
			{ echo "latency.sh: cannot make two RAM disks" >&2; exit 1; }
	fi
}

# The link: src (198.18.0.1) and dst (198.18.1.2) routed through a third
# namespace, rt, whose two egresses delay by half the RTT each (netem).
# Delaying in rt, not on the hosts' own egress, keeps the emulation out
# of the hosts' TCP: netem on a host's egress holds that socket's packets
# in its qdisc, which TCP's small queues and autocorking take for a busy
# NIC (with LAT_NETEM=ends, to see it).
LAT_DST=198.18.1.2
lat_net() {
	ip netns add src
	ip netns add dst
	ip netns add rt
	ip link add veth-s netns src type veth peer name veth-rs netns rt
	ip link add veth-d netns dst type veth peer name veth-rd netns rt
	ip -n src addr add $SRC_IP/24 dev veth-s
	ip -n rt addr add 198.18.0.254/24 dev veth-rs
	ip -n rt addr add 198.18.1.254/24 dev veth-rd
	ip -n dst addr add $LAT_DST/24 dev veth-d
	for n in src:veth-s rt:veth-rs rt:veth-rd dst:veth-d; do
		ip -n "${n%%:*}" link set lo up
		ip -n "${n%%:*}" link set "${n#*:}" up
	done
	ip -n src route add default via 198.18.0.254
	ip -n dst route add default via 198.18.1.254
	ip netns exec rt sysctl -qw net.ipv4.ip_forward=1
}
lat_net_cleanup() {
	ip netns del rt 2>/dev/null
	net_cleanup
}
trap 'dm_cleanup; lat_net_cleanup' EXIT

# lat_link RTT_MS: the round trip, half each way.
lat_link() {
	local half n
	half=$(awk -v r="$1" 'BEGIN { printf "%.3fms", r / 2 }')
	for n in rt:veth-rs rt:veth-rd; do
		[ "${LAT_NETEM:-}" = ends ] && n=${n/rt:veth-r/src:veth-} && n=${n/src:veth-d/dst:veth-d}
		ip netns exec "${n%%:*}" tc qdisc replace dev "${n#*:}" root netem \
			delay "$half" limit 10000
	done
}

ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# The source's and destination's devices, mirroring; LAT_PORT changes per
# pair so that a lingering socket never refuses the listen.
LAT_PORT=7850
lat_pair() {
	local key
	key=$(new_key)
	LAT_PORT=$((LAT_PORT + 1))
	dmsetup create l_dst --table "0 $LAT_SZ migrate /dev/ram1 128 1 receive"
	dmsetup create l_src --table "0 $LAT_SZ migrate /dev/ram0 128"
	on_dst dmsetup message l_dst 0 listen "$LAT_DST:$LAT_PORT" "$key"
	on_src dmsetup message l_src 0 push "$LAT_DST:$LAT_PORT" "$key" converge_below=1M
	wait_mode l_src converged 600 >/dev/null || return 1
	dmsetup message l_src 0 mirror
	wait_mode l_src mirroring 60 >/dev/null
}
lat_unpair() {
	dmsetup resume l_src 2>/dev/null
	dmsetup remove l_src 2>/dev/null
	dmsetup remove l_dst 2>/dev/null
}

# The handoff's timing in status (us; fields 15-19: total suspend drain
# confirm flush).
handoff_fields() { dmsetup status "$1" | awk '{ print $18, $19, $20, $21, $22 }'; }

# writer KIND DEV: guest writes until killed: "4k" random 4 KiB writes at
# iodepth 4 (mirrored), "2m" random 2 MiB writes at 4 MiB/s (larger than
# the mirror takes: they dirty chunks, which the drain sends), "idle" none.
writer() {
	local opts
	case $1 in
	idle) LAT_FIO=; return ;;
	4k) opts="--bs=4k --iodepth=4" ;;
	2m) opts="--bs=2m --iodepth=1 --rate=4m" ;;
	esac
	# shellcheck disable=SC2086 # the options are words
	fio --name=w --filename="$2" --rw=randwrite $opts --direct=1 \
		--ioengine=libaio --time_based --runtime=3600 --size=$((LAT_MB - 1))M \
		--eta=never --continue_on_error=all > /dev/null 2>&1 &
	LAT_FIO=$!
}

# one_handoff FILE WRITER: a handoff of a mirroring pair while WRITER runs
# until the suspend; appends to FILE: "script_ms dirty src_total
# src_suspend src_drain src_confirm - dst_total - - - dst_flush" (us, but
# script_ms: dmsetup suspend, message handoff, polling the status).
one_handoff() {
	local out=$1 t0 tot i dirty
	lat_pair || { lat_unpair; return 1; }
	writer "$2" /dev/mapper/l_src
	[ -n "$LAT_FIO" ] && sleep 3
	t0=$(date +%s%N)
	dmsetup suspend l_src
	dmsetup message l_src 0 handoff
	for i in $(seq 3000); do	# 30 s in steps of 10 ms
		[ "$(mode_of l_src)" = handed_off ] && break
		sleep 0.01
	done
	tot=$(ms_since "$t0")
	if [ "$i" = 3000 ]; then
		dmsetup status l_src l_dst
		dmsetup message l_src 0 abort force
	fi
	dirty=$(dmesg | sed -n 's/.*l_src: handoff decided (\([0-9]*\) chunks dirty).*/\1/p' | tail -n 1)
	[ "$i" = 3000 ] ||
		echo "$tot ${dirty:--} $(handoff_fields l_src) $(handoff_fields l_dst)" >> "$out"
	dmsetup resume l_src
	[ -n "$LAT_FIO" ] && { kill "$LAT_FIO"; wait "$LAT_FIO" 2>/dev/null; }
	lat_unpair
	[ "$i" != 3000 ]
}

# col FILE N [DIV]: median/max of column N (divided by DIV).
col() {
	awk -v n="$2" -v d="${3:-1}" '$n != "-" && $n != "" { printf "%.1f\n", $n / d }' "$1" |
		sort -n | awk '{ a[NR] = $1 } END { if (NR) printf "%s/%s\n", a[int((NR + 1) / 2)], a[NR]; else print "-" }'
}

bench_handoff() {
	local rtt=${LAT_RTTS%% *} w i f
	lat_net
	lat_link "$rtt"
	dd if=/dev/urandom of=/dev/ram0 bs=1M count=32 status=none
	echo "# handoff of a mirroring ${LAT_MB} MiB device, ${rtt} ms RTT (netem), $LAT_REPS runs per"
	echo "# writer; median/max in ms; dirty: chunks dirty at the decision; the"
	echo "# source's status: total = drain + confirm, and the suspend before; the"
	echo "# destination's: HANDOFF to its ACK, of which the flush; script: dmsetup"
	echo "# suspend, message handoff and polling dmsetup status until handed_off"
	printf '%-6s %10s %10s %10s %10s %10s %10s %10s %10s\n' writer dirty total \
		suspend drain confirm dst_total dst_flush script
	for w in idle 4k 2m; do
		f=/tmp/handoff.$w
		: > "$f"
		for i in $(seq "$LAT_REPS"); do
			one_handoff "$f" "$w" || echo "# $w run $i failed"
		done
		printf '%-6s %10s %10s %10s %10s %10s %10s %10s %10s\n' "$w" "$(col "$f" 2)" \
			"$(col "$f" 3 1000)" "$(col "$f" 4 1000)" "$(col "$f" 5 1000)" \
			"$(col "$f" 6 1000)" "$(col "$f" 8 1000)" "$(col "$f" 12 1000)" "$(col "$f" 1)"
		sed 's/^/#   run: /' "$f"
	done
	lat_net_cleanup
}

# fio_lat DEV DEPTH -> "p50_us p99_us iops" of 4 KiB random direct writes.
fio_lat() {
	fio --name=l --filename="$1" --rw=randwrite --bs=4k --direct=1 \
		--ioengine=libaio --iodepth="$2" --numjobs=1 --time_based \
		--runtime="$LAT_RUNTIME" --size=$((LAT_MB - 1))M --randrepeat=0 \
		--lat_percentiles=1 --percentile_list=50:99 --output-format=json 2>/dev/null |
	jq -r '.jobs[0].write | "\(.lat_ns.percentile["50.000000"] / 1000 | floor) \(.lat_ns.percentile["99.000000"] / 1000 | floor) \(.iops | floor)"'
}

bench_writes() {
	local rtt d loc mir w0 w1 goal
	lat_net
	echo "# 4 KiB random direct writes (fio, ${LAT_RUNTIME}s): local (tracking) vs mirrored;"
	echo "# latency p50/p99 in us; goal: mirrored <= local + RTT + 10 %; mirrored:"
	echo "# the share of fio's writes the module mirrored (the rest hit a busy chunk)"
	printf '%-6s %-6s %16s %16s %10s %10s %16s %9s\n' rtt_ms depth local_p50/p99 \
		mirror_p50/p99 local_iops mir_iops goal_p50/p99 mirrored
	for rtt in $LAT_RTTS; do
		lat_link "$rtt"
		for d in $LAT_DEPTHS; do
			dmsetup create l_src --table "0 $LAT_SZ migrate /dev/ram0 128"
			loc=$(fio_lat /dev/mapper/l_src "$d")
			dmsetup remove l_src
			lat_pair || { echo "# pair failed"; lat_unpair; continue; }
			w0=$(status_field l_src 11)
			mir=$(fio_lat /dev/mapper/l_src "$d")
			w1=$(status_field l_src 11)
			lat_unpair
			# shellcheck disable=SC2086 # six words
			set -- $loc $mir
			goal=$(awk -v a="$1" -v b="$2" -v r="$rtt" \
				'BEGIN { printf "%d/%d", (a + r * 1000) * 1.1, (b + r * 1000) * 1.1 }')
			printf '%-6s %-6s %16s %16s %10s %10s %16s %9s\n' "$rtt" "$d" "$1/$2" "$4/$5" \
				"$3" "$6" "$goal" "$(awk -v m=$((w1 - w0)) -v n="$6" -v t="$LAT_RUNTIME" \
				'BEGIN { printf "%.0f%%", n ? 100 * m / (n * t) : 0 }')"
		done
	done
	lat_net_cleanup
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	lat_modules
	echo "# latency bench: kernel $(uname -r), $(nproc) CPUs"
	for s in $LAT_SECTIONS; do
		"bench_$s"
	done
	echo "# bench done"
fi
