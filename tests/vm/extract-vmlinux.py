#!/usr/bin/env python3
# Extract the uncompressed vmlinux (ELF) from a Debian bzImage (XZ).  The VM
# test boots its nested guest from it: QEMU enters it through its PVH note
# (CONFIG_PVH), which skips the BIOS's real-mode boot and the kernel's
# decompression: under TCG in TCG that is most of the boot (measured at one
# level of TCG: first heartbeat 5.2 s from vmlinux, 15.9 s from bzImage).
# Usage: extract-vmlinux.py BZIMAGE OUT
import lzma
import sys

data = open(sys.argv[1], 'rb').read()
at = data.find(b'\xfd7zXZ\x00')
if at < 0:
    sys.exit(f'{sys.argv[1]}: no XZ stream (not a Debian XZ bzImage?)')
out = lzma.LZMADecompressor().decompress(data[at:])
if out[:4] != b'\x7fELF':
    sys.exit(f'{sys.argv[1]}: the XZ stream is not an ELF kernel')
with open(sys.argv[2] + '.tmp', 'wb') as f:
    f.write(out)
import os
os.rename(sys.argv[2] + '.tmp', sys.argv[2])
