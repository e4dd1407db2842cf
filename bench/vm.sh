#!/bin/bash
# make bench, section vm: runs in a guest of its own (the first test
# kernel, 6.1; bench/run.sh boots it).  A whole VM live-migrated between
# the two libvirt hosts of make check-vm's harness (tests/vmtests/lib.bash,
# tests/vmhost.sh), once by `migrate-dm prepare` + `migrate-dm migrate` and
# once by libvirt's own `virsh migrate --live --p2p --copy-storage-all`
# (NBD + drive-mirror, as tests/vmtests/90-vm.sh does): the same saved VM
# (vm1: 128 MiB, two 32 MiB disks, its record writer writing a record to
# each disk every 100 ms), restored afresh on host A for each, the same
# link (a veth with a tbf of LINK_MBIT, default 200 Mbit/s, each way).
#
# Per tool: the migrate command's time; the downtime, from the source's
# "suspended" lifecycle event to the destination's "resumed" (migrate-dm
# measures it so; for virsh, `virsh event --timestamp` on both hosts), with
# migrate-dm's parts (RAM final stage, disk handoff, resume); libvirt's own
# QEMU downtime for both; the bytes on the link from A to B (IP packets,
# headers included, counted by iptables in A's namespace by destination
# port: the disks' streams, 7788+ for migrate-dm, --disks-port 49153 for
# NBD; the RAM stream, --migrate-uri port 49152 for both; the rest, libvirt's
# RPC); and that every record reached B intact (vmrec check).
# Prints a table with the ratios migrate-dm / virsh, and the rows of
# build/bench/vm.csv as lines "vm.csv: ..." (the guest cannot write the
# repository: bench/run.sh writes the file).
cd "$DMM_REPO" || exit 1
. tests/vmtests/lib.bash
dmm_load dm_mod loop veth sch_tbf nf_tables nft_compat xt_tcpudp || exit 1
LINK_MBIT=${LINK_MBIT:-200}
RAM_PORT=49152
NBD_PORT=49153
SETTLE_S=10	# the VM runs this long on A before each migration
OUT=$VMH_ROOT/bench
mkdir -p "$OUT"
trap 'vmt_cleanup "$VM-*"' EXIT

fail() {
	echo "vm bench: $*"
	exit 1
}

# Bytes A sent to B by destination port: acct_setup adds the counting
# rules, acct_bytes PORT[:PORT] reads one ("all": every packet).
acct_setup() {
	local p
	for p in 7788:7799 $RAM_PORT $NBD_PORT 16509; do
		vmh $A iptables -A OUTPUT -o v-$A -p tcp --dport $p || return 1
	done
	vmh $A iptables -A OUTPUT -o v-$A
}
acct_bytes() {
	vmh $A iptables -L OUTPUT -v -x -n | awk -v p="$1" '
		p == "all" && $1 ~ /^[0-9]+$/ && !/dpts?:/ { print $2 }
		p != "all" && ($NF == "dpt:" p || $NF == "dpts:" p) { print $2 }'
}

# The VM on A (restored from the save) with its disks, B's side by TOOL,
# until it has written SETTLE_S more seconds of records.
vm_up_on_a() {
	vmt_src_disks || return 1
	if [ "$1" = migrate-dm ]; then
		vmt_dst_disks "$VOLS" || return 1
	else
		vmt_dst_disks "" || return 1
	fi
	# shellcheck disable=SC2086
	vm_start $A $VM $DISKS >/dev/null || return 1
	hb=$(vm_wait_hb $A $VM 900) || return 1
	boot=${hb% *}
	sleep $SETTLE_S
}

# Everything of a run gone; the hosts stay.
vm_down() {
	local d
	vmh_virsh $B destroy $VM >/dev/null 2>&1
	vmh_virsh $A destroy $VM >/dev/null 2>&1
	vmh_virsh $B undefine $VM >/dev/null 2>&1
	for d in $(dmsetup ls 2>/dev/null | awk '{print $1}'); do
		case "$d" in $A-* | $B-* | "$VM"-*) dmsetup remove --retry "$d" >/dev/null 2>&1 ;; esac
	done
	dm_cleanup
	# The consoles append: the next run's heartbeats start afresh.
	rm -rf "$VOLS" "$(vm_console $A $VM)" "$(vm_console $B $VM)"
}

# event_ms HOST EVENT: the time (ms since the epoch) of HOST's first
# lifecycle event EVENT ("Suspended", "Resumed") of the VM in its
# `virsh event --timestamp` log.
event_ms() {
	local t
	t=$(grep -a "lifecycle.*'$VM': $2" "$OUT/events.$1" | head -n 1 | sed 's/: event .*//')
	[ -n "$t" ] && date -d "$t" +%s%3N
}

# row TOOL TOTAL_S DOWNTIME RAM_FINAL HANDOFF RESUME QEMU_DOWNTIME RECORDS:
# one row of the table and of vm.csv, with this run's bytes.
row() {
	local disk ram rest all
	case "$1" in
	migrate-dm) disk=$(acct_bytes 7788:7799) ;;
	*) disk=$(acct_bytes $NBD_PORT) ;;
	esac
	ram=$(acct_bytes $RAM_PORT)
	all=$(acct_bytes all)
	rest=$((all - disk - ram))
	printf '%-12s %8s %9s %9s %8s %7s %8s %10s %10s %9s  %s\n' "$1" "$2" "$3" "$4" "$5" "$6" \
		"$7" "$(awk -v b="$disk" 'BEGIN { printf "%.2f", b / 1e6 }')" \
		"$(awk -v b="$ram" 'BEGIN { printf "%.2f", b / 1e6 }')" \
		"$(awk -v b="$rest" 'BEGIN { printf "%.2f", b / 1e6 }')" "$8"
	echo "$1,$2,$3,$4,$5,$6,$disk,$ram" >> "$OUT/csv"
}

