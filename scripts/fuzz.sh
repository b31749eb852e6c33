#!/usr/bin/env bash
# Runs spikeforge's libFuzzer targets (docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds the targets with clang (ASan + UBSan + float-cast-overflow) in build-libfuzzer/
# (or $SF_FUZZ_BUILD), then runs each TARGET (default: all) for SECONDS (default 60) on
# a copy of its committed corpus (fuzz/corpus/<target>) with fuzz/spikeforge.dict. New
# corpus entries are merged into the committed corpus only with SF_FUZZ_MERGE=1. A
# finding (crash, sanitizer report, leak, timeout, out-of-memory) is copied to
# fuzz/findings/<target>/ and makes the script exit non-zero; once fixed, move it into
# fuzz/regressions/<target>/, where CTest replays it in every build.
# Prints, per target, the executions run, the time taken and the CPU seconds used; SF_FUZZ_JOBS parallel
# targets (default 1).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
shift || true
all=(network_yaml chip_yaml chip_image npy npz spike_file checkpoint_state)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
build=${SF_FUZZ_BUILD:-$here/build-libfuzzer}
jobs=${SF_FUZZ_JOBS:-1}

command -v clang++ >/dev/null || { echo "fuzz: clang++ not found (scripts/setup.sh installs it)" >&2; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ cmake -S "$here" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSF_FUZZ=ON -DSF_BUILD_TESTS=OFF -DSF_BUILD_BENCH=OFF \
    -DCMAKE_DISABLE_FIND_PACKAGE_verilator=ON >/dev/null  # no loader needs the Verilated chips
fi
cmake --build "$build" -j "$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

run_one() {
  local t=$1 out=$work/$1
  mkdir -p "$out/corpus" "$out/artifacts"
  cp -r "$here/fuzz/corpus/$t/." "$out/corpus/"
  # Leaks are findings (detect_leaks); -rss_limit_mb and -timeout bound memory and hangs;
  # -max_len lets whole seed files (a compiled image) mutate as one.
  local rc=0 timer=()
  [ -x /usr/bin/time ] && timer=(/usr/bin/time -f '%U %S' -o "$out/cpu")
  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "${timer[@]}" "$build/fuzz/fuzz_$t" "$out/corpus" -dict="$here/fuzz/spikeforge.dict" \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
      -artifact_prefix="$out/artifacts/" -print_final_stats=1 >"$out/log" 2>&1 || rc=$?
  local execs
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/log" | grep -o '[0-9]*$' || echo "?")
  if [ "$rc" -ne 0 ] || [ -n "$(ls -A "$out/artifacts")" ]; then
    mkdir -p "$here/fuzz/findings/$t"
    cp "$out"/artifacts/* "$here/fuzz/findings/$t/" 2>/dev/null || true
    cp "$out/log" "$here/fuzz/findings/$t/log.txt"
    echo "fuzz: $t FAILED after $execs executions (log and inputs in fuzz/findings/$t/)"
    grep -m5 -E 'ERROR|runtime error|SUMMARY|uncaught|deadly' "$out/log" || true
    return 1
  fi
  local cpu="?"
  [ -s "$out/cpu" ] && cpu=$(awk 'END { printf "%.0f", $1 + $2 }' "$out/cpu")
  echo "fuzz: $t ok, $execs executions in ${seconds} s (${cpu} CPU s)"
  if [ "${SF_FUZZ_MERGE:-0}" = 1 ]; then
    "$build/fuzz/fuzz_$t" -merge=1 "$here/fuzz/corpus/$t" "$out/corpus" -max_len=131072 >/dev/null 2>&1
  fi
}

pids=()
for t in "${targets[@]}"; do
  if [ "$jobs" -gt 1 ]; then
    run_one "$t" & pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}" || status=1; pids=("${pids[@]:1}"); fi
  else
    run_one "$t" || status=1
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
