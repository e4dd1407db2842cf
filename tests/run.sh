#!/bin/bash
# make check / make check-debug driver.
#
# Boots each test kernel under QEMU and runs tests/kernel/*.sh inside it,
# and beside them the host-side tests (unit tests, 20 s of each fuzzer,
# checkpatch, sparse, DKMS build).  Prints kselftest-style TAP, and last a
# plain line "N passed, N failed" counting every test case.  Exits non-zero
# if anything failed, including any WARN, BUG, oops, KASAN, UBSAN, lockdep
# or kmemleak report in a guest's kernel log.
#
#   tests/run.sh [--debug] [--only test1,test2] [--no-host]
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
cd "$REPO" || exit 1
BUILD=$REPO/build
LOGS=$BUILD/logs
DEBUG=0
ONLY=
HOST=1
while [ $# -gt 0 ]; do
	case "$1" in
	--debug) DEBUG=1 ;;
	--only) ONLY=$2; shift ;;
	--no-host) HOST=0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
mkdir -p "$LOGS"

PASSED=0
FAILED=0

# count_tap FILE DEPTH: add FILE's test cases to the totals.  A case is an
# "ok"/"not ok" line at nesting DEPTH ("# " prefixes): the host's own TAP is
# depth 0; in a guest's TAP each test script's cases are depth 1, and of the
# guest runner's depth-0 lines only the module-unload case and failures
# (a script that died) are counted.  Deeper lines (a C program's own TAP
# under a script's check) are detail of a case, not more cases.  A "not ok"
# with a "# TODO" directive is a known bug, not a failure (as in TAP).
count_tap() {
	local file=$1 depth=$2 prefix='' p f
	[ "$depth" = 1 ] && prefix='# '
	p=$(grep -Ec "^${prefix}ok [0-9]+" "$file")
	f=$(grep -E "^${prefix}not ok [0-9]+" "$file" | grep -vc '# TODO')
	if [ "$depth" = 1 ]; then
		p=$((p + $(grep -Ec '^ok [0-9]+ selftests: dm-migrate: module unloads' "$file")))
		f=$((f + $(grep -Ec '^not ok [0-9]+' "$file")))
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
}

# host_test NAME COMMAND...: one host-side test case.
HOST_TAP=$LOGS/host.tap
: > "$HOST_TAP"
HN=0
host_test() {
	local name=$1 out
	shift
	HN=$((HN + 1))
	if out=$("$@" 2>&1); then
		echo "ok $HN $name" | tee -a "$HOST_TAP"
	else
		echo "not ok $HN $name" | tee -a "$HOST_TAP"
		printf '%s\n' "$out" | tail -n 40 | sed 's/^/# /' | tee -a "$HOST_TAP"
	fi
}

# The host tests run beside the guests (they are mostly one core of
# compiling and fuzzing while the guests wait on links and timeouts);
# their TAP is printed, and counted, once the guests are done, before
# the guests' reports.
host_tests() {
	echo "# host tests"
	host_test "unit: bitmap" "$BUILD/tests/bitmap_test"
	host_test "unit: wire codec" "$BUILD/tests/wire_test"
	host_test "unit: rate control" "$BUILD/tests/ratectl_test"
	host_test "unit: pre-copy model and stop rule" "$BUILD/tests/model_test"
	host_test "unit: deadline controller (Algs. 1 and 2)" "$BUILD/tests/deadline_test"
	host_test "sim: 4 hosts, 20 migrations with deadlines all end" "$BUILD/sim/sim" --hosts 4 --tasks 20 --deadline 300 --load 0.2
	host_test "unit: encoding choice" "$BUILD/tests/encsel_test"
	host_test "unit: migrate-dm sizes and rates" "$BUILD/tests/units_test"
	host_test "unit: migrate-dm VM disks from domain XML" "$BUILD/tests/vmxml_test"
	host_test "unit: evacuation plans (placement, orders, runs)" "$BUILD/tests/plan_test"
	host_test "nlrand knows every netlink attribute's type" "$BUILD/tests/nlrand" -K
	host_test "unit: bench compressibility limit (wire rule, codecs)" "$BUILD/tests/climit_test"
	host_test "migrate-dm prepare/migrate/abort VM: pre-flight refusals; evacuate plans (libvirt test driver)" tests/vmcli.sh
	host_test "fuzz: wire codec checks, 20 s" tests/fuzz/run.sh fuzz_wire 20
	host_test "fuzz: chunk decoding and encoding, 20 s" tests/fuzz/run.sh fuzz_decode 20
	host_test "fuzz: table and message arguments, 20 s" tests/fuzz/run.sh fuzz_args 20
	host_test "lint: checkpatch --strict and sparse" make -s lint
	host_test "dkms build against the installed 6.1 headers" tests/dkms-check.sh
}
start_host_tests() {
	[ "$HOST" = 1 ] || return 0
	host_tests > "$LOGS/host.out" 2>&1 &
	HOST_PID=$!
}
report_host_tests() {
	[ "$HOST" = 1 ] || return 0
	wait "$HOST_PID"
	cat "$LOGS/host.out"
	count_tap "$HOST_TAP" 0
}

# Kernel log lines that fail a run.
BAD='(WARNING:|BUG:|Oops|general protection fault|KASAN|UBSAN|kmemleak:.*unreferenced|possible circular locking|possible recursive locking|inconsistent lock state|INFO: task .* blocked|Call Trace:|Kernel panic|RCU stall|rcu_sched self-detected stall)'

