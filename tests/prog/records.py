#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""records: a record writer and its checker, in one process each (under TCG
every process started costs a tenth of a second or more: a shell loop of
dd per record spent minutes on process starts alone).

  records.py write DEV N FIRST COUNT [STOP PER_S] > LOG
      N 4 KiB records, each to a random block in [FIRST, FIRST + COUNT)
      of DEV (O_DIRECT | O_DSYNC, one at a time); a record's line
      "BLOCK SEQ" goes to LOG only after its write returned (acknowledged).
      With STOP and PER_S: at most PER_S records a second, N of them or,
      N 0, until the file STOP exists.
  records.py check DEV < LOG
      for every block of LOG, the content of its last record must be on
      DEV; prints one line per block that is not, exits 1 if any.
"""
import mmap
import os
import random
import sys
import time

BS = 4096


def record(seq, blk):
    """The 4 KiB content of record SEQ at BLK."""
    head = b'record %08d block %08d\n' % (seq, blk)
    return head + bytes(BS - len(head))


def write(dev, n, first, count, stop=None, per_s=0):
    buf = mmap.mmap(-1, BS)   # page-aligned, as O_DIRECT wants
    fd = os.open(dev, os.O_WRONLY | os.O_DIRECT | os.O_DSYNC)
    t0 = time.monotonic()
    seq = 0
    while seq < n or (n == 0 and not os.path.exists(stop)):
        seq += 1
        if per_s:
            time.sleep(max(0.0, t0 + seq / per_s - time.monotonic()))
        blk = first + random.randrange(count)
        buf[:] = record(seq, blk)
        if os.pwrite(fd, buf, blk * BS) != BS:
            sys.exit('%s: short write at block %d' % (dev, blk))
        print(blk, seq, flush=True)
    os.close(fd)


def check(dev):
    last = {}
    for line in sys.stdin:
        blk, seq = map(int, line.split())
        last[blk] = seq
    buf = mmap.mmap(-1, BS)
    fd = os.open(dev, os.O_RDONLY | os.O_DIRECT)
    bad = 0
    for blk, seq in sorted(last.items()):
        if os.preadv(fd, [buf], blk * BS) != BS or buf[:] != record(seq, blk):
            print('block %d: write %d missing' % (blk, seq))
            bad += 1
    os.close(fd)
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) in (6, 8) and sys.argv[1] == 'write':
        write(sys.argv[2], *map(int, sys.argv[3:6]), *sys.argv[6:7],
              *map(float, sys.argv[7:8]))
    elif len(sys.argv) == 3 and sys.argv[1] == 'check':
        sys.exit(check(sys.argv[2]))
    else:
        sys.exit(__doc__)
