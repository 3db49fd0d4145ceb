#!/usr/bin/env bash
# Records the app-layer test captures in this folder: real traffic on the loopback
# interface between real clients and small local servers.
#   http-curl.pcap   curl against a Python HTTP/1.1 server: keep-alive with several
#                    requests per connection, HEAD, a chunked response, a POST with a
#                    Content-Length body and one with a chunked body, MCP-style headers.
#   dns-dig.pcap     DNS queries over UDP and TCP against a tiny local responder (A via a
#                    CNAME, AAAA, MX, TXT, NXDOMAIN with SOA). dig is not installed on the
#                    machine these were made on, so a Python stub sends what `dig` sends
#                    (RD+AD, an EDNS OPT record).
#   ssh-banner.pcap  the OpenSSH client's identification exchange with a local server that
#                    answers "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3" and hangs up.
# Run as a user allowed to capture on lo: tests/data/app/make-captures.sh [OUTDIR]
set -euo pipefail
out=$(cd "${1:-$(dirname "$0")}" && pwd)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

cat > http_server.py <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))
    def send(self, code, payload, ctype="text/plain; charset=utf-8", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
    def do_HEAD(self):
        self.send(200, b"x" * 1234)
    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"<html>", b"a" * 3000, b"</html>\n"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/moved":
            self.send(301, b"", extra=[("Location", "/index.html")])
        elif self.path == "/missing":
            self.send(404, b"not here\n")
        else:
            self.send(200, b"hello from the intranet\n" * 40)
    def do_POST(self):
        data = self.body()
        extra = []
        if self.headers.get("Mcp-Session-Id"):
            extra.append(("Mcp-Session-Id", self.headers["Mcp-Session-Id"]))
        self.send(200, b'{"received":%d}' % len(data), "application/json", extra)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY

cat > dns_server.py <<'PY'
import socket, struct, sys, threading
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.rstrip(".").split(".")) + b"\0"
def answer(q):
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    qname = q[12:end]
    labels, p = [], 12
    while q[p]:
        labels.append(q[p + 1:p + 1 + q[p]].decode()); p += 1 + q[p]
    n = ".".join(labels)
    qtype = struct.unpack("!H", q[end + 1:end + 3])[0]
    question = q[12:end + 5]
    rr = lambda t, ttl, rd, owner=b"\xc0\x0c": owner + struct.pack("!HHIH", t, 1, ttl, len(rd)) + rd
    an, ns, rcode = [], [], 0
    if n.startswith("nx."):
        rcode = 3
        soa = name("ns1.example.test") + name("hostmaster.example.test") + struct.pack("!IIIII", 2024010101, 7200, 900, 1209600, 300)
        ns.append(rr(6, 900, soa, name("example.test")))
    elif qtype == 1:
        an.append(rr(5, 3600, name("web." + n)))
        an.append(rr(1, 60, bytes([10, 0, 0, 7]), name("web." + n)))
        an.append(rr(1, 60, bytes([10, 0, 0, 8]), name("web." + n)))
    elif qtype == 28:
        an.append(rr(28, 300, bytes.fromhex("20010db8000000000000000000000007")))
    elif qtype == 15:
        an.append(rr(15, 600, struct.pack("!H", 10) + b"\x04mail\xc0\x0c"))
        an.append(rr(15, 600, struct.pack("!H", 20) + b"\x05mail2\xc0\x0c"))
    elif qtype == 16:
        an.append(rr(16, 120, b"\x0bv=spf1 -all\x0dsecond string"))
    hdr = struct.pack("!HHHHHH", qid, 0x8180 | rcode | (flags & 0x0100), 1, len(an), len(ns), 0)
    return hdr + question + b"".join(an) + b"".join(ns)
def udp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", port))
    while True:
        q, peer = s.recvfrom(4096); s.sendto(answer(q), peer)
def tcp(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(4)
    while True:
        c, _ = s.accept()
        while True:
            h = c.recv(2)
            if len(h) < 2: break
            q = c.recv(struct.unpack("!H", h)[0]); a = answer(q)
            c.sendall(struct.pack("!H", len(a)) + a)
        c.close()
port = int(sys.argv[1])
threading.Thread(target=tcp, args=(port,), daemon=True).start()
udp(port)
PY

cat > dns_client.py <<'PY'
import random, socket, struct, sys
port = int(sys.argv[1])
def query(n, t):
    opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)  # EDNS0, as dig sends
    q = struct.pack("!HHHHHH", random.randrange(65536), 0x0120, 1, 0, 0, 1)
    return q + b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0" + struct.pack("!HH", t, 1) + opt
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.settimeout(1)
for n, t in [("www.example.test", 1), ("www.example.test", 28), ("example.test", 15), ("example.test", 16), ("nx.example.test", 1)]:
    u.sendto(query(n, t), ("127.0.0.1", port)); u.recv(4096)
c = socket.create_connection(("127.0.0.1", port))
for n, t in [("tcp.example.test", 1), ("example.test", 15)]:
    q = query(n, t); c.sendall(struct.pack("!H", len(q)) + q)
    l = struct.unpack("!H", c.recv(2))[0]; c.recv(l)
c.close()
PY

cat > ssh_server.py <<'PY'
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
c, _ = s.accept()
c.sendall(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")
c.recv(1024)
c.close()
PY

python3 http_server.py 18081 & python3 dns_server.py 18054 & python3 ssh_server.py 18022 &
sleep 1
# Starts a capture into $work/$1 with filter $2; its pid lands in $t.
cap() { tcpdump -i lo -U -s 0 -w "$work/$1" "$2" 2>/dev/null & t=$!; }

cap http.pcap 'tcp port 18081'; sleep 1
base=http://127.0.0.1:18081
curl -s -o /dev/null -o /dev/null -o /dev/null -o /dev/null "$base/index.html" "$base/chunked" "$base/moved" "$base/missing"
curl -s -o /dev/null -I "$base/index.html"
curl -s -o /dev/null -H 'Content-Type: application/x-www-form-urlencoded' -d 'user=alice&pass=secret' "$base/login"
curl -s -o /dev/null -H 'Transfer-Encoding: chunked' -H 'Content-Type: text/plain' --data-binary 'chunked upload body' "$base/upload"
curl -s -o /dev/null -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
  -H 'Mcp-Session-Id: 1868a90c-3a6f-4f4b-9a8e-3c1b2f5d7e90' -H 'MCP-Protocol-Version: 2025-06-18' -H 'Mcp-Method: tools/call' \
  -A 'vigil-test-mcp-client/1.0' -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search"}}' "$base/mcp"
sleep 1; kill $t; wait $t 2>/dev/null || true

cap dns.pcap 'port 18054'; sleep 1
python3 dns_client.py 18054
sleep 1; kill $t; wait $t 2>/dev/null || true

cap ssh.pcap 'tcp port 18022'; sleep 1
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p 18022 test@127.0.0.1 true 2>/dev/null || true
sleep 1; kill $t; wait $t 2>/dev/null || true

cp "$work/http.pcap" "$out/http-curl.pcap"
cp "$work/dns.pcap" "$out/dns-dig.pcap"
cp "$work/ssh.pcap" "$out/ssh-banner.pcap"
ls -l "$out"/*.pcap
