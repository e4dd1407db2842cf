# Shell helpers for dm-migrate's kernel tests: TAP output in the kselftest
# style, scratch devices, and cleanup.  Sourced by tests/kernel/*.sh, which
# run inside the test guest as root.

TAP_N=0
TAP_FAILED=0
REPO=${DMM_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BIN=$REPO/build/tests
MDM=$REPO/build/migrate-dm
export DM_DISABLE_UDEV=1

tap_plan() { echo "TAP version 13"; echo "1..$1"; }
tap_diag() { sed 's/^/# /'; }

ok() {
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N $*"
}

not_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N $*"
}

# check DESCRIPTION COMMAND...: one test case, passing when COMMAND does;
# the command's output is shown as diagnostics only when it fails.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | tap_diag
	fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf 'expected: %s\nactual:   %s\n' "$2" "$3" | tap_diag
	fi
}

# kmsg_mark: put a unique line in the kernel log and print it;
# kmsg_since MARK: the kernel log after that line.  Counting lines instead
# fails once the ring buffer is full and drops its oldest lines.
kmsg_mark() {
	local m="dmm-mark-$$-$RANDOM$RANDOM"
	echo "<6>$m" > /dev/kmsg
	echo "$m"
}
kmsg_since() { dmesg | sed -n "/$1\$/,\$p" | tail -n +2; }

# expect_fail_msg DESCRIPTION PATTERN COMMAND...: COMMAND must fail and the
# kernel log must gain a line matching PATTERN.
expect_fail_msg() {
	local desc=$1 pat=$2 mark
	shift 2
	mark=$(kmsg_mark)
	if "$@" >/dev/null 2>&1; then
		not_ok "$desc"
		echo "command succeeded: $*" | tap_diag
	elif kmsg_since "$mark" | grep -q -- "$pat"; then
		ok "$desc"
	else
		not_ok "$desc"
		{ echo "no kernel message matching: $pat"; kmsg_since "$mark"; } | tap_diag
	fi
}

# expect_rc DESC RC PATTERN COMMAND...: exit code RC and stderr+stdout
# matching PATTERN (the first lines of the output go to the log).
expect_rc() {
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" = "$want" ] && printf '%s\n' "$out" | grep -qE -- "$pat"; then
		ok "$desc"
		printf '%s\n' "$out" | head -n 4 | tap_diag
	else
		not_ok "$desc"
		printf 'exit %s (want %s), output:\n%s\n' "$rc" "$want" "$out" | tap_diag
	fi
}

tap_done() {
	[ "$TAP_FAILED" = 0 ]
}

# Scratch storage: loop devices over files in the guest's tmpfs.
scratch_dev() {	# scratch_dev SIZE -> prints /dev/loopN
	local f
	f=$(mktemp /tmp/scratch.XXXXXX)
	truncate -s "$1" "$f"
	losetup -f --show --direct-io=on "$f" 2>/dev/null || losetup -f --show "$f"
}

sectors_of() { blockdev --getsz "$1"; }

# dmm_load MODULE...: in a guest script (not tests/guest/run.sh, which
# loads them for the tests), the kernel modules it needs and dm-migrate.ko
# built for the guest's kernel (or DMM_KO, another build), with what that
# depends on.
dmm_load() {
	local m ko=${DMM_KO:-$REPO/build/$DMM_KVER/dm-migrate.ko}
	for m in "$@" $(modinfo -F depends "$ko" | tr , ' '); do
		[ -d "/sys/module/$m" ] || modprobe "$m" || echo "modprobe $m failed"
	done
	insmod "$ko" || { echo "cannot load $ko"; return 1; }
}

dm_cleanup() {
	local d
	# A test stopped while it held a volume suspended (its timeout): the
	# I/O stuck there would keep the removal of the device above waiting.
	for d in $(dmsetup info -c --noheadings -o name,suspended 2>/dev/null |
		   awk -F: '$2 == "Suspended" { print $1 }'); do
		case "$d" in mt_*) dmsetup resume "$d" >/dev/null 2>&1 ;; esac
	done
	for d in $(dmsetup ls 2>/dev/null | awk '{print $1}'); do
		case "$d" in mt_*) dmsetup remove --retry "$d" >/dev/null 2>&1 ;; esac
	done
	# scratch_dev runs in $(...): detach every loop device of the guest.
	losetup -D 2>/dev/null
	rm -f /tmp/scratch.*
}
trap 'dm_cleanup; net_cleanup' EXIT
# A test killed by its timeout still cleans up (the EXIT trap runs).
trap 'exit 143' TERM

