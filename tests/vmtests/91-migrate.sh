#!/bin/bash
# dmm-timeout: 1800
# migrate-dm moves a real QEMU VM between the harness's two libvirt hosts
# (tests/vmhost.sh): vm1 with two virtio disks on `migrate` devices in
# tracking mode on host A, receiving volumes on host B, restored once, then
# in the same VM one after the other:
#  a. pre-flight refusal: a running (paused) vm2 with a cache='writeback'
#     disk -> exit 6, nothing started;
#  b. an aborted migration (prepare on B, migrate --rate 1M on A, abort
#     vm1 on A): vm1 keeps running on A, its disks back to tracking, its
#     records intact; prepare --cancel leaves B clean;
#  c. the migration (prepare, migrate --json --max-downtime --migrate-uri)
#     while the VM writes: RAM only after every disk converged and
#     mirrored, the same VM (boot id, sequence) on B, gone from A, every
#     record intact and without a gap on B's volumes, A's devices refuse
#     writes, the downtime and its parts.  Prints the time of every step.
. "$(dirname "$0")/lib.bash"
vm_cleanup() {
	[ -n "${mpid:-}" ] && kill "$mpid" 2>/dev/null
	vmh $B "$MDM" prepare $VM --cancel >/dev/null 2>&1
	vmt_cleanup "$VM-*"
}
trap vm_cleanup EXIT

modes() { for d in $DISKS; do mode_of "$A-$d"; done | xargs; }
# B's devices made by prepare (kernel names vm1-*), none when clean.
b_devs() { dmsetup ls 2>/dev/null | awk '{print $1}' | grep "^$VM-" | xargs; }

tap_plan 27
check "the nested VM's kernel and initramfs are built" vm_files
vmh_net $A $A_IP $B $B_IP
check "host $A: libvirtd up" vmh_up $A $A_IP
check "host $B: libvirtd up" vmh_up $B $B_IP
step "hosts up"

# A: a migrate device (tracking) per disk; B: a dm-linear volume of the
# same size per disk, under the name prepare looks for in --volume-dir.
sz=$((DISK_MB * 2048))
vmt_src_disks
vmt_dst_disks "$VOLS"
vmt_key
expect_eq "A's disks are migrate devices in tracking mode" "tracking tracking" "$(modes)"

# shellcheck disable=SC2086
check "start $VM on $A ($(vm_start_how))" vm_start $A $VM $DISKS
hb=$(vm_wait_hb $A $VM 900)
check "$VM's writer heartbeat on $A's console" test -n "$hb"
boot=${hb% *}
step "$(vm_start_how), to the first heartbeat"

# a. Pre-flight refusal: vm2, running but paused (no CPU spent), its disk
# a migrate device with cache='writeback'.
vmh_dm_create $A vm2-disk0 "0 $sz migrate $(scratch_dev "${DISK_MB}M") 128"
vm_xml vm2 vm2-disk0 | sed "s/cache='none' io='native'/cache='writeback'/; s/<memory unit='MiB'>[0-9]*/<memory unit='MiB'>32/" \
	> "$VMH_ROOT/vm2.xml"
start_vm2() { vmh_virsh $A define "$VMH_ROOT/vm2.xml" && vmh_virsh $A start --paused vm2; }
check "a. vm2 (cache='writeback') started paused on $A" start_vm2
out=$(vmh $A timeout 120 "$MDM" migrate vm2 --to "$(vmh_uri $B)" --peer $B_IP --key-file "$KEY" 2>&1)
rc=$?
echo "$out" | tap_diag
expect_eq "a. migrate of a VM with a cache='writeback' disk: refused before anything (exit 6)" 6 "$rc"
expect_eq "a. ... the message names the disk and the fix" 1 \
	"$(echo "$out" | grep -c "disk vda.*cache is not 'none'")"
expect_eq "a. ... its device still tracking, nothing prepared or listening on $B" "tracking /" \
	"$(mode_of $A-vm2-disk0) $(b_devs)/$(vmh $B ss -Hltn | grep -c 7788 | grep -v '^0$')"
vmh_virsh $A destroy vm2 >/dev/null 2>&1
vmh_virsh $A undefine vm2 >/dev/null 2>&1
vmh_dm_remove $A vm2-disk0
step "a. pre-flight refusal"

# b. An aborted migration, while the disks are pushed: --rate 64K, as the
# saved disks are mostly zero chunks (~370 KiB on the wire each: at 1M
# they converge in 2 s and the abort would come during the RAM step).
out=$(vmt_prepare 2>&1)
rc=$?
echo "$out" | tap_diag
expect_eq "b. prepare on $B" 0 "$rc"
vmt_migrate --rate 64K > "$VMH_ROOT/abort.out" 2>&1 &
mpid=$!
for _ in $(seq 60); do
	[ "$(modes)" != "tracking tracking" ] && break
	sleep 0.5