# check_log LABEL CONSOLE_LOG: one test case, the guest kernel log is clean.
check_log() {
	if grep -Eq "$BAD" "$2"; then
		echo "not ok - [$1] kernel log clean"
		grep -E -A 20 "$BAD" "$2" | head -n 60 | sed 's/^/# /'
		FAILED=$((FAILED + 1))
	else
		echo "ok - [$1] kernel log clean"
		PASSED=$((PASSED + 1))
	fi
}

# boot_guest LABEL KERNEL INITRD MODVER TIMEOUT [TESTS]: boot one guest
# running the kernel tests (TESTS, comma-separated; default --only's, or
# all), in the background; report_guest LABEL collects it.  The
# test kernels' guests run side by side: a guest spends about half of its
# time waiting (links, timeouts), so two of them take ~60 % of the time of
# one after the other on two cores (docs/testing.rst).
boot_guest() {
	local label=$1 dir=$LOGS/$1
	mkdir -p "$dir"
	date +%s > "$dir/t0"
	echo "# guest $label: booting $2${6:+ for $6}"
	( tests/vm/boot.sh "$2" "$3" "$4" "$dir" "$5" tests/guest/run.sh "${6-$ONLY}" \
		> "$dir/boot.out" 2>&1
	  echo $? > "$dir/rc"; date +%s > "$dir/t1" ) &
}

report_guest() {
	local label=$1 dir=$LOGS/$1 rc
	rc=$(cat "$dir/rc")
	cat "$dir/boot.out"
	sed "s/^/[$label] /" "$dir/output.log" | tr -d '\r'
	count_tap "$dir/output.log" 1
	echo "# guest $label: $(($(cat "$dir/t1") - $(cat "$dir/t0"))) s (qemu CPU $(cut -d' ' -f2 "$dir/cpu" 2>/dev/null) s)"
	if [ "$rc" != 0 ] || ! grep -q '^# guest done' "$dir/output.log"; then
		echo "not ok - [$label] guest finished (boot.sh exit $rc; see $dir/console.log)"
		tail -n 30 "$dir/console.log" | sed 's/^/# /'
		FAILED=$((FAILED + 1))
	fi
	check_log "$label" "$dir/console.log"
}

# shard_tests N [LIST]: the kernel tests (those of LIST, comma-separated,
# or all) in N comma-separated lists of about the same length: the longest
# first, each onto the shortest list so far.  A test's length is its line
# "# dmm-cost: S" (seconds in a guest of make check), else 20 s; each list
# in the order of the names.
shard_tests() {
	local t c list=(tests/kernel/*.sh)
	[ -n "${2-}" ] && mapfile -t list < <(echo "$2" | tr , '\n' |
					      sed 's|^|tests/kernel/|; s|$|.sh|')
	for t in "${list[@]}"; do
		c=$(sed -n 's/^# dmm-cost: \([0-9]*\)$/\1/p' "$t" | head -n 1)
		echo "${c:-20} $(basename "$t" .sh)"
	done | sort -k1,1nr -k2 | awk -v n="$1" '
		{ b = 1; for (i = 2; i <= n; i++) if (load[i] < load[b]) b = i
		  load[b] += $1; list[b] = list[b] " " $2 }
		END { for (i = 1; i <= n; i++) print list[i] }' |
	while read -r l; do
		echo "$l" | tr ' ' '\n' | sort | paste -sd, -
	done
}

if [ "$DEBUG" = 1 ]; then
	dk=$(tests/debug-kernel.sh --print)
	tests/vm/mkinitramfs.sh builtin "$BUILD/initrd-debug.gz"
	# DMM_SHARDS=N: the tests over N guests (make check-debug: 2, beside
	# check-vm's guest in CI; docs/testing.rst).
	parts=("$ONLY")
	if [ -n "$ONLY" ] && [ "${DMM_SHARDS:-1}" -gt 1 ]; then
		mapfile -t parts < <(shard_tests "$DMM_SHARDS" "$ONLY")
	fi
	labels=
	i=0
	for p in "${parts[@]}"; do
		i=$((i + 1))
		label=debug
		[ ${#parts[@]} -gt 1 ] && label=debug-part$i
		boot_guest "$label" "$dk/bzImage" "$BUILD/initrd-debug.gz" debug 2400 "$p"
		labels="$labels $label"
	done
	start_host_tests
	wait
	report_host_tests
	for l in $labels; do
		report_guest "$l"
	done
else
	# DMM_SHARDS=N splits each kernel's tests of a full run over N
	# guests (docs/testing.rst: not the default).
	parts=("$ONLY")
	if [ -z "$ONLY" ] && [ "${DMM_SHARDS:-1}" -gt 1 ]; then
		mapfile -t parts < <(shard_tests "$DMM_SHARDS")
	fi
	labels=
	for v in ${DMM_KVERS:-$(tests/kernels.sh)}; do
		tests/vm/mkinitramfs.sh "$v" "$BUILD/initrd-$v.gz"
		i=0
		for p in "${parts[@]}"; do
			i=$((i + 1))
			label=$v
			[ ${#parts[@]} -gt 1 ] && label=$v-part$i
			boot_guest "$label" "/boot/vmlinuz-$v" "$BUILD/initrd-$v.gz" "$v" 3600 "$p"
			labels="$labels $label"
		done
	done
	start_host_tests
	wait
	report_host_tests
	for v in $labels; do
		report_guest "$v"
	done
	if [ -z "$ONLY" ]; then
		echo "# cross-kernel migration between two guests"
		tests/cross.sh > "$LOGS/cross.tap" 2>&1
		cat "$LOGS/cross.tap"
		count_tap "$LOGS/cross.tap" 0
		for side in src dst; do
			check_log "cross $side" "$LOGS/cross/$side/console.log"
		done
	fi
fi

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
