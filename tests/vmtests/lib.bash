# Sourced by tests/vmtests/*.sh, the VM demo (tests/guest/demo-vm.sh) and
# the VM bench (bench/vm.sh): the harness (tests/vmhost.sh), its two hosts
# and the VM, their disks, the operator's two migrate-dm commands, the
# records check, the cleanup, and step() for the timings.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
. "$REPO/tests/vmhost.sh"

A=hosta
B=hostb
A_IP=198.18.0.1
B_IP=198.18.0.2
VM=vm1
DISK_MB=${VM_DISK_MB:-32}
DISKS="$VM-disk0 $VM-disk1"
MDM=$REPO/build/migrate-dm
KEY=$VMH_ROOT/key	# the pre-shared key of prepare and migrate
VOLS=$VMH_ROOT/$B/vols	# B's volumes for prepare --volume-dir

# vmt_src_disks: on A, a migrate device (tracking) per disk of the VM, of
# the saved disks' size, over a loop device.
vmt_src_disks() {
	local disk
	for disk in $DISKS; do
		vmh_dm_create $A "$disk" "0 $((DISK_MB * 2048)) migrate $(scratch_dev "${DISK_MB}M") 128" ||
			return 1
	done
}

# vmt_dst_disks DIR: on B, a dm-linear volume of the same size per disk.
# DIR "": under the disk's own name (libvirt's --copy-storage-all copies
# into /dev/mapper/DISK there); else as the node DIR/DISK of B's volume
# vol-DISK, where prepare --volume-dir DIR looks for it.
vmt_dst_disks() {
	local disk name
	for disk in $DISKS; do
		name=$disk
		[ -n "$1" ] && name=vol-$disk
		vmh_dm_create $B "$name" "0 $((DISK_MB * 2048)) linear $(scratch_dev "${DISK_MB}M") 0" ||
			return 1
		if [ -n "$1" ]; then
			mkdir -p "$1"
			cp -a "$(vmh_dir $B)/mapper/$name" "$1/$disk"
		fi
	done
}

# vmt_key: a new pre-shared key in $KEY, hex (openssl rand -hex 32).
vmt_key() {
	(umask 077 && openssl rand -hex 32 > "$KEY")
}

# vmt_mdm HOST TIMEOUT ARGS...: migrate-dm ARGS on HOST, under timeout
# (SIGTERM aborts a migrate like Ctrl-C).  With VMT_SHOW set, the command
# is first shown as an operator types it there ("hostb# migrate-dm ...").
vmt_mdm() {
	local host=$1 tmo=$2
	shift 2
	[ -z "${VMT_SHOW:-}" ] || echo "$host# migrate-dm $*"
	vmh "$host" timeout "$tmo" "$MDM" "$@"
}

# The operator's two commands (README, "Migrating a VM"), ARGS added.
vmt_prepare() {
	vmt_mdm $B 120 prepare $VM --from "$(vmh_uri $A)" --listen $B_IP \
		--volume-dir "$VOLS" --key-file "$KEY" "$@"
}
vmt_migrate() {
	vmt_mdm $A 600 migrate $VM --to "$(vmh_uri $B)" --peer $B_IP --key-file "$KEY" "$@"
}

# vmt_records HOST BOOT: the VM on HOST paused, every record on each of
# its disks there intact, in order, without a gap since boot BOOT, up to
# its last heartbeat; vmrec's report of each disk on stdout.  The VM stays
# paused.
vmt_records() {
	local host=$1 last disk rc=0
	vmh_virsh "$host" suspend $VM >/dev/null || return 1
	last=$(vm_last_hb "$host" $VM)
	for disk in $DISKS; do
		vm_check_disk "$(vmh_dir "$host")/mapper/$disk" "$2" "${last#* }" || rc=1
		cat "$VMH_ROOT/check.out"
	done
	return $rc
}

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