# status_field DEV N: Nth word of the target's INFO status (after
# "<start> <len> migrate").
status_field() {
	local f
	read -r -a f <<< "$(dmsetup status "$1")"
	echo "${f[$2 + 2]}"
}
dirty_of() { status_field "$1" 3 | cut -d/ -f1; }

# Two test "hosts": network namespaces src and dst joined by a veth pair,
# 198.18.0.1 and 198.18.0.2 (and fd00:198:18::1/2), the benchmarking range.
SRC_IP=198.18.0.1
DST_IP=198.18.0.2
net_setup() {
	ip netns add src
	ip netns add dst
	ip link add veth-s netns src type veth peer name veth-d netns dst
	ip -n src addr add $SRC_IP/24 dev veth-s
	ip -n dst addr add $DST_IP/24 dev veth-d
	ip -n src addr add fd00:198:18::1/64 dev veth-s nodad
	ip -n dst addr add fd00:198:18::2/64 dev veth-d nodad
	ip -n src link set lo up
	ip -n dst link set lo up
	ip -n src link set veth-s up
	ip -n dst link set veth-d up
}
net_cleanup() {
	ip netns del src 2>/dev/null
	ip netns del dst 2>/dev/null
}
on_src() { ip netns exec src "$@"; }
on_dst() { ip netns exec dst "$@"; }

new_key() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

# mode_of DEV: first word of the target status.
mode_of() { status_field "$1" 1; }

# nap S: sleep S seconds (fractions too) without starting a process: under
# TCG every process started costs about a tenth of a second of CPU, which
# polling loops spent beside the kernel work they wait for.
# It reads a FIFO that nobody writes, opened once here.
mkfifo "/tmp/.nap.$$" && exec {NAP_FD}<>"/tmp/.nap.$$"
rm -f "/tmp/.nap.$$"
nap() { read -r -t "$1" -u "$NAP_FD" _; return 0; }

# wait_mode DEV MODE TIMEOUT_S: poll until DEV's mode is MODE: every 0.1 s
# for the first 2 s, every 0.5 s up to 10 s, then every second (a wait of
# minutes costs a few hundred dmsetup calls, not thousands: each took a
# quarter of a second of a loaded guest's CPU, beside the work waited for).
# TIMEOUT_S is seconds of an idle guest: the wait gives up after twice that
# on the clock (a loaded TCG guest runs slower; the old loop of 0.1 s
# sleeps, each a process, stretched the same way).
wait_mode() {
	local end=$((SECONDS + 2 * $3)) n=0 f
	while :; do
		read -r -a f <<< "$(dmsetup status "$1")"
		[ "${f[3]}" = "$2" ] && return 0
		[ "$SECONDS" -ge "$end" ] && break
		n=$((n + 1))
		if [ "$n" -le 20 ]; then
			nap 0.1
		elif [ "$n" -le 36 ]; then
			nap 0.5
		else
			nap 1
		fi
	done
	echo "timeout waiting for $1 to be $2; status: $(dmsetup status "$1")"
	return 1
}

# fill_mixed DEV MIB: zeroes, text-like and random data in thirds.
fill_mixed() {
	local third=$(($2 / 3))
	dd if=/dev/urandom of="$1" bs=1M count="$third" oflag=direct status=none
	yes "dm-migrate moves disks between hosts; lorem ipsum dolor sit amet" |
		head -c $((third << 20)) |
		dd of="$1" bs=1M seek="$third" oflag=direct iflag=fullblock status=none
}

# migration_pair MB [DEBUG_MB]: the two volumes of a migration test, src
# filled with mixed content and an empty dst of MB MiB (DEBUG_MB on the
# slower debug kernel); sets src, dst, sz (sectors), SIZE_MB and KEY.
migration_pair() {
	SIZE_MB=$1
	[ "$DMM_KVER" = debug ] && SIZE_MB=${2:-$1}
	src=$(scratch_dev "${SIZE_MB}M")
	dst=$(scratch_dev "${SIZE_MB}M")
	sz=$(sectors_of "$src")
	fill_mixed "$src" "$SIZE_MB"
	KEY=$(new_key)
}

# handoff_wait DEV [TIMEOUT_S]: decide the handoff of the suspended DEV
# (the message returns at once) and wait until the peer confirmed.
handoff_wait() {
	dmsetup message "$1" 0 handoff && wait_mode "$1" handed_off "${2:-120}"
}

dev_sha() { dd if="$1" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1; }

# json DEV EXPR: EXPR (Python, over s) of `migrate-dm status DEV --json`.
json() {
	"$MDM" status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}
