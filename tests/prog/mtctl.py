#!/usr/bin/python3
"""Device-mapper control, volume copies and a writer for the fault matrix
(tests/kernel/76-matrix.sh), in one process that answers requests on stdin,
one a line, with one line "ok [text]" or "err text" on stdout.  Under TCG
every process a test starts costs a tenth of a second; the matrix polls
status thousands of times, so it asks this one through raw DM ioctls.

  status NAME              ok <start> <len> <type> <params> (like dmsetup)
  msg NAME [@NETNS] TEXT   a target message, in network namespace NETNS
  suspend NAME / resume NAME
  load NAME TABLE          one target: <start> <len> <type> <params>
  create NAME TABLE / remove NAME      with the node /dev/mapper/NAME
  copy FROM TO             whole volume or file; O_DIRECT on block devices
  cmp A B                  ok, or err at the first differing byte
  blob DEV REF OFF         2 MiB of random data at OFF in DEV, then in REF
  wstart DEV REF SEED      start the writer (below); whold / wrelease;
  wstop                    stop it: ok <n> writes, or err <its failure>

The writer: random 4 KiB and 64 KiB writes, whole zero chunks (32 KiB) and
the odd 2 MiB write (1 in 100), O_DIRECT, one at a time; every write that completed
goes into the reference file REF (a copy of the volume when it started),
so REF is what the volume must hold.  A failed write is its failure.
"""
import ctypes
import fcntl
import mmap
import os
import random
import stat
import struct
import sys
import threading
import time

HDR = struct.Struct("=3IIIIiIIIQ128s129s7s")	# struct dm_ioctl
SPEC = struct.Struct("=QQiI16s")		# struct dm_target_spec
SUSPEND, STATUS_TABLE, BUFFER_FULL, DATA_OUT = 1 << 1, 1 << 4, 1 << 8, 1 << 16
CREATE, REMOVE, DEV_SUSPEND, TABLE_LOAD, TABLE_STATUS, TARGET_MSG = 3, 4, 6, 9, 12, 14
ctl_fd = os.open("/dev/mapper/control", os.O_RDWR)
libc = ctypes.CDLL("libc.so.6", use_errno=True)
home_ns = os.open("/proc/self/ns/net", os.O_RDONLY)


def dm(cmd, name, flags=0, payload=b"", targets=0, size=16384):
    while True:
        buf = bytearray(max(size, HDR.size + len(payload)))
        HDR.pack_into(buf, 0, 4, 0, 0, len(buf), HDR.size, targets, 0, flags,
                      0, 0, 0, name.encode(), b"", b"")
        buf[HDR.size:HDR.size + len(payload)] = payload
        fcntl.ioctl(ctl_fd, (3 << 30) | (HDR.size << 16) | (0xfd << 8) | cmd, buf)
        h = HDR.unpack_from(buf)
        if not h[7] & BUFFER_FULL:
            return h, buf
        size *= 4


def cstr(buf, off):
    return bytes(buf[off:buf.index(0, off)]).decode()


def table(text):
    start, length, ttype, params = (text.split(None, 3) + [""])[:4]
    p = params.encode() + b"\0"
    p += b"\0" * (-len(p) % 8)
    return SPEC.pack(int(start), int(length), 0, SPEC.size + len(p), ttype.encode()) + p


def status(name):
    h, buf = dm(TABLE_STATUS, name)
    off, out = h[4], []
    for _ in range(h[5]):
        start, length, _st, nxt, ttype = SPEC.unpack_from(buf, off)
        out.append("%d %d %s %s" % (start, length, ttype.rstrip(b"\0").decode(),
                                   cstr(buf, off + SPEC.size)))
        off = h[4] + nxt if nxt else off
    return "; ".join(out)


def message(name, text):
    ns = None
    if text.startswith("@"):
        ns, text = text[1:].split(None, 1)
        fd = os.open("/run/netns/" + ns, os.O_RDONLY)
        r = libc.setns(fd, 0x40000000)
        os.close(fd)
        if r:
            raise OSError(ctypes.get_errno(), "setns " + ns)
    try:
        h, buf = dm(TARGET_MSG, name, payload=struct.pack("=Q", 0) + text.encode() + b"\0")
    finally:
        if ns:
            libc.setns(home_ns, 0x40000000)
    return cstr(buf, h[4]) if h[7] & DATA_OUT else ""


def create(name, text):
    h, _ = dm(CREATE, name)
    try:
        dm(TABLE_LOAD, name, payload=table(text), targets=1)
        dm(DEV_SUSPEND, name)
    except OSError:
        dm(REMOVE, name)
        raise
    dev = h[10]
    node = "/dev/mapper/" + name
    if os.path.lexists(node):
        os.unlink(node)
    os.mknod(node, 0o600 | stat.S_IFBLK,
             os.makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00)))


def remove(name):
    dm(REMOVE, name)
    if os.path.lexists("/dev/mapper/" + name):
        os.unlink("/dev/mapper/" + name)


def open_vol(path, flags):
    try:
        return os.open(path, flags | os.O_DIRECT), True
    except OSError:
        return os.open(path, flags), False


