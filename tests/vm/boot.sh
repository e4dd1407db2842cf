#!/bin/bash
# Boot a kernel under QEMU (TCG) with the host's / shared read-only, run a
# command from the repository inside it, and wait for it to power off.
#
# Usage: boot.sh KERNEL INITRD KVER LOGDIR TIMEOUT_S CMD [ARGS]
#   LOGDIR/console.log  kernel log (first serial port)
#   LOGDIR/output.log   the command's output (second serial port)
# Exits 0 when the guest powered off by itself, 124 on timeout.
set -euo pipefail
kernel=$1 initrd=$2 kver=$3 logdir=$4 timeout_s=$5 cmd=$6
args=${7:-}
repo=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$logdir"
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
	rc=0
	timeout --foreground -k 10 "$timeout_s" \
		qemu-system-x86_64 -accel tcg,thread=multi -cpu max -smp 2 \
		-m "${DMM_GUEST_MEM:-3072}" -nodefaults -no-reboot -display none \
		-kernel "$kernel" -initrd "$initrd" -append "$append" \
		-serial "file:$logdir/console.log" -serial "file:$logdir/output.log" \
		-device virtio-rng-pci ${DMM_QEMU_EXTRA:-} \
		-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
		</dev/null || rc=$?
	if grep -q 'dmm-init: userspace up' "$logdir/console.log" || [ "$rc" = 124 ]; then
		exit "$rc"
	fi
	cp "$logdir/console.log" "$logdir/console.early-crash.$attempt.log"
	echo "boot.sh: $kver crashed before userspace (attempt $attempt); booting again" >&2
done
exit 1
