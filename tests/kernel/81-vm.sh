#!/bin/bash
# dmm-cost: 43
# migrate-dm's VM commands against the real module, with libvirt's test
# driver as both libvirts (in-process: no daemon, no QEMU; it cannot
# migrate RAM, so the migration ends at its RAM step): prepare makes,
# finds made and cancels its receivers; migrate pushes two disks, mirrors
# them once both converged, and when libvirt's migration fails puts both
# back to tracking; 'migrate-dm abort VM' stops a migration under way; a
# second migrate is refused; a disk on a device that is not tracking, or
# not a migrate device, is refused before anything starts.  One kernel
# plays both hosts, so the destination's devices have other names than the
# source's (mt_p-*, mt_r-*; the source's mt_s-*).  The real two-host
# migration of a QEMU VM is the VM harness's (make check-vm).
. "$(dirname "$0")/../lib.sh"

tap_plan 21
net_setup
umask 077
export MIGRATE_DM_RUNDIR=/tmp/vmrun
new_key > /tmp/vmkey

# domain FILE PREFIX: a test-driver node whose running vm1 has two disks,
# /dev/mapper/PREFIX-a (vda) and PREFIX-b (vdb), and an empty CD-ROM.
domain() {
	cat > "$1" <<XML
<node><domain type='test'><name>vm1</name><memory>65536</memory>
<os><type>hvm</type></os><devices>
<disk type='block' device='disk'><driver name='qemu' type='raw' cache='none'/>
<source dev='/dev/mapper/$2-a'/><target dev='vda' bus='virtio'/></disk>
<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>
<disk type='block' device='disk'><driver name='qemu' type='raw' cache='directsync'/>
<source dev='/dev/mapper/$2-b'/><target dev='vdb' bus='virtio'/></disk>
</devices></domain></node>
XML
}


listen_of() {
	"$MDM" status "$1" --json | python3 -c "import json,sys; s=json.load(sys.stdin); print(s['phase'], s['listen'])"
}

# --- prepare, on the "destination" ----------------------------------------
# The test driver gives every disk the same size, 1099506450432 bytes:
# sparse volumes of that size.
domain /tmp/dom-p.xml mt_p
mkdir -p /tmp/vols
ln -s "$(scratch_dev 1099506450432)" /tmp/vols/mt_p-a
ln -s "$(scratch_dev 1099506450432)" /tmp/vols/mt_p-b
prep() {
	on_dst "$MDM" prepare vm1 --from test:///tmp/dom-p.xml --listen $DST_IP:7800 \
		--volume-dir /tmp/vols --key-file /tmp/vmkey
}
expect_rc "prepare: a receiver per disk, ports 7800 and 7801" 0 \
	"disk vdb: /dev/mapper/mt_p-b over /tmp/vols/mt_p-b listening on $DST_IP:7801" prep
expect_eq "prepare: vda receiving on its port" "receiving $DST_IP:7800" "$(listen_of mt_p-a)"
expect_eq "prepare: vdb receiving on the next" "receiving $DST_IP:7801" "$(listen_of mt_p-b)"
check "prepare: the devices carry its uuid" sh -c \
	"dmsetup info -c --noheadings -o uuid mt_p-a | grep -qx 'mdm-prepare:vm1:mt_p-a'"
expect_rc "prepare again: nothing to do" 0 "mt_p-a over /tmp/vols/mt_p-a already listening" prep
on_dst "$MDM" abort mt_p-b > /dev/null
expect_rc "prepare again after a receiver stopped: it listens again" 0 \
	"mt_p-b over /tmp/vols/mt_p-b listening on $DST_IP:7801" prep
expect_rc "prepare --cancel removes both" 0 "removed /dev/mapper/mt_p-b" \
	"$MDM" prepare vm1 --cancel
check "prepare --cancel: the devices are gone" sh -c "! dmsetup info mt_p-a && ! dmsetup info mt_p-b"
expect_rc "prepare --cancel again: nothing to do" 0 "nothing prepared on this host" \
	"$MDM" prepare vm1 --cancel

# --- migrate, on the "source" ---------------------------------------------
sa=$(scratch_dev 24M); sb=$(scratch_dev 12M)
ra=$(scratch_dev 24M); rb=$(scratch_dev 12M)
fill_mixed "$sa" 24
fill_mixed "$sb" 12
dmsetup create mt_s-a --table "0 $(sectors_of "$sa") migrate $sa 128"
dmsetup create mt_s-b --table "0 $(sectors_of "$sb") migrate $sb 128"
dmsetup create mt_r-a --table "0 $(sectors_of "$ra") migrate $ra 128 1 receive"
dmsetup create mt_r-b --table "0 $(sectors_of "$rb") migrate $rb 128 1 receive"
on_dst "$MDM" receive mt_r-a --listen $DST_IP:7810 --key-file /tmp/vmkey
on_dst "$MDM" receive mt_r-b --listen $DST_IP:7811 --key-file /tmp/vmkey
domain /tmp/dom-s.xml mt_s
mig() {
	on_src env LIBVIRT_DEFAULT_URI=test:///tmp/dom-s.xml "$MDM" migrate vm1 \
		--to test:///default --peer $DST_IP:7810 --key-file /tmp/vmkey "$@"
}

