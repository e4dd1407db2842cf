# shellcheck disable=SC2034	# settings and ST are for the sections
# bench/lib.sh: what the bench sections share.  Sourced in the guest by
# each bench/sections/*.sh; see bench/guest.sh for how sections, contents,
# peers and columns are added.
#
# Settings come from BENCH_ARGS as key=value words, which bench/guest.sh
# exports as BENCH_<KEY> ('+' in a value stands for a blank).
. "$DMM_REPO/tests/lib.sh"	# status_field, net_setup, on_src, new_key, mode_of, wait_mode
cd "$DMM_REPO" || exit 1

# The modules the sections use, and dm-migrate.ko built for this kernel
# (a section that does not source this file loads its own).
if [ ! -d /sys/module/dm_migrate ]; then
	for m in dm_mod veth sch_tbf sch_prio cls_u32 nbd drbd loop \
		 $(modinfo -F depends "build/$DMM_KVER/dm-migrate.ko" | tr , ' '); do
		modprobe "$m" 2>/dev/null
	done
	insmod "build/$DMM_KVER/dm-migrate.ko" ||
		{ echo "bench: cannot load build/$DMM_KVER/dm-migrate.ko"; exit 1; }
fi

OUT=${BENCH_OUT:-/tmp/bench-out}	# bench/run.sh's build/bench, shared writable
LINK_MBIT=${BENCH_LINK:-200}		# the tbf-limited link between the hosts
LINK_BPS=$((LINK_MBIT * 125000))	# its rate in bytes/s
SIZE_MB=${BENCH_SIZE:-128}		# the volume the sections use
SIZE_B=$((SIZE_MB << 20))
MIN_RATE=${BENCH_MIN_RATE:-0.05}	# a transfer slower than this share of
					# the link is stopped: n/a (timed out)
CLEAN_LIMIT=60				# seconds a peer's cleanup may take
declare -A BROKEN			# run function -> why it is not run again

now() { printf '%(%s)T' -1; }
# Loops that poll a status under TCG spend their time forking: nap sleeps
# without a fork (a read that times out), dm_status DEV reads the status
# words of DEV into ST with one (ST[3] is the mode, as status_field 1).
exec {NAPFD}<> <(:)
nap() { read -r -t "$1" -u "$NAPFD"; }
dm_status() { read -ra ST <<< "$(dmsetup status "$1")"; }
# budget_left: seconds until this section's deadline (bench/guest.sh).
budget_left() { echo $((${BENCH_DEADLINE:-$(($(now) + 86400))} - $(now))); }

