#!/usr/bin/env bash
# Opt-in: builds the whole project and its tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (plus float-cast-overflow) in build-asan/ and runs every test
# there (docs/fuzzing.md says how long it takes; too long for every CI run on 2 cores).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SF_ASAN_BUILD:-$here/build-asan}
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSF_SANITIZE=ON \
  -DSF_BUILD_BENCH=OFF
cmake --build "$build" -j "$(nproc)"
cd "$build"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j "$(nproc)"
