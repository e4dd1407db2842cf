#!/bin/bash
# dmm-cost: 96
# Data safety of the handoff: a destination that stalls at the flush
# keeps the handoff pending (resume and plain abort refused), its ACK is
# lost to a link cut, the reconnect learns the verdict: exactly one owner
# at every step, and another device's commands answer meanwhile.  Then a
# stalled destination during mirroring: guest writes complete after the
# ACK timeout instead of hanging.  Both handoffs' timing in status adds
# up (the source's parts to its total, the destination's inside the
# source's confirmation).
. "$(dirname "$0")/../safety.sh"

# timing MIN_MS MAX_MS: the handoff's timing in both status lines (us,
# fields 15-19: total suspend drain confirm flush) is there and sane: the
# source's total within MIN_MS..MAX_MS and its parts adding up to it, the
# destination's (HANDOFF to its ACK) inside the source's confirmation.
ho() { dmsetup status "$1" | awk '{ print $18, $19, $20, $21, $22 }'; }
timing() {
	local t s d c f dt ds dd dc df
	read -r t s d c f <<< "$(ho mt_src)"
	read -r dt ds dd dc df <<< "$(ho mt_dst)"
	echo "source: total $t suspend $s drain $d confirm $c flush $f; destination: total $dt flush $df ($ds $dd $dc)"
	[ "$f $ds $dd $dc" = "- - - -" ] &&
	[ "$t" -ge $(($1 * 1000)) ] && [ "$t" -le $(($2 * 1000)) ] &&
	[ $((d + c)) -le "$t" ] && [ "$t" -le $((d + c + 1)) ] && [ "$s" -ge 0 ] &&
	[ "$df" -gt 0 ] && [ "$dt" -ge "$df" ] && [ "$c" -ge "$dt" ]
}

tap_plan 16
# --- handoff -----------------------------------------------------------------
echo 3000 > $PARAM
dmsetup create mt_other --table "0 $sz migrate $(scratch_dev "${SIZE}M") 128"
echo "$KEY" > /tmp/key && chmod 600 /tmp/key
mirroring_pair
dd if=/dev/urandom of=/dev/mapper/mt_src bs=64k count=16 seek=5 oflag=direct status=none
for _ in $(seq 300); do [ "$(dirty_of mt_src)" = 0 ] && break; nap 0.1; done
dmsetup suspend mt_dlin		# the destination's disk stalls: at the flush
dmsetup suspend mt_src
"$MDM" handoff mt_src > /tmp/handoff.out 2>&1 &
HO=$!
sleep 1
check "handoff: pending while the destination stalls" test "$(mode_of mt_src)" = handoff
# Answered while the handoff is still pending (it cannot end before the
# destination's disk is back): nothing global waits for it.  A count, not
# a time: migrate-dm alone takes seconds on a loaded TCG guest.
t0=$(date +%s%N)
timeout 60 "$MDM" status mt_other > /dev/null &&
	on_src timeout 60 "$MDM" push mt_other --to $DST_IP:7799 --key-file /tmp/key --no-wait > /dev/null
r=$?
ms=$(since "$t0")
check "handoff: another device's status and push (netlink) answer while it is pending ($ms ms)" \
	test "$r $(mode_of mt_src)" = "0 handoff"
"$MDM" abort mt_other > /dev/null
check "handoff: resume refused while pending" sh -c "! dmsetup resume mt_src"
check "handoff: plain abort refused while pending" sh -c "! dmsetup message mt_src 0 abort"
link down			# the ACK of the commit will be lost
dmsetup resume mt_dlin		# the destination commits
check "handoff: the destination took over" wait_mode mt_dst tracking 30
sleep 8				# the source's watchdog drops the dead connection
check "handoff: one owner: the source still refuses (handoff), the destination owns" \
	test "$(mode_of mt_src) $(mode_of mt_dst)" = "handoff tracking"
link up
check "handoff: the reconnect learns the verdict" wait_mode mt_src handed_off 60
check "handoff: the waiting migrate-dm reported it" sh -c "wait $HO; grep -q 'handed off' /tmp/handoff.out"
check "handoff: its timing in status: the lost ACK's 8 s in the source's confirmation" \
	timing 8000 $((120000 * SLOW))
check "handoff: the resumed source refuses writes" sh -c \
	"dmsetup resume mt_src && ! dd if=/dev/zero of=/dev/mapper/mt_src bs=4k count=1 oflag=direct status=none"
check "handoff: volumes identical" same
dmsetup remove mt_other

# --- stall -----------------------------------------------------------------
mirroring_pair
dmsetup suspend mt_dlin
t0=$(date +%s%N)
check "stall: guest writes complete while the destination's disk stalls" timeout 90 \
	dd if=/dev/urandom of=/dev/mapper/mt_src bs=4k count=4 seek=300 oflag=direct status=none
ms=$(since "$t0")
check "stall: after the ACK timeout ($ms ms), not forever" test "$ms" -lt $((40000 * SLOW))
check "stall: the connection was dropped for it, and said so" \
	sh -c "dmesg | grep -q 'mt_src: peer .* acknowledged nothing for 3000 ms'"
dmsetup resume mt_dlin
check "stall: handoff after the disk is back, volumes identical" finish
timing 0 $((10000 * SLOW)) | tap_diag
check "stall: the handoff's timing in status, under $((10 * SLOW)) s" timing 0 $((10000 * SLOW))
echo 10000 > $PARAM

tap_done
