"""Smoke test of the benchmark harness: ``python -m bench --quick`` (n = 4, one round).

Runs the harness as a user would, in a subprocess from the repository root, against the real
embedded service, Maestro and PennyLane devices, then reads the JSON it wrote. It checks that
every row is there and that the counts are what one gradient step must cost; it never looks at
a time (style.md rule 14).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
N = 4
PARAMS = 2 * N * 3  # RY and RZ per qubit per layer, 3 layers
PEERS = ("maestro.qubit", "lightning.qubit", "default.qubit")
FLOORS = ("floor: Maestro serial", "floor: Maestro threads")
# analytic only: adjoint differentiation has no sampled form, and is not parameter-shift
ADJOINT = "lightning.qubit [adjoint] (different algorithm)"
GOALS = 10

pytest.importorskip("pennylane_lightning")
pytest.importorskip("pennylane_maestro")
pytest.importorskip("matplotlib")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, str]:
    out = tmp_path_factory.mktemp("bench")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--latency-reps", "5", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "bench_results.json").read_text()), out, proc.stdout


def test_files_and_table(run: tuple[dict, Path, str]) -> None:
    results, out, stdout = run
    assert (out / "bench_scaling.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "qoro.maestro / peer" in stdout and "goals:" in stdout
    assert f"  {ADJOINT} " in stdout  # the table's time row, with its label
    assert results["config"]["sizes"] == [N] and results["config"]["reps"] == 1


def test_every_row_in_every_mode(run: tuple[dict, Path, str]) -> None:
    results, _, _ = run
    assert set(results["modes"]) == {"analytic", "shots=1000"}
    expected = {"qoro.maestro", *PEERS, *FLOORS}
    if results["device_gradient_row"]:
        expected.add("qoro.maestro [device]")
    for name, mode in results["modes"].items():
        rows = mode[str(N)]
        assert set(rows) == (expected | {ADJOINT} if name == "analytic" else expected), name
        for entry in rows.values():
            assert len(entry["times_s"]) == 1 and entry["median_s"] > 0


def test_one_job_per_gradient_batch(run: tuple[dict, Path, str]) -> None:
    results, _, _ = run
    for name, mode in results["modes"].items():
        qoro = mode[str(N)]["qoro.maestro"]
        step = qoro["per_step"]
        # qml.grad runs the forward tape, then the parameter-shift batch: one job each.
        assert step["jobs"] == 2
        assert qoro["jobs_per_gradient_batch"] == 1
        groups = 1 if name == "analytic" else 2  # sampled: ZZ terms and X terms (two bases)
        assert qoro["circuits_per_gradient_batch"] == 2 * PARAMS * groups
        assert [b["jobs"] for b in qoro["batches"]] == [1, 1]
        # Each job: init, one add_circuits per template (one per measurement basis); then either
        # the finalizing add_circuits answers with the results inline (the local service's
        # wait extension: no poll, no results page) or the job is polled and one results page
        # (< 100 rows) is read.
        jobs, polls = step["jobs"], step["polls"]
        assert (1 + groups) * jobs + polls <= step["requests"] <= (2 + groups) * jobs + polls
        assert step["bytes_sent"] > 0


def test_device_gradient_row_is_one_job(run: tuple[dict, Path, str]) -> None:
    results, _, _ = run
    assert results["device_gradient_row"], "QoroDevice supports diff_method='device'"
    for mode in results["modes"].values():
        row = mode[str(N)]["qoro.maestro [device]"]
        assert row["per_step"]["jobs"] == 1
        assert row["jobs_per_gradient_batch"] == 1


def test_analytic_gradients_agree_with_lightning(run: tuple[dict, Path, str]) -> None:
    results, _, _ = run
    for name, entry in results["modes"]["analytic"][str(N)].items():
        if not name.startswith("floor"):
            assert entry["grad_max_abs_diff_vs_lightning"] < 1e-9, name


def test_payload_latency_and_goals(run: tuple[dict, Path, str]) -> None:
    results, _, _ = run
    p = results["payload"]
    assert p["n"] == N and p["rows"] == 2 * PARAMS and p["parameters"] == PARAMS
    assert 0 < p["template_bytes_gzip"] < p["template_bytes"]
    assert p["bound_bytes"] > 0 and p["bound_requests"] >= 1
    assert p["ratio_as_sent"] == (p["ratio_gzip"] if p["client_gzip"] else p["ratio"])
    assert set(results["latency"]) == {"direct_ms", "service_ms", "client_ms", "device_ms"}
    assert len(results["goals"]) == GOALS
    statuses = {g["status"] for g in results["goals"]}
    assert statuses <= {"held", "missed", "not measured"}
    by_name = {g["goal"]: g for g in results["goals"]}
    assert by_name["jobs per gradient batch (every mode and n)"]["status"] == "held"
