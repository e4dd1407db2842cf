#!/bin/bash
# dmm-cost: 237
# The fault matrix of data safety: each fault in each phase of a migration
# (bulk, dirty rounds, converged, mirroring, handoff pending), every cell a
# migration of its own to a fresh destination over a poisoned volume, with
# a writer on the source that keeps a reference copy of every write it had
# acknowledged.  The fault is injected in the phase and the cell driven to
# its end, which is one of two verdicts, asserted:
#   handoff  after recovery the push mirrors and hands off; source,
#            destination and reference are identical;
#   stopped  the push stopped (back to tracking) with a clear error, or by
#            the operator's abort; the source equals the reference (no
#            acknowledged write lost) and still takes writes.
# The matrix is printed as a table at the end.  Device-mapper requests go
# through tests/prog/mtctl.py, one process for the whole test: under TCG a
# process started costs a tenth of a second, and the cells poll a lot.
. "$(dirname "$0")/../lib.sh"

SIZE=8			# MiB
CHUNK=64		# sectors: 256 chunks of 32 KiB
ACK_MS=1500		# a cut link or a stalled peer is dropped after that
PARAM=/sys/module/dm_migrate/parameters/ack_timeout_ms
PHASES="bulk dirty converged mirroring handoff"
FAULTS="cut kill ioerr enospc readerr removed abort rmmod"
declare -A TITLE=([cut]="link cut" [kill]="peer socket killed"
	[ioerr]="destination I/O error" [enospc]="destination ENOSPC"
	[readerr]="source read error" [removed]="destination removed"
	[abort]="source abort" [rmmod]="module unload")
declare -A RESULT

