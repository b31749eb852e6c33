#!/usr/bin/env bash
# Synthesis report of the spikeforge RTL (rtl/) for a chip YAML, with Yosys 0.23.
#
#   scripts/synth.sh [--check] [--blocks B1,B2,...] [--log DIR] CHIP
#
# CHIP is a preset name (sf1, sf1-small, ...) or a chip YAML path; its sizes and widths
# become the blocks' parameters (rtl/chip_params.sh). For each block the script runs
#   read_verilog -sv rtl/*.sv; hierarchy -top B -chparam ...; synth -flatten -top B -run :fine
# (`-run :fine` keeps every memory as one $mem_v2 cell instead of mapping it to flip-flops),
# and prints Yosys's `stat -width` (cells by type and word width), then a summary line:
#   <block>: <cells> cells, <ff_bits> flip-flop bits, <mem_bits> memory bits in <n> memories
# Default blocks: the units, the core, the router, the host port, the controller and a
# tile (core + router; the chip is W * H tiles plus the host port and the controller).
# --check fails unless every block synthesizes, sf_core keeps its crossbar as a memory of
# A*ceil(N/S) words x S*B_w bits, and no block holds more flip-flop bits than a quarter of
# its memory bits (plus 4096): memories flattened into flip-flops would break that.
# --log DIR keeps each block's full Yosys log.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
check=0
blocks="sf_neuron_unit,sf_stdp_unit,sf_trace_unit,sf_integrate,sf_encoder,sf_router,sf_host_port,sf_ctrl,sf_core,sf_tile"
logdir=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --check) check=1; shift ;;
    --blocks) blocks="$2"; shift 2 ;;
    --log) logdir="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "synth.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
chip="${1:?usage: scripts/synth.sh [--check] [--blocks B1,B2] [--log DIR] CHIP}"
if ! command -v yosys >/dev/null; then
  echo "synth.sh: yosys not found (apt-get install yosys)" >&2
  exit 2
fi
declare -A P
while IFS='=' read -r k v; do P[$k]=$v; done < <("$root/rtl/chip_params.sh" "$chip")
srcs=""
while read -r f; do
  [[ "$f" =~ \.sv$ && "$f" != //* ]] && srcs+=" $root/rtl/$f"   # skip // comments
done < "$root/rtl/sources.f"
[[ -n "$logdir" ]] && mkdir -p "$logdir"

# The parameters each block takes.
params_of() {
  case "$1" in
    sf_neuron_unit) echo "StateBits ThresholdBits BiasMantBits BiasExpMax RefrBits" ;;
    sf_stdp_unit) echo "WordSyn WeightBits TraceBits" ;;
    sf_trace_unit) echo "TraceBits" ;;
    sf_integrate) echo "NumNeurons NumAxons WordSyn WeightBits FifoDepth=RouterDepth" ;;
    sf_encoder) echo "NumNeurons Fanout" ;;
    sf_router) echo "FifoDepth=RouterDepth" ;;
    sf_host_port) echo "HostDepth" ;;
    sf_ctrl) echo "" ;;
    sf_core|sf_tile) echo "NumNeurons NumAxons WordSyn WeightBits NumProfiles Fanout StateBits ThresholdBits BiasMantBits BiasExpMax RefrBits TraceBits Learning FifoDepth=RouterDepth" ;;
    sf_chip) echo "MeshW MeshH NumNeurons NumAxons WordSyn WeightBits NumProfiles Fanout StateBits ThresholdBits BiasMantBits BiasExpMax RefrBits TraceBits Learning RouterDepth HostDepth" ;;
    *) echo "synth.sh: unknown block $1" >&2; exit 2 ;;
  esac
}

words=$(( (P[NumNeurons] + P[WordSyn] - 1) / P[WordSyn] ))
xbar_size=$(( P[NumAxons] * words ))
xbar_width=$(( P[WordSyn] * P[WeightBits] ))
echo "spikeforge RTL synthesis report: chip $chip (Yosys $(yosys -V | awk '{print $2}'), synth -flatten -run :fine)"
echo "parameters: $(for k in MeshW MeshH NumNeurons NumAxons WordSyn WeightBits StateBits TraceBits RouterDepth HostDepth; do printf '%s=%s ' "$k" "${P[$k]}"; done)"
fail=0
IFS=',' read -ra list <<< "$blocks"
for b in "${list[@]}"; do
  chp=""
  for spec in $(params_of "$b"); do
    name="${spec%%=*}"
    if [[ "$spec" == *=* ]]; then
      v="${spec#*=}"
      [[ "$v" =~ ^[0-9]+$ ]] || v="${P[$v]}"
    else
      v="${P[$name]}"
    fi
    chp+=" -chparam $name $v"
  done
  asserts=""
  if [[ $check -eq 1 && "$b" == sf_core ]]; then
    asserts="; select -assert-count 1 t:\$mem_v2 r:SIZE=$xbar_size %i r:WIDTH=$xbar_width %i"
  fi
  log="$(mktemp)"
  
  if ! yosys -q -l "$log" -p "read_verilog -sv $srcs; hierarchy -top $b $chp; synth -flatten -top $b -run :fine; tee -o $log.stat stat -width; tee -q -o $log.mem dump t:\$mem_v2 $asserts" >/dev/null 2>"$log.err"; then
    echo "== $b: synthesis FAILED" ; cat "$log.err" ; tail -20 "$log"
    fail=1
    continue
  fi
  
  echo
  echo "== $b"
  sed -n '/Number of cells/,$p' "$log.stat" | sed '/^$/q'
  cells=$(awk '/Number of cells/ {print $4; exit}' "$log.stat")
  ffbits=$(awk '$1 ~ /^\$_?(s|a|ad|al|aldff|sdff|dff|dffe|sdffe|sdffce|adffe|dffsr|dffsre|aldffe)(_[0-9]+)?$/ { n=split($1, p, "_"); w=p[n]+0; if (w==0) w=1; s+=w*$2 } END {print s+0}' "$log.stat")
  read -r nmem membits < <(awk '/cell \$mem_v2/ {n++} /parameter \\SIZE / {size=$3} /parameter \\WIDTH / {bits+=size*$3} END {print n+0, bits+0}' "$log.mem")
  echo "$b: $cells cells, $ffbits flip-flop bits, $membits memory bits in $nmem memories"
  if [[ $check -eq 1 && $ffbits -gt $(( membits / 4 + 4096 )) ]]; then
    echo "synth.sh: $b holds $ffbits flip-flop bits against $membits memory bits: a memory was mapped to flip-flops" >&2
    fail=1
  fi
  [[ -n "$logdir" ]] && cp "$log" "$logdir/$b.log"
  rm -f "$log" "$log.stat" "$log.mem" "$log.err"
done
exit $fail