# A writer on vda throughout.
( while :; do
	dd if=/dev/urandom of=/dev/mapper/mt_s-a bs=4k count=4 seek=$((RANDOM % 6000)) \
		oflag=direct status=none 2>/dev/null
	nap 0.05
  done ) &
WRITER=$!

mig --json > /tmp/mig.json 2> /tmp/mig.err
rc=$?
tap_diag < /tmp/mig.err
expect_eq "migrate: libvirt's test driver cannot migrate RAM: exit 1" 1 "$rc"
# events: the milestones in order, and the RAM started after both converged.
ev_check() {
	python3 - "$@" <<'PY'
import json, sys
ev = [json.loads(l) for l in open("/tmp/mig.json")]
names = [e["event"] for e in ev if e["event"] != "progress"]
want = ["preflight", "push", "converged", "mirroring", "ram_start", "aborted", "failed"]
assert names == want, names
t = {e["event"]: e["t"] for e in ev}
assert t["converged"] <= t["mirroring"] <= t["ram_start"], t
prog = [e for e in ev if e["event"] == "progress"]
assert prog and all(len(p["disks"]) == 2 for p in prog), prog[:1]
assert {d["disk"] for d in prog[-1]["disks"]} == {"vda", "vdb"}, prog[-1]
last = [e for e in ev if e["event"] == "aborted"][0]["message"]
assert "RAM migration failed" in last and "prepare vm1 --cancel" in last, last
assert "every disk tracks again" in last, last
PY
}
check "migrate --json: preflight, push, converged, mirroring, ram_start, aborted, failed; RAM after every disk converged" ev_check
expect_eq "after the failed RAM migration both disks track again" "tracking tracking" \
	"$(mode_of mt_s-a) $(mode_of mt_s-b)"
applied() { [ "$(status_field mt_r-a 9)" -gt 0 ] && [ "$(status_field mt_r-b 9)" -gt 0 ]; }
check "both were pushed to their own receiver" applied
check "the lock is gone" test ! -e /tmp/vmrun/vm1.lock

# abort VM, and a second migrate, while one runs (slowly: 256 KiB/s).
mig --rate 256K > /tmp/mig2.out 2>&1 &
MIG=$!
for _ in $(seq 100); do grep -q "pushing 2 disks" /tmp/mig2.out && break; nap 0.1; done
expect_rc "a second migrate of vm1 is refused" 6 \
	"vm1: a migration of this VM is already running \(pid [0-9]+, disks\)" mig
expect_rc "abort vm1: the migration ends, aborted" 0 "vm1: migration aborted" "$MDM" abort vm1
wait "$MIG"
expect_eq "the aborted migrate exits 1" 1 "$?"
tap_diag < /tmp/mig2.out
check "it said why and what to do" grep -q "'migrate-dm abort' asked; every disk tracks again.*prepare vm1 --cancel" /tmp/mig2.out
expect_eq "after abort both disks track again" "tracking tracking" \
	"$(mode_of mt_s-a) $(mode_of mt_s-b)"
kill "$WRITER"
wait "$WRITER" 2>/dev/null

# Pre-flight with devices: not tracking, not a migrate device.
domain /tmp/dom-r.xml mt_r
expect_rc "pre-flight: a disk whose device is not tracking (a receiver)" 1 \
	"vm1: disk vda: mt_r-a is receiving, not tracking" \
	env LIBVIRT_DEFAULT_URI=test:///tmp/dom-r.xml "$MDM" migrate vm1 --to test:///default \
	--peer $DST_IP --key-file /tmp/vmkey
dmsetup create mt_l-a --table "0 $(sectors_of "$sa") linear $sa 0"
dmsetup create mt_l-b --table "0 $(sectors_of "$sb") linear $sb 0"
domain /tmp/dom-l.xml mt_l
expect_rc "pre-flight: a disk on a device that is not a migrate device" 4 \
	"mt_l-a: not a migrate device" \
	env LIBVIRT_DEFAULT_URI=test:///tmp/dom-l.xml "$MDM" migrate vm1 --to test:///default \
	--peer $DST_IP --key-file /tmp/vmkey
tap_done
