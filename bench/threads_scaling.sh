#!/usr/bin/env bash
# Thread scaling over samples (issue 13, item 4): `spikeforge simulate` (float reference)
# and `spikeforge run` (functional emulator) on the same samples with --threads 1, 2, ...
# Prints, per command and thread count, the run with the best samples-loop wall time (the
# JSON wall_s: the parallel part) and that process's whole wall and CPU time (user + sys,
# from /usr/bin/time; loading and encoding the data set are serial and included), and checks that the
# JSON results other than wall_s and threads are identical across thread counts.
# Wall time on a shared, loaded machine understates scaling; CPU time shows whether the
# work itself grew (it should stay flat: the same samples, split).
# Usage: bench/threads_scaling.sh [BUILD_DIR] [max_threads] [reps] [network] [data] [samples]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
maxt=${2:-2}
reps=${3:-3}
net=${4:-$here/networks/digits-snn}
data=${5:-digits}
samples=${6:-360}
sf="$build/tools/spikeforge"
[ -x "$sf" ] || { echo "build spikeforge first: cmake --build $build --target spikeforge" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$sf" compile "$net" -o "$work/img" >/dev/null
echo "machine: $(nproc) cores; load before: $(uptime | sed 's/.*load/load/')"
measure() {  # name, threads, command...: prints "name threads best_wall_s cpu_s_of_best"
    local name=$1 t=$2
    shift 2
    local best="" bestcpu="" bestloop=""
    for _ in $(seq "$reps"); do
        /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" --threads "$t" --json >"$work/out.$name.$t"
        read -r wall user sys <"$work/time"
        cpu=$(echo "$user + $sys" | bc -l)
        loop=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["wall_s"])' "$work/out.$name.$t")
        if [ -z "$best" ] || (($(echo "$loop < $bestloop" | bc -l))); then
            best=$wall; bestcpu=$cpu; bestloop=$loop
        fi
    done
    # Results must not depend on the thread count.
    /usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2]))
for j in (a,b):
    for k in ("wall_s","threads","wall_time_s","throughput"): j.pop(k,None)
sys.exit(0 if a==b else "results differ between thread counts: "+sys.argv[2])' "$work/out.$name.1" "$work/out.$name.$t"
    printf "%-9s threads %d  samples loop (wall_s) %7.3f s   whole process: wall %6.2f s, cpu %6.2f s\n" \
        "$name" "$t" "$bestloop" "$best" "$bestcpu"
}
for t in $(seq 1 "$maxt"); do
    measure simulate "$t" "$sf" simulate "$net" --data "$data" --samples "$samples"
done
for t in $(seq 1 "$maxt"); do
    measure run "$t" "$sf" run "$work/img" --data "$data" --samples "$samples"
done
echo "load after: $(uptime | sed 's/.*load/load/')"
