#!/bin/bash
# dmm-cost: 250
# dmm-timeout: 1200
# Chunk encodings and their negotiation.
#  1. A volume of random, text and zero thirds migrates, a writer running,
#     with each encoding: lzo (the default), lz4, zstd, raw and auto (some
#     by dmsetup message, some by migrate-dm): status names the encoding
#     in use, both ends count chunks of it (raw: none compressed), and the
#     volumes are identical after the handoff.  During the zstd run the
#     push starts as lzo and is switched to zstd (migrate-dm limit).
#  2. A destination of the first protocol v3 (tests/prog/olddest legacy:
#     it refuses a HELLO with flags, as that version did): the source
#     asked for zstd reconnects without flags and sends LZO; status says
#     why; the old destination saw only RAW, LZO and ZERO; volumes equal.
#  3. A destination that decodes LZ4 but not zstd (olddest offer:8):
#     auto never sends zstd (olddest would stop on it), and zstd asked
#     falls back to LZO with the reason in status; volumes equal.
. "$(dirname "$0")/../lib.sh"

tap_plan 38
net_setup
migration_pair 16 8
printf '%s' "$KEY" > /tmp/key
trap 'kill $FIO $OLD 2>/dev/null; dm_cleanup; net_cleanup' EXIT

writer() {	# 4 KiB random writes at 128 KiB/s to the first half
	fio --name=load --filename=/dev/mapper/mt_src --rw=randwrite --bs=4k \
		--offset=0 --size=$((SIZE_MB / 2))M --direct=1 --ioengine=libaio \
		--iodepth=4 --rate=128k --time_based --runtime=600 --eta=never \
		--output=/dev/null &
	FIO=$!
}

# finish: the writer stops once mirroring, then the handoff; both volumes
# compared (the writer's last writes were mirrored).
finish() {
	dmsetup message mt_src 0 mirror && wait_mode mt_src mirroring 60 || return 1
	kill $FIO; wait $FIO 2>/dev/null
	dmsetup suspend mt_src && handoff_wait mt_src && dmsetup resume mt_src &&
	[ "$(dev_sha "$src")" = "$(dev_sha "$dst")" ]
}

# Chunks of encoding $2 that DEV $1 sent or applied.
chunks() { json "$1" "s['chunks_by_encoding'].get('$2', 0)"; }

# 1. Kernel to kernel, each encoding.
port=7788
for enc in lzo lz4 zstd raw auto; do
	port=$((port + 1))
	blkdiscard "$dst" 2>/dev/null || dd if=/dev/zero of="$dst" bs=1M oflag=direct status=none
	dmsetup create mt_src --table "0 $sz migrate $src 128"
	dmsetup create mt_dst --table "0 $sz migrate $dst 128 1 receive"
	on_dst dmsetup message mt_dst 0 listen $DST_IP:$port "$KEY"
	writer
	case $enc in
	lzo)	# the default, no option
		on_src dmsetup message mt_src 0 push $DST_IP:$port "$KEY" converge_below=1M ;;
	lz4|auto)
		on_src "$MDM" push mt_src --to $DST_IP:$port --key-file /tmp/key \
			--encoding $enc --converge-below 1M >/dev/null ;;
	zstd)	# starts as lzo, slowly, then switched
		on_src dmsetup message mt_src 0 push $DST_IP:$port "$KEY" rate=1M converge_below=1M
		for i in $(seq 100); do [ "$(chunks mt_src lzo)" -gt 0 ] && break; nap 0.2; done
		"$MDM" limit mt_src --encoding zstd --rate none ;;
	raw)
		on_src dmsetup message mt_src 0 push $DST_IP:$port "$KEY" encoding=raw converge_below=1M ;;
	esac
	check "$enc: converges, a writer running" wait_mode mt_src converged 300
	# One status read: auto may change its choice between two.
	uw=$(json mt_src "s['encoding_used'] + ' ' + s['encoding_why']")
	used=${uw%% *} why=${uw#* }
	echo "# $enc: $(json mt_src "s['chunks_by_encoding']") in use: $why"
	case $enc in
	raw)
		expect_eq "raw: no chunk compressed" "0 0 0" \
			"$(chunks mt_src lzo) $(chunks mt_src lz4) $(chunks mt_src zstd)" ;;
	auto)
		check "auto: status says auto chose it ($why)" \
			sh -c "echo '$why' | grep -q '^$used: auto: '" ;;
	*)
		expect_eq "$enc: status says it is in use" "$enc" "$used"
		check "$enc: both ends count $enc chunks" \
			test "$(chunks mt_src $enc)" -gt 0 -a "$(chunks mt_dst $enc)" -gt 0 ;;
	esac
	[ $enc = zstd ] && check "zstd: the first chunks went as lzo" test "$(chunks mt_dst lzo)" -gt 0
	check "$enc: handoff, volumes identical" finish
	dmsetup remove mt_src
	dmsetup remove mt_dst
