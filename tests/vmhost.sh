# The VM test's two "hosts", each with its own libvirt daemon, inside ONE
# test guest; and the nested VM they run.  Sourced by tests/vmtests/*.sh
# after tests/lib.sh (docs/testing.rst, "The VM harness").
#
# A host NAME is a process (the "holder", `sleep infinity`) in its own
# network, mount and UTS namespaces: the network namespace NAME (ip netns),
# a veth to the other host on 198.18.0.0/24, hostname NAME, and private,
# writable directories of the guest's tmpfs (/tmp/vmhost/NAME/...) bound
# over the paths libvirt writes (the host's / is read-only 9p):
#   /run  /etc/libvirt  /var/lib/libvirt  /var/log/libvirt  /var/cache/libvirt
# and over /dev/mapper (see "Device names" below).  Its libvirtd has its
# own host_uuid (libvirt refuses to migrate between daemons with the same
# one), listens on TCP without authentication on the host's address only,
# runs QEMU as root with security_driver "none" (Debian's AppArmor profiles
# are per domain UUID: two daemons on one kernel clash), no cgroups, no
# private /dev for QEMU (namespaces = []: QEMU sees the host's /dev/mapper),
# and QEMU writes its log and chardev files itself (stdio_handler "file":
# no virtlogd).  Migration traffic (RAM and libvirt's NBD) uses the host's
# address.
#
#   vmh_up NAME IP [UUID]    start host NAME with libvirtd on IP (host_uuid
#                            UUID, default a random one)
#   vmh NAME CMD...          run CMD on host NAME (its namespaces)
#   vmh_virsh NAME ARGS...   virsh on NAME's local libvirtd
#   vmh_uri NAME             qemu+tcp://IP/system
#   vmh_down NAME            stop libvirtd (destroying its domains), the holder
#   vmh_dir NAME             the host's private tree, readable from outside
#
# Device names.  Device-mapper names are global to the kernel, but each
# host must see its disks as /dev/mapper/<name> (libvirt migrates a
# type='block' disk to the same path).  So a host's volume <name> is the
# kernel's device NAME-<name> (vmh_dm_create), and the host's private
# /dev/mapper has a node <name> for it (and its own control node): QEMU and
# libvirt on host NAME open /dev/mapper/<name>; dmsetup on any host sees
# every host's devices under their kernel names.
#
# The nested VM:
#   vm_files                 the nested guest's kernel and initramfs exist
#   vm_xml NAME DISK...      a domain: direct kernel boot of the Debian 6.1
#                            kernel (PVH), 1 vCPU, $VM_MEM_MB, serial console to
#                            /var/log/libvirt/qemu/NAME.console (per host),
#                            one virtio disk per /dev/mapper/DISK (block, raw,
#                            cache none)
#   vm_start HOST NAME DISK...  restore the saved VM (or boot it) on HOST
#   vm_check_disk DEV BOOT MIN_SEQ  vmrec check: intact, no gap, >= MIN_SEQ
#   vm_console HOST NAME     that console file as seen from outside
#   vm_wait_hb HOST NAME TIMEOUT [MIN_SEQ]   wait for a heartbeat (seq >
#                            MIN_SEQ) on HOST's console; prints "BOOT SEQ"
#   vm_last_hb HOST NAME     the last heartbeat there: "BOOT SEQ"

VMH_ROOT=/tmp/vmhost
VM_MEM_MB=${VM_MEM_MB:-128}
VM_INTERVAL_MS=${VM_INTERVAL_MS:-100}
# Built by `make tests` (Makefile: build/vm/): the first test kernel,
# uncompressed, which QEMU boots through its PVH entry (no BIOS real-mode
# boot, no decompression: 3x faster at one level of TCG), and the
# initramfs (busybox, virtio modules, vmrec).  The destination's QEMU opens
# them too, at the same path.
VM_KERNEL=${VM_KERNEL:-$REPO/build/vm/vmlinux}
VM_INITRD=${VM_INITRD:-$REPO/build/vm/initrd.gz}

