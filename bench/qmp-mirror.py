#!/usr/bin/python3
"""Drive a qemu-storage-daemon blockdev-mirror over QMP (for make bench).

Usage: qmp-mirror.py SOCKET SOURCE_NODE TARGET_NODE
Starts a full mirror, waits until the job is ready (bulk copy done),
cancels it, and prints the seconds the bulk copy took.
"""
import json
import socket
import sys
import time


def main():
    path, src, dst = sys.argv[1:4]
    sock = socket.socket(socket.AF_UNIX)
    for _ in range(100):
        try:
            sock.connect(path)
            break
        except OSError:
            time.sleep(0.1)
    f = sock.makefile("rw")

    def cmd(name, **args):
        f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        f.flush()
        while True:
            msg = json.loads(f.readline())
            if "return" in msg or "error" in msg:
                if "error" in msg:
                    sys.exit("qmp: %s: %s" % (name, msg["error"]))
                return msg["return"]

    json.loads(f.readline())  # greeting
    cmd("qmp_capabilities")
    t0 = time.monotonic()
    cmd("blockdev-mirror", **{"job-id": "m", "device": src, "target": dst,
                              "sync": "full"})
    last = t0
    while True:
        jobs = cmd("query-block-jobs")
        if not jobs:
            sys.exit("qmp: the mirror job ended before it was ready")
        if jobs[0].get("ready"):
            break
        if time.monotonic() - last > 10:
            last = time.monotonic()
            print("qmp: mirror %d of %d bytes" % (jobs[0]["offset"], jobs[0]["len"]),
                  file=sys.stderr)
        if time.monotonic() - t0 > 900:
            sys.exit("qmp: the mirror job is not ready after 900 s")
        time.sleep(0.05)
    print("%.2f" % (time.monotonic() - t0))
    cmd("block-job-cancel", device="m")


main()
