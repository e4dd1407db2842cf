# bench/contents.sh: the contents the bulk and converge sections move.
# content_NAME DEV fills all of DEV (a RAM disk: discarding it first gives
# back its pages, so that what is not written reads as zeroes).  A new
# content is one more function here; bench/sections/bulk.sh lists the
# default ones.

# content_fill NAME DEV: fill DEV with content NAME.
content_fill() {
	local fn=content_${1//-/_}
	if [ "$(type -t "$fn")" != function ]; then
		echo "bench: no content '$1' ($fn in bench/contents.sh)" >&2
		return 1
	fi
	discard "$2"
	"$fn" "$2"
}

mib_of() { echo $(($(blockdev --getsize64 "$1") >> 20)); }

# incompressible: an AES-CTR keystream (the same bytes every run).
content_incompressible() {
	openssl enc -aes-128-ctr -pass pass:dmm -nosalt -pbkdf2 < /dev/zero 2>/dev/null |
		head -c "$(blockdev --getsize64 "$1")" |
		dd of="$1" bs=1M iflag=fullblock status=none
}

# zero-heavy: 10 % random data in 1 MiB pieces, the rest zeroes.
content_zero_heavy() {
	local i
	for i in $(seq 0 10 $(($(mib_of "$1") - 1))); do
		head -c 1M /dev/urandom | dd of="$1" bs=1M seek="$i" status=none
	done
}

# image-like: 30 % random (binaries), 30 % text, 40 % zeroes.  The text:
# build/bench/text.sample, 16 MiB of the host's headers and documentation
# (make bench-tools), repeated (a chunk is compressed on its own, so the
# repetition does not help compression).
content_image_like() {
	local mib third text=build/bench/text.sample
	mib=$(mib_of "$1")
	third=$((mib * 3 / 10))
	if [ ! -s "$text" ]; then
		echo "bench: no $text: make bench-tools" >&2
		return 1
	fi
	head -c "${third}M" /dev/urandom | dd of="$1" bs=1M iflag=fullblock status=none
	while cat "$text"; do :; done 2>/dev/null |
		head -c "${third}M" | dd of="$1" bs=1M seek="$third" iflag=fullblock status=none
}
# fs: build/bench/fs.img, a lived-in ext4 root (bench/mkimage-fs.sh; make
# bench-tools builds it at the bench's volume size).  conv=sparse skips its
# zero blocks: the discarded RAM disk reads zeroes there already.
content_fs() {
	local img=build/bench/fs.img
	if [ ! -f "$img" ]; then
		echo "bench: no $img: make bench-tools" >&2
		return 1
	fi
	if [ "$(stat -c %s "$img")" != "$(blockdev --getsize64 "$1")" ]; then
		echo "bench: $img is $(($(stat -c %s "$img") >> 20)) MiB, the volume $(mib_of "$1") MiB:" \
			"rm $img; make bench-tools BENCH_FS_MIB=$(mib_of "$1")" >&2
		return 1
	fi
	dd if="$img" of="$1" bs=1M conv=sparse status=none
}
