#!/bin/bash
# dmm-cost: 144
# The push engine's memory (~17 MiB of vmalloc'd read and encode buffers,
# a workqueue, a bio_set, a mempool) exists only while a push runs: it is
# given back when the push is aborted (also with mirrored writes in
# flight, also while one or the push's reads wait for a stalled origin,
# also right after it started), fails or is handed off, kept
# while a handoff is pending, and a push started again (after a grow too)
# allocates it anew and still ends with identical volumes.  A receiver
# aborted while its volume stalls does not wait for it either: it frees
# its memory when the stuck write returns.
. "$(dirname "$0")/../safety.sh"

MIB=1048576
# vmalloc bytes of the push engine: /proc/vmallocinfo's lines whose caller
# is a push function of the module (the receiver's buffers are not).
vm() { awk '/\[dm_migrate\]/ && /push/ { s += $2 } END { print s + 0 }' /proc/vmallocinfo; }
vmused() { awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo; }
# Rescuer threads of WQ_MEM_RECLAIM workqueues named dm-migrate-*: the
# push's "dm-migrate-read" comes and goes, the module's "dm-migrate-io"
# stays ("kworker/R-dm-mi" for both on newer kernels: counted, not named).
rescuers() { cat /proc/[0-9]*/comm 2>/dev/null | grep -cE '^(dm-migrate-read|kworker/R-dm-mi)'; }
held() { [ "$(vm)" -ge $((16 * MIB)) ] || { echo "push vmalloc $(vm) B"; return 1; }; }
freed() { [ "$(vm)" = 0 ] || { grep dm_migrate /proc/vmallocinfo; return 1; }; }
# settle: the thread frees as it parks, just after the mode changed.
settle() {
	for _ in $(seq 100); do [ "$(vm)" = 0 ] && return 0; nap 0.1; done
	freed
}
figures() { echo "# $1: push vmalloc $(vm) B, VmallocUsed $(vmused) kB (${SECONDS} s)"; }
listen() { on_dst dmsetup message "$1" 0 listen $DST_IP:"$2" "$KEY"; }

tap_plan 43
fill_mixed "$src" "$SIZE"
# --- abort, then grow ----------------------------------------------------------
# A half-size source pushes to a half-size destination, is aborted, grows.
half=$((sz / 2))
dmsetup create mt_slin --table "0 $half linear $src 0"
dmsetup create mt_src --table "0 $half migrate /dev/mapper/mt_slin 128"
dmsetup create mt_dhlin --table "0 $half linear $dst 0"
dmsetup create mt_dhalf --table "0 $half migrate /dev/mapper/mt_dhlin 128 1 receive"
listen mt_dhalf $((PORT + 1))
r0=$(rescuers)
figures "before any push"
check "before any push: no engine memory" freed
on_src dmsetup message mt_src 0 push $DST_IP:$((PORT + 1)) "$KEY" converge_below=1M
wait_mode mt_src converged 240 >/dev/null
figures "pushing (converged)"
check "pushing: the engine holds its buffers (>= 16 MiB vmalloc)" held
expect_eq "pushing: its read workqueue exists" $((r0 + 1)) "$(rescuers)"
dmsetup message mt_src 0 abort
figures "after abort"
check "abort: every vmalloc'd byte given back at once" freed
expect_eq "abort: the read workqueue is gone" "$r0" "$(rescuers)"
dmsetup remove mt_dhalf
dmsetup remove mt_dhlin
dmsetup suspend mt_slin && dmsetup load mt_slin --table "0 $sz linear $src 0" &&
	dmsetup resume mt_slin
dmsetup load mt_src --table "0 $sz migrate /dev/mapper/mt_slin 128"
check "grow: the stopped push's device grows" sh -c "dmsetup suspend mt_src && dmsetup resume mt_src"

# --- abort while mirroring, writes in flight -----------------------------------
dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_dlin 128 1 receive"
listen mt_dst $PORT
push converge_below=1M
wait_mode mt_src converged 240 >/dev/null
dmsetup message mt_src 0 mirror
wait_mode mt_src mirroring 30 >/dev/null
fio --name=w --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k --size=8M \
	--loops=2 --direct=1 --ioengine=libaio --iodepth=16 --eta=never \
	--output=/tmp/fio.out &
FIO=$!
# Abort once fio's writes are being mirrored (fio starts slowly under TCG).
for _ in $(seq 600); do [ "$(status_field mt_src 11)" -gt 100 ] && break; nap 0.1; done
n0=$(status_field mt_src 11)
check "mirroring: abort with mirrored writes in flight ($n0 mirrored so far)" \
	dmsetup message mt_src 0 abort
figures "after abort while mirroring"
check "mirroring: memory given back" freed
wait $FIO
expect_eq "mirroring: every guest write completed (fio's exit status)" 0 $?

