#!/bin/bash
# make bench: boot a 6.12 guest running bench/guest.sh with the sections
# (bench/sections/*.sh) and print their tables.  Absolute figures on these
# machines are noisy; ratios between tools measured in the same run are
# what matter.
#
#   BENCH_ARGS     sections and settings, comma-separated (bench/guest.sh),
#                  e.g. bulk,tools=dm-migrate+drbd,size=256; no section
#                  given: BENCH_SECTIONS (tracking bulk unlimited converge latency vm)
#   BENCH_BUDGET   seconds for the whole run, boots included (1680): every
#                  section gets a share, every tool run a time limit, so
#                  the run ends in time whatever hangs ("n/a (reason)")
#   BENCH_KVER     the guest's kernel (default: the newest of kernels.sh)
#
# Results in build/bench/ (next to make bench-tools' climit and fs.img):
# bench.txt (the tables), NAME.csv per table, converge-samples.csv,
# tracking-runs.csv, attempts.csv (each run's limit and seconds),
# results.json and the plots (*.svg, gnuplot) from bench/report.py, logs/
# (each run's stderr); the guests' consoles in build/logs/bench*/.
#
# Sections share one guest, except one with a line
#   # bench-guest: kver=VERSION|first|last mem=MIB
# (each optional; first and last: of tests/kernels.sh), which boots a
# guest of its own after the shared one, with the same output share.  Each
# guest gets the time left in proportion to its sections' weights.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s)
budget=${BENCH_BUDGET:-1680}
out=build/bench
BENCH_SECTIONS=${BENCH_SECTIONS:-tracking bulk unlimited converge latency vm}

settings='' sections=''
for a in $(echo "${BENCH_ARGS:-}" | tr , ' '); do
	case "$a" in
	*=*) settings="$settings,$a" ;;
	*) sections="$sections $a" ;;
	esac
done
[ -n "$sections" ] || sections=$BENCH_SECTIONS
shared='' own=''
for s in $sections; do
	if [ ! -f "bench/sections/$s.sh" ]; then
		echo "bench: no section '$s' (BENCH_ARGS); sections:" \
			"$(basename -s .sh bench/sections/*.sh | xargs)" >&2
		exit 2
	fi
	if grep -q '^# bench-guest:' "bench/sections/$s.sh"; then own="$own $s"; else shared="$shared $s"; fi
done

mkdir -p "$out"
(cd "$out" && rm -rf logs ./*.csv ./*.dat ./*.json ./*.svg ./*.png bench.txt)	# an earlier run's
mkdir -p "$out/logs"
{
	echo key,value
	echo "commit,$(git rev-parse --short HEAD 2>/dev/null || echo -)"
	echo "host_load_start,$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "host_cpus,$(nproc)"
	echo "budget_s,$budget"
} > "$out/host-meta.csv"

weight() { sed -n 's/^# bench-weight: *\([0-9]*\).*/\1/p' "bench/sections/$1.sh" | grep . || echo 1; }
wsum() {
	local s n=0
	for s; do n=$((n + $(weight "$s"))); done
	echo "$n"
}
# shellcheck disable=SC2086	# words
todo=$(wsum $sections)	# the weight of the sections not run yet

# guest NAME SECTIONS [KEY=VALUE...]: boot a guest running SECTIONS with
# their share of the time left; its console and output in build/logs/NAME.
failed=0
guest() {
	local name=$1 secs=$2 kv kver mem w left logs rc=0
	shift 2
	kver=${BENCH_KVER:-$(tests/kernels.sh | tail -n1)}
	mem=4096
	for kv; do
		case "$kv" in
		kver=first) kver=$(tests/kernels.sh | sed -n 1p) ;;	# not head: SIGPIPE under pipefail
		kver=last) kver=$(tests/kernels.sh | tail -n1) ;;
		kver=*) kver=${kv#kver=} ;;
		mem=*) mem=${kv#mem=} ;;
		*) echo "bench: unknown bench-guest setting '$kv' (kver=, mem=)" >&2; return 1 ;;
		esac
	done
	logs=build/logs/$name
	# shellcheck disable=SC2086	# words
	w=$(wsum $secs)
	left=$(((budget - ($(date +%s) - start) - 20) * w / todo))
	todo=$((todo - w))
	if ((left < 120)); then
		echo "#$secs: n/a (the bench's time budget is spent)" | tee -a "$out/bench.txt"
		failed=1
		return
	fi
	tests/vm/mkinitramfs.sh "$kver" "build/initrd-$kver.gz"
	# The guest's own clock starts after the boot (~30 s, more under load).
	DMM_GUEST_MEM=$mem \
	DMM_QEMU_EXTRA="-virtfs local,path=$repo/$out,mount_tag=benchout,security_model=none" \
		tests/vm/boot.sh "/boot/vmlinuz-$kver" "build/initrd-$kver.gz" "$kver" "$logs" \
		"$left" bench/guest.sh "$(echo "$secs" | xargs | tr ' ' ,)$settings,budget=$((left - 60))" || rc=$?
	tr -d '\r' < "$logs/output.log" | tee -a "$out/bench.txt"
	if [ "$rc" != 0 ] || ! grep -q '^# bench done' "$logs/output.log"; then
		echo "#$secs: n/a (the guest $([ "$rc" = 124 ] && echo "timed out after $left s" ||
			echo "failed, boot.sh exit $rc"); logs in $logs/)" | tee -a "$out/bench.txt"
		failed=1
	fi
}

[ -z "$shared" ] || guest bench "$shared"
for s in $own; do
	# shellcheck disable=SC2046	# KEY=VALUE words
	guest "bench-$s" " $s" $(sed -n 's/^# bench-guest://p' "bench/sections/$s.sh")
done

secs=$(($(date +%s) - start))
{
	echo "host_load_end,$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "total_s,$secs"
} >> "$out/host-meta.csv"
python3 bench/report.py "$out" | tee -a "$out/bench.txt" || failed=1
echo "# make bench: $((secs / 60)) min $((secs % 60)) s of a budget of $((budget / 60)) min $((budget % 60)) s;" \
	"host load at the start: $(sed -n 's/^host_load_start,//p' "$out/host-meta.csv"), at the end:" \
	"$(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs; results in $repo/$out/" | tee -a "$out/bench.txt"
exit "$failed"
