"""Scale row (issue 19): a 50-qubit MPS gradient step on qoro.maestro against default.tensor.

``python -m bench scale`` times one ``qml.grad`` step of the same QNode on

- ``qoro.maestro`` on the embedded service, ``method="mps"``, ``max_bond_dimension=16``, with
  PennyLane's ``"parameter-shift"`` transform and with ``diff_method="device"``;
- PennyLane's ``default.tensor`` (quimb), ``method="mps"``, ``max_bond_dim=16``, with
  ``"parameter-shift"`` (its only gradient method for this circuit);

rows timed round-robin in the same run (``bench/small_calls.py::interleaved``: one step of each
row per round, order rotated, medians reported), so load from other processes hits every row
alike; on a shared machine the ratios count, not the absolute times.

Circuit (defaults): 50 qubits, 2 layers of RY and RZ on every qubit followed by a CNOT ladder,
so 2 x 2 x 50 = 200 trainable parameters and 401 tapes per parameter-shift step. A CNOT ladder
at most doubles every bond per layer, so 2 layers need bond dimension 4: chi = 16 holds the
state without truncation and both simulators must give the same gradient up to rounding
(``GRAD_TOL``). Cost: ``sum_k Z_k Z_{k+1}`` over ``--terms`` bonds spread evenly along the
chain (default 3: the first, middle and last bond). Each term costs default.tensor one
contraction of the whole MPS per tape (measured: 0.12 s per 50-qubit tape with 3 terms,
0.43 s with all 49), so a few local terms keep the run to minutes.

Writes ``bench/results/scale_results.json`` (``--out`` for another folder); asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qml

from .small_calls import interleaved
from .timing import machine

RESULTS = Path(__file__).resolve().parent / "results"
QORO_PS = "qoro.maestro [parameter-shift]"
QORO_DEVICE = "qoro.maestro [device]"
TENSOR = "default.tensor [parameter-shift]"
#: chi = 16 is exact for this circuit (bond dimension <= 2**layers), so only rounding differs.
GRAD_TOL = 1e-8


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench scale",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--wires", type=int, default=50, help="qubits")
    parser.add_argument("--layers", type=int, default=2, help="RY+RZ layers, each + CNOT ladder")
    parser.add_argument("--bond", type=int, default=16, help="MPS bond-dimension cap, both devices")
    parser.add_argument("--terms", type=int, default=3, help="Z_k Z_k+1 terms in the cost")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds (median reported)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="output directory")
    args = parser.parse_args(argv)
    if args.wires < 2 or args.layers < 1 or args.bond < 1 or args.rounds < 1:
        parser.error("--wires must be >= 2 and --layers, --bond, --rounds >= 1")
    if not 1 <= args.terms <= args.wires - 1:
        parser.error(f"--terms must be between 1 and wires - 1 = {args.wires - 1}")
    return args


def bonds(n: int, terms: int) -> list[int]:
    """``terms`` bonds (k, k+1) spread evenly from the first to the last one."""
    return sorted(set(np.rint(np.linspace(0, n - 2, terms)).astype(int).tolist()))


def cost_qnode(dev, n: int, layers: int, terms: int, diff_method: str):
    """RY/RZ layers with CNOT ladders; ``expval`` of ``sum Z_k Z_k+1`` over :func:`bonds`."""
    ks = bonds(n, terms)
    h = qml.Hamiltonian([1.0] * len(ks), [qml.Z(k) @ qml.Z(k + 1) for k in ks])

    @qml.qnode(dev, diff_method=diff_method)
    def cost(params):
        for layer in range(layers):
            for w in range(n):
                qml.RY(params[layer, 0, w], wires=w)
                qml.RZ(params[layer, 1, w], wires=w)
            for w in range(n - 1):
                qml.CNOT(wires=[w, w + 1])
        return qml.expval(h)

    return cost


def devices(args: argparse.Namespace, url: str, token: str) -> dict[str, tuple[Any, str]]:
    """Row name -> (device, diff_method), with exactly the settings the README quotes."""
    def qoro():
        return qml.device("qoro.maestro", wires=args.wires, url=url, api_key=token,
                          method="mps", max_bond_dimension=args.bond)

    tensor = qml.device("default.tensor", wires=args.wires, method="mps",
                        max_bond_dim=args.bond)
    return {QORO_PS: (qoro(), "parameter-shift"), QORO_DEVICE: (qoro(), "device"),
            TENSOR: (tensor, "parameter-shift")}


def measure(args: argparse.Namespace, url: str, token: str) -> dict[str, Any]:
    """One warm-up step per row, then ``rounds`` round-robin rounds; medians and gradients."""
    rng = np.random.default_rng(11)
    params = qml.numpy.array(rng.uniform(0, 2 * np.pi, (args.layers, 2, args.wires)),
                             requires_grad=True)
    grads: dict[str, np.ndarray] = {}
    calls = {}
    devs = devices(args, url, token)
    for name, (dev, method) in devs.items():
        grad = qml.grad(cost_qnode(dev, args.wires, args.layers, args.terms, method))
        calls[name] = lambda name=name, grad=grad: grads.__setitem__(name, grad(params))
    before = {name: dev.client.stats.snapshot() for name, (dev, _) in devs.items()
              if name != TENSOR}
    medians = interleaved(calls, args.rounds, warmup=1)
    steps = args.rounds + 1
    rows: dict[str, Any] = {}
    for name, median in medians.items():
        rows[name] = {"median_s": median, "diff_method": devs[name][1]}
        if name in before:
            after = devs[name][0].client.stats.snapshot()
            rows[name]["per_step"] = {k: (after[k] - before[name][k]) / steps
                                      for k in ("jobs", "requests")}
            diff = np.max(np.abs(np.asarray(grads[name]) - np.asarray(grads[TENSOR])))
            rows[name]["grad_max_abs_diff_vs_default_tensor"] = float(diff)
            rows[name]["ratio_to_default_tensor"] = median / medians[TENSOR]
    reference = np.abs(np.asarray(grads[TENSOR]))
    # the cost's light cone: how many entries the agreement check actually compares
    rows[TENSOR]["grad_max_abs"] = float(reference.max())
    rows[TENSOR]["grad_nonzero"] = int(np.sum(reference > 1e-9))
    return rows


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """Everything needed to rerun the row exactly."""
    return {
        "wires": args.wires, "layers": args.layers, "parameters": 2 * args.layers * args.wires,
        "tapes_per_parameter_shift_step": 1 + 4 * args.layers * args.wires,
        "cost_bonds": bonds(args.wires, args.terms), "rounds": args.rounds, "warmup": 1,
        "qoro.maestro": {"method": "mps", "max_bond_dimension": args.bond,
                         "service": "embedded local service"},
        "default.tensor": {"method": "mps", "max_bond_dim": args.bond,
                           "contract": "auto-mps", "cutoff": None, "c_dtype": "complex128"},
        "circuit": f"{args.layers} x (RY and RZ on every qubit, CNOT ladder)",
    }


def print_rows(res: dict[str, Any]) -> None:
    s = res["settings"]
    print(f"{s['wires']} qubits, {s['parameters']} parameters, bond dimension "
          f"{s['qoro.maestro']['max_bond_dimension']}, cost sum Z_k Z_k+1 for k in "
          f"{s['cost_bonds']}; median of {s['rounds']} rounds (load {res['loadavg']})")
    for name, row in res["rows"].items():
        line = f"  {name:<34} {row['median_s']:9.3f} s"
        if "grad_nonzero" in row:
            line += (f"  gradient: {row['grad_nonzero']} nonzero entries, "
                     f"max |grad| {row['grad_max_abs']:.2f}")
        if "ratio_to_default_tensor" in row:
            line += (f"  {row['ratio_to_default_tensor']:6.3f}x default.tensor  "
                     f"{row['per_step']['jobs']:.0f} job(s)/step  max |grad - default.tensor| "
                     f"{row['grad_max_abs_diff_vs_default_tensor']:.1e}")
        print(line, flush=True)
    for name, held in res["agreement"].items():
        print(f"  [{'held' if held else 'MISSED'}] {name}: gradient within {GRAD_TOL:g} "
              "of default.tensor")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = _args(argv)
    warnings.filterwarnings("ignore", message=".*embedded.*")
    import quimb  # noqa: F401  (default.tensor needs it: a clear ImportError here, not later)

    from pennylane_qoro.local import start

    url, token = start()
    print(f"machine: {machine()}", flush=True)
    res: dict[str, Any] = {"machine": machine(), "settings": settings(args),
                           "loadavg": [round(x, 2) for x in os.getloadavg()]}
    res["rows"] = measure(args, url, token)
    res["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    res["agreement"] = {name: row["grad_max_abs_diff_vs_default_tensor"] <= GRAD_TOL
                        for name, row in res["rows"].items()
                        if "grad_max_abs_diff_vs_default_tensor" in row}
    print_rows(res)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scale_results.json").write_text(json.dumps(res, indent=1) + "\n")
    return res


if __name__ == "__main__":
    main()
