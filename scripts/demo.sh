#!/usr/bin/env bash
# The main job on a fresh machine: install what is missing, build, and replay the bundled
# capture (real loopback traffic) through the DPDK engine in software mode, printing the
# EVE records it writes and a summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo build --release --quiet -p vigil
capture=${1:-tests/data/loopback-office.pcap}
exec ./target/release/vigil replay "$capture" --eve -
