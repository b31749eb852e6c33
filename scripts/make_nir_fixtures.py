#!/usr/bin/python3
"""Writes the NIR files the tests read (tests/nir/fixtures/) and the example network
trained elsewhere (networks/snntorch-cubalif/model.nir), with h5py, following NIR 1.0's
HDF5 layout (neuromorphs/NIR, nir/serialization.py): a root string dataset `version`, a
group `node` holding the graph (`type` = "NIRGraph", `nodes/<name>/` with `type` and one
dataset per field, `edges` as an N×2 string array), nested graphs recursively.

Run with Debian's interpreter (python3-h5py, python3-numpy), from the repository root:

    /usr/bin/python3 scripts/make_nir_fixtures.py

The output is deterministic; the fixtures are committed, so tests need no Python.
"""
import os
import sys

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "tests", "nir", "fixtures")
VERSION = "1.0.0"
F32 = np.float32


def write_fields(group, node):
    for key, value in node.items():
        if isinstance(value, dict):
            write_fields(group.create_group(key), value)
        elif isinstance(value, str):
            group.create_dataset(key, data=value, dtype=h5py.string_dtype())
        else:
            group.create_dataset(key, data=value)


def write_graph(group, nodes, edges):
    group.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
    ng = group.create_group("nodes")
    for name, node in nodes.items():
        g = ng.create_group(name)
        if node.get("type") == "NIRGraph":
            write_graph(g, node["nodes"], node["edges"])
        else:
            write_fields(g, node)
    # A list of (source, target) pairs: h5py stores it as an N×2 variable-length string array.
    group.create_dataset("edges", data=edges)


def save(path, nodes, edges, version=VERSION):
    with h5py.File(path, "w") as f:
        if version is not None:
            f.create_dataset("version", data=version, dtype=h5py.string_dtype())
        write_graph(f.create_group("node"), nodes, edges)


# ---- node constructors (fields as nir.write() stores them) ----------------------------
def Input(shape):
    return {"type": "Input", "shape": np.array(shape, dtype=np.int64)}


def Output(shape):
    return {"type": "Output", "shape": np.array(shape, dtype=np.int64)}


def Linear(w):
    return {"type": "Linear", "weight": np.asarray(w, dtype=F32)}


def Affine(w, b):
    return {"type": "Affine", "weight": np.asarray(w, dtype=F32), "bias": np.asarray(b, dtype=F32)}


def Scale(s):
    return {"type": "Scale", "scale": np.asarray(s, dtype=F32)}


def LIF(tau, r, v_leak, v_threshold, v_reset=None):
    n = {"type": "LIF", "tau": np.asarray(tau), "r": np.asarray(r), "v_leak": np.asarray(v_leak),
         "v_threshold": np.asarray(v_threshold)}
    if v_reset is not None:
        n["v_reset"] = np.asarray(v_reset)
    return n


def LI(tau, r, v_leak):
    return {"type": "LI", "tau": np.asarray(tau), "r": np.asarray(r), "v_leak": np.asarray(v_leak)}


def IF(r, v_threshold, v_reset=None):
    n = {"type": "IF", "r": np.asarray(r), "v_threshold": np.asarray(v_threshold)}
    if v_reset is not None:
        n["v_reset"] = np.asarray(v_reset)
    return n


def I(r):  # noqa: E743
    return {"type": "I", "r": np.asarray(r)}


def CubaLIF(tau_syn, tau_mem, r, v_leak, v_threshold, v_reset=None, w_in=None):
    n = {"type": "CubaLIF", "tau_syn": np.asarray(tau_syn), "tau_mem": np.asarray(tau_mem), "r": np.asarray(r),
         "v_leak": np.asarray(v_leak), "v_threshold": np.asarray(v_threshold)}
    if v_reset is not None:
        n["v_reset"] = np.asarray(v_reset)
    if w_in is not None:
        n["w_in"] = np.asarray(w_in)
    return n


def CubaLI(tau_syn, tau_mem, r, v_leak, w_in):
    return {"type": "CubaLI", "tau_syn": np.asarray(tau_syn), "tau_mem": np.asarray(tau_mem), "r": np.asarray(r),
            "v_leak": np.asarray(v_leak), "w_in": np.asarray(w_in)}


