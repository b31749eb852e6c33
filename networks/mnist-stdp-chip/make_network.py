#!/usr/bin/python3
# Writes the initial weights of mnist-stdp-chip (weights.npz): the input weights that the
# chip's STDP starts from, uniform in [0, 0.3] (Diehl & Cook 2015's initialisation), seeded,
# and the lateral inhibition. Run from this directory: /usr/bin/python3 make_network.py
import numpy as np

rng = np.random.default_rng(1)
n_in, n_exc = 784, 100
w_in = rng.uniform(0.0, 0.3, size=(n_exc, n_in)).astype(np.float32)
inh = np.full((n_exc, n_exc), -100.0, dtype=np.float32)
np.fill_diagonal(inh, 0.0)
np.savez("weights.npz", **{"input_exc.weights": w_in, "inhibition.weights": inh})
