#!/bin/bash
# Runs inside the test guest (see tests/vm/init): loads the module built for
# this kernel and runs each kernel test, kselftest-style: every test's own
# TAP is shown indented under a "# " prefix, followed by one result line for
# the test.  DMM_ARGS optionally lists the tests to run (comma-separated
# names without .sh).
REPO=$DMM_REPO
KVER=$(uname -r)
cd "$REPO" || exit 1
export DM_DISABLE_UDEV=1

echo "# guest: kernel $KVER"
for m in dm_mod dm_delay dm_zero loop veth sch_netem sch_tbf inet_diag tcp_diag $(modinfo -F depends "$REPO/build/$DMM_KVER/dm-migrate.ko" | tr , " "); do
	[ -d "/sys/module/$m" ] || modprobe "$m" || echo "# modprobe $m failed"
done
if ! insmod "$REPO/build/$DMM_KVER/dm-migrate.ko"; then
	echo "Bail out! cannot load build/$DMM_KVER/dm-migrate.ko"
	exit 1
fi

# A name with a slash is relative to tests/ (vmtests/90-vm), others are in
# tests/kernel/.
if [ -n "$DMM_ARGS" ]; then
	tests=$(echo "$DMM_ARGS" | tr ',' '\n' |
		sed "/\//! s|^|kernel/|; s|^|tests/|; s|$|.sh|")
else
	tests=$(ls tests/kernel/*.sh)
fi

# The debug kernel is ~5x slower under TCG.
TEST_TIMEOUT=600
[ "$DMM_KVER" = debug ] && TEST_TIMEOUT=900

echo "TAP version 13"
echo "1..$(($(echo "$tests" | wc -w) + 1))"
n=0
for t in $tests; do
	n=$((n + 1))
	name=$(basename "$t" .sh)
	echo "# selftests: dm-migrate: $name"
	start=$(date +%s)
	# A test may ask for a longer timeout: a line "# dmm-timeout: S".
	tmo=$(sed -n 's/^# dmm-timeout: \([0-9]*\)$/\1/p' "$t" | head -n 1)
	[ -n "$tmo" ] || tmo=$TEST_TIMEOUT
	# The test runs in a process group of its own, so that whatever it
	# left running in the background is killed with it afterwards; its
	# output is streamed until it exits.  Appended, as the watchdog's
	# lines are: a test writing at its own offset would overwrite them,
	# and tail, already past them, would never show what replaced them.
	: > /tmp/test.out
	setsid timeout "$tmo" bash "$t" >> /tmp/test.out 2>&1 < /dev/null &
	pid=$!
	# A test that takes long shows where it is: the devices and the
	# module's last words, every 2 minutes.
	( while sleep 120; do
		echo "watchdog: $(dmsetup status 2>/dev/null | grep migrate | cut -d' ' -f1,5-15 | tr '\n' ';')"
		dmesg | grep -E 'migrate|blocked' | tail -n 4 | sed 's/^/watchdog: /'
	  done ) >> /tmp/test.out 2>&1 &
	wd=$!
	tail -n +1 --pid="$pid" -f /tmp/test.out | sed -u 's/^/# /'
	wait "$pid"
	rc=$?
	kill "$wd" 2>/dev/null
	kill -- "-$pid" 2>/dev/null
	ip -all netns delete 2>/dev/null
	echo "# $name took $(($(date +%s) - start)) s"
	if [ "$rc" = 0 ]; then
		echo "ok $n selftests: dm-migrate: $name"
	else
		# What the module said last, and any task it blocked.
		dmesg | grep -E "migrate|blocked for more|INFO:" | tail -n 40 | sed 's/^/# dmesg: /'
		echo "not ok $n selftests: dm-migrate: $name # exit=$rc"
	fi
	dmsetup remove_all >/dev/null 2>&1
done

if rmmod dm_migrate; then
	echo "ok $((n + 1)) selftests: dm-migrate: module unloads cleanly"
else
	echo "not ok $((n + 1)) selftests: dm-migrate: module unloads cleanly"
fi
echo "# guest done"
