#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpora of the fuzzers into tests/fuzz/corpus/<target>/.

A handful of small valid inputs per target, in the input layouts the
targets' header comments describe.  Run it again after changing a layout;
the files it writes are committed.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MAGIC = 0x444D4D47
HELLO, AUTH, CHUNK, WRITE, FLUSH, HANDOFF, ACK, ERROR = range(1, 9)
RAW, LZO, ZERO = range(3)


def crc32c(data):
    """CRC32C, seed ~0, no final inversion (the protocol's)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc


def geom(shift, dev_sectors):
    """fuzz_geom(): chunk shift byte, size width byte, size."""
    return bytes([shift, 53]) + struct.pack("<Q", dev_sectors)


def hdr(typ, length, seq=0):
    return struct.pack(">IBBHIIQ", MAGIC, 2, typ, 0, length, 0, seq)


def chunk(index, count, data_len, crc, enc):
    return struct.pack(">QIIIB3x", index, count, data_len, crc, enc)


def write(sector, data_len, crc, flags):
    return struct.pack(">QIIII", sector, data_len, crc, flags, 0)


def lzo_run(lit, total):
    """An lzo1x stream: literals @lit, then copies of them up to @total."""
    out = bytes([17 + len(lit)]) + lit
    # M3 match, distance len(lit): length 2 + 31 + 255 * zeros + last.
    n = total - len(lit) - 33
    zeros, last = divmod(n, 255)
    if not last:
        zeros, last = zeros - 1, 255
    out += bytes([32]) + bytes(zeros) + bytes([last])
    out += struct.pack("<H", (len(lit) - 1) << 2)
    return out + bytes([0x11, 0, 0])    # end of stream


def wire():
    dev = (1 << 21) + 3                  # 1 GiB + 3 sectors: partial last chunk
    g = geom(4, dev)                     # 64 KiB chunks
    n = (dev + 127) // 128
    seeds = {
        "hdr-hello": bytes([0]) + g + hdr(HELLO, 72),
        "hdr-auth": bytes([0]) + g + hdr(AUTH, 40),
        "hdr-chunk": bytes([8]) + g + hdr(CHUNK, 24 + 65536, 1),
        "hdr-ack-push": bytes([8 | 16]) + g + hdr(ACK, 0, 7),
        "hello-dest": bytes([1]) + g + struct.pack(">QII32x16xQ", dev, 128, 0, 0),
        "hello-source": bytes([1 | 8]) + g +
        struct.pack(">QII32x16sQ", dev, 128, 0, b"session-id-0001!", 1),
        "auth-source": bytes([4 | 8]) + g + bytes(32) + struct.pack(">II", 0, 0),
        "auth-dest-owner": bytes([4]) + g + bytes(32) + struct.pack(">II", 2, 0),
        "error-text": bytes([5]) + g + bytes([40]) + b"destination volume I/O error\x01\xff",
        "chunk-raw": bytes([2]) + g + chunk(0, 1, 65536, 1, RAW) +
        struct.pack("<Q", 65536),
        "chunk-last-lzo": bytes([2]) + g + chunk(n - 1, 1, 1536, 1, LZO) +
        struct.pack("<Q", 100),
        "chunk-zero-run": bytes([2]) + g + chunk(n - 3, 3, 65536, 0, ZERO) +
        struct.pack("<Q", 0),
        "write": bytes([3]) + g + write(8, 4096, 1, 1) + struct.pack("<Q", 4096),
        "recv-chunk": bytes([4]) + g + hdr(CHUNK, 24 + 65536, 1) +
        chunk(1, 1, 65536, 1, RAW),
        "recv-write": bytes([4]) + g + hdr(WRITE, 24 + 4096, 2) +
        write(dev - 8, 4096, 1, 2),
    }
    return seeds


def lzo_decode():
    g8 = geom(0, 8)                      # one 4 KiB chunk
    g11 = geom(0, 11)                    # and a partial one of 1.5 KiB
    raw = bytes((i * 7 + i // 256) & 0xFF for i in range(4096))
    run = b"A" * 4096
    pattern = b"dm-migrate seed!" * 256
    tail = bytes(range(256)) * 6
    return {
        "raw": bytes([0]) + g8 + chunk(0, 1, 4096, crc32c(raw), RAW) + raw,
        "lzo-run": bytes([0]) + g8 + chunk(0, 1, 4096, crc32c(run), LZO) +
        lzo_run(b"A", 4096),
        "lzo-pattern": bytes([0]) + g8 +
        chunk(0, 1, 4096, crc32c(pattern), LZO) + lzo_run(pattern[:16], 4096),
        "raw-last": bytes([0]) + g11 + chunk(1, 1, 1536, crc32c(tail), RAW) + tail,
        "zero": bytes([0]) + g11 + chunk(0, 2, 4096, 0, ZERO),
        "rt-zero": bytes([1]) + bytes(4096),
        "rt-text": bytes([1]) + (b"the quick brown fox jumps over the lazy dog " * 93)[:4096],
        "rt-bytes": bytes([1]) + raw,
        "rt-short": bytes([1]) + b"dm-migrate",
    }


def args():
    key = bytes(range(32)).hex()
    nbits = struct.pack("<Q", 16385)
    return {
        "addr-v4": b"\x00198.18.0.2:7788",
        "addr-v6": b"\x00[fd00::2]:7788",
        "addr-v4-mapped": b"\x00[::ffff:10.0.0.1]:1",
        "key-16": b"\x01" + key[:32].encode(),
        "key-64": b"\x01" + (key * 2).encode(),
        "size-16M": b"\x0216M",
        "size-hex-k": b"\x020x10k",
        "size-octal": b"\x020777",
        # memparse() took these as 0 (unlimited): refused since.
        "size-bare-suffix": b"\x02M",
        "size-wraps": b"\x0232E",
        "limits": b"\x03rate=100M throttle=50M converge_below=16M max_bytes=1G max_rounds=30 pause_after_bulk=1",
        "limits-converge-ms": b"\x03converge_ms=1500 max_rounds=10 auto_throttle=1",
        "chunk-size-128": b"\x04128",
        "chunk-size-max": b"\x0416384",
        "range-one": b"\x05" + nbits + b"16384",
        "range": b"\x05" + nbits + b"5-10",
    }


def main():
    for target, seeds in (("fuzz_wire", wire()), ("fuzz_lzo_decode", lzo_decode()),
                          ("fuzz_args", args())):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
