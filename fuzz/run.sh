#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS each (default 600), one after another, on
# seed corpora built from the real captures, and prints each target's executions.
#   bash fuzz/run.sh [SECONDS] [TARGET ...]
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || mapfile -t targets < <(cargo +nightly fuzz list)
python3 seed-corpus.py
cargo +nightly fuzz build -O
mkdir -p logs
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  cargo +nightly fuzz run -O "$t" "corpus/$t" -- -max_total_time="$secs" -rss_limit_mb=4096 \
    >"logs/$t.log" 2>&1 && rc=0 || rc=$?
  done_line=$(grep -E '^Done [0-9]+ runs' "logs/$t.log" | tail -1 || true)
  echo "$t: exit $rc; ${done_line:-no summary (see fuzz/logs/$t.log)}"
done
