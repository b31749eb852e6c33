#!/usr/bin/env bash
# Opt-in: builds the project and its tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (plus float-cast-overflow) in build-asan/ and runs every test there, leaks included.
# The Verilated RTL is left out (-DCMAKE_DISABLE_FIND_PACKAGE_verilator=ON): Verilator's
# generated code takes most of the build time under the sanitizers, and the RTL backend is
# checked bit for bit against the functional model in the ordinary build. docs/fuzzing.md
# says how long this takes (too long for every CI run on 2 cores).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${SF_ASAN_BUILD:-$here/build-asan}
# Debian's libsystemc.so calls sc_main from its main(); the harness defines a weak one, and
# --undefined pulls it in also into test programs that use no SystemC themselves.
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSF_SANITIZE=ON \
  -DSF_BUILD_BENCH=OFF -DCMAKE_DISABLE_FIND_PACKAGE_verilator=ON \
  "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--undefined=sc_main"
cmake --build "$build" -j "$(nproc)"
cd "$build"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --output-on-failure -j "$(nproc)" --timeout 1800
