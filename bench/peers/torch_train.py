#!/usr/bin/python3
"""PyTorch (CPU) peer of bench/train_speed.cpp: the same MLP (784-256-128-10) and CNN
(conv32-pool-conv64-pool-128-10), batch 128, Adam, cross-entropy, on the same
Fashion-MNIST training images read from the Debian package. Prints the time per epoch
(scaled to 60000 samples when --samples is smaller) and the effective GFLOP/s counted the
same way as the C++ benchmark: 3 products per dense/conv layer (forward, weight gradient,
input gradient), except the first layer, whose input gradient neither program computes.

usage: /usr/bin/python3 bench/peers/torch_train.py [--samples N] [--threads T] [--json]
"""
import argparse
import gzip
import json
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = "/usr/share/datasets/fashion-mnist/"


def load(n):
    with gzip.open(ROOT + "train-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
    with gzip.open(ROOT + "train-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8)[:n]
    return torch.from_numpy(x.astype(np.float32) / 255.0), torch.from_numpy(y.astype(np.int64))


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128),
                         nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def training_macs(name):
    """Multiply-adds of one sample's training step through the dense and conv layers."""
    if name == "mlp":
        layers = [784 * 256, 256 * 128, 128 * 10]
    else:
        layers = [28 * 28 * 32 * 9, 14 * 14 * 64 * 32 * 9, 3136 * 128, 128 * 10]
    return 3 * sum(layers) - layers[0]


def epoch(model, x, y, batch=128):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(1))
    t0 = time.perf_counter()
    for i in range(0, len(y), batch):
        idx = perm[i:i + batch]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
    return time.perf_counter() - t0, float(loss)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x, y = load(a.samples)
    n = len(y)
    out = {"torch": torch.__version__, "threads": a.threads, "samples_timed": n}
    for name, make in (("mlp", mlp), ("cnn", cnn)):
        dt, loss = epoch(make(), x, y)
        out[name] = {"seconds": dt, "epoch_seconds_60k": dt * 60000 / n,
                     "gflops": 2 * training_macs(name) * n / dt / 1e9, "train_loss": loss}
    if a.json:
        print(json.dumps(out))
    else:
        for k in ("mlp", "cnn"):
            print(f"torch {k}: {out[k]['epoch_seconds_60k']:.2f} s per 60k-sample epoch "
                  f"(timed on {n}), {out[k]['gflops']:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
