#!/bin/bash
# Training speed of spikeforge's ANN reference against PyTorch (CPU, Debian's build) on the
# same MLP and CNN, batch 128, same Fashion-MNIST data, same machine, one after the other.
# usage: bench/train_vs_torch.sh [BUILD_DIR] [SAMPLES]
#   SAMPLES (default 60000) training samples timed; times are scaled to a 60k epoch.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
samples="${2:-60000}"
bin="$build/bench/bench_train_speed"
[ -x "$bin" ] || { echo "build it first: cmake --build $build --target bench_train_speed" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "install the peer: apt-get install python3-torch" >&2; exit 1; }
sf=$("$bin" --samples "$samples" --json)
pt=$(/usr/bin/python3 "$here/peers/torch_train.py" --samples "$samples" --threads 1 --json)
/usr/bin/python3 - "$sf" "$pt" <<'PY'
import json, sys
sf, pt = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"machine: {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}")
print(f"Eigen GEMM (128x784x256): {sf['gemm_gflops']:.1f} GFLOP/s, 1 thread; core peak (register-only FMA) "
      f"{sf['peak_fma_gflops']:.1f} GFLOP/s; torch {pt['torch']}, {pt['threads']} thread")
for k in ("mlp", "cnn"):
    s, p = sf[k], pt[k]
    print(f"{k}: spikeforge {s['epoch_seconds_60k']:.2f} s/epoch {s['gflops']:.1f} GFLOP/s "
          f"({100*s['fraction_of_gemm']:.0f}% of GEMM) | torch {p['epoch_seconds_60k']:.2f} s/epoch "
          f"{p['gflops']:.2f} GFLOP/s | speed-up {p['epoch_seconds_60k']/s['epoch_seconds_60k']:.1f}x")
    # What 10x PyTorch would take: the same multiply-adds in a tenth of PyTorch's time.
    need = 10 * p['gflops']
    print(f"  {k}: 10x torch needs {need:.1f} GFLOP/s = {100*need/sf['peak_fma_gflops']:.0f}% of the core's peak")
PY
