#!/usr/bin/env python3
"""Builds cargo-fuzz seed corpora from real captures (../shared/pcaps and tests/data).

    python3 fuzz/seed-corpus.py [CAPTURE_DIR ...]

Writes fuzz/corpus/<target>/<sha1> in each target's input format:
  decode    one frame as captured (every link type the decoder tries)
  pipeline  up to 64 Ethernet frames of one capture, each behind a u16 LE length
  stream    (no seeds: its input is synthetic segment orders)
  dns, dhcp one UDP payload
  http, ssh the first 4 KiB a TCP client sent, then what the server sent
  tls       [dir][len u8][bytes] chunks of both directions, in capture order
  quic      [dir][len u16 BE][datagram] of a UDP flow, in capture order
The corpora are generated, never committed (fuzz/corpus is in .gitignore).
"""
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")
MAX_FILES = 400  # per target


def frames(path):
    """(linktype, bytes) of every frame in a pcap or pcapng file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        link = struct.unpack(e + "I", data[20:24])[0] & 0xFFFF
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack(e + "I", data[off + 8 : off + 12])[0]
            yield link, data[off + 16 : off + 16 + incl]
            off += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        links = []
        off = 0
        while off + 12 <= len(data):
            btype, blen = struct.unpack(e + "II", data[off : off + 8])
            if blen < 12:
                return
            body = data[off + 8 : off + blen - 4]
            if btype == 0x0A0D0D0A:
                links = []
            elif btype == 1:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, caplen = struct.unpack(e + "IIII", body[:16])
                if iface < len(links):
                    yield links[iface], body[20 : 20 + caplen]
            elif btype == 3 and len(body) >= 4:
                if links:
                    yield links[0], body[4:]
            off += blen


def l4(link, frame):
    """(proto, src, sport, dst, dport, payload) of a plain Ethernet/raw IPv4/IPv6 frame."""
    if link == 1:
        off = 12
        et = int.from_bytes(frame[off : off + 2], "big")
        off += 2
        while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
            et = int.from_bytes(frame[off + 2 : off + 4], "big")
            off += 4
        ip = frame[off:]
    elif link in (101, 228, 229, 12, 14):
        ip = frame
    else:
        return None
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        ihl = (ip[0] & 15) * 4
        total = int.from_bytes(ip[2:4], "big")
        if int.from_bytes(ip[6:8], "big") & 0x3FFF:
            return None  # fragment
        proto, src, dst, body = ip[9], ip[12:16], ip[16:20], ip[ihl:total]
    elif len(ip) >= 40 and ip[0] >> 4 == 6:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        body = ip[40 : 40 + int.from_bytes(ip[4:6], "big")]
    else:
        return None
    if proto == 6 and len(body) >= 20:
        doff = (body[12] >> 4) * 4
        return 6, src, body[0:2], dst, body[2:4], body[doff:]
    if proto == 17 and len(body) >= 8:
        return 17, src, body[0:2], dst, body[2:4], body[8:]
    return None


class Corpus:
    def __init__(self):
        self.count = {}

    def add(self, target, blob):
        if not blob or self.count.get(target, 0) >= MAX_FILES:
            return
        d = os.path.join(OUT, target)
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, hashlib.sha1(blob).hexdigest())
        if not os.path.exists(p):
            with open(p, "wb") as f:
                f.write(blob)
            self.count[target] = self.count.get(target, 0) + 1


def classify(payload):
    if payload[:4] in (b"GET ", b"POST", b"HEAD", b"PUT ", b"HTTP", b"OPTI", b"CONN"):
        return "http"
    if payload[:4] == b"SSH-":
        return "ssh"
    if len(payload) > 5 and payload[0] == 0x16 and payload[1] == 3:
        return "tls"
    return None


def seed(path, c):
    pipeline = []
    flows = {}  # key -> {"client": ..., "chunks": [(dir, bytes)]}
    for link, fr in frames(path):
        c.add("decode", fr[:2048])
        if link == 1 and len(pipeline) < 64:
            pipeline.append(struct.pack("<H", len(fr)) + fr)
        t = l4(link, fr)
        if not t or not t[5]:
            continue
        proto, src, sp, dst, dp, pl = t
        a, b = (src, sp), (dst, dp)
        key = (proto,) + (min(a, b), max(a, b))
        f = flows.setdefault(key, {"client": a, "chunks": []})
        d = 0 if a == f["client"] else 1
        if len(f["chunks"]) < 64:
            f["chunks"].append((d, bytes(pl)))
        if proto == 17:
            if pl[:1] and pl[0] & 0xC0 == 0xC0:
                pass  # QUIC long header: kept with its flow below
            elif len(pl) >= 240 and pl[236:240] == b"\x63\x82\x53\x63":
                c.add("dhcp", bytes(pl))
            elif len(pl) >= 12:
                c.add("dns", bytes(pl))
    if pipeline:
        c.add("pipeline", b"".join(pipeline))
    for key, f in flows.items():
        chunks = f["chunks"]
        if key[0] == 17:
            if chunks and chunks[0][1][:1] and chunks[0][1][0] & 0xC0 == 0xC0:
                c.add("quic", b"".join(bytes([d]) + struct.pack(">H", len(p)) + p for d, p in chunks))
            continue
        kind = classify(chunks[0][1]) if chunks else None
        if kind in ("http", "ssh"):
            cl = b"".join(p for d, p in chunks if d == 0)[:4096]
            sv = b"".join(p for d, p in chunks if d == 1)[:4096]
            c.add(kind, bytes([len(cl) % 256]) + cl + sv if kind == "ssh" else cl + sv)
            c.add(kind, cl)
        elif kind == "tls":
            out = b""
            for d, p in chunks:
                for i in range(0, len(p), 255):
                    part = p[i : i + 255]
                    out += bytes([d, len(part)]) + part
            c.add("tls", out[:65536])


def main():
    dirs = sys.argv[1:] or [
        os.path.join(HERE, "..", "..", "shared", "pcaps"),
        os.path.join(HERE, "..", "tests", "data"),
    ]
    c = Corpus()
    n = 0
    for top in dirs:
        for root, _, files in os.walk(top):
            for name in sorted(files):
                if name.endswith((".pcap", ".pcapng", ".cap")):
                    try:
                        seed(os.path.join(root, name), c)
                        n += 1
                    except (struct.error, IndexError, ValueError) as e:
                        print(f"skipped {name}: {e}", file=sys.stderr)
    print(f"{n} captures -> " + ", ".join(f"{k} {v}" for k, v in sorted(c.count.items())))


if __name__ == "__main__":
    main()
