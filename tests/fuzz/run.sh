#!/bin/bash
# Run one libFuzzer target for SECONDS on a copy of its seed corpus in
# build/fuzz/corpus/NAME (the repository's corpus is never written).
# Builds the target first.  Exits non-zero if the fuzzer found a crash or a
# broken invariant; the input is saved as build/fuzz/NAME-crash-*.
#
#   tests/fuzz/run.sh NAME SECONDS [libFuzzer options...]
set -eu
REPO=$(cd "$(dirname "$0")/../.." && pwd)
name=$1
secs=$2
shift 2
F=$REPO/build/fuzz
make -s -C "$REPO" "$F/$name"
corpus=$F/corpus/$name
mkdir -p "$corpus"
cp "$REPO/tests/fuzz/corpus/$name/"* "$corpus/"
opts=()
# RAW chunks of 4 KiB and their headers; LZO streams that expand a lot.
[ "$name" = fuzz_decode ] && opts+=(-max_len=16384)
exec "$F/$name" -max_total_time="$secs" -timeout=30 -print_final_stats=1 \
	-artifact_prefix="$F/$name-" "${opts[@]}" "$@" "$corpus"
