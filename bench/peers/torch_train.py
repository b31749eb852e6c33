#!/usr/bin/python3
"""PyTorch (CPU) peer of bench/train_speed.cpp: the same MLP (784-256-128-10) and CNN
(conv32-pool-conv64-pool-128-10), batch 128, Adam, cross-entropy, on the same
Fashion-MNIST training images read from the Debian package. Prints the time per epoch
(the second of two for the MLP and the CNN, as bench_train_speed times them; scaled to
60000 samples when --samples is smaller) and the effective GFLOP/s counted the
same way as the C++ benchmark: 3 products per dense/conv layer (forward, weight gradient,
input gradient), except the first layer, whose input gradient neither program computes.

Also the spiking network of networks/fmnist-snn (784 -> 512 LIF -> 10 LI, 25 steps, direct
encoding, fast-sigmoid surrogate, membrane readout, Adam) written the way snnTorch users
write it: a Python loop over steps, one Linear per layer per step, a custom autograd spike
("snn"); and the same model with the first layer's product done for all steps in one
matrix product ("snn_one_gemm"), the better-vectorised way to write it in PyTorch, and
that product as a 1x1 convolution ("snn_onednn"), which Debian's build runs through oneDNN
rather than its generic BLAS: the fastest form of this model we found for that PyTorch.

usage: /usr/bin/python3 bench/peers/torch_train.py [--samples N] [--threads T] [--only M] [--json]
       M: mlp, cnn, snn, snn_one_gemm or snn_onednn (repeatable; default mlp and cnn)
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
    if name.startswith("snn"):
        # Dense-equivalent products of 25 steps (what the per-step Linear layers compute).
        return 25 * (2 * 784 * 512 + 3 * 512 * 10)
    if name == "mlp":
        layers = [784 * 256, 256 * 128, 128 * 10]
    else:
        layers = [28 * 28 * 32 * 9, 14 * 14 * 64 * 32 * 9, 3136 * 128, 128 * 10]
    return 3 * sum(layers) - layers[0]


class FastSigmoidSpike(torch.autograd.Function):
    """Heaviside forward, fast-sigmoid derivative 1 / (1 + slope |x|)^2 backward."""
    slope = 10.0

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1 + FastSigmoidSpike.slope * x.abs()) ** 2


class Snn(nn.Module):
    """networks/fmnist-snn: u = ku u + W x_t, v = kv v + u, spike at v > 1 with a detached
    subtractive reset; the LI readout sees the hidden spikes one step later and the logits
    are its mean membrane. decay_u = 1 (ku = 0), decay_v = 0.1 (kv = 0.9)."""

    def __init__(self, steps=25, one_gemm=False, onednn=False):
        super().__init__()
        self.fc1 = nn.Linear(784, 512, bias=False)
        self.fc2 = nn.Linear(512, 10, bias=False)
        # The same first layer as a 1x1 convolution, which Debian's build runs through
        # oneDNN instead of its generic BLAS (torch.__config__.show(): BLAS_INFO=generic).
        self.conv1 = nn.Conv2d(784, 512, 1, bias=False) if onednn else None
        self.steps, self.one_gemm = steps, one_gemm or onednn

    def forward(self, img):
        x = img.flatten(1)
        B, T = x.shape[0], self.steps
        # The direct encoder: an integrate-and-fire accumulator per pixel.
        acc = torch.zeros_like(x)
        spikes = []
        for _ in range(T):
            acc = acc + x
            s = (acc >= 1).to(x.dtype)
            acc = acc - s
            spikes.append(s)
        cur1 = None
        if self.conv1 is not None:
            cur1 = self.conv1(torch.stack(spikes).reshape(T * B, 784, 1, 1)).reshape(T, B, 512)
        elif self.one_gemm:
            cur1 = self.fc1(torch.stack(spikes).reshape(T * B, 784)).reshape(T, B, 512)
        ku, kv = 0.0, 0.9
        u1 = v1 = torch.zeros(B, 512)
        u2 = v2 = torch.zeros(B, 10)
        prev = torch.zeros(B, 512)
        logits = torch.zeros(B, 10)
        for t in range(T):
            u1 = ku * u1 + (cur1[t] if self.one_gemm else self.fc1(spikes[t]))
            v1 = kv * v1 + u1
            s1 = FastSigmoidSpike.apply(v1 - 1.0)
            v1 = v1 - s1.detach()
            u2 = ku * u2 + self.fc2(prev)
            v2 = kv * v2 + u2
            logits = logits + v2 / T
            prev = s1
        return logits


def epochs(model, x, y, count, batch=128):
    """Trains `count` epochs; returns (wall seconds, CPU seconds, last loss) for each."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    out = []
    for e in range(count):
        perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(1 + e))
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(0, len(y), batch):
            idx = perm[i:i + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        out.append((time.perf_counter() - t0, time.process_time() - c0, float(loss)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=60000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", action="append", choices=["mlp", "cnn", "snn", "snn_one_gemm", "snn_onednn"])
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x, y = load(a.samples)
    # Read every value once before any timing, as bench_train_speed does: the first read of
    # freshly loaded memory is slow on virtual machines, and only a run's first epoch pays it.
    float(x.sum()), int(y.sum())
    n = len(y)
    out = {"torch": torch.__version__, "threads": a.threads, "samples_timed": n}
    makers = {"mlp": mlp, "cnn": cnn, "snn": lambda: Snn(), "snn_one_gemm": lambda: Snn(one_gemm=True),
              "snn_onednn": lambda: Snn(onednn=True)}
    for name in a.only or ["mlp", "cnn"]:
        # The MLP and the CNN: two epochs, the second timed (the steady state of a run, as
        # bench_train_speed times them; the first also warms the allocator and caches),
        # the first reported beside it. The spiking networks: one epoch, as there.
        runs = epochs(makers[name](), x, y, 1 if name.startswith("snn") else 2)
        dt, cpu, loss = runs[-1]
        out[name] = {"seconds": dt, "cpu_seconds": cpu, "epoch_seconds_60k": dt * 60000 / n,
                     "epoch_cpu_seconds_60k": cpu * 60000 / n,
                     "gflops": 2 * training_macs(name) * n / dt / 1e9, "train_loss": loss,
                     "first_epoch_seconds": runs[0][0]}
    if a.json:
        print(json.dumps(out))
    else:
        for k in a.only or ["mlp", "cnn"]:
            print(f"torch {k}: {out[k]['epoch_seconds_60k']:.2f} s per 60k-sample epoch "
                  f"({out[k]['epoch_cpu_seconds_60k']:.2f} s CPU) "
                  f"(timed on {n}), {out[k]['gflops']:.2f} GFLOP/s")


if __name__ == "__main__":
    main()
