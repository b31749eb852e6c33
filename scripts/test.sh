#!/usr/bin/env bash
# Installs dependencies, builds spikeforge from scratch in build/ and runs every test.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
"$here/scripts/setup.sh"
jobs=$(nproc)
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build "$here/build" -j "$jobs"
cd "$here/build"
ctest --output-on-failure -j "$jobs"
