#!/usr/bin/python3
"""The CUBA network of bench/snn_cuba.cpp in Brian2's C++ standalone mode.

Same model as the spikeforge side (see bench/snn_cuba.cpp): v relative to the reset
potential, tau_m 20 ms, rest 11 mV, threshold 10 mV, reset 0, refractory 5 ms, one
exponential synaptic current (tau_s 5 ms), we = 1.62 mV, wi = -18 mV, 2% connectivity,
dt 0.1 ms, 1 s. Prints one JSON line with the time of the main loop of the generated
program as Brian2 reports it, and the real-time factor. Brian2's single-threaded
standalone code times its loop with std::clock(), i.e. in CPU time of the process, not wall
time (brian2/devices/cpp_standalone/templates/network.cpp), so it is reported as
"loop_cpu_s"; "process_s" / "process_cpu_s" are the wall and CPU time of the whole
generated program (it also builds the synapses and writes its results).
With repeats > 1 the compiled program runs that many times and the best (smallest) times
are reported, the ones least disturbed by other jobs on a shared machine.
Run with Debian's interpreter:
    /usr/bin/python3 bench/peers/brian2_cuba.py [duration_ms [repeats]]
"""
import json
import resource
import shutil
import sys
import tempfile
import time

from brian2 import (NeuronGroup, Synapses, SpikeMonitor, defaultclock, device, ms, mV,
                    prefs, run, second, set_device, seed)

try:
    duration_ms = float(sys.argv[1]) if len(sys.argv) > 1 else 1000.0
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    if not duration_ms >= 0.1 or repeats < 1 or len(sys.argv) > 3:
        raise ValueError
except ValueError:
    sys.exit("brian2_cuba.py: bad arguments; usage: brian2_cuba.py [duration_ms [repeats]] "
             "with duration_ms >= 0.1 (one step) and repeats >= 1, e.g. brian2_cuba.py 1000 5")
workdir = tempfile.mkdtemp(prefix="brian2_cuba_")
set_device("cpp_standalone", directory=workdir, build_on_run=False)
prefs.devices.cpp_standalone.openmp_threads = 0  # single thread, like the C++ side
seed(2005)
defaultclock.dt = 0.1 * ms

eqs = """
dv/dt = (u + 11*mV - v) / (20*ms) : volt (unless refractory)
du/dt = -u / (5*ms) : volt
"""
P = NeuronGroup(4000, eqs, threshold="v > 10*mV", reset="v = 0*mV", refractory=5 * ms,
                method="exact")
P.v = "rand() * 10*mV"
Pe = P[:3200]
Pi = P[3200:]
Ce = Synapses(Pe, P, on_pre="u += 1.62*mV")
Ce.connect(p=0.02)
Ci = Synapses(Pi, P, on_pre="u -= 18*mV")
Ci.connect(p=0.02)
mon = SpikeMonitor(P)
run(duration_ms * ms)
t0 = time.time()
device.build(directory=workdir, compile=True, run=False)
t_compile = time.time() - t0
loop_cpu, process_wall, process_cpu = [], [], []
for _ in range(repeats):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    device.run(directory=workdir, with_output=False, run_args=[])
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    # The subprocess alone (device.run also loads the results back afterwards).
    process_wall.append(device.timers["run_binary"])
    process_cpu.append((r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime))
    loop_cpu.append(device._last_run_time)
spikes = int(mon.num_spikes)
synapses = int(len(Ce) + len(Ci))
shutil.rmtree(workdir, ignore_errors=True)
print(json.dumps({
    "simulator": "brian2-cpp_standalone",
    "neurons": 4000,
    "synapses": synapses,
    "dt_ms": 0.1,
    "duration_s": duration_ms / 1000.0,
    "repeats": repeats,
    "loop_cpu_s": round(min(loop_cpu), 4),
    "process_s": round(min(process_wall), 4),
    "process_cpu_s": round(min(process_cpu), 4),
    "compile_s": round(t_compile, 2),
    "realtime_factor_cpu": round(min(loop_cpu) / (duration_ms / 1000.0), 4),
    "spikes": spikes,
    "mean_rate_hz": round(spikes / 4000 / (duration_ms / 1000.0), 2),
}))
