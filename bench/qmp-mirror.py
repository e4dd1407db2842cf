#!/usr/bin/python3
"""Drive a qemu-storage-daemon blockdev-mirror over QMP (for make bench).

Usage:
  qmp-mirror.py SOCKET SOURCE_NODE TARGET_NODE
      bulk: start a full mirror, wait until the job is ready (bulk copy
      done), cancel it, print the seconds the bulk copy took.
  qmp-mirror.py SOCKET SOURCE_NODE TARGET_NODE --converge LIMIT_S SAMPLES
      convergence (bench/sections/converge.sh): start a full mirror in
      background copy mode (QEMU's default) and wait until it is ready (its
      dirty bitmap was empty once) or LIMIT_S passed; the job keeps running.
      Prints "seconds=S ready=yes|no"; every 0.5 s a line "t,ready,
      remaining_bytes,wire_bytes" to SAMPLES (wire: the src namespace's
      veth-s, when there is one).
  qmp-mirror.py SOCKET --finish
      cancel the job (a ready mirror copies what is dirty first) and wait up
      to 120 s until it is gone.
"""
import json
import socket
import sys
import time

WIRE = "/sys/class/net/veth-s/statistics/tx_bytes"


def connect(path):
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
    return cmd


def wire():
    try:
        with open(WIRE) as f:
            return int(f.read())
    except OSError:
        return 0


def bulk(cmd, src, dst):
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


def converge(cmd, src, dst, limit, samples):
    t0 = time.monotonic()
    w0 = wire()
    cmd("blockdev-mirror", **{"job-id": "m", "device": src, "target": dst,
                              "sync": "full", "copy-mode": "background"})
    ready = False
    with open(samples, "w") as out:
        while time.monotonic() - t0 < limit:
            jobs = cmd("query-block-jobs")
            if not jobs:
                sys.exit("qmp: the mirror job ended before it was ready")
            j = jobs[0]
            ready = bool(j.get("ready"))
            out.write("%.2f,%d,%d,%d\n" % (time.monotonic() - t0, ready,
                                            j["len"] - j["offset"], wire() - w0))
            out.flush()
            if ready:
                break
            time.sleep(0.5)
    print("seconds=%.2f ready=%s" % (time.monotonic() - t0, "yes" if ready else "no"))


def finish(cmd):
    cmd("block-job-cancel", device="m")
    t0 = time.monotonic()
    while cmd("query-block-jobs"):
        if time.monotonic() - t0 > 120:
            sys.exit("qmp: the mirror job is still there 120 s after its cancel")
        time.sleep(0.1)


def main():
    a = sys.argv[1:]
    if len(a) == 2 and a[1] == "--finish":
        finish(connect(a[0]))
    elif len(a) == 6 and a[3] == "--converge":
        converge(connect(a[0]), a[1], a[2], float(a[4]), a[5])
    elif len(a) == 3:
        bulk(connect(a[0]), a[1], a[2])
    else:
        sys.exit(__doc__)


main()
