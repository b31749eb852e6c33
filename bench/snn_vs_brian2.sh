#!/usr/bin/env bash
# Runs the CUBA benchmark (Vogels & Abbott 2005) in spikeforge's float simulator and in
# Brian2 (C++ standalone, Debian's python3-brian), on the same machine, and prints both
# real-time factors and their ratio.
# Usage: bench/snn_vs_brian2.sh [BUILD_DIR] [duration_ms] [repeats]
# Each side runs its simulation `repeats` times (default 5) and keeps its best times.
# The ratio is taken on CPU time of the simulation loop: Brian2's standalone code measures
# its loop with std::clock() (process CPU time), and on a shared machine CPU time is the
# number least disturbed by other jobs. Wall times are printed too.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
dur=${2:-1000}
reps=${3:-5}
bin="$build/bench/bench_snn_cuba"
[ -x "$bin" ] || { echo "build bench_snn_cuba first: cmake --build $build --target bench_snn_cuba" >&2; exit 1; }
/usr/bin/python3 -c "import brian2" 2>/dev/null || { echo "Brian2 missing: apt-get install python3-brian" >&2; exit 1; }
echo "load before: $(uptime)"
sf=$("$bin" "$dur" "$reps")
log=$(mktemp)
trap 'rm -f "$log"' EXIT
br=$(/usr/bin/python3 "$here/bench/peers/brian2_cuba.py" "$dur" "$reps" 2>"$log" | tail -1) || {
    echo "the Brian2 run failed; its messages:" >&2
    grep -v Warning "$log" | tail -20 >&2
    exit 1
}
echo "load after:  $(uptime)"
echo "spikeforge: $sf"
echo "brian2:     $br"
/usr/bin/python3 - "$sf" "$br" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"best of {a['repeats']} (spikeforge) and {b['repeats']} (brian2) runs, "
      f"{a['duration_s']:g} s of biological time; rates {a['mean_rate_hz']:.2f} Hz vs "
      f"{b['mean_rate_hz']:.2f} Hz")
print(f"CPU time of the simulation loop: spikeforge {a['cpu_s']:.4f} s "
      f"(real-time factor {a['realtime_factor_cpu']:.4f}), brian2 {b['loop_cpu_s']:.4f} s "
      f"(real-time factor {b['realtime_factor_cpu']:.4f}); "
      f"spikeforge is {b['loop_cpu_s'] / a['cpu_s']:.2f}x faster")
print(f"wall time: spikeforge simulation {a['wall_s']:.4f} s (real-time factor "
      f"{a['realtime_factor']:.4f}); brian2 whole generated program {b['process_s']:.4f} s "
      f"wall, {b['process_cpu_s']:.4f} s CPU (includes building the synapses and writing "
      f"results)")
PY