# busy_mark: BUSY_MS, the guest's busy CPU time so far in ms (/proc/stat's
# first line: user, nice, system, irq and softirq of all CPUs, in USER_HZ
# ticks of 10 ms).  Both hosts are in the guest, so it is the CPU of both
# ends of a transfer.
busy_mark() {
	local c
	read -ra c < /proc/stat
	BUSY_MS=$(((c[1] + c[2] + c[3] + c[6] + c[7]) * 10))
}
# cpu_mark: CPU_MS, BUSY_MS less what this shell and the children it has
# waited for used so far (`times`: a run's own polling of status and its
# helpers): the CPU time of everything but the measuring script.  Neither
# forks.
cpu_mark() {
	local -a t
	local ms=0 all f m s
	busy_mark
	times > "/tmp/times.$BASHPID"
	mapfile -t t < "/tmp/times.$BASHPID"
	all="${t[0]} ${t[1]}"	# the shell's user and system, its children's
	for f in $all; do	# each like 1m2.345s
		m=${f%%m*} s=${f#*m}
		s=${s%s}
		ms=$((ms + m * 60000 + 10#${s%.*} * 1000 + 10#${s#*.}))
	done
	CPU_MS=$((BUSY_MS - ms))
}
# cpu_s MS: MS milliseconds (a difference of two CPU_MS) as seconds.
cpu_s() { printf '%d.%02d' $(($1 < 0 ? 0 : $1 / 1000)) $(($1 < 0 ? 0 : $1 % 1000 / 10)); }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "-"; else printf "%.3f", a / b }'; }
# since T0 [T1]: seconds from T0 to T1 or now ($EPOCHREALTIME values).
since() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.2f", b - a }'; }
# xfer_limit BYTES: seconds a transfer of BYTES may take, at MIN_RATE of
# the link, plus 30 s for setting up and tearing down.
xfer_limit() { awk -v b="$1" -v r="$LINK_BPS" -v m="$MIN_RATE" 'BEGIN { printf "%d", b / (r * m) + 30 }'; }

# ---- tables: printed for the log, appended to $OUT/NAME.csv -------------

declare -A TABLE_COLS
# table NAME TITLE COL...: start a table.  TITLE is printed as comment
# lines ('|' separates lines); each COL is NAME:WIDTH, a negative width
# left-aligns.  The CSV gets the columns in this order and a last column
# "note" (an n/a row's reason).  Adding a column: one more COL here, and
# one more KEY=VALUE where the section calls row.
table() {
	local name=$1 title=$2 c hdr=
	shift 2
	TABLE_COLS[$name]="$*"
	printf '%s\n' "$title" | tr '|' '\n' | sed 's/^/# /'
	for c; do hdr+=$(printf "%${c#*:}s " "${c%%:*}"); done
	echo "${hdr% }"
	if [ ! -s "$OUT/$name.csv" ]; then
		for c; do printf '%s,' "${c%%:*}"; done > "$OUT/$name.csv"
		echo note >> "$OUT/$name.csv"
	fi
}

csv_field() {
	case "$1" in
	*[,\"]*) printf '"%s"' "${1//\"/\"\"}" ;;
	*) printf '%s' "$1" ;;
	esac
}

# row NAME KEY=VALUE...: one row of table NAME.  A row given na=REASON
# prints its cells up to the first one without a value, then
# "n/a (REASON)" in place of the rest.
row() {
	local name=$1 kv c k line='' csv=''
	shift
	local -A val=()
	for kv; do val[${kv%%=*}]=${kv#*=}; done
	for c in ${TABLE_COLS[$name]}; do
		k=${c%%:*}
		if [ -n "${val[na]:-}" ] && [ -z "${val[$k]:-}" ]; then
			line+="n/a (${val[na]})"
			break
		fi
		line+=$(printf "%${c#*:}s " "${val[$k]:--}")
	done
	echo "${line% }"
	for c in ${TABLE_COLS[$name]}; do
		csv+=$(csv_field "${val[${c%%:*}]:-}"),
	done
	echo "$csv$(csv_field "${val[na]:-}")" >> "$OUT/$name.csv"
}

# ---- runs under a time limit ----------------------------------------------

GROUP=	# the process group of the run in progress (killed on exit)
# in_group LIMIT_S OUT LOG FN [ARGS]: run FN ARGS in a process group of its
# own with stdout to OUT and stderr appended to LOG; after LIMIT_S seconds
# the whole group gets SIGTERM, 5 s later SIGKILL.  Returns FN's status,
# 124 if it was stopped, 125 if it could not be killed (stuck in the
# kernel: it is left behind).
in_group() {
	local limit=$1 out=$2 log=$3 fn=$4 pid t0 killed='' rc
	shift 4
	set -m
	( "$fn" "$@" ) > "$out" 2>> "$log" < /dev/null &
	pid=$!
	set +m
	GROUP=$pid
	t0=$SECONDS
	while kill -0 "$pid" 2>/dev/null; do
		if [ -z "$killed" ]; then
			if ((SECONDS - t0 >= limit)); then
				echo "bench: stopping $fn after $limit s" >> "$log"
				kill -TERM -- "-$pid" 2>/dev/null
				killed=$SECONDS
			fi
		elif ((SECONDS - killed >= 5)); then
			kill -KILL -- "-$pid" 2>/dev/null
			if ((SECONDS - killed >= 20)); then
				GROUP=
				return 125
			fi
		fi
		nap 0.2
	done
	{ wait "$pid"; } 2>/dev/null
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null	# what FN left running in the background
	GROUP=
	[ -n "$killed" ] && return 124
	return "$rc"
}

# attempt LIMIT_S TAG RUN CLEAN [ARGS]: run `RUN ARGS` under LIMIT_S (less
# when the section's budget ends sooner), then `CLEAN ARGS`, which must
# leave nothing behind whatever state RUN stopped in.  RUN prints its
# result as KEY=VALUE words; its stderr goes to $OUT/logs/TAG.log.  Sets
# RESULT, or NA (the reason for an "n/a (reason)" cell) and returns 1.
# A RUN that timed out, or whose CLEAN failed, is not run again in this
# section (NA says why).  Each attempt's times go to $OUT/attempts.csv.
attempt() {
	local limit=$1 tag=$2 run=$3 clean=$4 left rc why='' log t0 t1
	shift 4
	log=$OUT/logs/$tag.log
	RESULT='' NA=''
	if [ -n "${BROKEN[$run]:-}" ]; then
		NA=${BROKEN[$run]}
		return 1
	fi
	left=$(($(budget_left) - CLEAN_LIMIT))
	if ((left < 15)); then
		NA="the bench's time budget is spent"
		return 1
	fi
	if ((limit > left)); then
		limit=$left
		why=", the rest of the section's budget"
	fi
	t0=$EPOCHREALTIME
	in_group "$limit" /tmp/attempt.out "$log" "$run" "$@"
	rc=$?
	t1=$EPOCHREALTIME
	case $rc in
	0) RESULT=$(cat /tmp/attempt.out) ;;
	124) NA="timed out after $limit s$why"
	     BROKEN[$run]="skipped: timed out before ($tag)" ;;
	125) NA="stuck in the kernel after $limit s"
	     BROKEN[$run]="skipped: stuck before ($tag)" ;;
	*) NA="failed: $(grep -v '^bench:' "$log" | tail -n1 | tr -d '\r' | cut -c1-100)" ;;
	esac
	[ "$rc" = 0 ] || [ -n "$NA" ] || NA="failed (exit $rc; see logs/$tag.log)"
	if ! in_group "$CLEAN_LIMIT" /dev/null "$log" "$clean" "$@"; then
		BROKEN[$run]="skipped: its cleanup failed before ($tag)"
	fi
	[ -s "$OUT/attempts.csv" ] || echo tag,limit_s,run_s,clean_s,exit,note > "$OUT/attempts.csv"
	echo "$tag,$limit,$(since "$t0" "$t1"),$(since "$t1"),$rc,$(csv_field "$NA")" >> "$OUT/attempts.csv"
	[ -z "$NA" ]
}

