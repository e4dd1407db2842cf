#!/bin/bash
# Boot a kernel under QEMU (TCG) with the host's / shared read-only, run a
# command from the repository inside it, and wait for it to power off.
#
# Usage: boot.sh KERNEL INITRD KVER LOGDIR TIMEOUT_S CMD [ARGS]
#   CMD                 a bash script, relative to the repository
#   LOGDIR/console.log  kernel log (first serial port)
#   LOGDIR/output.log   the command's output (second serial port)
#   LOGDIR/status       the command's exit status (third serial port)
# Exits with the command's exit status (0: it succeeded), 124 on timeout,
# 127 if CMD does not exist, and 1 if the guest stopped before CMD ended
# (a kernel crash) or the repository's path cannot be served to the guest.
set -euo pipefail
kernel=$1 initrd=$2 kver=$3 logdir=$4 timeout_s=$5 cmd=$6
args=${7:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
# Whatever happens next, no caller reads an earlier run's logs.
mkdir -p "$logdir"
: > "$logdir/console.log"
: > "$logdir/output.log"
: > "$logdir/status"

# The guest sees the repository at the same path, through the host's /
# over 9p, and gets it on the kernel command line: no blanks or quotes.
# Its own /proc, /sys, /dev, /tmp, /run and /var/tmp are mounted over the
# host's; tests/vm/init binds a repository below /tmp, /run, /var/tmp or
# /dev/shm back on top, but not one that is such a mount point itself.
if ! [[ $repo =~ ^/[A-Za-z0-9._/+@,:~-]*$ ]]; then
	echo "boot.sh: cannot boot a guest from '$repo': the path has characters the kernel command line cannot carry; clone the repository to a plain path" >&2
	exit 1
fi
case "$repo" in
/proc | /proc/* | /sys | /sys/* | /dev | /dev/pts | /dev/pts/* | /dev/shm | /tmp | /run | /var/tmp)
	echo "boot.sh: cannot boot a guest from $repo: the guest mounts its own filesystem there; clone the repository into a directory below it or elsewhere" >&2
	exit 1 ;;
esac
if [ ! -f "$repo/$cmd" ]; then
	echo "boot.sh: no guest script $repo/$cmd" >&2
	exit 127
fi
# Kernel parameters of the form KEY=VALUE that the kernel does not know
# become environment variables of init.
append="console=ttyS0 panic=-1 loglevel=6 \
DMM_REPO=$repo DMM_KVER=$kver DMM_CMD=$cmd DMM_ARGS=$args"

# TCG occasionally trips over the kernel's own code patching (an int3 oops
# in early initcalls) before userspace starts: boot again, up to 3 times.
# A guest that reached userspace is never retried.
for attempt in 1 2 3; do
	: > "$logdir/console.log"
	: > "$logdir/output.log"
	: > "$logdir/status"
	rc=0
	# The guest's CPU time (user+sys of qemu) next to its wall time:
	# LOGDIR/cpu, "wall_s cpu_s".
	TIMEFORMAT="%R %U %S"
	{ time timeout --foreground -k 10 "$timeout_s" \
		qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 \
		-m "${DMM_GUEST_MEM:-3072}" -nodefaults -no-reboot -display none \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		-serial "file:$logdir/console.log" -serial "file:$logdir/output.log" \
		-serial "file:$logdir/status" \
		-device virtio-rng-pci ${DMM_QEMU_EXTRA:-} \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		</dev/null 2>&3 || rc=$?; } 3>&2 2> "$logdir/cpu.raw"
	awk 'END { printf "%.0f %.0f\n", $1, $2 + $3 }' "$logdir/cpu.raw" > "$logdir/cpu"
	if [ "$rc" = 124 ]; then
		echo "boot.sh: $kver guest timed out after $timeout_s s running $cmd (see $logdir/)" >&2
		exit 124
	fi
	if grep -q 'dmm-init: userspace up' "$logdir/console.log"; then
		[ "$rc" = 0 ] || exit "$rc"	# qemu itself failed
		status=$(tr -dc 0-9 < "$logdir/status")
		if [ -z "$status" ]; then
			echo "boot.sh: $kver guest stopped before $cmd finished (see $logdir/console.log)" >&2
			exit 1
		fi
		if [ "$status" != 0 ]; then
			echo "boot.sh: $cmd failed in the $kver guest with exit status $status (see $logdir/output.log)" >&2
		fi
		exit "$status"
	fi
	cp "$logdir/console.log" "$logdir/console.early-crash.$attempt.log"
	echo "boot.sh: $kver crashed or reported a bug before userspace (attempt $attempt); booting again" >&2
done
exit 1
