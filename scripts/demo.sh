#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, then run the DPDK
# engine in software mode (real DPDK, net_pcap virtual device):
#   1. the bundled capture (real HTTP, TLS and DNS recorded on loopback);
#   2. a learning run: four days of a simulated office (`vigil simulate office`), saving
#      what was learned in out/state;
#   3. an attack run on top of it (`vigil simulate clickfix-macos`, the intrusion from a
#      published write-up), printing the alerts as a table;
#   4. what was learned: the devices and the rare endpoints;
#   5. shadow AI: the office using AI (`vigil simulate shadow-ai`) on top of what the
#      office taught, its alerts, and the AI inventory (`vigil report ai`).
# EVE JSON lines of each run go to out/*.jsonl. `bash scripts/demo.sh CAPTURE` replays
# your own capture instead and prints its EVE records.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo build --release --quiet -p vigil
vigil=./target/release/vigil
if [[ $# -gt 0 ]]; then
  exec "$vigil" replay "$1" --eve -
fi
mkdir -p out
rm -rf out/state out/state-ai out/*.jsonl

echo "== 1. The bundled capture (tests/data/loopback-office.pcap): EVE records by type" >&2
"$vigil" replay tests/data/loopback-office.pcap --eve out/loopback.jsonl
python3 - out/loopback.jsonl <<'PY' >&2 || true
import collections, json, sys
c = collections.Counter(json.loads(l)["event_type"] for l in open(sys.argv[1]))
print("   " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
PY

echo "== 2. Learning: four days of a simulated office" >&2
"$vigil" simulate office --out out/office.pcap
"$vigil" replay out/office.pcap --state out/state --eve out/office.jsonl
cp -r out/state out/state-ai

echo "== 3. The attack, judged against what was learned" >&2
"$vigil" simulate clickfix-macos --out out/clickfix-macos.pcap
"$vigil" replay out/clickfix-macos.pcap --state out/state --eve out/clickfix-macos.jsonl

echo "== 4. What Vigil learned" >&2
"$vigil" devices --state out/state
"$vigil" endpoints --rare --state out/state | tail -n 12

echo "== 5. Shadow AI: the office using AI, judged against what the office taught" >&2
"$vigil" simulate shadow-ai --out out/shadow-ai.pcap
"$vigil" replay out/shadow-ai.pcap --state out/state-ai --eve out/shadow-ai.jsonl
"$vigil" report ai --state out/state-ai --out out/ai-inventory.json
echo "EVE output: out/loopback.jsonl, out/office.jsonl, out/clickfix-macos.jsonl, out/shadow-ai.jsonl; AI inventory: out/ai-inventory.json" >&2