# --- abort while the origin stalls ---------------------------------------------
# A mirrored write sits in the suspended origin's queue: abort must not
# wait for it (it held ctl_lock until the origin answered: every control
# path hung), the memory goes when that write completes, and a push is
# refused until then.
push converge_below=1M
wait_mode mt_src converged 240 >/dev/null
dmsetup message mt_src 0 mirror
wait_mode mt_src mirroring 30 >/dev/null
for _ in $(seq 300); do [ "$(dirty_of mt_src)" = 0 ] && break; nap 0.1; done
dmsetup suspend --noflush mt_slin
dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=4 seek=33 oflag=direct status=none &
DD=$!
for _ in $(seq 300); do [ "$(status_field mt_src 11)" -ge 1 ] && break; nap 0.1; done
sleep 1
check "stalled origin: abort returns at once" timeout 20 dmsetup message mt_src 0 abort
expect_fail_msg "stalled origin: a new push is refused while its write waits" \
	"still wait for the origin" push
check "stalled origin: status still answers" timeout 20 "$MDM" status mt_src
dmsetup resume mt_slin
wait $DD
expect_eq "stalled origin: the guest write completed once the origin answered" 0 $?
check "stalled origin: then the memory is given back" settle
figures "after abort with a stalled origin"

# --- abort while reads of the origin stall -------------------------------------
# The origin stalls before a push starts: its reads wait in the origin's
# queue.  Abort must not wait for them either (it did: the thread flushed
# its read workqueue while abort held ctl_lock); the chunks they were to
# send are dirty again at once, and the memory goes when they return.
all_dirty() {
	local f
	f=$(status_field mt_src 3)
	[ "${f%/*}" = "${f#*/}" ] || { echo "dirty/total $f"; return 1; }
}
connected_reading() {	# connected, nothing read: its reads wait
	local i
	for i in $(seq 300); do
		[ "$(status_field mt_src 5)" = connected ] && break
		nap 0.1
	done
	sleep 1
	[ "$(status_field mt_src 5) $(status_field mt_src 7)" = "connected 0" ] ||
		{ dmsetup status mt_src; return 1; }
}
dmsetup suspend --noflush mt_slin
push
check "stalled reads: the push connected and read nothing (its reads wait)" connected_reading
check "stalled reads: abort returns at once" timeout 20 dmsetup message mt_src 0 abort
check "stalled reads: every chunk is still dirty after the abort" all_dirty
expect_fail_msg "stalled reads: a new push is refused while they wait" \
	"still wait for the origin" push
dmsetup resume mt_slin
check "stalled reads: then the memory is given back" settle
check "stalled reads: every chunk is still dirty once they returned" all_dirty
figures "after abort with stalled reads"

# --- restart right after stop, status read meanwhile ---------------------------
( while :; do dmsetup status mt_src; "$MDM" status mt_src; done > /dev/null 2>&1 ) &
READER=$!
churn() {
	local i
	for i in $(seq 6); do
		push converge_below=1M || return 1
		[ $((i % 3)) = 0 ] && nap 0.$((RANDOM % 5))
		dmsetup message mt_src 0 abort || return 1
	done
}
check "churn: 6 pushes aborted right after they start, status read throughout" churn
kill $READER; wait $READER 2>/dev/null
figures "after churn"
check "churn: memory given back" freed

# --- abort while the destination's volume stalls -------------------------------
# The destination's volume is suspended (--noflush) while a push streams to
# it: the receiver's thread waits in a write or flush of it.  Abort must not
# wait for that I/O (it held ctl_lock until the volume answered: abort,
# status and every control path of the device hung); a new listen is
# refused until it returns, then the receiver's memory (its chunk buffer,
# its thread) goes, and the source, which got no ACK for what was stuck,
# still has it dirty and sends it to the next receiver (the handoff
# section below then pushes to that receiver and compares the volumes).
rvm() { awk '/\[dm_migrate\]/ && /recv/ { s += $2 } END { print s + 0 }' /proc/vmallocinfo; }
rthreads() { cat /proc/[0-9]*/comm 2>/dev/null | grep -c '^dm-migrate-recv$'; }
recv_kept() {
	[ "$(rthreads)" = 1 ] && [ "$(rvm)" -gt 0 ] ||
		{ echo "threads $(rthreads), vmalloc $(rvm) B"; return 1; }
}
recv_freed() {
	for _ in $(seq 200); do [ "$(rthreads) $(rvm)" = "0 0" ] && return 0; nap 0.1; done
	echo "threads $(rthreads), vmalloc $(rvm) B"
	grep dm_migrate /proc/vmallocinfo
	return 1
}
dst_stalls() {	# chunks arrived, then the count stands still: a write waits
	local a b
	for _ in $(seq $((300 * SLOW))); do
		[ "$(status_field mt_dst 9)" -gt 0 ] && break
		nap 0.1
	done
	dmsetup suspend --noflush mt_dlin || return 1
	sleep 1
	a=$(status_field mt_dst 9)
	sleep 2
	b=$(status_field mt_dst 9)
	[ "$a" -gt 0 ] && [ "$a" = "$b" ] &&
		[ "$(status_field mt_dst 5)" = connected ] || { dmsetup status mt_dst; return 1; }
}
src_covers() {	# every chunk the destination did not apply is dirty again
	local d t
	for _ in $(seq 100); do
		[ "$(status_field mt_src 5)" != connected ] && break
		nap 0.1
	done
	sleep 1		# its disconnect marks the chunks just after the link state
	d=$(dirty_of mt_src)
	t=$(status_field mt_src 3)
	t=${t#*/}
	case $(mode_of mt_src) in bulk|dirty|converged) ;; *) d=-$t ;; esac
	[ $((d + n_applied)) -ge "$t" ] ||
		{ echo "src $(dmsetup status mt_src), destination applied $n_applied"; return 1; }
}
reconnects() {	# the source's push, still running, is served by the new receiver
	for _ in $(seq $((300 * SLOW))); do
		[ "$(status_field mt_dst 5)" = connected ] &&
			[ "$(status_field mt_dst 9)" -gt 0 ] && return 0
		nap 0.1
	done
	dmsetup status mt_src mt_dst
	return 1
}
dmsetup message mt_dst 0 abort	# its counters start again
listen mt_dst $PORT
check "stalled destination: the receiver holds its buffer and thread" recv_kept
push
check "stalled destination: chunks arrived, then the suspended volume holds a write" dst_stalls
check "stalled destination: status answers while it stalls" timeout 20 "$MDM" status mt_dst
mark=$(kmsg_mark)
t0=$(date +%s%N)
check "stalled destination: migrate-dm abort returns within 20 s" timeout 20 "$MDM" abort mt_dst
echo "# abort took $(since "$t0") ms"
n_applied=$(status_field mt_dst 9)
check "stalled destination: status answers after the abort" \
	sh -c "timeout 20 '$MDM' status mt_dst && timeout 20 dmsetup status mt_dst"
