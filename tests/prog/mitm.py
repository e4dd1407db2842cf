#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""mitm: an on-path attacker between a source and its destination.

Relays TCP connections from LISTEN to TARGET.  On the first connection it
follows the source's messages (the header is in clear: magic, version,
type, flags, len, reserved, seq; after the two handshake messages every
message also carries a 16-byte tag) and flips one byte of the payload of
the first CHUNK, then keeps relaying that connection.  Later connections
are accepted only once the file GATE exists, and are relayed untouched.

It cannot recompute anything that would make the change pass: the CRC of
a chunk is inside the encrypted payload.  Prints "flipped" when it did.

Usage: mitm.py LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT GATE
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


def tamper(src, dst):
    """Relay src -> dst message by message; flip a byte of the first CHUNK."""
    n = 0
    flipped = False
    try:
        while True:
            hdr = recv_all(src, HDR)
            mtype = hdr[5]
            (length,) = struct.unpack(">I", hdr[8:12])
            n += 1
            body = bytearray(recv_all(src, length + (TAG if n > 2 else 0)))
            if not flipped and mtype == CHUNK and n > 2 and length > 40:
                body[40] ^= 0x20
                flipped = True
                print("flipped", flush=True)
            dst.sendall(hdr + body)
            if flipped:
                break
    except (EOFError, OSError):
        pass
    pipe(src, dst)


def main():
    laddr, lport, taddr, tport, gate = sys.argv[1:6]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((laddr, int(lport)))
    ls.listen(8)
    first = True
    while True:
        if not first:
            while not os.path.exists(gate):
                time.sleep(0.1)
        c, _ = ls.accept()
        t = socket.create_connection((taddr, int(tport)))
        for s in (c, t):
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        up = tamper if first else pipe
        first = False
        threading.Thread(target=up, args=(c, t), daemon=True).start()
        threading.Thread(target=pipe, args=(t, c), daemon=True).start()


if __name__ == "__main__":
    main()
