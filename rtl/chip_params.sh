#!/usr/bin/env bash
# Print the sf_chip parameters of a chip YAML (a preset name such as sf1, or a path), one
# NAME=VALUE per line, for Verilator (-GNAME=VALUE) and Yosys (chparam -set NAME VALUE).
# Keys missing from the file take the defaults of core/include/sf/core/chip_config.hpp.
# Usage: rtl/chip_params.sh CHIP
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
chip="${1:?usage: chip_params.sh CHIP (preset name or YAML path)}"
if [[ -f "$chip" ]]; then
  file="$chip"
else
  file="${SPIKEFORGE_CHIPS:-$here/../networks/chips}/$chip.yaml"
fi
if [[ ! -f "$file" ]]; then
  echo "chip_params.sh: no chip file '$chip' (looked for $file)" >&2
  exit 2
fi
awk '
  BEGIN {
    split("mesh.width=MeshW:4 mesh.height=MeshH:4 core.neurons=NumNeurons:256 " \
          "core.axons=NumAxons:1024 core.word_synapses=WordSyn:16 core.weight_bits=WeightBits:8 " \
          "core.profiles=NumProfiles:4 core.fanout=Fanout:4 neuron.state_bits=StateBits:24 " \
          "neuron.threshold_bits=ThresholdBits:17 neuron.bias_mant_bits=BiasMantBits:13 " \
          "neuron.bias_exp_max=BiasExpMax:7 neuron.refractory_bits=RefrBits:4 " \
          "neuron.trace_bits=TraceBits:8 core.learning=Learning:1 " \
          "noc.router_fifo_depth=RouterDepth:4 noc.host_fifo_depth=HostDepth:16", defs, " ")
    for (i in defs) {
      split(defs[i], kv, "="); split(kv[2], nv, ":")
      name[kv[1]] = nv[1]; val[kv[1]] = nv[2]; order[i] = kv[1]
    }
    n = length(defs)
  }
  { sub(/#.*/, "") }
  /^[A-Za-z_]+:[ \t]*$/ { sec = $1; sub(/:$/, "", sec); next }
  /^[ \t]+[A-Za-z_]+:/ {
    key = $1; sub(/:$/, "", key); v = $2
    if ((sec "." key) in name) {
      if (v == "true") v = 1; else if (v == "false") v = 0
      val[sec "." key] = v
    }
  }
  END { for (i = 1; i <= n; i++) print name[order[i]] "=" val[order[i]] }
' "$file"
