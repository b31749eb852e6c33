#!/usr/bin/env bash
# Runs the CUBA benchmark (Vogels & Abbott 2005) in spikeforge's float simulator and in
# Brian2 (C++ standalone, Debian's python3-brian), on the same machine, and prints both
# real-time factors and their ratio. Usage: bench/snn_vs_brian2.sh [BUILD_DIR] [duration_ms]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
dur=${2:-1000}
bin="$build/bench/bench_snn_cuba"
[ -x "$bin" ] || { echo "build bench_snn_cuba first: cmake --build $build --target bench_snn_cuba" >&2; exit 1; }
/usr/bin/python3 -c "import brian2" 2>/dev/null || { echo "Brian2 missing: apt-get install python3-brian" >&2; exit 1; }
sf=$("$bin" "$dur")
br=$(/usr/bin/python3 "$here/bench/peers/brian2_cuba.py" "$dur" 2>/dev/null | tail -1)
echo "spikeforge: $sf"
echo "brian2:     $br"
/usr/bin/python3 - "$sf" "$br" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"real-time factor: spikeforge {a['realtime_factor']:.3f}, brian2 {b['realtime_factor']:.3f}; "
      f"spikeforge is {b['wall_s'] / a['wall_s']:.2f}x faster "
      f"(rates {a['mean_rate_hz']:.1f} Hz vs {b['mean_rate_hz']:.1f} Hz)")
print(f"CPU time (meaningful on a loaded machine): spikeforge simulation {a['cpu_s']:.3f} s, "
      f"brian2 whole generated program {b['process_cpu_s']:.3f} s")
PY
