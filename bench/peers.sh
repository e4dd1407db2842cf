# bench/peers.sh: the tools the bulk section compares.  peer_NAME copies
# /dev/ram0 (source host: namespace src) to /dev/ram1 (destination: dst)
# once and prints "seconds=S wire=BYTES cpu_s=C identical=yes|NO" (BYTES:
# what crossed the link from source to destination; C: the CPU seconds
# both hosts spent meanwhile, lib.sh's cpu_mark; identical: the copy
# compared with the source, after the timing).  peer_NAME_clean undoes whatever state
# peer_NAME may have stopped in (it runs under `attempt`, which kills the
# run's processes first).  A '-' in a tool's name is '_' here.

# dm-migrate: push until the first (bulk) pass is on the destination,
# then abort.  DMM_PUSH_ARGS: more push arguments (encoding=raw, ...).
peer_dm_migrate() {
	local key t0 tx0 sz c0 t_set=$EPOCHREALTIME
	sz=$(blockdev --getsz /dev/ram0)
	key=$(new_key)
	dmsetup create b_dst --table "0 $sz migrate /dev/ram1 128 1 receive" || return 1
	dmsetup create b_src --table "0 $sz migrate /dev/ram0 128" || return 1
	on_dst dmsetup message b_dst 0 listen "$DST_IP:7800" "$key" || return 1
	tx0=$(link_tx)
	cpu_mark
	c0=$CPU_MS
	t0=$EPOCHREALTIME
	# shellcheck disable=SC2086	# DMM_PUSH_ARGS: words
	on_src dmsetup message b_src 0 push "$DST_IP:7800" "$key" ${DMM_PUSH_ARGS:-} || return 1
	# Over when the destination applied every chunk (the source's round
	# 1 begins when the last one was sent, not acknowledged).
	while dm_status b_dst; [ "${ST[11]}" -lt "${ST[5]#*/}" ]; do nap 0.1; done
	local secs t1=$EPOCHREALTIME
	cpu_mark
	secs=$(since "$t0" "$t1")
	echo "seconds=$secs wire=$(($(link_tx) - tx0)) cpu_s=$(cpu_s $((CPU_MS - c0)))" \
		"identical=$(same_data "$SIZE_B")"
	echo "bench: dm-migrate: setup $(since "$t_set" "$t0") s, copy $secs s, compare $(since "$t1") s" >&2
	dmsetup message b_src 0 abort
}
peer_dm_migrate_clean() { dm_gone b_src b_dst; }

# qemu_pair [ARGS]: qemu-nbd serving /dev/ram1 on the destination, and
# qemu-storage-daemon on the source with /dev/ram0 as node src, the
# destination as node dst, its monitor on /tmp/qsd.sock, and ARGS (both in
# the background: attempt's process group ends them).
# shellcheck disable=SC2120	# ARGS: from bench/sections/converge.sh
qemu_pair() {
	rm -f /tmp/qsd.sock
	on_dst qemu-nbd -f raw -x vol -b "$DST_IP" -p 10809 --persistent \
		--cache=none --aio=native /dev/ram1 &
	for _ in $(seq 100); do
		on_dst ss -Hltn 'sport = 10809' | grep -q . && break
		nap 0.1
	done
	on_src qemu-storage-daemon \
		--blockdev driver=host_device,node-name=src,filename=/dev/ram0,cache.direct=on,aio=native \
		--blockdev "driver=nbd,node-name=dst,server.type=inet,server.host=$DST_IP,server.port=10809,export=vol" \
		"$@" --chardev socket,path=/tmp/qsd.sock,server=on,wait=off,id=mon --monitor mon &
}

# qemu-mirror: qemu-storage-daemon's blockdev-mirror (sync=full) into
# qemu-nbd, until the job is ready (bench/qmp-mirror.py).
peer_qemu_mirror() {
	local tx0 secs c0
	# shellcheck disable=SC2119	# no ARGS here
	qemu_pair
	tx0=$(link_tx)
	cpu_mark
	c0=$CPU_MS
	# The CPU of python3 itself (its start, its polling) is the script's.
	secs=$(on_src python3 bench/qmp-mirror.py /tmp/qsd.sock src dst) || return 1
	cpu_mark
	echo "seconds=$secs wire=$(($(link_tx) - tx0)) cpu_s=$(cpu_s $((CPU_MS - c0)))" \
		"identical=$(same_data "$SIZE_B")"
}
peer_qemu_mirror_clean() { rm -f /tmp/qsd.sock; }	# its processes are gone