def Conv2d(w, stride, padding, dilation, groups, bias, input_shape=None):
    n = {"type": "Conv2d", "weight": np.asarray(w, dtype=F32), "stride": np.asarray(stride),
         "padding": padding if isinstance(padding, str) else np.asarray(padding), "dilation": np.asarray(dilation),
         "groups": np.int64(groups), "bias": np.asarray(bias, dtype=F32)}
    if input_shape is not None:
        n["input_shape"] = np.asarray(input_shape, dtype=np.int64)
    return n


def Conv1d(w, stride, padding, dilation, groups, bias):
    return {"type": "Conv1d", "weight": np.asarray(w, dtype=F32), "stride": np.int64(stride),
            "padding": padding if isinstance(padding, str) else np.int64(padding), "dilation": np.int64(dilation),
            "groups": np.int64(groups), "bias": np.asarray(bias, dtype=F32)}


def Pool(kind, k, s, p):
    return {"type": kind, "kernel_size": np.asarray(k, dtype=np.int64), "stride": np.asarray(s, dtype=np.int64),
            "padding": np.asarray(p, dtype=np.int64)}


def Flatten(start, end, input_type=None):
    n = {"type": "Flatten", "start_dim": np.int64(start), "end_dim": np.int64(end)}
    if input_type is not None:
        n["input_type"] = np.asarray(input_type, dtype=np.int64)
    return n


def Delay(d):
    return {"type": "Delay", "delay": np.asarray(d)}


def Threshold(t):
    return {"type": "Threshold", "threshold": np.asarray(t)}


def chain(*names):
    return [(a, b) for a, b in zip(names, names[1:])]


