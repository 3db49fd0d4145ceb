#!/usr/bin/env bash
# Records the small TLS captures in this directory on the loopback interface with
# openssl s_server / s_client and tcpdump (run as root: tcpdump needs capture rights).
# Keys and certificates are generated fresh each run; the public certificates are kept
# beside the captures (*.crt.pem) so tests can check fingerprints against them.
#
#   tests/data/tls/record.sh            # re-records everything into this directory
#
# Captures:
#   tls13-alpn.pcap          TLS 1.3, SNI vigil.test, ALPN h2,http/1.1 -> h2, self-signed EC cert
#   tls12-chain.pcap         TLS 1.2 ECDHE-RSA, leaf (CN=leaf.vigil.test, 2 SANs) + CA in the chain
#   tls12-selfsigned-ec.pcap TLS 1.2 ECDHE-ECDSA, self-signed P-256 cert (signature checkable)
#   tls12-resumed.pcap       TLS 1.2 full handshake, then a session-id resumption (no tickets)
#   tls12-small-records.pcap TLS 1.2, server records capped at 512 bytes (-max_send_frag):
#                            the Certificate message spans many records
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# A self-signed P-256 certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
  -subj "/C=FR/O=Vigil Test/CN=vigil.test" -addext "subjectAltName=DNS:vigil.test,DNS:www.vigil.test" \
  -keyout ec.key -out ec.crt 2>/dev/null
# A CA and an RSA leaf it signs.
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/O=Vigil Test/CN=Vigil Test CA" \
  -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/O=Vigil Test/CN=leaf.vigil.test" \
  -keyout leaf.key -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:leaf.vigil.test,DNS:alt.vigil.test\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
  -extfile leaf.ext -out leaf.crt 2>/dev/null

# record NAME PORT "SERVER ARGS" "CLIENT ARGS" [CONNECTIONS]
record() {
  local name=$1 port=$2 sargs=$3 cargs=$4 conns=${5:-1}
  tcpdump -i lo -U -s 0 -w "$here/$name.pcap" "tcp port $port" 2>/dev/null &
  local tpid=$!
  sleep 1
  # shellcheck disable=SC2086
  openssl s_server -accept "127.0.0.1:$port" -naccept "$conns" -quiet $sargs </dev/null >/dev/null 2>&1 &
  local spid=$!
  sleep 0.5
  # shellcheck disable=SC2086
  eval "$cargs"
  wait "$spid" || true
  sleep 1
  kill "$tpid"
  wait "$tpid" 2>/dev/null || true
}

client() { # PORT ARGS...
  local port=$1; shift
  openssl s_client -connect "127.0.0.1:$port" "$@" </dev/null >/dev/null 2>&1 || true
}

record tls13-alpn 44301 "-tls1_3 -cert ec.crt -key ec.key -alpn h2" \
  "client 44301 -tls1_3 -servername vigil.test -alpn h2,http/1.1"
record tls12-chain 44302 "-tls1_2 -cert leaf.crt -key leaf.key -cert_chain ca.crt" \
  "client 44302 -tls1_2 -servername leaf.vigil.test -cipher ECDHE-RSA-AES128-GCM-SHA256"
record tls12-selfsigned-ec 44303 "-tls1_2 -cert ec.crt -key ec.key" \
  "client 44303 -tls1_2 -servername vigil.test"
record tls12-resumed 44304 "-tls1_2 -cert leaf.crt -key leaf.key -cert_chain ca.crt -no_ticket" \
  "client 44304 -tls1_2 -no_ticket -servername leaf.vigil.test -sess_out sess.pem; client 44304 -tls1_2 -no_ticket -servername leaf.vigil.test -sess_in sess.pem" 2
record tls12-small-records 44305 "-tls1_2 -cert leaf.crt -key leaf.key -cert_chain ca.crt -max_send_frag 512" \
  "client 44305 -tls1_2 -servername leaf.vigil.test"

cp ec.crt "$here/ec.crt.pem"
cp leaf.crt "$here/leaf.crt.pem"
cp ca.crt "$here/ca.crt.pem"
ls -l "$here"