def chunks(path):
    fd, _ = open_vol(path, os.O_RDONLY)
    buf = mmap.mmap(-1, 1 << 20)
    off = 0
    try:
        while True:
            n = os.preadv(fd, [buf], off)
            if not n:
                return
            yield off, buf[:n]
            off += n
    finally:
        os.close(fd)


def copy(src, dst):
    ifd, _ = open_vol(src, os.O_RDONLY)
    ofd, direct = open_vol(dst, os.O_WRONLY | os.O_CREAT)
    buf = mmap.mmap(-1, 1 << 20)
    off = 0
    try:
        if not direct and stat.S_ISREG(os.fstat(ifd).st_mode):
            while os.copy_file_range(ifd, ofd, 1 << 24):
                pass
            return
        while True:
            n = os.preadv(ifd, [buf], off)
            if not n:
                return
            os.pwritev(ofd, [memoryview(buf)[:n]], off)
            off += n
    finally:
        os.close(ifd)
        os.close(ofd)


def compare(a, b):
    for (off, x), (_, y) in zip(chunks(a), chunks(b)):
        if x != y:
            i = next(i for i in range(len(x)) if x[i] != y[i])
            return "differ at byte %d (chunk %d)" % (off + i, (off + i) >> 15)
    return None


class Writer(threading.Thread):
    def __init__(self, dev, ref, seed):
        super().__init__(daemon=True)
        self.fd = os.open(dev, os.O_WRONLY | os.O_DIRECT)
        self.rf = os.open(ref, os.O_WRONLY)
        self.size = os.fstat(self.rf).st_size
        self.rnd = random.Random(int(seed))
        self.n, self.error = 0, None
        self.run_ok = threading.Event()
        self.run_ok.set()
        self.idle = threading.Event()
        self.stop = False

    def run(self):
        bufs = {n: mmap.mmap(-1, n) for n in (4096, 32768, 65536, 2 << 20)}
        while not self.stop:
            if not self.run_ok.is_set():
                self.idle.set()
                self.run_ok.wait()
                self.idle.clear()
                continue
            r = self.rnd.random()
            ln, zero = (4096, False) if r < .75 else (65536, False) if r < .85 else \
                (32768, True) if r < .99 else (2 << 20, False)
            align = 32768 if zero else 4096
            off = self.rnd.randrange((self.size - ln) // align + 1) * align
            b = bufs[ln]
            b[:] = bytes(ln) if zero else os.urandom(ln)
            try:
                if os.pwrite(self.fd, b, off) != ln:
                    raise OSError("short write")
            except OSError as e:
                self.error = "write #%d of %d bytes at %d failed: %s" % (self.n, ln, off, e)
                break
            os.pwrite(self.rf, b, off)
            self.n += 1
            time.sleep(0.02)
        self.idle.set()
        os.close(self.fd)
        os.close(self.rf)


writer = None


def serve(line):
    global writer
    w = line.split(None, 2)
    cmd, name, rest = (w + ["", ""])[:3]
    if cmd == "status":
        return status(name)
    if cmd == "msg":
        return message(name, rest)
    if cmd in ("suspend", "resume"):
        dm(DEV_SUSPEND, name, SUSPEND if cmd == "suspend" else 0)
        return ""
    if cmd == "load":
        dm(TABLE_LOAD, name, payload=table(rest), targets=1)
        return ""
    if cmd == "create":
        create(name, rest)
        return ""
    if cmd == "remove":
        remove(name)
        return ""
    if cmd == "copy":
        copy(name, rest)
        return ""
    if cmd == "cmp":
        d = compare(name, rest)
        if d:
            raise RuntimeError(d)
        return ""
    if cmd == "blob":
        dev, ref, off = line.split()[1:]
        b = mmap.mmap(-1, 2 << 20)
        b[:] = os.urandom(2 << 20)
        for path, flags in ((dev, os.O_DIRECT), (ref, 0)):
            fd = os.open(path, os.O_WRONLY | flags)
            try:
                os.pwrite(fd, b, int(off))
            finally:
                os.close(fd)
        return ""
    if cmd == "wstart":
        dev, ref, seed = line.split()[1:]
        writer = Writer(dev, ref, seed)
        writer.start()
        return ""
    if cmd == "wcount":
        return str(writer.n if writer else 0)
    if cmd == "whold":
        writer.run_ok.clear()
        if not writer.idle.wait(float(name or 30)):
            raise RuntimeError("the writer does not hold: a write hangs")
        return ""
    if cmd == "wrelease":
        writer.run_ok.set()
        return ""
    if cmd == "wstop":
        if not writer:
            return "no writer"
        writer.stop = True
        writer.run_ok.set()
        writer.join(float(name or 30))
        wr, writer = writer, None
        if wr.is_alive():
            raise RuntimeError("the writer hangs: a write never completed")
        if wr.error:
            raise RuntimeError(wr.error)
        return "%d writes" % wr.n
    raise RuntimeError("unknown request " + cmd)


for req in sys.stdin:
    try:
        out = "ok " + serve(req.strip())
    except (OSError, RuntimeError, ValueError) as e:
        out = "err %s" % e
    print(out.replace("\n", " "), flush=True)