def fixtures():
    p = lambda name: os.path.join(FIX, name)  # noqa: E731
    W23 = [[1.0, 0.5, 0.0], [0.0, -1.0, 2.0]]
    ones2 = np.ones(2)

    # Each node kind on its own, with parameters whose discrete form the tests compute by hand
    # (dt = 1e-3 s): decay = dt / tau, input gain = decay * r (and * decay_syn * w_in).
    save(p("linear_lif.nir"),
         {"input": Input([3]), "fc": Linear(W23),
          "lif": LIF(tau=ones2 * 1e-2, r=ones2 * 10.0, v_leak=np.zeros(2), v_threshold=ones2),
          "output": Output([2])},
         chain("input", "fc", "lif", "output"))
    save(p("affine_if.nir"),
         {"input": Input([3]), "fc": Affine(W23, [0.25, -0.5]),
          "if": IF(r=ones2 * 1000.0, v_threshold=ones2 * 2.0, v_reset=ones2 * 0.5), "output": Output([2])},
         chain("input", "fc", "if", "output"))
    save(p("cubalif.nir"),
         {"input": Input([3]), "fc": Linear(W23),
          "cuba": CubaLIF(tau_syn=ones2 * 2e-3, tau_mem=ones2 * 4e-3, r=ones2 * 2.0, v_leak=ones2 * 0.4,
                          v_threshold=ones2 * 1.5, v_reset=ones2 * 0.5, w_in=ones2 * 3.0),
          "output": Output([2])},
         chain("input", "fc", "cuba", "output"))
    save(p("cubali.nir"),
         {"input": Input([3]), "fc": Linear(W23),
          "li": CubaLI(tau_syn=ones2 * 2e-3, tau_mem=ones2 * 4e-3, r=ones2 * 2.0, v_leak=ones2 * 0.4,
                       w_in=ones2 * 3.0),
          "output": Output([2])},
         chain("input", "fc", "li", "output"))
    save(p("li.nir"),
         {"input": Input([3]), "fc": Linear(W23), "li": LI(tau=ones2 * 5e-3, r=ones2 * 5.0, v_leak=ones2 * 1.0),
          "output": Output([2])},
         chain("input", "fc", "li", "output"))
    save(p("integrator.nir"),
         {"input": Input([3]), "fc": Linear(W23), "integ": I(r=ones2 * 500.0), "output": Output([2])},
         chain("input", "fc", "integ", "output"))
    save(p("scale.nir"),
         {"input": Input([3]), "scale": Scale([1.0, 2.0, 3.0]), "if": IF(r=np.ones(3) * 1000.0, v_threshold=np.ones(3)),
          "output": Output([3])},
         chain("input", "scale", "if", "output"))
    # Per-neuron thresholds: measured in units of each neuron's own threshold.
    save(p("thresholds.nir"),
         {"input": Input([3]), "fc": Linear(W23),
          "if": IF(r=ones2 * 1000.0, v_threshold=np.array([1.0, 4.0])), "output": Output([2])},
         chain("input", "fc", "if", "output"))
    conv_w = np.arange(18, dtype=F32).reshape(2, 1, 3, 3) / 10.0 - 0.8
    save(p("conv2d.nir"),
         {"input": Input([1, 4, 4]),
          "conv": Conv2d(conv_w, stride=[1, 1], padding=[1, 1], dilation=[1, 1], groups=1, bias=[0.5, 0.0],
                         input_shape=[4, 4]),
          "if": IF(r=np.array(1000.0), v_threshold=np.array([1.0])), "output": Output([2, 4, 4])},
         chain("input", "conv", "if", "output"))
    gw = np.array([[[[1, 0, 2], [0, 1, 0], [3, 0, 1]]], [[[0, 1, 0], [1, -1, 1], [0, 1, 0]]]], dtype=F32)
    save(p("conv2d_same_dilation_groups.nir"),
         {"input": Input([2, 5, 5]),
          "conv": Conv2d(gw, stride=1, padding="same", dilation=2, groups=2, bias=[0.0, 0.0]),
          "if": IF(r=np.array(1000.0), v_threshold=np.array([1.0])), "output": Output([2, 5, 5])},
         chain("input", "conv", "if", "output"))
    c1 = np.array([[[1, 0, -1], [0, 1, 0]], [[0.5, 0.5, 0.5], [1, 1, 1]], [[0, 0, 1], [1, 0, 0]]], dtype=F32)
    save(p("conv1d.nir"),
         {"input": Input([2, 6]), "conv": Conv1d(c1, stride=1, padding=1, dilation=1, groups=1, bias=[0, 0, 0]),
          "if": IF(r=np.array(1000.0), v_threshold=np.array([1.0])), "output": Output([3, 6])},
         chain("input", "conv", "if", "output"))
    save(p("pooling.nir"),
         {"input": Input([1, 4, 4]), "sum": Pool("SumPool2d", [2, 2], [2, 2], [0, 0]),
          "if1": IF(r=np.array(1000.0), v_threshold=np.array([1.0])), "avg": Pool("AvgPool2d", [2, 2], [2, 2], [0, 0]),
          "if2": IF(r=np.array(1000.0), v_threshold=np.array([0.2])), "output": Output([1, 1, 1])},
         chain("input", "sum", "if1", "avg", "if2", "output"))
    save(p("flatten.nir"),
         {"input": Input([1, 2, 2]), "if1": IF(r=np.array(1000.0), v_threshold=np.array([0.5])),
          "flat": Flatten(0, -1, input_type=[1, 2, 2]),
          "fc": Linear([[1, 0, 0, 0], [0, 1, 1, 0], [0, 0, 0, 1]]),
          "if2": IF(r=np.ones(3) * 1000.0, v_threshold=np.ones(3) * 0.5), "output": Output([3])},
         chain("input", "if1", "flat", "fc", "if2", "output"))
    save(p("delay.nir"),
         {"input": Input([3]), "fc": Linear(W23), "delay": Delay(np.array([2e-3, 2e-3])),
          "if": IF(r=ones2 * 1000.0, v_threshold=ones2), "output": Output([2])},
         chain("input", "fc", "delay", "if", "output"))
    save(p("threshold.nir"),
         {"input": Input([3]), "fc": Linear(W23), "th": Threshold(np.array([0.75, 0.75])), "output": Output([2])},
         chain("input", "fc", "th", "output"))
    # Two weight nodes in a row multiply out into one dense projection.
    save(p("chain.nir"),
         {"input": Input([3]), "a": Linear(W23), "b": Linear([[1.0, 1.0], [2.0, 0.0]]),
          "if": IF(r=ones2 * 1000.0, v_threshold=ones2), "output": Output([2])},
         chain("input", "a", "b", "if", "output"))
    # Output fed through weights: a readout population.
    save(p("linear_output.nir"),
         {"input": Input([3]), "if": IF(r=np.ones(3) * 1000.0, v_threshold=np.ones(3)), "fc": Linear(W23),
          "output": Output([2])},
         chain("input", "if", "fc", "output"))
    # snnTorch's RSynaptic: a nested graph with a recurrent Linear round a CubaLIF.
    rec = {"type": "NIRGraph",
           "nodes": {"input": Input([2]),
                     "lif": CubaLIF(tau_syn=ones2 * 2e-3, tau_mem=ones2 * 4e-3, r=ones2 * 4.0, v_leak=np.zeros(2),
                                    v_threshold=ones2, w_in=ones2 * 2.0),
                     "w_rec": Linear([[0.0, -0.5], [-0.5, 0.0]]), "output": Output([2])},
           "edges": [("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")]}
    save(p("nested.nir"),
         {"input": Input([3]), "fc1": Linear(W23), "rsyn": rec, "fc2": Linear([[1.0, 1.0]]),
          "lif": LIF(tau=np.array(1e-2), r=np.array(10.0), v_leak=np.array(0.0), v_threshold=np.array([1.0])),
          "output": Output([1])},
         chain("input", "fc1", "rsyn", "fc2", "lif", "output"))
    # The pre-1.0 layout: no v_reset, no w_in (NIR's defaults 0 and 1), version 0.2.0.
    save(p("old_layout.nir"),
         {"input": Input([3]), "fc": Linear(W23),
          "cuba": CubaLIF(tau_syn=ones2 * 2e-3, tau_mem=ones2 * 4e-3, r=ones2 * 2.0, v_leak=np.zeros(2),
                          v_threshold=ones2),
          "output": Output([2])},
         chain("input", "fc", "cuba", "output"), version="0.2.0")

    # ---- malformed files: each must give one clear error ---------------------------------
    good_lif = LIF(tau=ones2 * 1e-2, r=ones2 * 10.0, v_leak=np.zeros(2), v_threshold=ones2)
    base = {"input": Input([3]), "fc": Linear(W23), "lif": good_lif, "output": Output([2])}
    edges = chain("input", "fc", "lif", "output")

    def variant(name, **changes):
        nodes = dict(base)
        nodes.update(changes)
        save(p(name), nodes, edges)

    variant("bad_missing_field.nir", lif={k: v for k, v in good_lif.items() if k != "tau"})
    variant("bad_weight_shape.nir", fc=Linear(np.ones((2, 4))))
    variant("bad_param_shape.nir", lif=LIF(tau=np.ones(3) * 1e-2, r=ones2 * 10, v_leak=np.zeros(2), v_threshold=ones2))
    variant("bad_unknown_type.nir", lif={"type": "Spiky", "tau": ones2})
    variant("bad_tau_per_neuron.nir",
            lif=LIF(tau=np.array([1e-2, 2e-2]), r=ones2 * 10, v_leak=np.zeros(2), v_threshold=ones2))
    variant("bad_nan_weight.nir", fc=Linear([[1.0, np.nan, 0.0], [0.0, 1.0, 0.0]]))
    variant("bad_tau_below_dt.nir", lif=LIF(tau=ones2 * 1e-4, r=ones2, v_leak=np.zeros(2), v_threshold=ones2))
    variant("bad_threshold_below_reset.nir",
            lif=LIF(tau=ones2 * 1e-2, r=ones2 * 10, v_leak=np.zeros(2), v_threshold=ones2 * 0.5, v_reset=ones2))
    save(p("bad_edge.nir"), base, [("input", "fc"), ("fc", "lif"), ("lif", "outptu")])
    with h5py.File(p("bad_edges_not_pairs.nir"), "w") as f:
        f.create_dataset("version", data=VERSION, dtype=h5py.string_dtype())
        g = f.create_group("node")
        write_graph(g, base, edges)
        del g["edges"]
        g.create_dataset("edges", data=[("input", "fc", "lif")])
    # A loop of weight nodes with no neuron (and no delay): an algebraic loop.
    save(p("bad_cycle.nir"),
         {"input": Input([2]), "a": Linear(np.eye(2)), "b": Linear(np.eye(2)), "lif": good_lif, "output": Output([2])},
         [("input", "a"), ("a", "b"), ("b", "a"), ("a", "lif"), ("lif", "output")])
    save(p("bad_li_feeds_linear.nir"),
         {"input": Input([3]), "fc": Linear(W23), "li": LI(tau=ones2 * 1e-2, r=ones2, v_leak=np.zeros(2)),
          "fc2": Linear(np.eye(2)), "lif": good_lif, "output": Output([2])},
         chain("input", "fc", "li", "fc2", "lif", "output"))
    save(p("bad_same_even_kernel.nir"),
         {"input": Input([1, 4, 4]), "conv": Conv2d(np.ones((1, 1, 2, 2)), 1, "same", 1, 1, [0.0]),
          "if": IF(r=np.array(1000.0), v_threshold=np.array([1.0])), "output": Output([1, 4, 4])},
         chain("input", "conv", "if", "output"))
    save(p("bad_delay_fraction.nir"),
         {"input": Input([3]), "fc": Linear(W23), "delay": Delay(np.array(1.5e-3)),
          "if": IF(r=ones2 * 1000.0, v_threshold=ones2), "output": Output([2])},
         chain("input", "fc", "delay", "if", "output"))
    save(p("bad_no_version.nir"), base, edges, version=None)
    with h5py.File(p("bad_no_type.nir"), "w") as f:
        f.create_dataset("version", data=VERSION, dtype=h5py.string_dtype())
        g = f.create_group("node")
        write_graph(g, base, edges)
        del g["nodes/lif/type"]
    with h5py.File(p("bad_no_node.nir"), "w") as f:
        f.create_dataset("version", data=VERSION, dtype=h5py.string_dtype())
    with open(p("bad_not_hdf5.nir"), "w") as f:
        f.write("this is not an HDF5 file\n")


