#!/bin/bash
# Training speed of spikeforge's float reference against PyTorch (CPU, Debian's build) on the
# same models, batch 128, same Fashion-MNIST data, same machine, one after the other, one
# thread each: the MLP and CNN (ANN trainer), and the spiking network of networks/fmnist-snn
# (surrogate-gradient trainer) against the same network written the snnTorch way ("snn")
# and with its first product through oneDNN ("snn_onednn", the fastest PyTorch form found).
# usage: bench/train_vs_torch.sh [BUILD_DIR] [SAMPLES] [MODELS]
#   SAMPLES (default 60000) training samples timed; times are scaled to a 60k epoch.
#   MODELS (default "mlp cnn snn") which models to time.
# Prints wall and CPU seconds: on a shared machine only the CPU seconds compare.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
samples="${2:-60000}"
models="${3:-mlp cnn snn}"
bin="$build/bench/bench_train_speed"
[ -x "$bin" ] || { echo "build it first: cmake --build $build --target bench_train_speed" >&2; exit 1; }
/usr/bin/python3 -c "import torch" 2>/dev/null || { echo "install the peer: apt-get install python3-torch" >&2; exit 1; }
sf_args=() pt_args=()
for m in $models; do
  case "$m" in
    mlp|cnn) sf_args+=(--only "$m"); pt_args+=(--only "$m") ;;
    snn) sf_args+=(--only snn); pt_args+=(--only snn --only snn_onednn) ;;
    *) echo "unknown model '$m' (mlp, cnn or snn)" >&2; exit 2 ;;
  esac
done
# torch.set_num_threads(1) does not reach OpenBLAS's own threads (where libblas.so.3 is
# OpenBLAS, e.g. after apt-get install libopenblas0-pthread): one thread there too.
export OPENBLAS_NUM_THREADS=1
sf=$("$bin" --samples "$samples" --threads 1 --json "${sf_args[@]}")
pt=$(/usr/bin/python3 "$here/peers/torch_train.py" --samples "$samples" --threads 1 --json "${pt_args[@]}")
# PyTorch's speed depends on which BLAS Debian's libblas.so.3 resolves to: say which.
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || echo unknown)
/usr/bin/python3 - "$sf" "$pt" "$blas" <<'PY'
import json, sys
sf, pt = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"machine: {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}, "
      f"load average {open('/proc/loadavg').read().split()[0]}")
print(f"Eigen GEMM (128x784x256): {sf['gemm_gflops']:.1f} GFLOP/s, 1 thread; core peak (register-only FMA, "
      f"{sf['peak_vector_lanes']} lanes) {sf['peak_fma_gflops']:.1f} GFLOP/s; torch {pt['torch']}, {pt['threads']} thread, "
      f"BLAS {sys.argv[3]}")
for k in ("mlp", "cnn"):
    if k not in sf:
        continue
    s, p = sf[k], pt[k]
    print(f"{k}: spikeforge {s['epoch_seconds_60k']:.2f} s/epoch {s['gflops']:.1f} GFLOP/s "
          f"({100*s['fraction_of_gemm']:.0f}% of GEMM, {100*s['fraction_of_peak']:.0f}% of peak) | torch "
          f"{p['epoch_seconds_60k']:.2f} s/epoch {p['gflops']:.2f} GFLOP/s | speed-up "
          f"{p['epoch_seconds_60k']/s['epoch_seconds_60k']:.1f}x (CPU time {p['epoch_cpu_seconds_60k']:.2f} s "
          f"for torch)")
if "snn" in sf:
    s = sf["snn"]
    print(f"snn: spikeforge {s['epoch_seconds_60k']:.2f} s/epoch wall, {s['epoch_cpu_seconds_60k']:.2f} s CPU "
          f"(loss {s['train_loss']:.4f})")
    for k in ("snn", "snn_onednn"):
        p = pt[k]
        print(f"  torch {k}: {p['epoch_seconds_60k']:.2f} s/epoch wall, {p['epoch_cpu_seconds_60k']:.2f} s CPU "
              f"(loss {p['train_loss']:.4f}) | speed-up {p['epoch_seconds_60k']/s['epoch_seconds_60k']:.1f}x wall, "
              f"{p['epoch_cpu_seconds_60k']/s['epoch_cpu_seconds_60k']:.1f}x CPU")
PY
