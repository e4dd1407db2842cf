#!/bin/bash
# make bench: boot a 6.12 guest running bench/guest.sh with the sections
# (bench/sections/*.sh) and print their tables.  Absolute figures on these
# machines are noisy; ratios between tools measured in the same run are
# what matter.
#
#   BENCH_ARGS     sections and settings, comma-separated (bench/guest.sh),
#                  e.g. bulk,tools=dm-migrate+drbd,size=256; no section
#                  given: BENCH_SECTIONS (tracking bulk converge)
#   BENCH_BUDGET   seconds for the whole run, boots included (1680): every
#                  section gets a share, every tool run a time limit, so
#                  the run ends in time whatever hangs ("n/a (reason)")
#   BENCH_KVER     the guest's kernel (default: the newest of kernels.sh)
#
# Results in build/bench/: bench.txt (the tables), NAME.csv per table,
# converge-samples.csv, results.json and the plots (*.svg, gnuplot) from
# bench/report.py, logs/ (each tool run's stderr); the guests' consoles in
# build/logs/bench*/.
#
# Sections share one guest, except one with a line
#   # bench-guest: kver=VERSION mem=MIB
# (each optional), which boots a guest of its own after the shared one,
# with the same output share.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
start=$(date +%s)
budget=${BENCH_BUDGET:-1680}
out=build/bench
BENCH_SECTIONS=${BENCH_SECTIONS:-tracking bulk converge}

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

rm -rf "$out"
mkdir -p "$out/logs"
{
	echo key,value
	echo "commit,$(git rev-parse --short HEAD 2>/dev/null || echo -)"
	echo "host_load_start,$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "host_cpus,$(nproc)"
	echo "budget_s,$budget"
} > "$out/host-meta.csv"

# guest NAME SECTIONS [KEY=VALUE...]: boot a guest running SECTIONS with
# what is left of the budget; its console and output in build/logs/NAME.
failed=0
guest() {
	local name=$1 secs=$2 kv kver mem left logs rc=0
	shift 2
	kver=${BENCH_KVER:-$(tests/kernels.sh | tail -n1)}
	mem=4096
	for kv; do
		case "$kv" in
		kver=*) kver=${kv#kver=} ;;
		mem=*) mem=${kv#mem=} ;;
		*) echo "bench: unknown bench-guest setting '$kv' (kver=, mem=)" >&2; return 1 ;;
		esac
	done
	logs=build/logs/$name
	left=$((budget - ($(date +%s) - start) - 20))
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
		echo "bench: the guest of$secs failed (boot.sh exit $rc; logs in $repo/$logs/)" >&2
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
python3 bench/report.py "$out" || failed=1
echo "# make bench: $((secs / 60)) min $((secs % 60)) s; host load at the end: $(cut -d' ' -f1-3 /proc/loadavg); results in $repo/$out/"
exit "$failed"
