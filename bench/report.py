"""Goals, printed tables, the JSON file and the scaling plot of ``python -m bench``.

Pure formatting of the results dict built by ``bench/run.py``; matplotlib (Agg backend) is
imported only to draw the plot. Goals are the issue's targets, each reported with its measured
value and ``held`` / ``missed`` / ``not measured``; nothing is asserted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import peers

JSON_NAME = "bench_results.json"
PLOT_NAME = "bench_scaling.png"
#: Analytic mode only. Adjoint differentiation is not parameter-shift: printed in the table as
#: a reference point, left out of the parameter-shift figure.
LIGHTNING_ADJOINT = "lightning.qubit [adjoint] (different algorithm)"

PEERS = (
    peers.MAESTRO_QUBIT,
    peers.LIGHTNING,
    peers.DEFAULT,
    peers.FLOOR_SERIAL,
    peers.FLOOR_THREADED,
    LIGHTNING_ADJOINT,
)


def _median(results: dict, mode: str, n: int, row: str) -> float | None:
    entry = results["modes"].get(mode, {}).get(str(n), {}).get(row)
    return None if entry is None else entry["median_s"]


def _ratio(results: dict, mode: str, n: int, row: str, peer: str) -> float | None:
    a, b = _median(results, mode, n, row), _median(results, mode, n, peer)
    return None if a is None or b is None else a / b


def _jobs_per_gradient_batch(results: dict) -> float | None:
    """The largest jobs-per-gradient-batch over every mode and size (goal: exactly 1)."""
    counts = [
        entry["jobs_per_gradient_batch"]
        for mode in results["modes"].values()
        for rows in mode.values()
        for name, entry in rows.items()
        if name == peers.QORO and entry.get("jobs_per_gradient_batch") is not None
    ]
    return max(counts) if counts else None


def _goal(name: str, value: float | None, target: float, check: Callable[[float], bool],
          unit: str = "") -> dict[str, Any]:
    status = "not measured" if value is None else ("held" if check(value) else "missed")
    return {"goal": name, "value": value, "target": target, "unit": unit, "status": status}


def goals(results: dict) -> list[dict[str, Any]]:
    """The issue's goals against this run's numbers (analytic mode for the step ratios)."""
    a = "analytic"
    payload = results.get("payload", {})
    ratio = payload.get("ratio_as_sent") if payload.get("n") == 16 else None
    latency = results.get("latency", {}).get("device_ms")
    s = "shots=1000"
    return [
        _goal("n=16 step: qoro.maestro / lightning.qubit",
              _ratio(results, a, 16, peers.QORO, peers.LIGHTNING), 0.5, lambda v: v <= 0.5),
        _goal("n=16 step: qoro.maestro [device] / lightning.qubit",
              _ratio(results, a, 16, peers.QORO_DEVICE_GRAD, peers.LIGHTNING), 0.35,
              lambda v: v <= 0.35),
        _goal("n=16 step, shots: qoro.maestro / raw Maestro on threads",
              _ratio(results, s, 16, peers.QORO, peers.FLOOR_THREADED), 1.2, lambda v: v <= 1.2),
        _goal("n=16 step, shots: qoro.maestro / lightning.qubit",
              _ratio(results, s, 16, peers.QORO, peers.LIGHTNING), 0.5, lambda v: v <= 0.5),
        _goal("n=16 step: qoro.maestro / maestro.qubit",
              _ratio(results, a, 16, peers.QORO, peers.MAESTRO_QUBIT), 0.55,
              lambda v: v <= 0.55),
        _goal("n=16 step: qoro.maestro / raw Maestro on threads",
              _ratio(results, a, 16, peers.QORO, peers.FLOOR_THREADED), 1.3, lambda v: v <= 1.3),
        _goal("n=8 step: qoro.maestro / lightning.qubit",
              _ratio(results, a, 8, peers.QORO, peers.LIGHTNING), 1.0, lambda v: v <= 1.0),
        _goal("jobs per gradient batch (every mode and n)", _jobs_per_gradient_batch(results),
              1, lambda v: v == 1),
        _goal("n=16 upload: template path / bound path (bytes as sent)", ratio, 1 / 20,
              lambda v: v <= 1 / 20),
        _goal("1-circuit 4-qubit latency, qoro.maestro QNode (median)", latency, 20.0,
              lambda v: v <= 20.0, "ms"),
    ]


def _fmt_ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.0f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _mode_table(results: dict, mode: str) -> list[str]:
    sizes = sorted(int(n) for n in results["modes"][mode])
    names: list[str] = []
    for n in sizes:
        names += [r for r in results["modes"][mode][str(n)] if r not in names]
    width = max(32, *(len(name) + 1 for name in names),
                *(len(peer) + 5 for peer in PEERS if peer in names))
    head = " " * (width + 2) + "".join(f"{f'n={n}':>10}" for n in sizes)
    lines = [f"{mode}: median ms per gradient step ({results['config']['reps']} rounds)", head]
    for name in names:
        cells = "".join(f"{_fmt_ms(_median(results, mode, n, name)):>10}" for n in sizes)
        lines.append(f"  {name:<{width}}{cells}")
    for row in (peers.QORO, peers.QORO_DEVICE_GRAD):
        if row not in names:
            continue
        lines.append(f"  {row} / peer")
        for peer in PEERS:
            if peer in names:
                cells = "".join(
                    f"{_fmt_ratio(_ratio(results, mode, n, row, peer)):>10}" for n in sizes
                )
                lines.append(f"    / {peer:<{width - 4}}{cells}")
    lines += _count_lines(results, mode, sizes, names)
    return lines


def _count_lines(results: dict, mode: str, sizes: list[int], names: list[str]) -> list[str]:
    lines = []
    for row in (peers.QORO, peers.QORO_DEVICE_GRAD):
        if row not in names:
            continue
        lines.append(f"  {row} per step: jobs / HTTP requests / status polls / kB uploaded;"
                     " jobs and circuits of the gradient batch; max |grad - lightning|")
        for n in sizes:
            e = results["modes"][mode][str(n)].get(row)
            if e is None or "per_step" not in e:
                continue
            s = e["per_step"]
            err = e.get("grad_max_abs_diff_vs_lightning")
            lines.append(
                f"    n={n:<3} {s['jobs']:5.1f} / {s['requests']:5.1f} / {s['polls']:5.1f} / "
                f"{s['bytes_sent'] / 1e3:8.1f};   {e['jobs_per_gradient_batch']} job, "
                f"{e['circuits_per_gradient_batch']} circuits;   "
                f"{'-' if err is None else f'{err:.1e}'}"
            )
    return lines


def print_tables(results: dict) -> None:
    """Print every table and the goals."""
    print()
    for mode in results["modes"]:
        print("\n".join(_mode_table(results, mode)))
        print()
    p = results.get("payload")
    if p:
        print(f"upload of the n={p['n']} gradient batch ({p['rows']} rows x {p['parameters']} "
              "parameters), add_circuits bodies:")
        print(f"  template path {p['template_bytes']:>9} B   bound path {p['bound_bytes']:>9} B"
              f"   ratio {p['ratio']:.3f}")
        print(f"  gzip request  {p['template_bytes_gzip']:>9} B   gzip request "
              f"{p['bound_bytes_gzip']:>9} B   ratio {p['ratio_gzip']:.3f}")
        print(f"  as the client sends them: ratio {p['ratio_as_sent']:.3f}"
              f" ({'gzip' if p.get('client_gzip') else 'plain'} bodies)")
    lat = results.get("latency")
    if lat:
        print("1-circuit 4-qubit job, median ms: "
              + ", ".join(f"{k[:-3]} {v:.1f}" for k, v in lat.items()))
    print()
    print("goals:")
    for g in results.get("goals", []):
        value = "-" if g["value"] is None else f"{g['value']:.3g}{g['unit']}"
        print(f"  [{g['status']:>12}] {g['goal']}: {value} (target {g['target']:.3g}"
              f"{g['unit']})")
    if "wall_time_s" in results:
        print(f"wall time {results['wall_time_s']:.0f} s")


def write(results: dict, directory: Path, *, plot: bool = True) -> list[Path]:
    """Write the JSON (and the PNG) into ``directory``; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / JSON_NAME
    path.write_text(json.dumps(results, indent=1, default=_jsonable) + "\n")
    written = [path]
    if plot:
        written.append(plot_scaling(results, directory / PLOT_NAME))
    return written


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def plot_scaling(results: dict, path: Path) -> Path:
    """Time per step against n, one line per row, one panel per shot setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(results["modes"])
    # every row keeps its colour in every panel; one legend below the panels covers no point
    rows: list[str] = []
    for mode in modes:
        for by_row in results["modes"][mode].values():
            # the adjoint row is not a parameter-shift step: table only
            rows += [r for r in by_row if r not in rows and r != LIGHTNING_ADJOINT]
    colours = {row: f"C{i % 10}" for i, row in enumerate(rows)}
    fig, axes = plt.subplots(1, len(modes), figsize=(5.5 * len(modes), 4.8), squeeze=False)
    for ax, mode in zip(axes[0], modes, strict=True):
        data = results["modes"][mode]
        sizes = sorted(int(n) for n in data)
        for name in rows:
            xs = [n for n in sizes if name in data[str(n)]]
            if not xs:
                continue
            ys = [data[str(n)][name]["median_s"] for n in xs]
            style = "--" if name.startswith("floor") else "-"
            width = 2.5 if name.startswith(peers.QORO) else 1.3
            ax.plot(xs, ys, style, marker="o", linewidth=width, label=name,
                    color=colours[name])
        ax.set_yscale("log")
        ax.set_xticks(sizes)
        ax.set_xlabel("qubits n")
        ax.set_ylabel("seconds per gradient step (median)")
        ax.set_title(f"parameter-shift step, {mode}")
        ax.grid(True, which="both", alpha=0.3)
    handles = {}
    for ax in axes[0]:
        for line in ax.get_lines():
            handles.setdefault(line.get_label(), line)
    fig.legend(list(handles.values()), list(handles), loc="lower center",
               ncol=min(4, len(handles)), fontsize=8, frameon=False)
    cores = results.get("machine", {}).get("cores")
    fig.suptitle(f"qoro.maestro (embedded service) vs peers, same run, {cores} cores", fontsize=10)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> None:
    """Redraw the scaling plot from a saved results file, without rerunning the benchmark:
    ``python -m bench.report [docs/bench_results.json]`` writes ``bench_scaling.png`` next to it.
    """
    import sys

    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0] if args else Path(__file__).resolve().parent.parent / "docs" / JSON_NAME)
    out = plot_scaling(json.loads(source.read_text()), source.with_name(PLOT_NAME))
    print(f"plot written: {out}")


if __name__ == "__main__":
    main()
