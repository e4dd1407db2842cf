#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mitm: an on-path attacker between a source and its destination.

Relays TCP connections from LISTEN to TARGET, following the messages (the
header is in clear: magic, version, type, flags, len, reserved, seq; after
the two handshake messages of each side, every message also carries a
16-byte tag).

- Connection 1, source to destination: the first RAW CHUNK (its length is
  the chunk header and CHUNK_BYTES) gets one data byte flipped and its
  CRC32C corrected to match.  The encryption is a stream cipher, so the
  flips land on the plaintext as they are: without the seal the chunk
  would pass every check and be written.  Prints "flipped chunk".
- The next connections, destination to source: one byte of the first ACK's
  tag is flipped, once (a forged ACK would make the source believe data is
  durable).  Prints "flipped ack".  Not only on connection 2: the source
  may have given up on that one (its handshake timeout runs while the
  relay waits for GATE, and a loaded TCG guest is slow) and connected again.
- Connections after that flip are relayed untouched.
Connections after the first are accepted only once the file GATE exists.

Usage: mitm.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT GATE CHUNK_BYTES
"""
import os
import socket
import struct
import sys
import threading
import time

HDR = 24
TAG = 16
CHUNK = 3
ACK = 7
CHUNK_HDR = 24		# struct dm_migrate_chunk; crc32c at offset 16


def crc_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
        t.append(c)
    return t


TABLE = crc_table()


def crc32c(data):
    """The protocol's CRC32C: seed ~0, no final inversion."""
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c


def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def recv_all(s, n):
    buf = b""
    while len(buf) < n:
        d = s.recv(n - len(buf))
        if not d:
            raise EOFError
        buf += d
    return buf


def relay(src, dst, alter):
    """Relay src -> dst message by message until alter() changed one."""
    n = 0
    try:
        while True:
            hdr = recv_all(src, HDR)
            (length,) = struct.unpack(">I", hdr[8:12])
            n += 1
            body = bytearray(recv_all(src, length + (TAG if n > 2 else 0)))
            done = n > 2 and alter(hdr[5], length, body)
            dst.sendall(hdr + body)
            if done:
                break
    except (EOFError, OSError):
        pass
    pipe(src, dst)


def flip_chunk(chunk_bytes):
    def alter(mtype, length, body):
        if mtype != CHUNK or length != CHUNK_HDR + chunk_bytes:
            return False
        k = 1000			# a data byte, flipped by 0x20
        delta = bytearray(chunk_bytes)
        delta[k] = 0x20
        d = crc32c(delta) ^ crc32c(bytes(chunk_bytes))
        body[CHUNK_HDR + k] ^= 0x20
        for i, b in enumerate(d.to_bytes(4, "big")):
            body[16 + i] ^= b
        print("flipped chunk", flush=True)
        return True
    return alter


ack_flipped = threading.Event()


def flip_ack(mtype, length, body):
    if ack_flipped.is_set():
        return True		# done on another connection: relay as is
    if mtype != ACK:
        return False
    body[-1] ^= 0x01
    ack_flipped.set()
    print("flipped ack", flush=True)
    return True


def main():
    laddr, lport, taddr, tport, gate, chunk_bytes = sys.argv[1:7]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, int(lport)))
    ls.listen(8)
    conn = 0
    while True:
        if conn:
            while not os.path.exists(gate):
                time.sleep(0.1)
        c, _ = ls.accept()
        t = socket.create_connection((taddr, int(tport)))
        for s in (c, t):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn += 1
        up = down = pipe
        if conn == 1:
            up = lambda a, b: relay(a, b, flip_chunk(int(chunk_bytes)))
        elif not ack_flipped.is_set():
            down = lambda a, b: relay(a, b, flip_ack)
        threading.Thread(target=up, args=(c, t), daemon=True).start()
        threading.Thread(target=down, args=(t, c), daemon=True).start()


if __name__ == "__main__":
    main()