done

# olddest MODE PORT: the other version's destination on $dst, its output in /tmp/old.
olddest() {
	blkdiscard "$dst" 2>/dev/null || dd if=/dev/zero of="$dst" bs=1M oflag=direct status=none
	on_dst "$BIN/olddest" $DST_IP "$2" "$KEY" "$sz" 128 "$dst" "$1" > /tmp/old 2>&1 &
	OLD=$!
	for i in $(seq 50); do grep -q listening /tmp/old && break; nap 0.1; done
}

# 2. A destination that negotiates no encodings.
mark=$(kmsg_mark)
olddest legacy 7800
dmsetup create mt_src --table "0 $sz migrate $src 128"
writer
check "push encoding=zstd to an older destination" \
	on_src dmsetup message mt_src 0 push $DST_IP:7800 "$KEY" encoding=zstd converge_below=1M
check "old peer: converges, a writer running" wait_mode mt_src converged 300
why=$(json mt_src "s['encoding_why']")
expect_eq "old peer: LZO in use" "lzo" "$(json mt_src "s['encoding_used']")"
check "old peer: status says why ($why)" sh -c "echo '$why' | grep -q 'older dm-migrate'"
logged() { kmsg_since "$mark" | grep -q -- "$1"; }
check "old peer: the source said so in the log" logged "does not negotiate encodings"
check "old peer: it refused our first HELLO (with flags)" grep -q "refused a HELLO with flags" /tmp/old
check "old peer: handoff, volumes identical" finish
check "old peer: it applied the handoff" wait $OLD
cat /tmp/old | tap_diag
check "old peer: it got only raw, lzo and zero chunks" grep -q "lz4=0 zstd=0" /tmp/old
check "old peer: and lzo ones" sh -c "! grep -q ' lzo=0 ' /tmp/old"
dmsetup remove mt_src

# 3. A destination that decodes LZ4, not zstd: auto, then zstd asked.
olddest offer:8 7801
dmsetup create mt_src --table "0 $sz migrate $src 128"
writer
check "push encoding=auto to a destination without zstd" \
	on_src "$MDM" push mt_src --to $DST_IP:7801 --key-file /tmp/key --encoding auto \
		--rate 2M --converge-below 1M
sleep 2
expect_eq "no zstd: the peer's encodings in status" "['raw', 'lzo', 'zero', 'lz4']" \
	"$(json mt_src "s['peer_encodings']")"
check "no zstd: zstd asked of a running push" "$MDM" limit mt_src --encoding zstd --rate none
why=$(json mt_src "s['encoding_why']")
expect_eq "no zstd: LZO in use" "lzo" "$(json mt_src "s['encoding_used']")"
check "no zstd: status says why ($why)" sh -c "echo '$why' | grep -q 'does not decode'"
check "no zstd: converges, a writer running" wait_mode mt_src converged 300
check "no zstd: handoff, volumes identical" finish
check "no zstd: the destination applied everything, no zstd chunk" wait $OLD
cat /tmp/old | tap_diag
check "no zstd: and got no zstd" grep -q "zstd=0" /tmp/old
dmsetup remove mt_src
tap_done