def snntorch_example():
    """snnTorch's export of Linear → Synaptic → Linear → Synaptic (snntorch/export_nir.py):
    tau = dt / (1 - decay) with snnTorch's dt = 1e-4, r = tau_mem / dt, w_in = tau_syn / dt,
    v_leak = 0, the threshold as a one-element array and alpha, beta as scalars. The weights
    are the trained 8×8-digit classifier of networks/digits-snn (64-64-10)."""
    out = os.path.join(ROOT, "networks", "snntorch-cubalif")
    os.makedirs(out, exist_ok=True)
    w = np.load(os.path.join(ROOT, "networks", "digits-snn", "weights.npz"))
    fc1, fc2 = w["fc1"].astype(F32), w["fc2"].astype(F32)
    dt, alpha, beta, thr = 1e-4, np.float32(0.5), np.float32(0.95), np.float32(2.0)

    def synaptic():
        tau_syn = dt / (1 - alpha)
        tau_mem = dt / (1 - beta)
        return CubaLIF(tau_syn=np.asarray(tau_syn, dtype=F32), tau_mem=np.asarray(tau_mem, dtype=F32),
                       r=np.asarray(tau_mem / dt, dtype=F32), v_leak=np.zeros((), dtype=F32),
                       v_threshold=np.array([thr], dtype=F32), w_in=np.asarray(tau_syn / dt, dtype=F32))

    save(os.path.join(out, "model.nir"),
         {"input": Input([fc1.shape[1]]), "fc1": Linear(fc1), "lif1": synaptic(), "fc2": Linear(fc2),
          "lif2": synaptic(), "output": Output([fc2.shape[0]])},
         chain("input", "fc1", "lif1", "fc2", "lif2", "output"))


if __name__ == "__main__":
    os.makedirs(FIX, exist_ok=True)
    fixtures()
    snntorch_example()
    print("wrote", len(os.listdir(FIX)), "fixtures to", FIX, file=sys.stderr)