# --- helpers -----------------------------------------------------------------
coproc CTL { exec python3 "$REPO/tests/prog/mtctl.py"; }
# ctl REQUEST...: ask mtctl.py; its answer (after "ok "/"err ") in REPLY.
ctl() {
	local r
	echo "$*" >&"${CTL[1]}"
	IFS= read -r r <&"${CTL[0]}" || { REPLY="the helper died"; return 1; }
	REPLY=${r#* }
	[ "${r%% *}" = ok ]
}
# fail WHY: the cell fails (its first reason is kept, with both statuses).
fail() {
	local s d
	[ -n "$WHY" ] && return 1
	ctl status mt_src; s=$REPLY
	ctl status mt_dst; d=$REPLY
	WHY="$*; src: $s; dst: $d"
	return 1
}
# c DESC REQUEST...: a request that must succeed.
c() {
	local desc=$1
	shift
	ctl "$@" || fail "$desc: $REPLY"
}
ms() { local t=${EPOCHREALTIME/./}; MS=$((t / 1000)); }
# lap NAME: how long the cell took up to here, for its TAP line.
lap() {
	local t=${EPOCHREALTIME/./}
	t=$((t / 100000))
	LAPS="${LAPS:+$LAPS }$1 $(((t - ${LAP0:-$t}) / 10)).$(((t - ${LAP0:-$t}) % 10))"
	LAP0=$t
}

# st DEV: DEV's status words in ST (as dmsetup prints them): 3 mode,
# 5 dirty/total, 7 link, 10 bytes_wire, 11 chunks, 14 connections,
# 22... last_error.
st() {
	ST=()
	ctl status "$1" || return 1
	read -r -a ST <<< "$REPLY"
}
# wait_for TIMEOUT_S CONDITION: poll until the shell CONDITION holds.
wait_for() {
	local end
	ms; end=$((MS + $1 * 1000))
	while :; do
		eval "$2" && return 0
		ms; [ $MS -lt $end ] || return 1
		nap 0.1
	done
}
# wait_st DEV TIMEOUT_S CONDITION: until CONDITION holds on DEV's status
# (in ST).
wait_st() {
	wait_for "$2" "st $1 && { $3; }" || fail "timeout (${2} s) waiting for $1: $3"
}
mode_is() { [ "${ST[3]}" = "$1" ]; }
err_has() { [[ "${ST[*]:22}" == *"$1"* ]]; }
msg() { c "message $*" msg mt_src "$@"; }
push() { c push msg mt_src @src push $DST_IP:$PORT "$KEY" "$@"; }
# since_mark: the kernel log since the cell began.
since_mark() { dmesg | sed -n "/dm-migrate matrix: cell $CELL /,\$p"; }
same_as_ref() { c "$2 holds what the writer wrote" cmp "$1" /tmp/mt_ref; }

cleanup() {
	ctl wstop
	echo 10000 > $PARAM
	for d in mt_dlin mt_slin mt_thin mt_src; do dmsetup resume $d 2>/dev/null; done
	st mt_src && mode_is handoff && ctl msg mt_src abort force
	for d in mt_src mt_dst mt_dlin mt_slin mt_thin mt_pool mt_tdata mt_probe; do
		dmsetup remove $d 2>/dev/null
	done
	dm_cleanup
	net_cleanup
}
trap cleanup EXIT

# --- setup -------------------------------------------------------------------
# Every cell starts from the same source image (mixed content) and a
# destination volume full of poison, so that nothing left over from an
# earlier cell can pass for data that arrived.
tap_plan 40
net_setup
modprobe dm-flakey 2>/dev/null
modprobe dm-thin-pool 2>/dev/null
echo $ACK_MS > $PARAM
KEY=$(new_key)
S=$(scratch_dev ${SIZE}M)
D=$(scratch_dev ${SIZE}M)
sz=$(sectors_of "$S")
# The source image: random, text-like and zero chunks (1, 4 and 3 MiB).
{ head -c 1M /dev/urandom
  yes "dm-migrate moves disks between hosts; lorem ipsum dolor sit amet" | head -c 4M
  head -c 3M /dev/zero; } > /tmp/mt_image
yes "POISON: the destination never received this block" | head -c $((SIZE << 20)) > /tmp/mt_poison
head -c 4096 /dev/zero > /tmp/mt_zero
LINEAR_S="0 $sz linear $S 0"
LINEAR_D="0 $sz linear $D 0"
dmsetup create mt_slin --table "$LINEAR_S"
dmsetup create mt_dlin --table "$LINEAR_D"
ctl status mt_slin || { echo "Bail out! mtctl.py: $REPLY"; exit 1; }
# A read error that leaves writes alone is dm-flakey's error_reads (since
# 6.5); before, dm-error fails writes too and the writer holds meanwhile.
if dmsetup create mt_probe --table "0 8 flakey $S 0 0 1 1 error_reads" 2>/dev/null; then
	dmsetup remove mt_probe
	READ_ERR_TABLE="0 $sz flakey $S 0 0 1 1 error_reads"
	echo "# source read errors: dm-flakey error_reads"
else
	READ_ERR_TABLE="0 $sz error"
	echo "# source read errors: dm-error (no error_reads here), the writer holds meanwhile"
fi
# ENOSPC: a thin pool on mt_tdata, 132 blocks of 64 KiB (the volume's 128
# and 4 spare) that can grow to 256.
TM=$(scratch_dev 4M)
TD=$(scratch_dev $((2 * SIZE))M)
POOL_SMALL=$(((SIZE * 16 + 4) * 128))
POOL_BIG=$((2 * SIZE * 16 * 128))
dmsetup create mt_tdata --table "0 $POOL_SMALL linear $TD 0"

# --- one cell's devices ---------------------------------------------------------
swap() { c "load $1" load "$1" "$2" && c "resume $1" resume "$1"; }
# dst_stack: a receiving device listening on PORT over a poisoned volume
# (mt_dlin: linear, over a fresh thin volume for the ENOSPC cells).
dst_stack() {
	ctl remove mt_dst
	if [ "$FAULT" = enospc ]; then
		if [ "$DLIN" = thin ]; then swap mt_dlin "$LINEAR_D" || return 1; fi
		ctl remove mt_thin
		ctl remove mt_pool
		swap mt_tdata "0 $POOL_SMALL linear $TD 0" && c "zero metadata" copy /tmp/mt_zero "$TM" &&
		c "thin pool" create mt_pool \
			"0 $POOL_SMALL thin-pool $TM /dev/mapper/mt_tdata 128 0 1 error_if_no_space" &&
		c create_thin msg mt_pool create_thin 0 &&
		c "thin volume" create mt_thin "0 $sz thin /dev/mapper/mt_pool 0" &&
		swap mt_dlin "0 $sz linear /dev/mapper/mt_thin 0" || return 1
		DLIN=thin
	elif [ "$DLIN" != linear ]; then
		swap mt_dlin "$LINEAR_D" || return 1
		DLIN=linear
	fi
	c poison copy /tmp/mt_poison /dev/mapper/mt_dlin &&
	c "receive device" create mt_dst "0 $sz migrate /dev/mapper/mt_dlin $CHUNK 1 receive" &&
	c listen msg mt_dst @dst listen $DST_IP:$PORT "$KEY"
}
# reset: what the last cell left goes back to a known state; a new source
# device unless it left one in tracking mode.
reset() {
	ctl wstop
	[ "$LINK" = down ] && on_src ip link set veth-s up && LINK=up
	ctl resume mt_dlin
	ctl resume mt_thin
	[ "$DLIN" = error ] && swap mt_dlin "$LINEAR_D" && DLIN=linear
	[ "$SLIN" = error ] && swap mt_slin "$LINEAR_S" && SLIN=linear
	if [ "$SRC_KEEP" != 1 ]; then
		st mt_src && mode_is handoff && ctl msg mt_src abort force
		ctl resume mt_src
		ctl remove mt_src
		c "source device" create mt_src "0 $sz migrate /dev/mapper/mt_slin $CHUNK"
	fi
	SRC_KEEP=0
}

# --- reaching a phase ------------------------------------------------------------
reach_bulk() {		# a slow link keeps the bulk pass going for seconds
	push rate=384K converge_below=16M &&
	wait_st mt_src 60 'mode_is bulk && [ "${ST[7]}" = connected ] && [ "${ST[11]}" -gt 0 ]'
}
reach_dirty() {		# the writer dirties faster than 1 MiB/s carries
	push rate=1M converge_below=0 max_rounds=0 &&
	wait_st mt_src 90 '! mode_is bulk'
}
reach_converged() {
	push converge_below=16M && wait_st mt_src 90 'mode_is converged'
}
reach_mirroring() {
	reach_converged && msg mirror && wait_st mt_src 30 'mode_is mirroring'
}
# The handoff is decided and pending: the source suspended, its last dirty
# chunks (a 2 MiB write) on the way to a destination whose disk stalls, so
# HANDOFF, which goes right behind them, is not applied yet (nor sent, as
# long as TCP's buffers hold the source back).  HANDOFF_SENT=1: nothing
# was left to send, the destination stalls at HANDOFF's flush.
reach_handoff() {
	reach_mirroring && writing && c writer wstop && WRITES=$REPLY || return 1
	if [ "$HANDOFF_SENT" = 1 ]; then
		# Everything sent is applied: as many bytes in as went out.
		wait_st mt_src 30 'local s=("${ST[@]}"); st mt_dst &&
			[ "${s[5]%/*}" = 0 ] && [ "${s[10]}" -le "${ST[10]}" ]' &&
			nap 0.3 && c stall suspend mt_dlin || return 1
	else
		c stall suspend mt_dlin &&
		c "2 MiB write" blob /dev/mapper/mt_src /tmp/mt_ref $(((CELL % 6) << 20)) ||
			return 1
	fi
	c suspend suspend mt_src && msg handoff && st mt_src &&
		{ mode_is handoff || fail "not pending after handoff"; } || return 1
	[ "$HANDOFF_SENT" = 1 ] || return 0
	local n=60
	until since_mark | grep -q 'mt_src: everything sent; asking'; do
		n=$((n - 1))
		[ $n -gt 0 ] || fail "HANDOFF was not sent" || return 1
		nap 0.25
	done
}

# writing: the writer is in full swing.
writing() {
	wait_for 30 'ctl wcount && [ "$REPLY" -ge 10 ]' || fail "the writer does not write"
}

# --- the two verdicts ----------------------------------------------------------
# end_handoff: (after recovery) mirror, suspend, hand off; the source,
# the destination and the reference are identical.
end_handoff() {
	VERDICT=handoff
	if [ "$PHASE" != handoff ]; then
		case $PHASE in
		bulk) msg set rate=0 ;;
		dirty) msg set rate=0 converge_below=16M ;;
		esac
		wait_st mt_src 90 'mode_is converged || mode_is mirroring' || return 1
		mode_is mirroring || msg mirror || return 1
		wait_st mt_src 30 'mode_is mirroring' && nap 0.3 && c writer wstop &&
			WRITES=$REPLY && c suspend suspend mt_src && msg handoff || return 1
	fi
	wait_st mt_src 90 'mode_is handed_off' || return 1
	NOTE="${ST[14]} connections"
	same_as_ref "$S" "the source" && same_as_ref /dev/mapper/mt_dlin "the destination"
}
# end_stopped PATTERN [UNDO]: the push stopped by itself, its last_error
# saying PATTERN, or (PATTERN empty) by the operator's abort; UNDO takes the
# fault away.  The source then equals the reference and takes writes (the
# writer goes on a little).
end_stopped() {
	VERDICT=stopped
	if [ -n "$1" ]; then
		wait_st mt_src 90 'mode_is tracking && [ "${ST[7]}" = stopped ]' || return 1
		err_has "$1" || fail "last_error does not say '$1'" || return 1
		NOTE="${ST[*]:22}"
	else
		st mt_src && { mode_is tracking && [ "${ST[7]}" = - ] ||
			fail "not back to tracking after abort"; } || return 1
		NOTE="aborted"
	fi
	if [ -n "$2" ]; then "$2" || return 1; fi
	if [ "$PHASE" = handoff ]; then		# suspended, its writer gone
		c resume resume mt_src && c writer wstart /dev/mapper/mt_src /tmp/mt_ref $CELL ||
			return 1
	fi
	c writer wrelease && nap 0.5 && c writer wstop && WRITES=$REPLY &&
		same_as_ref "$S" "the source"
}

