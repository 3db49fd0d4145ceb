#!/usr/bin/env bash
# Records tests/data/loopback-office.pcap: real traffic on the loopback interface, made
# on the developer's machine with real tools (python's http.server, curl, openssl
# s_server/s_client, dig against a tiny local UDP DNS responder). Kept in the repository
# so the README's replay needs no network; re-run this script to make a fresh one.
set -euo pipefail
out=${1:-$(dirname "$0")/loopback-office.pcap}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
echo "hello from the intranet" > index.html
python3 -m http.server 18080 --bind 127.0.0.1 >/dev/null 2>&1 &
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 30 -subj "/CN=intranet.local" 2>/dev/null
openssl s_server -accept 18443 -cert cert.pem -key key.pem -www -quiet >/dev/null 2>&1 &
cat > dns.py <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 18053))
while True:
    q, peer = s.recvfrom(512)
    # Answer every A question with 10.0.0.7 (header, question, one answer by pointer).
    hdr = q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00"
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    question = q[12:end + 5]
    answer = b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04" + bytes([10, 0, 0, 7])
    s.sendto(hdr + question + answer, peer)
PY
python3 dns.py &
sleep 1
tcpdump -i lo -w "$work/cap.pcap" -s 0 'port 18080 or port 18443 or port 18053' 2>/dev/null &
tcp=$!
sleep 1
for i in 1 2 3; do curl -s -o /dev/null http://127.0.0.1:18080/index.html; done
curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"status":"ok"}' http://127.0.0.1:18080/api
for name in intranet.local updates.example.com mail.example.org; do dig +short +tries=1 +time=1 -p 18053 @127.0.0.1 "$name" >/dev/null || true; done
for i in 1 2; do echo | openssl s_client -connect 127.0.0.1:18443 -servername intranet.local >/dev/null 2>&1 || true; done
sleep 1
kill $tcp; wait $tcp 2>/dev/null || true
cp "$work/cap.pcap" "$out"
capinfos -c -d "$out" 2>/dev/null || true
