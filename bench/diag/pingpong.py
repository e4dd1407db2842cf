"""Diagnostic (bench/diag/latency-floor.sh): TCP request/response floor (4160-byte request, 64-byte reply)."""
import socket
import sys
import time

REQ, REP = 4160, 64


def server(addr, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(1)
    print("ready", flush=True)
    c, _ = ls.accept()
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while True:
        d = c.recv(REQ, socket.MSG_WAITALL)
        if len(d) < REQ:
            return
        c.sendall(b"a" * REP)


def client(addr, port, secs):
    s = socket.create_connection((addr, port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    req = b"w" * REQ
    lat = []
    end = time.monotonic() + secs
    while time.monotonic() < end:
        t = time.monotonic_ns()
        s.sendall(req)
        s.recv(REP, socket.MSG_WAITALL)
        lat.append((time.monotonic_ns() - t) // 1000)
    lat.sort()
    print("pingpong 4 KiB req/64 B rep: n=%d p50=%d us p99=%d us" %
          (len(lat), lat[len(lat) // 2], lat[len(lat) * 99 // 100]))


if sys.argv[1] == "server":
    server(sys.argv[2], int(sys.argv[3]))
else:
    client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