# --- the faults ----------------------------------------------------------------
# Each injects its fault in the phase reached, holds it, undoes it, and
# ends in the verdict it expects.
unstall() { [ "$PHASE" != handoff ] || c unstall resume mt_dlin; }

fault_cut() {		# longer than the ACK timeout: the connection drops
	local c0=${ST[14]}
	on_src ip link set veth-s down
	LINK=down
	nap 2.5
	st mt_src
	[ "$PHASE" != handoff ] || mode_is handoff || fail "no longer pending during the cut" ||
		return 1
	on_src ip link set veth-s up
	LINK=up
	unstall && end_handoff &&
		{ [ "${ST[14]}" -gt "$c0" ] || fail "the cut did not drop the connection"; }
}

fault_kill() {
	local c0=${ST[14]} out
	out=$(on_dst ss -HtnK dst $SRC_IP 2>&1)
	[ -n "$out" ] || [ "$PHASE" = handoff ] || fail "no connection to kill: $out" || return 1
	unstall && end_handoff &&
		{ [ "${ST[14]}" -gt "$c0" ] || fail "no reconnection after the kill"; }
}

# The destination's disk fails every I/O: eight failures in a row stop the
# push, but never a pending handoff (then the disk comes back).
dlin_linear() { swap mt_dlin "$LINEAR_D" && DLIN=linear; }
fault_ioerr() {
	local c0=${ST[14]}
	swap mt_dlin "0 $sz error" && DLIN=error || return 1
	if [ "$PHASE" != handoff ]; then
		end_stopped "the destination's writes failed" dlin_linear
		return
	fi
	wait_st mt_src 90 '[ "${ST[14]}" -ge $((c0 + 8)) ]' || return 1
	mode_is handoff || fail "the pending handoff ended after 8 I/O errors" || return 1
	dlin_linear && end_handoff
}