vmh_dir() { echo "$VMH_ROOT/$1"; }
# The host's address and holder are files in its tree: vmh_up may run in a
# subshell (check's $(...)) and the other functions in the test's shell.
vmh_ip() { cat "$VMH_ROOT/$1/ip"; }
vmh_pid() { cat "$VMH_ROOT/$1/holder.pid" 2>/dev/null; }
vmh_uri() { echo "qemu+tcp://$(vmh_ip "$1")/system"; }

vmh() {
	local name=$1
	shift
	# -r: the holder's root, not the mount namespace's (the test guest
	# runs its tests in a chroot: tests/vm/init).
	nsenter -t "$(vmh_pid "$name")" -n -m -u -r -- "$@"
}
vmh_virsh() {
	local name=$1
	shift
	vmh "$name" virsh -q -c qemu:///system "$@"
}

# vmh_net A IPA B IPB: the two hosts' network namespaces and their veth.
vmh_net() {
	ip netns add "$1"
	ip netns add "$3"
	ip link add "v-$1" netns "$1" type veth peer name "v-$3" netns "$3"
	ip -n "$1" addr add "$2/24" dev "v-$1"
	ip -n "$3" addr add "$4/24" dev "v-$3"
	for h in "$1" "$3"; do
		ip -n "$h" link set lo up
		ip -n "$h" link set "v-$h" up
	done
}

vmh_up() {
	local name=$1 ip=$2 uuid=${3:-$(cat /proc/sys/kernel/random/uuid)} d t0=$SECONDS i pid
	d=$(vmh_dir "$name")
	mkdir -p "$d"/{run,etc,lib,log,cache,mapper}
	echo "$ip" > "$d/ip"
	cp -a /etc/libvirt/. "$d/etc/"
	mkdir -p "$d/lib/qemu" "$d/log/qemu" "$d/cache/qemu"
	# Capabilities probed by the first host are valid for the second (same
	# QEMU, same kernel): copy them instead of probing again (~30 s).
	[ -d "$VMH_ROOT/capscache" ] && cp -a "$VMH_ROOT/capscache/." "$d/cache/qemu/"
	cat > "$d/etc/libvirtd.conf" <<-EOF
	listen_tls = 0
	listen_tcp = 1
	listen_addr = "$ip"
	auth_tcp = "none"
	auth_unix_ro = "none"
	auth_unix_rw = "none"
	host_uuid = "$uuid"
	log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	keepalive_interval = 5
	keepalive_count = 10
	EOF
	cat > "$d/etc/qemu.conf" <<-EOF
	security_driver = "none"
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	namespaces = [ ]
	cgroup_controllers = [ ]
	stdio_handler = "file"
	migration_address = "$ip"
	migration_host = "$ip"
	EOF
	[ -e /dev/mapper/control ] || { mkdir -p /dev/mapper; mknod /dev/mapper/control c 10 236; }
	rm -f "$d/ready" "$d/mapper/control"
	mknod "$d/mapper/control" c 10 236
	# The holder: its namespaces are the host.
	ip netns exec "$name" unshare --mount --uts --propagation private sh -c '
		d=$1; hostname "$2"
		mount --bind "$d/run" /run
		mkdir -p /run/libvirt /run/lock
		mount --bind "$d/etc" /etc/libvirt
		mount --bind "$d/lib" /var/lib/libvirt
		mount --bind "$d/log" /var/log/libvirt
		mount --bind "$d/cache" /var/cache/libvirt
		mount --bind "$d/mapper" /dev/mapper
		touch "$d/ready"
		exec sleep infinity' vmhost "$d" "$name" </dev/null >"$d/holder.log" 2>&1 &
	pid=$!
	for i in $(seq 100); do [ -e "$d/ready" ] && break; sleep 0.1; done
	[ -e "$d/ready" ] || { echo "vmh_up $name: the namespaces did not come up"; cat "$d/holder.log"; return 1; }
	# ip netns exec, unshare and sh exec each other: the holder is $!.
	echo "$pid" > "$d/holder.pid"
	mkdir -p "$VMH_ROOT"
	vmh "$name" libvirtd --listen --daemon --pid-file /run/libvirtd.pid ||
		{ echo "vmh_up $name: libvirtd did not start"; return 1; }
	for i in $(seq 600); do
		vmh_virsh "$name" version >/dev/null 2>&1 && break
		sleep 0.5
	done
	if ! vmh_virsh "$name" version >/dev/null 2>&1; then
		echo "vmh_up $name: libvirtd does not answer"
		tail -n 20 "$d/log/libvirtd.log"
		return 1
	fi
	# First use of the QEMU driver probes the emulator: do it now.
	vmh_virsh "$name" domcapabilities --virttype qemu >/dev/null 2>&1
	[ -d "$VMH_ROOT/capscache" ] || cp -a "$d/cache/qemu/." "$VMH_ROOT/capscache/" 2>/dev/null ||
		{ mkdir -p "$VMH_ROOT/capscache" && cp -a "$d/cache/qemu/." "$VMH_ROOT/capscache/"; }
	echo "# host $name: libvirtd on $ip up in $((SECONDS - t0)) s"
}

