#!/usr/bin/python3
# Writes the initial weights of mnist-stdp-chip (weights.npz): the input weights that the
# chip's STDP starts from, uniform in [0, 0.8] (Diehl & Cook 2015 use [0, 0.3]; with
# this chip rule, which can only potentiate, a higher start was better on held-out training
# digits: README.md), seeded,
# and the lateral inhibition between the excitatory neurons. The one-to-one projections
# of the adaptive threshold (exc -> adapt, adapt -> exc) are scales in network.yaml.
# Run from this directory: /usr/bin/python3 make_network.py
import numpy as np

SEED = 1
N_IN, N_EXC = 784, 100
INHIBITION = -30.0  # every other excitatory neuron, per spike; sets the weight scale into exc
W_INIT_MAX = 0.8    # initial input weights uniform in [0, W_INIT_MAX]

rng = np.random.default_rng(SEED)
w_in = rng.uniform(0.0, W_INIT_MAX, size=(N_EXC, N_IN)).astype(np.float32)
inh = np.full((N_EXC, N_EXC), INHIBITION, dtype=np.float32)
np.fill_diagonal(inh, 0.0)
np.savez("weights.npz", **{"input_exc.weights": w_in, "inhibition.weights": inh})