# A snapshot in the destination's pool, which has 4 spare blocks: its
# writes run out of space (every block is shared); the pool's data device
# grows (what an operator does) and they go on.
fault_enospc() {
	c "suspend thin" suspend mt_thin && c create_snap msg mt_pool create_snap 1 0 &&
	c "resume thin" resume mt_thin && unstall || return 1
	wait_st mt_dst 30 'err_has "error -28"' || return 1
	nap 0.5
	st mt_src
	if [ "$PHASE" = handoff ]; then
		mode_is handoff || fail "no longer pending" || return 1
	else
		! mode_is tracking || fail "the push stopped" || return 1
	fi
	swap mt_tdata "0 $POOL_BIG linear $TD 0" &&
		swap mt_pool "0 $POOL_BIG thin-pool $TM /dev/mapper/mt_tdata 128 0 1 error_if_no_space" &&
		end_handoff
}

# The source's origin fails reads (a dm-flakey or dm-error layer under it)
# while every chunk is dirty: eight read failures in a row stop the push;
# a pending handoff keeps trying.
slin_linear() { swap mt_slin "$LINEAR_S" && SLIN=linear; }
fault_readerr() {
	local holds=0
	[ "$PHASE" != handoff ] && [[ $READ_ERR_TABLE == *error ]] && holds=1
	[ $holds = 0 ] || c "writer holds" whold || return 1
	swap mt_slin "$READ_ERR_TABLE" && SLIN=error && msg mark_dirty || return 1
	[ "$PHASE" != bulk ] || msg set rate=0 || return 1	# no slot waits for the pace
	if [ "$PHASE" != handoff ]; then
		end_stopped "reading the origin failed" slin_linear
		return
	fi
	wait_st mt_src 30 'err_has "origin read failed"' && nap 1.5 && st mt_src &&
		{ mode_is handoff || fail "the pending handoff ended on read errors"; } &&
		slin_linear && unstall && end_handoff
}