done
echo "# pushing: $(modes)"
sleep 2
hb1=$(vm_last_hb $A $VM)
pushing=$(modes)
out=$(vmt_mdm $A 120 abort $VM 2>&1)
rc=$?
echo "$out" | tap_diag
expect_eq "b. migrate-dm abort $VM on $A, its disks $pushing" 0 "$rc"

wait $mpid
rc=$?
mpid=
tap_diag < "$VMH_ROOT/abort.out"
echo "# the aborted migrate exited $rc"
expect_eq "b. the disks are back to tracking" "tracking tracking" "$(modes)"
expect_eq "b. $VM still runs on $A" running "$(vmh_virsh $A domstate $VM | xargs)"
hb2=$(vm_wait_hb $A $VM 120 "${hb1#* }")
check "b. its heartbeat goes on on $A (${hb1#* } -> ${hb2#* })" test "${hb2% *}" = "$boot"
out=$(vmt_records $A "$boot")
rc=$?
echo "$out" | tap_diag
expect_eq "b. both disks on $A: records intact, in order, without gap" 0 "$rc"
vmh_virsh $A resume $VM >/dev/null
out=$(vmt_mdm $B 120 prepare $VM --cancel 2>&1)
rc=$?
echo "$out" | tap_diag
expect_eq "b. prepare --cancel on $B leaves it clean" "0 " "$rc $(b_devs)"
step "b. aborted migration"

# c. The migration.
sleep 3
out=$(vmt_prepare 2>&1)
rc=$?
echo "$out" | tap_diag
expect_eq "c. prepare on $B" 0 "$rc"
before=$(vm_last_hb $A $VM)
TS=$SECONDS
# timeout: SIGTERM aborts it like Ctrl-C (before the RAM has moved).
vmt_migrate --json --max-downtime 500 --migrate-uri tcp://$B_IP \
	> "$VMH_ROOT/migrate.json" 2> "$VMH_ROOT/migrate.err"
rc=$?
step "c. migrate-dm migrate"
tap_diag < "$VMH_ROOT/migrate.err"
grep -v '"event": *"progress"' "$VMH_ROOT/migrate.json" | tap_diag
expect_eq "c. migrate-dm migrate $VM --json" 0 "$rc"
ev() {	# ev EVENT: the time of its first JSON event
	jq -r --arg e "$1" 'select(.event == $e) | .t' "$VMH_ROOT/migrate.json" 2>/dev/null | head -n 1
}
echo "# events: converged $(ev converged) mirroring $(ev mirroring) ram_start $(ev ram_start)"
check "c. RAM started only after every disk converged and mirrored" \
	awk -v c="$(ev converged)" -v m="$(ev mirroring)" -v r="$(ev ram_start)" \
	'BEGIN { exit !(c != "" && m != "" && r != "" && c <= m && m <= r) }'
expect_eq "c. $VM is gone from $A" "" "$(vmh_virsh $A list --all --name | xargs)"
expect_eq "c. $VM runs on $B" running "$(vmh_virsh $B domstate $VM 2>&1 | xargs)"
after=$(vm_wait_hb $B $VM 300 "${before#* }")
expect_eq "c. same boot on $B (not a reboot), sequence on (${before#* } -> ${after#* })" \
	"$boot" "${after% *}"
step "c. first heartbeat on $B"
sleep 3
out=$(vmt_records $B "$boot")
rc=$?
echo "$out" | tap_diag
expect_eq "c. both disks on $B: every record before, during and after, intact, in order, without gap" 0 "$rc"
for disk in $DISKS; do
	check "c. $A's $disk refuses writes after the handoff" \
		bash -c "! dd if=/dev/zero of=/dev/mapper/$A-$disk bs=4k count=1 oflag=direct status=none"
done
echo "# source devices: $(for d in $DISKS; do dmsetup status "$A-$d"; done | tr '\n' ';')"
done_ev=$(jq -c 'select(.event == "done")' "$VMH_ROOT/migrate.json" 2>/dev/null)
echo "# done: $done_ev"
check "c. the downtime is reported (downtime_ms and its parts)" \
	test -n "$(echo "$done_ev" | jq -r 'select(.downtime_ms != null and .ram_final_ms != null and .handoff_ms != null and .resume_ms != null) | .downtime_ms' 2>/dev/null)"
echo "# time: downtime $(echo "$done_ev" | jq -r '"\(.downtime_ms) ms (RAM final \(.ram_final_ms) ms, handoff \(.handoff_ms) ms, resume \(.resume_ms) ms), total \(.total_ms) ms"' 2>/dev/null)"
step "c. checks"
tap_done
