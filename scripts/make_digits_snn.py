#!/usr/bin/python3
"""Trains the shipped example network networks/digits-snn (see its README.md).

A ReLU MLP 64-64-10 without biases is trained with Adam on the train split of
scikit-learn's 8x8 digits (pixels / 16; the same split spikeforge uses, docs/datasets.md:
within each class, in file order, every 5th digit is test, 1442 train / 355 test), then converted to a spiking network of IF
neurons with reset by subtraction: each layer's weights are rescaled by the 99.9th
percentile of its activations on the training set (data-based normalisation, Diehl et
al. 2015), so a rate of one spike per step stands for that activation. The script also
estimates the spiking accuracy with a small numpy simulation of the same dynamics and
rate encoder statistics, and writes network.yaml and weights.npz.

Run with Debian's interpreter and numpy only:
    /usr/bin/python3 scripts/make_digits_snn.py [--seed 1] [--out networks/digits-snn]
"""
import argparse
import gzip
import os
import time

import numpy as np

DIGITS = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"
TEST_EVERY = 5


def load_digits(path):
    """The split of docs/datasets.md: within each class, in file order, the class's k-th
    digit (k = 0, 1, ...) is test when k % 5 == 4; both splits keep the file's order."""
    with gzip.open(path, "rt") as f:
        d = np.loadtxt(f, delimiter=",")
    x = (d[:, :64] / 16.0).astype(np.float32)
    y = d[:, 64].astype(np.int64)
    seen = np.zeros(10, np.int64)
    test = np.zeros(len(y), bool)
    for i, c in enumerate(y):
        test[i] = seen[c] % TEST_EVERY == TEST_EVERY - 1
        seen[c] += 1
    return (x[~test], y[~test]), (x[test], y[test])


def train_mlp(x, y, hidden, epochs, seed):
    rng = np.random.default_rng(seed)
    w1 = rng.normal(0, np.sqrt(2.0 / 64), (hidden, 64)).astype(np.float32)
    w2 = rng.normal(0, np.sqrt(2.0 / hidden), (10, hidden)).astype(np.float32)
    params = [w1, w2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps, wd, batch = 3e-3, 0.9, 0.999, 1e-8, 1e-4, 32
    step = 0
    onehot = np.eye(10, dtype=np.float32)
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for k in range(0, len(x), batch):
            idx = order[k:k + batch]
            xb, tb = x[idx], onehot[y[idx]]
            h = np.maximum(0, xb @ w1.T)
            z = h @ w2.T
            z = z - z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            dz = (p - tb) / len(idx)
            g2 = dz.T @ h + wd * w2
            dh = (dz @ w2) * (h > 0)
            g1 = dh.T @ xb + wd * w1
            step += 1
            for i, g in enumerate([g1, g2]):
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                mh = m[i] / (1 - b1 ** step)
                vh = v[i] / (1 - b2 ** step)
                params[i] -= lr * mh / (np.sqrt(vh) + eps)
    return params


def float_accuracy(w1, w2, x, y):
    return float(np.mean(np.argmax(np.maximum(0, x @ w1.T) @ w2.T, axis=1) == y))


def simulate_snn(w1, w2, x, y, steps, max_rate, seed):
    """IF neurons, reset by subtraction, threshold 1, spike when v > 1; input spikes of
    step t are integrated at t, hidden spikes at t+1 (the chip's timing)."""
    rng = np.random.default_rng(seed)
    n = len(x)
    v1 = np.zeros((n, w1.shape[0]), np.float32)
    v2 = np.zeros((n, 10), np.float32)
    s1 = np.zeros_like(v1)
    counts = np.zeros((n, 10))
    p = np.clip(x * max_rate, 0, 1)
    for _ in range(steps):
        v2 += s1 @ w2.T
        s2 = (v2 > 1.0).astype(np.float32)
        v2 -= s2
        counts += s2
        inp = (rng.random(x.shape) < p).astype(np.float32)
        v1 += inp @ w1.T
        s1 = (v1 > 1.0).astype(np.float32)
        v1 -= s1
    pred = np.where(counts.max(axis=1) > 0, np.argmax(counts, axis=1), -1)
    return float(np.mean(pred == y))


def write_network(out, w1, w2, steps, max_rate, seed):
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, "weights.npz"), fc1=w1.astype(np.float32), fc2=w2.astype(np.float32))
    yaml = f"""# Written by scripts/make_digits_snn.py (see README.md): a rate-coded IF network for
# scikit-learn's 8x8 digits, converted from a ReLU MLP 64-{w1.shape[0]}-10 trained in numpy.
name: digits-snn
dt_ms: 1.0
timesteps: {steps}
dataset: digits
encoder: {{kind: rate, max_rate: {max_rate}, seed: {seed}}}
populations:
  - {{name: in, kind: input, shape: [1, 8, 8]}}
  - {{name: hidden, kind: if, size: {w1.shape[0]}, threshold: 1.0, reset: subtract}}
  - {{name: out, kind: if, size: 10, threshold: 1.0, reset: subtract, output: true}}
projections:
  - {{name: fc1, kind: dense, from: in, to: hidden, weights: weights.npz:fc1}}
  - {{name: fc2, kind: dense, from: hidden, to: out, weights: weights.npz:fc2}}
"""
    with open(os.path.join(out, "network.yaml"), "w") as f:
        f.write(yaml)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=150)
    ap.add_argument("--steps", type=int, default=64)
    ap.add_argument("--max-rate", type=float, default=1.0)
    ap.add_argument("--percentile", type=float, default=99.9)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "networks", "digits-snn"))
    a = ap.parse_args()

    (xtr, ytr), (xte, yte) = load_digits(DIGITS)
    t0 = time.time()
    w1, w2 = train_mlp(xtr, ytr, a.hidden, a.epochs, a.seed)
    train_s = time.time() - t0
    acc_train = float_accuracy(w1, w2, xtr, ytr)
    acc_test = float_accuracy(w1, w2, xte, yte)

    # Data-based normalisation: the input rate is x * max_rate, so layer 1 sees
    # activations scaled by max_rate.
    h = np.maximum(0, xtr @ w1.T) * a.max_rate
    lam1 = float(np.percentile(h[h > 0], a.percentile))
    z = np.maximum(0, h @ w2.T) / lam1
    lam2 = float(np.percentile(z[z > 0], a.percentile))
    s1 = w1 / lam1
    s2 = w2 / lam2  # (w2 * lam1 / lam2) applied to hidden rates h / lam1

    snn_acc = simulate_snn(s1, s2, xte, yte, a.steps, a.max_rate, a.seed)
    write_network(a.out, s1, s2, a.steps, a.max_rate, a.seed)
    print(f"seed {a.seed}  hidden {a.hidden}  epochs {a.epochs}  training {train_s:.1f} s")
    print(f"float accuracy: train {100 * acc_train:.2f}%  test {100 * acc_test:.2f}% ({len(yte)} samples)")
    print(f"normalisation: lambda1 {lam1:.4f}  lambda2 {lam2:.4f}")
    print(f"numpy SNN estimate ({a.steps} steps, max_rate {a.max_rate}): test {100 * snn_acc:.2f}%")
    print(f"wrote {os.path.normpath(a.out)}/network.yaml and weights.npz")


if __name__ == "__main__":
    main()
