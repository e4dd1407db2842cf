#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench/mkimage-fs.sh IMG [SIZE_MIB]: the bench's "fs" content, an ext4
# image of SIZE_MIB (default 1024: the bench's volume) that looks like a
# root filesystem that has lived: a sample of this machine's /usr written
# until the files fill FILL_PCT % of it, then every DELETE_EVERY-th file
# deleted, its data left in the free blocks as a real filesystem leaves it.
# Writes IMG and IMG.list (what was written, "-" before the deleted).
#
# Built on the machine, not in the guest: debugfs writes the files into the
# image file directly (no mount, no loop device, no copying /usr over 9p
# under TCG): 6 s of CPU (33-55 s wall with the machine at load 13);
# `make bench-tools` builds it once into build/bench/fs.img and rebuilds
# it only when this script changes.  The guest copies it onto its RAM disk
# over 9p: 38-58 s in the TCG guest at load 10-16 (the image compressed
# with zstd, 159 MB, took 130-190 s to decompress there: not worth it).
#
# Deterministic: the same /usr gives the same image, byte for byte (fixed
# UUID, hash seed and clock, files in C order, fixed sample and deletion
# choice).  Another /usr (packages installed or upgraded) gives another
# sample of the same kind; IMG.list records which.
#
# The sample: every K-th regular file or symlink of /usr in C order, K
# chosen so that the sample fills about FILL_PCT %, spanning the whole
# tree (binaries, libraries, headers, documentation, locales, data), with
# names of plain characters only (debugfs's quoting) and files of at most
# MAX_FILE_MIB (no one library dominating).
#
# Wiring into the bench's bulk section (bench/guest.sh, for the lead):
# one more case in fill(), after its blkdiscard (conv=sparse skips the
# zero blocks, which the discarded RAM disk already reads as zeroes):
#
#   fs)	dd if=build/bench/fs.img of=/dev/ram0 bs=1M conv=sparse status=none ;;
#
# with "fs" added to CONTENTS, and build/bench/fs.img made by `make bench`
# (the bench target builds bench-tools).  Every blkdiscard of the RAM
# disks needs -f then: util-linux refuses to discard a device that holds a
# filesystem, and behind 2>/dev/null fill() falls back to writing 1 GiB of
# zeroes and the bulk loop leaves /dev/ram1 as the last copy left it.
# climit's header (bench/climit.c) has the two limit columns.
set -euo pipefail

FILL_PCT=50
DELETE_EVERY=5
MAX_FILE_MIB=16
UUID=5a1f0c3e-6d2b-4e8a-9b7c-2f4d6e8a0b1c
export E2FSPROGS_FAKE_TIME=1700000000	# 2023-11-14: every timestamp

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: bench/mkimage-fs.sh IMG [SIZE_MIB]" >&2
	exit 2
fi
img=$1
size_mib=${2:-1024}
if ! [[ $size_mib =~ ^[0-9]+$ ]] || [ "$size_mib" -lt 64 ]; then
	echo "mkimage-fs.sh: size '$size_mib' is not a number of MiB, at least 64" >&2
	exit 2
fi
for t in mkfs.ext4 debugfs dumpe2fs; do
	command -v $t >/dev/null || { echo "mkimage-fs.sh: no $t; install e2fsprogs (make deps)" >&2; exit 1; }
done
mkdir -p "$(dirname "$img")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp" "$img.tmp"' EXIT
t0=$(date +%s.%N)

# TYPE BLOCKS PATH [TARGET] of every candidate, in C order of PATH.
find /usr -xdev \( -type f -size -$((MAX_FILE_MIB * 1024 + 1))k -o -type l \) \
	-printf '%y\t%s\t%p\t%l\n' |
	awk -F '\t' '$3 ~ /^\/usr\/[A-Za-z0-9._+,@:=~\/-]+$/ && ($1 == "f" || $4 ~ /^[A-Za-z0-9._+,@:=~\/-]+$/) {
		printf "%s %d %s %s\n", $1, int(($2 + 4095) / 4096), $3, $4 }' |
	LC_ALL=C sort -k3,3 > "$tmp/all"

# The sample: every K-th, until FILL_PCT % of the blocks.
awk -v target=$((size_mib * 256 * FILL_PCT / 100)) '
	{ total += $2; line[NR] = $0 }
	END {
		k = int(total / target); if (k < 1) k = 1
		for (i = k; i <= NR && sum < target; i += k) {
			split(line[i], f, " "); sum += f[2]; print line[i]
		}
	}' "$tmp/all" > "$tmp/sample"

# debugfs commands: the directories (a parent sorts before its children),
# then the files and symlinks; the deletions in a second pass.
awk '{ n = split($3, p, "/"); d = ""; for (i = 2; i < n; i++) { d = d "/" p[i]; print d } }' \
	"$tmp/sample" | LC_ALL=C sort -u | awk '{ printf "mkdir \"%s\"\n", $1 }' > "$tmp/write"
awk '$1 == "f" { printf "write \"%s\" \"%s\"\n", $3, $3 }
     $1 == "l" { printf "symlink \"%s\" \"%s\"\n", $3, $4 }' "$tmp/sample" >> "$tmp/write"
awk -v every=$DELETE_EVERY '$1 == "f" && ++n % every == 0 { printf "rm \"%s\"\n", $3 }' \
	"$tmp/sample" > "$tmp/rm"

rm -f "$img.tmp"
truncate -s "${size_mib}M" "$img.tmp"
mkfs.ext4 -q -F -b 4096 -L bench-root -U $UUID -E hash_seed=$UUID "$img.tmp"
# debugfs reports errors on its output and exits 0: anything but its
# echo of each command and "Allocated inode" is one.
for pass in write rm; do
	debugfs -w -f "$tmp/$pass" "$img.tmp" > "$tmp/$pass.log" 2>&1
	if grep -v -e '^debugfs[ :]' -e '^Allocated inode: ' -e '^$' "$tmp/$pass.log" > "$tmp/err"; then
		echo "mkimage-fs.sh: debugfs could not $pass all files into $img:" >&2
		head -n 5 "$tmp/err" >&2
		exit 1
	fi
done
fsck_out=$(e2fsck -fn "$img.tmp" 2>&1) || {
	echo "mkimage-fs.sh: the image $img does not check clean:" >&2
	echo "$fsck_out" | tail -n 5 >&2
	exit 1
}

awk -v every=$DELETE_EVERY '{ if ($1 == "f" && ++n % every == 0) print "-" $3; else print $3 }' \
	"$tmp/sample" > "$img.list"
mv "$img.tmp" "$img"
blocks=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Block count/ { print $2 + 0 }')
free=$(dumpe2fs -h "$img" 2>/dev/null | awk -F: '/^Free blocks/ { print $2 + 0 }')
written=$(awk '{ s += $2 } END { print s }' "$tmp/sample")
echo "mkimage-fs.sh: $img: ${size_mib} MiB ext4, $(wc -l < "$tmp/sample") files and symlinks" \
	"of /usr ($((written / 256)) MiB), $(wc -l < "$tmp/rm") deleted;" \
	"$(((blocks - free) * 100 / blocks)) % in use," \
	"$(awk -v t="$t0" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - t }') s"
