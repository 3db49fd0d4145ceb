#!/usr/bin/env python3
"""Synthetic captures for the line-rate tests (classic pcap, Ethernet, correct checksums).

    python3 perf-tests/gen.py OUTDIR

  64b.pcap   100 000 minimum-size frames (64 bytes on the wire, 60 captured without FCS):
             UDP over IPv4 across 4 096 flows, as a 10GbE line-rate test sends them.
  imix.pcap  100 000 frames in the simple IMIX ratio 7:4:1 of 64, 570 and 1518 bytes
             (on the wire): TCP and UDP across 4 096 flows.
Deterministic (fixed seed).
"""
import os
import random
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, proto, payload_len):
    if proto == 17:
        l4 = struct.pack("!HHHH", sport, dport, 8 + payload_len, 0) + bytes(payload_len)
    else:
        l4 = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, 0x10, 65535, 0, 0) + bytes(payload_len)
    total = 20 + len(l4)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0x4000, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    pseudo = src + dst + struct.pack("!BBH", 0, proto, len(l4))
    c = csum(pseudo + l4)
    off = 6 if proto == 17 else 16
    l4 = l4[:off] + struct.pack("!H", c or 0xFFFF) + l4[off + 2:]
    eth = bytes.fromhex("020000000002") + bytes.fromhex("020000000001") + b"\x08\x00"
    return eth + ip + l4


def write(path, frames):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        t = 1_773_043_200
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", t + i // 1_000_000, i % 1_000_000, len(fr), len(fr)))
            f.write(fr)


def flows(n, rnd):
    out = []
    for i in range(n):
        src = bytes([10, 1, (i >> 8) & 255, i & 255])
        dst = bytes([198, 51, rnd.randrange(256), rnd.randrange(1, 255)])
        out.append((src, dst, 1024 + rnd.randrange(60000), rnd.choice([53, 80, 443, 8080, 123])))
    return out


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "."
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(7)
    fl = flows(4096, rnd)
    # 64 bytes on the wire = 60 captured: 14 + 20 + 8 + 18 bytes of UDP payload.
    write(os.path.join(out, "64b.pcap"), [frame(*fl[i % 4096][:2], *fl[i % 4096][2:], 17, 18) for i in range(100_000)])
    sizes = [64] * 7 + [570] * 4 + [1518]
    frames = []
    for i in range(100_000):
        s, d, sp, dp = fl[rnd.randrange(4096)]
        wire = sizes[i % 12]
        proto = 6 if i % 3 else 17
        hdr = 14 + 20 + (20 if proto == 6 else 8)
        frames.append(frame(s, d, sp, dp, proto, max(0, wire - 4 - hdr)))
    write(os.path.join(out, "imix.pcap"), frames)
    print(f"wrote {out}/64b.pcap and {out}/imix.pcap")


if __name__ == "__main__":
    main()