vmh_down() {
	local name=$1 pid dom holder
	holder=$(vmh_pid "$name")
	[ -n "$holder" ] || return 0
	for dom in $(vmh_virsh "$name" list --name 2>/dev/null); do
		vmh_virsh "$name" destroy "$dom" >/dev/null 2>&1
	done
	pid=$(cat "$(vmh_dir "$name")/run/libvirtd.pid" 2>/dev/null)
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	fi
	kill "$holder" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$holder" 2>/dev/null || break; sleep 0.1; done
	ip netns del "$name" 2>/dev/null
	# Nothing of this host for the next test (another vmtests/*.sh in the
	# same guest): a stale "ready" or console would pass for a new one.
	rm -rf "$(vmh_dir "$name")"
}

# vmh_dm_create HOST NAME TABLE: device NAME as HOST sees it (kernel name
# HOST-NAME, node /dev/mapper/NAME in HOST's private /dev/mapper).
vmh_dm_create() {
	local host=$1 name=$2 table=$3 d mm
	d=$(vmh_dir "$host")
	dmsetup create "$host-$name" --table "$table" || return 1
	mm=$(dmsetup info -c --noheadings -o major,minor "$host-$name" | tr -d ' ')
	rm -f "$d/mapper/$name"
	mknod "$d/mapper/$name" b "${mm%:*}" "${mm#*:}"
}
vmh_dm_remove() {
	dmsetup remove --retry "$1-$2" && rm -f "$(vmh_dir "$1")/mapper/$2"
}

vm_files() {	# the nested guest's kernel and initramfs are built
	local f
	for f in "$VM_KERNEL" "$VM_INITRD"; do
		[ -s "$f" ] || { echo "$f: missing (make tests builds it)"; return 1; }
	done
}

vm_xml() {
	local name=$1 disk t=a
	shift
	cat <<-EOF
	<domain type='qemu'>
	  <name>$name</name>
	  <uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>
	  <memory unit='MiB'>$VM_MEM_MB</memory>
	  <vcpu>1</vcpu>
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$VM_KERNEL</kernel>
	    <initrd>$VM_INITRD</initrd>
	    <cmdline>console=ttyS0 panic=-1 mitigations=off vmrec.interval=$VM_INTERVAL_MS</cmdline>
	  </os>
	  <clock offset='utc'/>
	  <on_poweroff>destroy</on_poweroff>
	  <on_reboot>destroy</on_reboot>
	  <on_crash>destroy</on_crash>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	EOF
	for disk in "$@"; do
		cat <<-EOF
		    <disk type='block' device='disk'>
		      <driver name='qemu' type='raw' cache='none' io='native'/>
		      <source dev='/dev/mapper/$disk'/>
		      <target dev='vd$t' bus='virtio'/>
		    </disk>
		EOF
		t=$(echo "$t" | tr a-y b-z)
	done
	cat <<-EOF
	    <serial type='file'>
	      <source path='/var/log/libvirt/qemu/$name.console' append='on'/>
	      <target port='0'/>
	    </serial>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
}