run_migrate_dm() {
	local t0 t1 rc done_ev
	vm_up_on_a migrate-dm || fail "migrate-dm: the VM did not come up on $A"
	vmt_key
	t0=$(date +%s%N)
	vmt_prepare > "$OUT/prepare.out" 2>&1 || { cat "$OUT/prepare.out"; fail "prepare on $B"; }
	echo "# migrate-dm: prepare on $B took $(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }') s (not in total_s)" >> "$OUT/notes"
	vmh $A iptables -Z OUTPUT
	t0=$(date +%s%N)
	vmt_migrate --json --migrate-uri tcp://$B_IP:$RAM_PORT > "$OUT/migrate.json" 2> "$OUT/migrate.err"
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || { cat "$OUT/migrate.err"; fail "migrate-dm migrate exited with $rc"; }
	done_ev=$(jq -c 'select(.event == "done")' "$OUT/migrate.json")
	vm_wait_hb $B $VM 300 "$(vm_last_hb $A $VM | cut -d' ' -f2)" >/dev/null ||
		fail "migrate-dm: no heartbeat on $B"
	sleep 2
	vmt_records $B "$boot" > "$OUT/records.out" || { cat "$OUT/records.out"; fail "migrate-dm: records on $B"; }
	row migrate-dm "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')" \
		"$(jq -r .downtime_ms <<< "$done_ev")" "$(jq -r .ram_final_ms <<< "$done_ev")" \
		"$(jq -r .handoff_ms <<< "$done_ev")" "$(jq -r .resume_ms <<< "$done_ev")" \
		"$(jq -r .ram.qemu_downtime_ms <<< "$done_ev")" intact
	jq -r '.disks[] | "# migrate-dm: disk \(.disk): \(.bytes_read) bytes read, \(.bytes_wire) on the wire (sealed messages), \(.writes_mirrored) writes mirrored"' \
		<<< "$done_ev" >> "$OUT/notes"
	vm_down
}

run_virsh() {
	local t0 t1 rc down=- s r qd ev="" h p
	vm_up_on_a virsh || fail "virsh: the VM did not come up on $A"
	for h in $A $B; do
		vmh_virsh $h event --loop --timestamp --event lifecycle --timeout 900 \
			> "$OUT/events.$h" 2>&1 &
		ev="$ev $!"
	done
	sleep 1
	vmh $A iptables -Z OUTPUT
	t0=$(date +%s%N)
	vmh_virsh $A migrate --live --p2p --copy-storage-all $VM "$(vmh_uri $B)" \
		--migrateuri tcp://$B_IP:$RAM_PORT --disks-port $NBD_PORT > "$OUT/virsh.out" 2>&1
	rc=$?
	t1=$(date +%s%N)
	[ "$rc" = 0 ] || { cat "$OUT/virsh.out"; fail "virsh migrate exited with $rc"; }
	vm_wait_hb $B $VM 300 "$(vm_last_hb $A $VM | cut -d' ' -f2)" >/dev/null ||
		fail "virsh: no heartbeat on $B"
	sleep 2
	for p in $ev; do	# the subshell, and virsh under it
		pkill -P "$p" 2>/dev/null
		kill "$p" 2>/dev/null
	done
	if s=$(event_ms $A Suspended) && r=$(event_ms $B Resumed); then
		down=$((r - s))
	fi
	qd=$(vmh_virsh $B domjobinfo --completed $VM 2>/dev/null | awk '/^Total downtime/ { print $3 }')
	vmt_records $B "$boot" > "$OUT/records.out" || { cat "$OUT/records.out"; fail "virsh: records on $B"; }
	row virsh-nbd "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')" \
		"$down" "" "" "" "${qd:--}" intact
	vm_down
}

vmh_net $A $A_IP $B $B_IP
for h in $A $B; do
	ip netns exec $h tc qdisc add dev v-$h root tbf rate "${LINK_MBIT}mbit" burst 256kb latency 100ms ||
		fail "no tbf on $h's link"
done
vmh_up $A $A_IP >/dev/null || fail "libvirtd on $A"
vmh_up $B $B_IP >/dev/null || fail "libvirtd on $B"
acct_setup || fail "cannot count the link's bytes (iptables in $A's namespace)"
: > "$OUT/csv"
: > "$OUT/notes"
echo "# VM live migration: $VM (${VM_MEM_MB} MiB RAM, 2 x ${DISK_MB} MiB disks, a 4 KiB record to each every ${VM_INTERVAL_MS} ms)"
echo "# between two libvirt hosts over a ${LINK_MBIT} Mbit/s link (tbf), migrate-dm vs libvirt's NBD + drive-mirror"
printf '%-12s %8s %9s %9s %8s %7s %8s %10s %10s %9s  %s\n' tool total_s downtime ram_final \
	handoff resume qemu_dt disk_MB ram_MB other_MB records
run_migrate_dm
run_virsh
cat "$OUT/notes"
awk -F, '
	NR == 1 { for (i = 2; i <= NF; i++) m[i] = $i }
	NR == 2 { for (i = 2; i <= NF; i++) v[i] = $i }
	function r(i) { return v[i] > 0 && m[i] != "" ? sprintf("%.3f", m[i] / v[i]) : "-" }
	END { printf "%-12s %8s %9s %29s %10s %10s\n", "ratio m/v", r(2), r(3), "", r(7), r(8) }' "$OUT/csv"
echo "vm.csv: tool,total_s,downtime_ms,ram_final_ms,handoff_ms,resume_ms,disk_wire_bytes,ram_wire_bytes"
sed 's/^/vm.csv: /' "$OUT/csv"
echo "# bench done"
