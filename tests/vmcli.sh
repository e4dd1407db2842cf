#!/bin/bash
# Host-side test of migrate-dm's VM commands against libvirt's test driver
# (no daemon, no module, no VM): pre-flight refusals (a cache='writeback'
# disk, a type='file' disk, a qcow2 disk, a shareable disk, no migratable
# disk), an unreachable destination, a domain already on the destination,
# a second migrate of the same VM, 'abort VM' signalling the migration that
# holds the VM's lock, prepare's refusals (missing volume, size mismatch),
# evacuate's plan (a source host of four VMs, two destinations whose
# memory forces the placement; each order; a VM that fits nowhere, disk
# space short in a pool, a VM refused by its pre-flight), and usage errors.  Everything it refuses is refused before any device or
# netlink socket is touched.  Prints TAP; exits non-zero on a failure.
#
#   tests/vmcli.sh [MIGRATE_DM]
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
MDM=${1:-$REPO/build/migrate-dm}
T=$(mktemp -d /tmp/vmcli.XXXXXX)
LOOP=
FAILED=0
N=0
cleanup() {
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
export MIGRATE_DM_RUNDIR=$T/run
openssl rand -hex 32 > "$T/key" 2>/dev/null || echo 00112233445566778899aabbccddeeff > "$T/key"
chmod 600 "$T/key"

# disk TARGET TYPE CACHE [FORMAT] [EXTRA]: one <disk> element.
disk() {
	local src=source\ dev
	[ "$2" = file ] && src=source\ file
	echo "<disk type='$2' device='disk'><driver name='qemu' type='${4:-raw}' cache='$3'/>" \
		"<$src='/dev/mapper/vm-$1'/><target dev='$1' bus='virtio'/>${5:-}</disk>"
}

# node FILE DISK...: a test driver node with domain vm1 running.
node() {
	local f=$1
	shift
	{
		echo "<node><domain type='test'><name>vm1</name><memory>65536</memory>"
		echo "<os><type>hvm</type></os><devices>"
		printf '%s\n' "$@"
		echo "<disk type='file' device='cdrom'><target dev='hdc' bus='ide'/><readonly/></disk>"
		echo "</devices></domain></node>"
	} > "$T/$f.xml"
}

# expect DESC RC PATTERN COMMAND...: exit code RC (a regex), output
# matching PATTERN.
expect() {
	local desc=$1 want=$2 pat=$3 out rc
	shift 3
	N=$((N + 1))
	out=$("$@" 2>&1)
	rc=$?
	if [[ "$rc" =~ ^($want)$ ]] && printf '%s\n' "$out" | grep -qE -- "$pat"; then
		echo "ok $N $desc"
	else
		echo "not ok $N $desc"
		printf 'exit %s (want %s), output:\n%s\n' "$rc" "$want" "$out" | sed 's/^/# /'
		FAILED=$((FAILED + 1))
	fi
}

node fit "$(disk vda block none)" "$(disk vdb block directsync)"
node writeback "$(disk vda block none)" "$(disk vdb block writeback)"
node file "$(disk vda file none)"
node qcow2 "$(disk vda block none qcow2)"
node shared "$(disk vda block none raw '<shareable/>')"
node cdonly
FIT=test://$T/fit.xml

src() {
	local n=$1
	shift
	LIBVIRT_DEFAULT_URI=test://$T/$n.xml "$MDM" migrate vm1 "$@"
}

echo "TAP version 13"
echo "1..32"
expect "pre-flight: cache='writeback' disk refused" 6 \
	"vm1: disk vdb \(/dev/mapper/vm-vdb\): cache is not 'none' or 'directsync'" \
	src writeback --to test:///default --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: type='file' disk refused" 6 "vm1: disk vda .*not type='block'" \
	src file --to test:///default --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: qcow2 disk refused" 6 "vm1: disk vda .*not raw" \
	src qcow2 --to test:///default --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: shareable disk refused" 6 "vm1: disk vda .*shareable" \
	src shared --to test:///default --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: a VM with only a CD-ROM has nothing to migrate" 6 "no disk to migrate" \
	src cdonly --to test:///default --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: unreachable destination libvirt" 5 \
	"vm1: cannot reach the destination libvirt qemu\+tcp://127.0.0.1:1/system" \
	src fit --to qemu+tcp://127.0.0.1:1/system --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: the domain already runs on the destination" 6 \
	"already runs on the destination" \
	src fit --to "$FIT" --peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: no such domain" 4 "nosuch: no such domain on the source" \
	env LIBVIRT_DEFAULT_URI="$FIT" "$MDM" migrate nosuch --to test:///default \
	--peer 198.18.0.2 --key-file "$T/key"
expect "pre-flight: bad --peer port" 2 "invalid --peer '198.18.0.2:70000'" \
	src fit --to test:///default --peer 198.18.0.2:70000 --key-file "$T/key"

# A migration of vm1 holding its lock: a stand-in that ends as 'aborted'
# on SIGUSR1, as migrate does.
mkdir -p "$T/run"
python3 - "$T/run/vm1.lock" "$T/ready" <<'PY' &
import fcntl, os, signal, sys, time
f = open(sys.argv[1], "w+")
fcntl.flock(f, fcntl.LOCK_EX)
def stage(s):
    f.seek(0); f.truncate(); f.write("%d\n%s\n" % (os.getpid(), s)); f.flush()
def on_usr1(sig, frame):
    stage("aborted"); os.unlink(sys.argv[1]); sys.exit(0)
signal.signal(signal.SIGUSR1, on_usr1)
stage("ram")
open(sys.argv[2], "w").close()
time.sleep(60)
PY
for _ in $(seq 50); do [ -e "$T/ready" ] && break; sleep 0.1; done
expect "a second migrate of a VM being migrated is refused" 6 \
	"vm1: a migration of this VM is already running \(pid [0-9]+, ram\); 'migrate-dm abort vm1' stops it" \
	src fit --to test:///default --peer 198.18.0.2 --key-file "$T/key"
expect "abort VM: signals the migration and waits for it to end as aborted" 0 \
	"vm1: migration aborted; the VM runs on the source" "$MDM" abort vm1
wait
# Then vm1 is taken for a device: none (4), or no device-mapper here (3).
expect "abort VM: none running" "3|4" "vm1: (no such device-mapper device|device-mapper is not available)" \
	"$MDM" abort vm1

# prepare, on the destination.
prep() {
	"$MDM" prepare vm1 --from "$1" --listen 198.18.0.2 --volume-dir "$T/vols" \
		--key-file "$T/key"
}
mkdir -p "$T/vols"
expect "prepare: refuses what migrate would refuse" 6 "vm1: disk vdb .*cache is not" \
	prep "test://$T/writeback.xml"
expect "prepare: a missing destination volume" 4 \
	"vm1: disk vda: no destination volume $T/vols/vm-vda .*lvcreate" prep "$FIT"
truncate -s 1M "$T/small.img"
if LOOP=$(losetup -f --show "$T/small.img" 2>/dev/null); then
	ln -s "$LOOP" "$T/vols/vm-vda"
	expect "prepare: a destination volume of another size" 6 \
		"vm1: disk vda: $T/vols/vm-vda is 1048576 bytes, the source's disk [0-9]+" prep "$FIT"
else
	N=$((N + 1))
	echo "ok $N prepare: a destination volume of another size # SKIP no loop device"
fi

# evacuate: a source host of four running VMs (vCPUs, GiB), a destination
# of 4 CPUs and 6 GiB and one of 4 CPUs and 4 GiB.  First-fit decreasing:
# vm1 (4) on a, vm2 (3) on b, vm3 (2) on a, vm4 (1) on b.  The test
# driver's disks are all 1 TiB, its pools 100 GiB: the destinations have
# none (disk space not checked) but for the refusal.
edom() {
	echo "<domain type='test'><name>$1</name><vcpu>$2</vcpu><memory>$(($3 * 1048576))</memory>" \
		"<os><type>hvm</type></os><devices>${4:-$(disk vda block none)}</devices></domain>" |
		sed "s|vm-vda|$1-vda|"
}
ehost() {
	local f=$1 cpus=$2 gib=$3
	shift 3
	{
		echo "<node><cpu><mhz>2000</mhz><nodes>1</nodes><sockets>1</sockets>"
		echo "<cores>$cpus</cores><threads>1</threads><active>$cpus</active></cpu>"
		echo "<memory>$((gib * 1048576))</memory>"
		printf '%s\n' "$@"
		echo "</node>"
	} > "$T/$f.xml"
}
ehost esrc 16 64 "$(edom vm1 2 4)" "$(edom vm2 2 3)" "$(edom vm3 1 2)" "$(edom vm4 1 1)"
ehost ea 4 6
ehost eb 4 4
ehost ebig 16 64 "$(edom vm1 2 4)" "$(edom vm2 2 3)" "$(edom vm3 1 2)" "$(edom vm4 1 1)" \
	"$(edom vm5 2 8)"
ehost ebad 16 64 "$(edom vm1 2 4)" "$(edom vm6 1 1 "$(disk vda block writeback)")"
ehost epool 16 64 "<pool type='dir'><name>vg0</name><target><path>/dev/vg0</path></target></pool>"
EA=test://$T/ea.xml
EB=test://$T/eb.xml
evac() {
	local src=$1
	shift
	"$MDM" evacuate "test://$T/$src.xml" --dry-run "$@"
}
# The plan's rows, "VM destination run" (the destination's file name).
rows() {
	"$@" 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && $2 != "/" && NF >= 7 { sub(".*/", "", $3); print $2, $3, $4 }' |
		paste -sd, -
}
expect_rows() {
	local desc=$1 want=$2 got
	shift 2
	N=$((N + 1))
	got=$(rows "$@")
	if [ "$got" = "$want" ]; then
		echo "ok $N $desc"
	else
		echo "not ok $N $desc"
		printf '# want %s\n# got  %s\n' "$want" "$got"
		"$@" 2>&1 | sed 's/^/# /'
		FAILED=$((FAILED + 1))
	fi
}
expect_rows "evacuate: round-robin alternates the destinations, 2 at once" \
	"vm1 ea.xml 1,vm2 eb.xml 2,vm3 ea.xml 2,vm4 eb.xml 1" \
	evac esrc --to "$EA,$EB" --order round-robin --parallel 2 --rate 200M
expect_rows "evacuate: one-by-one moves what goes to a first" \
	"vm1 ea.xml 1,vm3 ea.xml 1,vm2 eb.xml 1,vm4 eb.xml 1" \
	evac esrc --to "$EA,$EB" --order one-by-one
expect_rows "evacuate: auto, shortest predicted first (the least RAM, same disks)" \
	"vm4 eb.xml 1,vm3 ea.xml 1,vm2 eb.xml 1,vm1 ea.xml 1" evac esrc --to "$EA,$EB"
expect "evacuate: each destination's share of the plan" 0 \
	"^ +3 / 4 +6.0 GiB / 6.0 GiB +2.0 TiB / not checked +test://$T/ea.xml$" \
	evac esrc --to "$EA,$EB" --deadline 1m
expect "evacuate: the total against the deadline" 0 \
	"^predicted total .*, deadline 1:00: missed \(4 VMs late\)$" \
	evac esrc --to "$EA,$EB" --deadline 1m
expect "evacuate: --json plan" 0 '"vm":"vm1","destination":"test://[^"]*/ea.xml","seq":4' \
	evac esrc --to "$EA,$EB" --json
expect "evacuate: a VM that fits nowhere is named with what is short, nothing planned" 6 \
	"vm5 \(2 vCPUs, 8.0 GiB memory, 1024.0 GiB disk\) fits on no destination: test://$T/ea.xml: 2.0 GiB memory short; test://$T/eb.xml: 4.0 GiB memory short" \
	evac ebig --to "$EA,$EB"
expect "evacuate: disk space short in the destination's pool" 6 \
	"vm1 \(.*\) fits on no destination: test://$T/epool.xml: 924.0 GiB disk short" \
	evac esrc --to "test://$T/epool.xml"
expect "evacuate: a VM refused by its pre-flight is named" 6 "vm6: disk vda .*cache is not" \
	evac ebad --to "$EA,$EB"
expect "evacuate: ... and nothing is planned" 6 \
	"evacuate: 1 VM of test://$T/ebad.xml refused by the pre-flight \(above\): nothing planned" \
	evac ebad --to "$EA,$EB"
expect "evacuate: without --dry-run, only the plan is implemented" 2 \
	"evacuate: only the plan is implemented: add --dry-run" \
	"$MDM" evacuate "test://$T/esrc.xml" --to "$EA"
expect "evacuate: the source is no destination" 2 "is the host evacuated: not a destination" \
	evac esrc --to "$EA,test://$T/esrc.xml"
expect "usage: evacuate --order" 2 "unknown order 'fastest'" evac esrc --to "$EA" --order fastest

expect "usage: migrate without --to" 2 "--to URI and --peer ADDR are required" \
	"$MDM" migrate vm1 --peer 198.18.0.2 --key-file "$T/key"
expect "usage: prepare without --volume-dir" 2 "--volume-dir DIR are required" \
	"$MDM" prepare vm1 --from "$FIT" --listen 198.18.0.2 --key-file "$T/key"
expect "usage: --max-downtime" 2 "invalid --max-downtime '3x'" \
	"$MDM" migrate vm1 --to x --peer y --key-file "$T/key" --max-downtime 3x
expect "usage: prepare --cancel takes nothing else" 2 "--cancel takes no other option" \
	"$MDM" prepare vm1 --cancel --from "$FIT"
[ "$FAILED" = 0 ]