# vm_start HOST NAME DISK...: NAME running on HOST with its disks on
# HOST's /dev/mapper/DISK (created by the caller, each of the size of the
# saved disk images).  With the VM that make check-vm booted and saved on
# the machine (tests/vm/mkvmsnap.sh: build/vm/NAME.save, its disks
# build/vm/DISK.img): the disks are copied onto HOST's volumes and the VM
# restored (~20 s), its writer going on from where it was saved.  Without
# it, or with VM_COLD_BOOT set: defined and booted in the test guest (4-6
# min to the first heartbeat; vm_boot_times records the milestones in
# $VMH_ROOT/boot.times).  Either way, wait for the heartbeat with
# vm_wait_hb.  vm_start_how says which it will be.
VM_SNAP=${VM_SNAP:-$REPO/build/vm}
vm_start_how() {
	if [ -s "$VM_SNAP/vm1.save" ] && [ -z "${VM_COLD_BOOT:-}" ]; then
		echo "restore of the VM saved by make check-vm"
	else
		echo "cold boot"
	fi
}
vm_start() {
	local host=$1 name=$2 d
	shift 2
	if [ -s "$VM_SNAP/$name.save" ] && [ -z "${VM_COLD_BOOT:-}" ]; then
		for d in "$@"; do
			dd if="$VM_SNAP/$d.img" of="$(vmh_dir "$host")/mapper/$d" bs=1M \
				oflag=direct status=none || return 1
		done
		echo "# $name: restoring $VM_SNAP/$name.save (saved at heartbeat $(cat "$VM_SNAP/$name.hb"))"
		vmh_virsh "$host" restore "$VM_SNAP/$name.save"
	else
		vm_xml "$name" "$@" > "$VMH_ROOT/$name.xml"
		vm_boot_times "$host" "$name" "$SECONDS" "$VMH_ROOT/boot.times"
		vmh_virsh "$host" define "$VMH_ROOT/$name.xml" &&
			vmh_virsh "$host" start "$name"
	fi
}

# vm_check_disk DEV BOOT MIN_SEQ: every record on DEV is intact, of boot
# BOOT, in order and without a gap since the first (first=1: the ring has
# not wrapped), up to MIN_SEQ at least.  vmrec's report goes to
# $VMH_ROOT/check.out.
vm_check_disk() {
	"$REPO/build/tests/vmrec" check -b "$2" -m "$3" "$1" > "$VMH_ROOT/check.out" 2>&1 &&
		grep -q ' first=1 ' "$VMH_ROOT/check.out"
}

vm_console() { echo "$(vmh_dir "$1")/log/qemu/$2.console"; }

vm_last_hb() {
	tr -d '\r' 2>/dev/null < "$(vm_console "$1" "$2")" |
		sed -n 's/^vmrec: hb boot=\([0-9a-f]*\) seq=\([0-9]*\) .*/\1 \2/p' | tail -n 1
}

# vm_boot_times HOST NAME T0 FILE: in the background, append to FILE the
# seconds (since T0, in $SECONDS) at which HOST's console of NAME first
# shows the kernel's banner, init's first line and the first heartbeat.
vm_boot_times() {
	local con want t
	con=$(vm_console "$1" "$2")
	(for want in 'Linux version' 'vm-init: userspace' 'vmrec: hb'; do
		until grep -aq "$want" "$con" 2>/dev/null; do sleep 0.5; done
		t=$((SECONDS - $3))
		echo "$want: +$t s" >> "$4"
	done) >/dev/null 2>&1 &
}

vm_wait_hb() {
	local host=$1 name=$2 tmo=$3 min=${4:-0} end=$((SECONDS + $3)) hb
	while [ "$SECONDS" -lt "$end" ]; do
		hb=$(vm_last_hb "$host" "$name")
		if [ -n "$hb" ] && [ "${hb#* }" -gt "$min" ]; then
			echo "$hb"
			return 0
		fi
		sleep 1
	done
	echo "no heartbeat above seq $min on $host's console of $name within $tmo s" >&2
	tail -n 60 "$(vm_console "$host" "$name")" >&2 2>/dev/null
	return 1
}