# The receiving device is removed.  The source keeps trying; a destination
# created again on a blank volume gets everything again.  While a handoff
# is pending with HANDOFF sent (the destination stalled at its flush), the
# removed destination must not commit and the re-created one must not be
# handed a volume it does not hold: the source stays pending (the docs:
# "abort force" once the destination certainly did not take over).
fault_removed() {
	local rm
	if [ "$PHASE" != handoff ]; then
		c "remove mt_dst" remove mt_dst &&
		wait_st mt_src 30 '[ "${ST[7]}" = connecting ] && err_has "error -111"' &&
		{ ! mode_is tracking || fail "the push stopped"; } && dst_stack && end_handoff
		return
	fi
	dmsetup remove mt_dst > /tmp/mt_rm 2>&1 &
	rm=$!
	nap 1
	c unstall resume mt_dlin	# the stalled flush completes: no commit
	wait $rm || fail "remove: $(cat /tmp/mt_rm)" || return 1
	! since_mark | grep -q 'mt_dst: handoff complete' ||
		fail "the removed destination committed the handoff" || return 1
	# The source reconnects (backoff: up to 5 s): two handshakes, or 12 s.
	dst_stack && wait_for 12 'st mt_dst && [ "${ST[14]}" -ge 2 ]'
	nap 0.5
	st mt_src && { mode_is handoff ||
		fail "a re-created blank destination ended the pending handoff"; } || return 1
	err_has "lost the session after HANDOFF" || fail "no clear error" || return 1
	msg abort force && end_stopped ""
}
# Found by this cell: the re-created destination adopts the session it
# answers FRESH; the source refused that FRESH (HANDOFF had been sent), and
# its next reconnect was answered RESUME: it handed the volume off to the
# blank destination.  The source now keeps refusing that peer
# (kmod/push.c push_verdict(), peer_lost).

# abort: before the handoff it stops the push at once; a pending handoff
# refuses it.
fault_abort() {
	if [ "$PHASE" != handoff ]; then
		msg abort && end_stopped ""
		return
	fi
	! ctl msg mt_src abort || fail "abort accepted while pending" || return 1
	st mt_src && { mode_is handoff || fail "no longer pending"; } && unstall && end_handoff
}

fault_rmmod() {
	! rmmod dm_migrate 2>/dev/null || fail "rmmod succeeded" || return 1
	[ -d /sys/module/dm_migrate ] || fail "the module is gone" || return 1
	unstall && end_handoff
}

# --- the matrix --------------------------------------------------------------
CELL=0
DLIN=linear
for FAULT in $FAULTS; do
	for PHASE in $PHASES; do
		CELL=$((CELL + 1))
		PORT=$((7800 + CELL))
		WHY= NOTE= VERDICT= WRITES=
		HANDOFF_SENT=0
		[ "$FAULT/$PHASE" = removed/handoff ] && HANDOFF_SENT=1
		ms; t0=$MS; LAPS=; LAP0=
		lap start; LAPS=
		echo "dm-migrate matrix: cell $CELL $FAULT/$PHASE" > /dev/kmsg
		ok=0
		reset
		if c "source image" copy /tmp/mt_image "$S" &&
		   c reference copy /tmp/mt_image /tmp/mt_ref && dst_stack &&
		   c writer wstart /dev/mapper/mt_src /tmp/mt_ref $CELL && lap setup &&
		   "reach_$PHASE" && { [ "$PHASE" = handoff ] || writing; } && lap reach; then
			if mode_is "$PHASE"; then
				"fault_$FAULT" && ok=1 && lap end
			else
				fail "not in $PHASE when the fault came"
			fi
		fi
		[ "$VERDICT" = stopped ] && [ $ok = 1 ] && SRC_KEEP=1
		ms; secs=$(((MS - t0 + 500) / 1000))
		desc="${TITLE[$FAULT]} in $PHASE"
		if [ $ok = 1 ]; then
			RESULT[$FAULT/$PHASE]="$VERDICT ${secs}s"
			ok "$desc: $VERDICT ($NOTE; ${WRITES:-no writes}; ${secs} s: $LAPS)"
			continue
		fi
		RESULT[$FAULT/$PHASE]="FAIL"
		not_ok "$desc: ${VERDICT:-no verdict} (${secs} s)"
		{ echo "$WHY"; since_mark | tail -n 25; } | tap_diag
	done
done
reset

# The table: rows are faults, columns phases.
{
	printf '%-22s' "fault \\ phase"
	for p in $PHASES; do printf ' %-12s' "$p"; done
	echo
	for f in $FAULTS; do
		printf '%-22s' "${TITLE[$f]}"
		for p in $PHASES; do printf ' %-12s' "${RESULT[$f/$p]}"; done
		echo
	done
} | tap_diag

tap_done
