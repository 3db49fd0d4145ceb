#!/usr/bin/env bash
# Installs what Vigil needs to build and test on Debian 12, and nothing that is already
# there (safe to run again). As root it runs apt-get itself; otherwise through sudo.
#   DPDK 22.11 (libdpdk-dev, with the net_pcap, net_null and net_ring PMDs), pkg-config,
#   libclang-dev for bindgen, libpcap-dev, capinfos (wireshark-common) for the tests;
#   iproute2, ethtool and python3 for the tests that block real TCP connections between
#   network namespaces; chromium for the web console's test (headless, loopback only).
set -euo pipefail
pkgs=(pkg-config libdpdk-dev libclang-dev libpcap-dev wireshark-common gcc iproute2 ethtool python3 chromium)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "vigil: installing ${missing[*]}" >&2
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "vigil: need root (or sudo) to install ${missing[*]}" >&2; exit 2; }
    as_root=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get update -q >/dev/null
  "${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "vigil: cargo not found: install the Rust toolchain (rustup) first" >&2; exit 2; }
pkg-config --atleast-version=22.11 libdpdk || { echo "vigil: pkg-config does not find libdpdk >= 22.11" >&2; exit 2; }
