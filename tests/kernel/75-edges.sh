#!/bin/bash
# dmm-cost: 35
# Data safety at the edges: a grown table loaded before push keeps the
# push refused until resumed; a peer's text before authentication never
# reaches the log.
. "$(dirname "$0")/../safety.sh"

tap_plan 7
# --- grow ------------------------------------------------------------------
dmsetup remove mt_src 2>/dev/null
half=$((sz / 2))
dmsetup create mt_slin --table "0 $half linear $src 0"
dmsetup create mt_src --table "0 $half migrate /dev/mapper/mt_slin 128"
dmsetup suspend mt_slin && dmsetup load mt_slin --table "0 $sz linear $src 0" &&
	dmsetup resume mt_slin
dmsetup load mt_src --table "0 $sz migrate /dev/mapper/mt_slin 128"
check "grow: push refused while a grown table waits" \
	sh -c "! dmsetup message mt_src 0 push $DST_IP:$PORT $KEY"
check "grow: the grown table resumes" sh -c "dmsetup suspend mt_src && dmsetup resume mt_src"
dmsetup remove mt_dst 2>/dev/null
dmsetup create mt_dst --table "0 $sz migrate /dev/mapper/mt_dlin 128 1 receive"
on_dst dmsetup message mt_dst 0 listen $DST_IP:$PORT "$KEY"
push converge_below=1M
check "grow: then the push runs and converges" wait_mode mt_src converged 240
dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 30 >/dev/null
check "grow: handoff, volumes identical" finish
dmsetup remove mt_src
dmsetup remove mt_slin

# --- text ------------------------------------------------------------------
pair 128
check "text: an ERROR before authentication closes the connection" \
	on_src "$BIN/badpeer" $DST_IP $PORT "$KEY" "$sz" 128 errtext
check "text: the peer's words never reach the kernel log" sh -c "! dmesg | grep -q INJECTED"
check "text: status stays one well-formed line" \
	test "$(dmsetup status mt_dst | wc -l)" = 1

tap_done
