# Shared setup of the data-safety tests (tests/kernel/7[1-5]-*.sh): two
# hosts, a source volume and a destination volume on a linear device that
# can be stalled (suspended: its writes wait while TCP stays healthy).
. "$(dirname "$0")/../lib.sh"

net_setup
MDM=$REPO/build/migrate-dm
PARAM=/sys/module/dm_migrate/parameters/ack_timeout_ms
trap 'echo 10000 > $PARAM; dm_cleanup; net_cleanup' EXIT
SIZE=32
SLOW=1		# time limits scale with the kernel's speed
[ "$DMM_KVER" = debug ] && SIZE=16 && SLOW=5
KEY=$(new_key)
src=$(scratch_dev "${SIZE}M")
dst=$(scratch_dev "${SIZE}M")
sz=$(sectors_of "$src")
PORT=7791

# The destination's volume sits on a linear device that can be stalled
# (suspended: its writes wait, TCP stays healthy) and resumed.
dmsetup create mt_dlin --table "0 $sz linear $dst 0"

# pair CHUNK_SECTORS: fresh source and listening destination.
pair() {
	dmsetup remove mt_src 2>/dev/null
	dmsetup remove mt_dst 2>/dev/null
	dmsetup create mt_src --table "0 $sz migrate $src $1"
	dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_dlin $1 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
}
push() { on_src dmsetup message mt_src 0 push $DST_IP:$PORT "$KEY" "$@"; }
same() {
	local a b
	a=$(dev_sha "$src")
	b=$(dev_sha /dev/mapper/mt_dlin)
	[ "$a" = "$b" ] || { echo "source $a"; echo "destination $b"; return 1; }
}
# mirroring_pair: mixed content pushed until converged, then mirroring.
mirroring_pair() {
	fill_mixed "$src" "$SIZE"
	pair 128
	push converge_below=1M
	wait_mode mt_src converged 240 >/dev/null
	dmsetup message mt_src 0 mirror
	wait_mode mt_src mirroring 30 >/dev/null
}
finish() {	# suspend, hand off, resume (writes now fail), compare
	dmsetup suspend mt_src && handoff_wait mt_src && dmsetup resume mt_src && same
}
peak() { status_field mt_src 14; }
since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
link() { on_src ip link set veth-s "$1"; }

