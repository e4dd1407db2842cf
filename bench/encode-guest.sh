#!/bin/bash
# The encoding helper's bench (bench/encode.sh boots it): dm-migrate's bulk
# copy of a 1 GiB volume over a tbf-limited veth link, as bench/guest.sh's
# bulk section does, with where the CPU went: each dm-migrate thread's and
# the kworkers' CPU seconds, and the guest's busy share (/proc/stat).
# DMM_ARGS: comma-separated contents=A+B and options=O1+O2 (push options,
# e.g. encoding=lz4; "-" for none), ko=PATH (the module to load), perf=S
# (a profile of the whole guest for the first S seconds of each run: the
# symbols with the most samples).
# Reports seconds, wire MB, rate/link
# (volume bytes / s / link) and busy (wire bytes / s / link).
export DM_DISABLE_UDEV=1
REPO=$DMM_REPO
cd "$REPO" || exit 1
. tests/lib.sh
LINK_MBIT=${LINK_MBIT:-200}
CONTENTS="incompressible image-like"
OPTIONS="-"
KO=build/$DMM_KVER/dm-migrate.ko
for a in $(echo "${DMM_ARGS:-}" | tr , ' '); do
	case "$a" in
	contents=*) CONTENTS=$(echo "${a#contents=}" | tr + ' ') ;;
	options=*) OPTIONS=$(echo "${a#options=}" | tr + ' ') ;;
	ko=*) KO=${a#ko=} ;;	# another build of the module
	perf=*) PERF=${a#perf=} ;;	# profile the first PERF seconds of each run
	esac
done
DMM_KO=$KO dmm_load dm_mod brd veth sch_tbf || exit 1
rmmod brd 2>/dev/null
modprobe brd rd_nr=2 rd_size=$((1024 * 1024))
SZ=$(blockdev --getsz /dev/ram0)

fill() {	# the contents of bench/guest.sh
	blkdiscard /dev/ram0 2>/dev/null
	case "$1" in
	incompressible)
		openssl enc -aes-128-ctr -pass pass:dmm -nosalt -pbkdf2 < /dev/zero 2>/dev/null |
			head -c 1G | dd of=/dev/ram0 bs=1M iflag=fullblock status=none ;;
	image-like)
		head -c 300M /dev/urandom | dd of=/dev/ram0 bs=1M iflag=fullblock status=none
		find /usr/share/doc /usr/include -type f 2>/dev/null | xargs cat 2>/dev/null |
			head -c 300M | dd of=/dev/ram0 bs=1M seek=300 iflag=fullblock status=none ;;
	esac
}

# CPU ticks (USER_HZ) of every thread whose name matches, summed by name.
thread_ticks() {
	local p
	for p in /proc/[0-9]*; do
		awk '{ n = $2; gsub(/[()]/, "", n); sub(/\/.*/, "", n); print n, $14 + $15 }' \
			"$p/stat" 2>/dev/null
	done | awk '{ t[$1] += $2 } END { for (n in t) print n, t[n] }' | sort
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $5 + $6 }' /proc/stat; }

echo "# dm-migrate bulk copy, 1 GiB over ${LINK_MBIT} Mbit/s, kernel $(uname -r), $(nproc) CPUs"
net_setup
on_src tc qdisc add dev veth-s root tbf rate ${LINK_MBIT}mbit burst 256kb latency 100ms
link_bps=$((LINK_MBIT * 1000000 / 8))
for content in $CONTENTS; do
	fill "$content"
	for opt in $OPTIONS; do
		[ "$opt" = - ] && opt=
		blkdiscard /dev/ram1
		key=$(new_key)
		dmsetup create b_dst --table "0 $SZ migrate /dev/ram1 128 1 receive"
		dmsetup create b_src --table "0 $SZ migrate /dev/ram0 128"
		on_dst dmsetup message b_dst 0 listen $DST_IP:7800 "$key"
		thread_ticks > /tmp/th0
		read -r b0 i0 <<< "$(busy_ticks)"
		tx0=$(on_src cat /sys/class/net/veth-s/statistics/tx_bytes)
		t0=$(date +%s.%N)
		[ -n "${PERF:-}" ] && perf record -q -e cpu-clock -a -o /tmp/perf.data -- sleep "$PERF" \
			>/dev/null 2>&1 &
		on_src dmsetup message b_src 0 push $DST_IP:7800 "$key" $opt
		: > /tmp/why
		n=0
		while [ "$(status_field b_src 4)" = 0 ]; do
			sleep 0.05
			# Once a second: the encoding in use and why.
			n=$((n + 1))
			[ $((n % 20)) = 0 ] && "$MDM" status b_src --json 2>/dev/null |
				python3 -c "import json,sys; s=json.load(sys.stdin); print(s.get('encoding_why'))" >> /tmp/why
		done
		t1=$(date +%s.%N)
		wire=$(($(on_src cat /sys/class/net/veth-s/statistics/tx_bytes) - tx0))
		read -r b1 i1 <<< "$(busy_ticks)"
		thread_ticks > /tmp/th1
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		printf '%-15s %-14s %7ss %6s MB  rate/link %s  busy %s  cpu %s%%\n' \
			"$content" "${opt:-default}" "$secs" $((wire / 1000000)) \
			"$(awk -v s="$secs" -v l=$link_bps 'BEGIN { printf "%.3f", 1073741824 / s / l }')" \
			"$(awk -v s="$secs" -v w="$wire" -v l=$link_bps 'BEGIN { printf "%.3f", w / s / l }')" \
			"$(awk -v b=$((b1 - b0)) -v i=$((i1 - i0)) 'BEGIN { printf "%.0f", 100 * b / (b + i) }')"
		echo "#   $(dmsetup status b_src | cut -d' ' -f4-)"
		# The encodings over time: seconds each, in order.
		sed 's/ (.*//; s/:.*//' /tmp/why | uniq -c | awk '{ printf "%s %s s, ", $2, $1 }' |
			sed 's/^/#   in use: /; s/, $/\n/'
		grep -v measuring /tmp/why | tail -n 2 | sed 's/^/#   last: /'
		if [ -n "${PERF:-}" ]; then
			wait
			perf report -q -i /tmp/perf.data --sort comm,symbol 2>/dev/null |
				head -n 30 | sed 's/^/#   perf: /'
		fi
		join -a2 -e0 -o 0,1.2,2.2 /tmp/th0 /tmp/th1 |
			awk '{ d = $3 - $2; if (d >= 10) printf "#   %-22s %6.2f s\n", $1, d / 100 }'
		sha_s=$(head -c 64M /dev/ram0 | sha256sum | cut -c1-16)
		sha_d=$(head -c 64M /dev/ram1 | sha256sum | cut -c1-16)
		[ "$sha_s" = "$sha_d" ] || echo "#   FIRST 64 MiB DIFFER: $sha_s $sha_d"
		dmsetup message b_src 0 abort
		dmsetup remove b_src
		dmsetup remove b_dst
	done
done
net_cleanup
echo "# bench done"