check "stalled destination: the stuck write keeps the receiver's memory" recv_kept
check "stalled destination: the kernel log says why the memory stays" \
	sh -c "dmesg | sed -n '/$mark\$/,\$p' | grep 'memory kept until its stuck volume I/O returns'"
expect_fail_msg "stalled destination: a new listen is refused while the write waits" \
	"still waits for the volume" listen mt_dst $PORT
check "stalled destination: the source still pushes, what was not applied is dirty" src_covers
dmsetup resume mt_dlin
check "stalled destination: once the volume answers, the receiver's memory is freed" recv_freed
check "stalled destination: ... and the log says so" \
	sh -c "dmesg | sed -n '/$mark\$/,\$p' | grep 'volume I/O returned; its memory is freed'"
check "stalled destination: the device is then removed" timeout 20 dmsetup remove mt_dst
dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_dlin 128 1 receive"
listen mt_dst $PORT
check "stalled destination: the source's push, still running, reaches a new receiver" \
	reconnects
# The source goes back to tracking; the handoff below pushes again to this
# receiver and compares the volumes.
dmsetup message mt_src 0 abort
figures "after abort with a stalled destination"

# --- handoff -----------------------------------------------------------------
push converge_below=1M
wait_mode mt_src converged 240 >/dev/null
dmsetup message mt_src 0 mirror
wait_mode mt_src mirroring 30 >/dev/null
dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=16 seek=7 oflag=direct status=none
for _ in $(seq 300); do [ "$(dirty_of mt_src)" = 0 ] && break; nap 0.1; done
dmsetup suspend mt_dlin		# the destination stalls at the flush: pending
dmsetup suspend mt_src
dmsetup message mt_src 0 handoff
figures "handoff pending"
check "handoff pending: the engine keeps its memory" \
	sh -c "[ $(mode_of mt_src) = handoff ] && [ $(vm) -ge $((16 * MIB)) ]"
dmsetup resume mt_dlin
wait_mode mt_src handed_off 120 >/dev/null
check "handed off: memory given back" settle
figures "handed off"
resume_same() { dmsetup resume mt_src && same; }
check "handed off: volumes identical" resume_same

# --- failed, then pushed again -------------------------------------------------
# The source's origin fails every read: the push stops by itself after
# eight failures in a row (link "stopped").
origin() { dmsetup suspend mt_slin && dmsetup load mt_slin --table "0 $sz $1" &&
	dmsetup resume mt_slin; }
on_dst dmsetup message mt_dst 0 abort
dmsetup remove mt_dst
dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_dlin 128 1 receive"
listen mt_dst $PORT
dmsetup remove mt_src
dmsetup create mt_src --table "0 $sz migrate /dev/mapper/mt_slin 128"
origin error
echo "# the origin fails reads; pushing (${SECONDS} s)"
push
for _ in $(seq $((300 * SLOW))); do [ "$(status_field mt_src 5)" = stopped ] && break; nap 0.1; done
check "failed: a push whose origin fails every read stops" \
	test "$(mode_of mt_src) $(status_field mt_src 5)" = "tracking stopped"
check "failed: memory given back" settle
figures "failed"
origin "linear $src 0"
push converge_below=1M
check "failed: pushed again, it converges" wait_mode mt_src converged 240
dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 30 >/dev/null
check "failed: then handoff, volumes identical" finish
check "failed: memory given back after the handoff" settle

tap_done
