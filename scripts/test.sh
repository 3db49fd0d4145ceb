#!/usr/bin/env bash
# Every test: install what is missing, check formatting and lints, then the unit and
# integration tests (the integration tests start the real `vigil` binary on DPDK
# virtual devices, several at once, over tests/data and ../shared/pcaps).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo test --workspace --all-targets