# get KEY: the value of KEY=... in RESULT.
get() {
	local kv
	for kv in $RESULT; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
	done
}

bench_exit() {
	[ -n "$GROUP" ] && kill -KILL -- "-$GROUP" 2>/dev/null
	[ "$(type -t section_cleanup)" = function ] && section_cleanup
	net_cleanup
}
trap bench_exit EXIT
trap 'exit 143' TERM

# ---- devices and links -----------------------------------------------------

# ram_disks MIB: /dev/ram0 and /dev/ram1 of MIB each (brd reloaded if
# they have another size).
ram_disks() {
	[ -b /dev/ram0 ] && [ "$(blockdev --getsize64 /dev/ram0)" = $(($1 << 20)) ] && return 0
	rmmod brd 2>/dev/null
	modprobe brd rd_nr=2 rd_size=$(($1 * 1024))
}

# discard DEV: DEV reads as zeroes and a RAM disk gives its pages back (-f:
# util-linux refuses a device that holds a filesystem otherwise).
discard() { blkdiscard -f "$1" 2>/dev/null || dd if=/dev/zero of="$1" bs=1M status=none; }

# dm_gone NAME...: remove the devices (resumed first, so that I/O queued
# in a suspended one does not hold the removal).
dm_gone() {
	local d
	for d; do
		dmsetup info "$d" >/dev/null 2>&1 || continue
		dmsetup resume "$d" 2>/dev/null
		dmsetup remove --retry "$d" || return 1
	done
}

# same_data BYTES: "yes" if /dev/ram0 and /dev/ram1 hold the same first
# BYTES, else "NO".
same_data() {
	if cmp -s -n "$1" /dev/ram0 /dev/ram1; then echo yes; else echo NO; fi
}

# link_up: the src and dst namespaces, src -> dst limited to LINK_MBIT
# by tbf; link_tx: bytes src sent so far.
link_up() {
	net_cleanup
	net_setup
	on_src tc qdisc add dev veth-s root tbf rate "${LINK_MBIT}mbit" burst 256kb latency 100ms
}
link_tx() { on_src cat /sys/class/net/veth-s/statistics/tx_bytes; }

# ---- fio ------------------------------------------------------------------

# fio_json FILE EXPR: a jq expression over the first job of fio's JSON
# output (missing or broken output prints nothing).  A fio stopped by a
# signal writes a line saying so before the JSON.
fio_json() { sed -n '/^{/,$p' "$1" | jq -r ".jobs[0] | $2" 2>/dev/null; }

# fio_bg DEV RATE_KIB OUT: random 4 KiB writes at RATE_KIB KiB/s until
# stopped with fio_stop; fio writes its JSON report to OUT.  Returns once
# fio handles SIGINT (a background job ignores it until fio installs its
# handler, which takes seconds under TCG: an earlier SIGINT is lost).
# Its jobs are threads (--thread): a job process would be a session of its
# own, out of reach of attempt's process group.
fio_bg() {
	local cgt
	rm -f "$3"
	fio --name=g --filename="$1" --rw=randwrite --bs=4k --direct=1 --thread \
		--ioengine=libaio --iodepth=4 --rate="${2}k" --time_based \
		--runtime=3600 --randrepeat=0 --output-format=json --output="$3" \
		--eta=never >/dev/null 2>&1 &
	FIO_PID=$!
	for _ in $(seq 600); do
		cgt=$(sed -n 's/^SigCgt:\s*//p' "/proc/$FIO_PID/status" 2>/dev/null)
		[ -n "$cgt" ] || return 1	# fio is gone
		((0x$cgt & 2)) && return 0
		nap 0.1
	done
	return 1
}
# fio_stop: stop fio_bg's fio (it writes its report) and wait for it.
fio_stop() {
	[ -n "${FIO_PID:-}" ] || return 0
	kill -INT "$FIO_PID" 2>/dev/null
	for _ in $(seq 300); do
		kill -0 "$FIO_PID" 2>/dev/null || break
		nap 0.1
	done
	kill -KILL "$FIO_PID" 2>/dev/null
	wait "$FIO_PID" 2>/dev/null
	FIO_PID=
}
# fio_bw_lat FILE: "KiB/s mean_latency_us p99_us" of the writes in the
# report (p99: of the completion latency, fio's default percentiles).
fio_bw_lat() {
	fio_json "$1" '.write | "\(.bw) \(.lat_ns.mean / 1000 | floor) \(.clat_ns.percentile["99.000000"] // 0 | . / 1000 | floor)"'
}