# drbd: DRBD 8.4's initial full sync (the in-tree drbd.ko).  Its sockets
# live in the first network namespace only (drbd 8.4 has no namespace
# support), so its two nodes are two resources of this kernel talking over
# lo, 127.0.0.1 (primary, sync source) to 127.0.0.2.  Only what 127.0.0.1
# sends goes through a tbf of the link's rate (prio band 1), and that
# tbf's byte count is the wire bytes, as the veth's tx is for the others.
# The metadata is external (a loop device on a file per node): internal
# metadata would take the end of the volume, and drbdmeta refuses to
# create it over a filesystem that fills the device (content fs).
DRBDSETUP=/usr/lib/drbd/drbdsetup-84
DRBD_META=/tmp/drbd-meta
# step CMD...: CMD, and a line naming it in the log if it fails (drbdsetup
# and tc can fail without a word).
step() {
	"$@" && return 0
	echo "drbd: '$*' exited with $?" >&2
	return 1
}
peer_drbd() {
	local n t0 tx0 meta c0
	mkdir -p /run/lock	# drbdsetup's lock files
	step tc qdisc add dev lo root handle 1: prio bands 2 priomap 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 &&
	step tc qdisc add dev lo parent 1:1 handle 10: tbf rate "${LINK_MBIT}mbit" burst 256kb latency 100ms &&
	step tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip src 127.0.0.1/32 flowid 1:1 ||
		return 1
	for n in 0 1; do
		truncate -s 16M "$DRBD_META$n" &&
		meta=$(step losetup -f --show "$DRBD_META$n") || return 1
		yes yes | step drbdmeta --force $n v08 "$meta" flex-external create-md >&2 || return 1
		step $DRBDSETUP new-resource r$n &&
		step $DRBDSETUP new-minor r$n $n 0 &&
		step $DRBDSETUP attach $n /dev/ram$n "$meta" flexible &&
		step $DRBDSETUP disk-options $n --c-plan-ahead=0 --resync-rate=4000M || return 1
	done
	step $DRBDSETUP connect r0 ipv4:127.0.0.1:7790 ipv4:127.0.0.2:7790 --protocol=C \
		--max-buffers=8000 --max-epoch-size=8000 &&
	step $DRBDSETUP connect r1 ipv4:127.0.0.2:7790 ipv4:127.0.0.1:7790 --protocol=C \
		--max-buffers=8000 --max-epoch-size=8000 || return 1
	until grep -q '^ 0: cs:Connected' /proc/drbd; do nap 0.1; done
	tx0=$(drbd_tx)
	cpu_mark
	c0=$CPU_MS
	t0=$EPOCHREALTIME
	step $DRBDSETUP primary 0 --force || return 1
	local synced=$' 0: [^\n]*ds:UpToDate/UpToDate'
	until [[ $(< /proc/drbd) =~ $synced ]]; do nap 0.1; done
	local secs
	secs=$(since "$t0")
	cpu_mark
	echo "seconds=$secs wire=$(($(drbd_tx) - tx0)) cpu_s=$(cpu_s $((CPU_MS - c0)))" \
		"identical=$(same_data "$(blockdev --getsize64 /dev/drbd0)")"
}
drbd_tx() { tc -j -s qdisc show dev lo | jq '.[] | select(.handle == "10:") | .bytes'; }
peer_drbd_clean() {
	local n
	[ -e /proc/drbd ] && grep -A2 '^ [01]:' /proc/drbd >&2	# where it stopped
	$DRBDSETUP down r0 2>/dev/null
	$DRBDSETUP down r1 2>/dev/null
	tc qdisc del dev lo root 2>/dev/null
	for n in 0 1; do
		losetup -j "$DRBD_META$n" 2>/dev/null | cut -d: -f1 | xargs -r -n1 losetup -d
		rm -f "$DRBD_META$n"
	done
	! grep -q '^ [01]:' /proc/drbd 2>/dev/null
}
