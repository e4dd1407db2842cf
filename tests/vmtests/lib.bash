# Sourced by tests/vmtests/*.sh: the harness (tests/vmhost.sh), its two
# hosts and the VM, their cleanup, and step() for the timings.
. "$(dirname "$0")/../lib.sh"
. "$REPO/tests/vmhost.sh"

A=hosta
B=hostb
A_IP=198.18.0.1
B_IP=198.18.0.2
VM=vm1
DISK_MB=${VM_DISK_MB:-32}
DISKS="$VM-disk0 $VM-disk1"

# vmt_cleanup [PATTERN]: both hosts down, their devices (and those whose
# names match PATTERN) removed.
vmt_cleanup() {
	local d
	vmh_down $B
	vmh_down $A
	for d in $(dmsetup ls 2>/dev/null | awk '{print $1}'); do
		case "$d" in $A-* | $B-* | ${1:-$A-*}) dmsetup remove --retry "$d" >/dev/null 2>&1 ;; esac
	done
	dm_cleanup
}

T0=$SECONDS
TS=$SECONDS
step() {	# step LABEL: print the time since the previous step
	echo "# time: $1: $((SECONDS - TS)) s (total $((SECONDS - T0)) s)"
	TS=$SECONDS
}
