"""``python -m bench``: one parameter-shift gradient step on qoro.maestro and its peers.

For n = 8, 12, 16 qubits (``--n20`` adds 20), analytic and with 1000 shots, every row of
``bench/peers.py`` runs the workload's gradient step; rows are timed round-robin (one step of
each row per round, after one warm-up step each), so load from other processes hits all rows
alike, and the median over ``--reps`` rounds is reported with ratios of qoro.maestro to every
peer and to the floor. Analytic mode adds ``lightning.qubit`` with ``diff_method="adjoint"``,
labelled as a different algorithm (one forward and one backward sweep, no shifted tapes; it
has no sampled form). For the qoro rows the client's counters give jobs, HTTP requests, status
polls and uploaded bytes per step, and one extra tracked step gives jobs per batch. Then the
upload size of the n = 16 gradient batch on the template and the bound path
(``bench/payload.py``) and the 1-circuit 4-qubit latency (``bench/latency.py``).

Writes ``bench/results/bench_results.json`` and ``bench/results/bench_scaling.png``
(gitignored); with ``--publish`` also ``docs/bench_results.json`` and
``docs/bench_scaling.png`` (committed, shown in the README). ``--quick``: n = 4, one round,
a smoke run for tests and CI.

Never asserts a time; goals are reported as held or missed.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pennylane as qml

from . import latency, payload, peers, report
from .timing import machine
from .workload import cost_qnode, initial_params

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOCS = ROOT / "docs"
SIZES = (8, 12, 16)
SHOTS = 1000


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="qubit counts")
    parser.add_argument("--n20", action="store_true", help="also n = 20 (several minutes)")
    parser.add_argument("--reps", type=int, default=5, help="timed rounds (median reported)")
    parser.add_argument("--shots", type=int, default=SHOTS, help="shots of the sampled run")
    parser.add_argument("--no-shots", action="store_true", help="skip the sampled run")
    parser.add_argument("--latency-reps", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="smoke run: n = 4, one round")
    parser.add_argument("--out", type=Path, default=RESULTS, help="output directory")
    parser.add_argument("--publish", action="store_true", help="also write into docs/")
    parser.add_argument("--no-plot", action="store_true")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.reps, args.latency_reps = [4], 1, 10
    elif args.n20 and 20 not in args.sizes:
        args.sizes.append(20)
    args.sizes = sorted(set(args.sizes))
    return args


def _counters(row: peers.Row) -> dict[str, int] | None:
    stats = row.stats
    return stats.snapshot() if stats is not None else None


def _tracked_step(row: peers.Row) -> dict[str, Any]:
    """One untimed step under ``qml.Tracker``: jobs and circuits of each batch."""
    with qml.Tracker(row.device) as tracker:
        row.step()
    history = tracker.history
    batches = [
        {"tapes": t, "jobs": j, "circuits": c}
        for t, j, c in zip(
            history.get("batch_len", []),
            history.get("jobs", []),
            history.get("circuits", []),
            strict=False,
        )
    ]
    gradient = max(batches, key=lambda b: b["tapes"]) if batches else {}
    return {
        "batches": batches,
        "jobs_per_gradient_batch": gradient.get("jobs"),
        "circuits_per_gradient_batch": gradient.get("circuits"),
    }


def _grad_error(value: Any, reference: Any) -> float | None:
    if value is None or reference is None:
        return None
    return float(np.max(np.abs(np.asarray(value) - np.asarray(reference))))


def measure(rows: list[peers.Row], reps: int) -> dict[str, dict[str, Any]]:
    """Warm up every row, then ``reps`` rounds of one step per row; medians and counters."""
    out: dict[str, dict[str, Any]] = {}
    grads: dict[str, Any] = {}
    for row in rows:  # warm-up: imports, JIT, the service's first job, thread pools
        value = row.step()
        grads[row.name] = None if row.is_floor else value
    before = {row.name: _counters(row) for row in rows}
    times: dict[str, list[float]] = {row.name: [] for row in rows}
    for _ in range(reps):
        for row in rows:
            start = time.perf_counter()
            row.step()
            times[row.name].append(time.perf_counter() - start)
    reference = grads.get(peers.LIGHTNING)
    for row in rows:
        entry: dict[str, Any] = {
            "median_s": statistics.median(times[row.name]),
            "times_s": times[row.name],
            "notes": row.notes,
        }
        if not row.is_floor:
            entry["grad_max_abs_diff_vs_lightning"] = _grad_error(grads[row.name], reference)
        after = _counters(row)
        if after is not None:
            entry["per_step"] = {
                key: (after[key] - before[row.name][key]) / reps
                for key in ("jobs", "requests", "polls", "bytes_sent")
            }
            entry.update(_tracked_step(row))
            transport = getattr(row.device.client, "_http", None)
            entry["gzip_requests"] = bool(getattr(transport, "gzip_requests", False))
        out[row.name] = entry
    return out


def adjoint_row(n: int) -> peers.Row:
    """``lightning.qubit`` adjoint: not parameter-shift, so a reference point, not a peer."""
    dev = qml.device(peers.LIGHTNING, wires=n)
    grad = qml.grad(cost_qnode(dev, n, None, diff_method="adjoint"))
    params = initial_params(n)
    return peers.Row(report.LIGHTNING_ADJOINT, lambda: grad(params), device=dev,
                     notes=["adjoint differentiation: a different algorithm"])


def run_mode(args: argparse.Namespace, url: str, token: str, shots: int | None,
             device_grad: bool, skipped: dict[str, list[str]]) -> dict[str, Any]:
    """All sizes for one shot setting; peers left out are added to ``skipped``."""
    mode: dict[str, Any] = {}
    for n in args.sizes:
        rows = peers.build_rows(n, shots, url, token, device_grad=device_grad)
        if shots is None:  # next to lightning.qubit's parameter-shift row
            at = next(i for i, r in enumerate(rows) if r.name == peers.LIGHTNING) + 1
            rows.insert(at, adjoint_row(n))
        label = "analytic" if shots is None else f"shots={shots}"
        print(f"  n = {n:2d}, {label}:", flush=True)
        mode[str(n)] = measure(rows, args.reps)
        for name, entry in mode[str(n)].items():
            print(f"    {name:<48} {entry['median_s'] * 1e3:9.1f} ms", flush=True)
        for name, why in peers.skipped(n, shots).items():
            print(f"    {name:<48} left out: {why}", flush=True)
            skipped.setdefault(name, []).append(f"n={n} {label}: {why}")
    return mode


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; returns the results dict (also written as JSON)."""
    args = _args(argv)
    warnings.filterwarnings("ignore", message=".*embedded.*")
    from pennylane_qoro.local import start

    started = time.perf_counter()
    url, token = start()
    device_grad = peers.device_gradients_supported(max(args.sizes), url, token)
    print(f"machine: {machine()}")
    results: dict[str, Any] = {
        "machine": machine(),
        "config": {
            "sizes": args.sizes,
            "reps": args.reps,
            "shots": None if args.no_shots else args.shots,
            "quick": args.quick,
            "workload": "qml.grad (parameter-shift) of sum Z_i Z_i+1 + 0.5 sum X_i, "
            "RY/RZ layers + CNOT ladder, 3 layers",
        },
        "device_gradient_row": device_grad,
        "modes": {},
    }
    if not device_grad:
        results["notes"] = [
            'qoro.maestro with diff_method="device" is not offered by QoroDevice yet '
            "(supports_derivatives is False): its row is absent"
        ]
    print("gradient steps (median of the timed rounds):", flush=True)
    skipped: dict[str, list[str]] = {}
    results["modes"]["analytic"] = run_mode(args, url, token, None, device_grad, skipped)
    if not args.no_shots:
        results["modes"][f"shots={args.shots}"] = run_mode(args, url, token, args.shots,
                                                            device_grad, skipped)
    results["left_out"] = skipped
    n_payload = 16 if 16 in args.sizes else max(args.sizes)
    print(f"upload size of the n = {n_payload} gradient batch", flush=True)
    qoro = results["modes"]["analytic"][str(n_payload)][peers.QORO]
    results["payload"] = payload.payload_sizes(n_payload, gzip_bodies=qoro["gzip_requests"])
    print("1-circuit 4-qubit latency", flush=True)
    results["latency"] = latency.measure_latency(url, token, args.latency_reps)
    results["goals"] = report.goals(results)
    results["wall_time_s"] = time.perf_counter() - started
    report.print_tables(results)
    report.write(results, args.out, plot=not args.no_plot)
    if args.publish:
        report.write(results, DOCS, plot=not args.no_plot)
    return results


def main(argv: list[str] | None = None) -> None:
    run(argv)
