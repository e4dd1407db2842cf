#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Write the seed corpora of the fuzzers into tests/fuzz/corpus/<target>/.

A handful of small valid inputs per target, in the input layouts the
targets' header comments describe.  Run it again after changing a layout;
the files it writes are committed.
"""
import ctypes
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

MAGIC = 0x444D4D47
HELLO, AUTH, CHUNK, WRITE, FLUSH, HANDOFF, ACK, ERROR, PIECE = range(1, 10)
RAW, LZO, ZERO, LZ4, ZSTD = range(5)
ENC_ALL = 0x1F                            # HELLO flags: decodes all five


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


def piece(index, mask, data_len, crc, enc):
    return struct.pack(">QIIIB3x", index, mask, data_len, crc, enc)


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


def lz4_block(data):
    """An LZ4 block (not a frame), by the system's liblz4."""
    lib = ctypes.CDLL("liblz4.so.1")
    out = ctypes.create_string_buffer(len(data) + len(data) // 255 + 16)
    n = lib.LZ4_compress_default(data, out, len(data), len(out))
    return out.raw[:n]


def zstd_frame(data):
    """A zstd frame, level 1, by the system's libzstd."""
    lib = ctypes.CDLL("libzstd.so.1")
    lib.ZSTD_compress.restype = ctypes.c_size_t
    out = ctypes.create_string_buffer(len(data) + 1024)
    n = lib.ZSTD_compress(out, ctypes.c_size_t(len(out)), data,
                          ctypes.c_size_t(len(data)), 1)
    return out.raw[:n]


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
        "hello-source-encodings": bytes([1 | 8]) + g +
        struct.pack(">QII32x16sQ", dev, 128, ENC_ALL, b"session-id-0001!", 1),
        "hello-dest-encodings": bytes([1]) + g +
        struct.pack(">QII32x16xQ", dev, 128, ENC_ALL, 0),
        "auth-source": bytes([4 | 8]) + g + bytes(32) + struct.pack(">II", 0, 0),
        "auth-dest-owner": bytes([4]) + g + bytes(32) + struct.pack(">II", 2, 0),
        "error-text": bytes([5]) + g + bytes([40]) + b"destination volume I/O error\x01\xff",
        "chunk-raw": bytes([2]) + g + chunk(0, 1, 65536, 1, RAW) +
        struct.pack("<Q", 65536),
        "chunk-last-lzo": bytes([2]) + g + chunk(n - 1, 1, 1536, 1, LZO) +
        struct.pack("<Q", 100),
        "chunk-zero-run": bytes([2]) + g + chunk(n - 3, 3, 65536, 0, ZERO) +
        struct.pack("<Q", 0),
        "chunk-lz4": bytes([2 | 32]) + g + chunk(5, 1, 65536, 1, LZ4) +
        struct.pack("<Q", 30000),
        "chunk-zstd-unnegotiated": bytes([2]) + g + chunk(5, 1, 65536, 1, ZSTD) +
        struct.pack("<Q", 30000),
        "recv-chunk-zstd": bytes([6 | 32]) + g + hdr(CHUNK, 24 + 1000, 1) +
        chunk(1, 1, 65536, 1, ZSTD),
        "piece-raw": bytes([2 | 64]) + g + piece(3, 0x0105, 12288, 1, RAW) +
        struct.pack("<Q", 12288),
        "piece-last-chunk": bytes([2 | 64]) + g + piece(n - 1, 1, 1536, 1, RAW) +
        struct.pack("<Q", 1536),
        "piece-zero": bytes([2 | 64]) + g + piece(7, 0x8000, 4096, 0, ZERO) +
        struct.pack("<Q", 0),
        "piece-unnegotiated": bytes([2]) + g + piece(3, 1, 4096, 1, RAW) +
        struct.pack("<Q", 4096),
        "recv-piece-lzo": bytes([6 | 64]) + g + hdr(PIECE, 24 + 100, 1) +
        piece(2, 0x00f0, 16384, 1, LZO),
        "write": bytes([3]) + g + write(8, 4096, 1, 1) + struct.pack("<Q", 4096),
        "recv-chunk": bytes([4]) + g + hdr(CHUNK, 24 + 65536, 1) +
        chunk(1, 1, 65536, 1, RAW),
        "recv-write": bytes([4]) + g + hdr(WRITE, 24 + 4096, 2) +
        write(dev - 8, 4096, 1, 2),
    }
    return seeds


def decode():
    g8 = geom(0, 8)                      # one 4 KiB chunk
    g11 = geom(0, 11)                    # and a partial one of 1.5 KiB
    raw = bytes((i * 7 + i // 256) & 0xFF for i in range(4096))
    run = b"A" * 4096
    pattern = b"dm-migrate seed!" * 256
    tail = bytes(range(256)) * 6
    text = (b"the quick brown fox jumps over the lazy dog " * 93)[:4096]
    return {
        "raw": bytes([0]) + g8 + chunk(0, 1, 4096, crc32c(raw), RAW) + raw,
        "lzo-run": bytes([0]) + g8 + chunk(0, 1, 4096, crc32c(run), LZO) +
        lzo_run(b"A", 4096),
        "lzo-pattern": bytes([0]) + g8 +
        chunk(0, 1, 4096, crc32c(pattern), LZO) + lzo_run(pattern[:16], 4096),
        "raw-last": bytes([0]) + g11 + chunk(1, 1, 1536, crc32c(tail), RAW) + tail,
        "zero": bytes([0]) + g11 + chunk(0, 2, 4096, 0, ZERO),
        "lz4-pattern": bytes([2]) + g8 + chunk(0, 1, 4096, crc32c(pattern), LZ4) +
        lz4_block(pattern),
        "zstd-text": bytes([2]) + g8 + chunk(0, 1, 4096, crc32c(text), ZSTD) +
        zstd_frame(text),
        "zstd-unnegotiated": bytes([0]) + g8 +
        chunk(0, 1, 4096, crc32c(text), ZSTD) + zstd_frame(text),
        "rt-zero": bytes([1]) + bytes(4096),
        "rt-text": bytes([1]) + text,
        "rt-text-lz4": bytes([3]) + text,
        "rt-text-zstd": bytes([5]) + text,
        "rt-text-raw": bytes([7]) + text,
        "rt-bytes": bytes([1]) + raw,
        "rt-bytes-zstd": bytes([5]) + raw,
        "rt-short": bytes([1]) + b"dm-migrate",
        "rt-short-lz4": bytes([3]) + b"dm-migrate",
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
        "limits-encoding": b"\x03rate=100M encoding=zstd max_rounds=3 encoding=auto",
        "limits-converge-ms": b"\x03converge_ms=1500 max_rounds=10 auto_throttle=1",
        "limits-subchunk": b"\x03subchunk=0 rate=10M subchunk=1",
        "chunk-size-128": b"\x04128",
        "chunk-size-max": b"\x0416384",
        "range-one": b"\x05" + nbits + b"16384",
        "range": b"\x05" + nbits + b"5-10",
    }


def main():
    for target, seeds in (("fuzz_wire", wire()), ("fuzz_decode", decode()),
                          ("fuzz_args", args())):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
