"""Smoke test of the scale bench at a tiny size: ``python -m bench scale --wires 6 --layers 1``.

Runs the script as a user would, in a subprocess from the repository root, against the real
embedded service (Maestro's MPS method) and PennyLane's ``default.tensor`` (quimb), then reads
the JSON it wrote. It checks the rows, the settings it records, the jobs per step and that the
two MPS simulators give the same gradient; it never looks at a time (style.md rule 14).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

pytest.importorskip(
    "quimb", reason="default.tensor needs quimb (the bench and test extras install it)"
)

ROOT = Path(__file__).resolve().parents[2]
WIRES, LAYERS = 6, 1
ROWS = ("qoro.maestro [parameter-shift]", "qoro.maestro [device]",
        "default.tensor [parameter-shift]")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str]:
    out = tmp_path_factory.mktemp("scale")
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "scale", "--wires", str(WIRES), "--layers", str(LAYERS),
         "--rounds", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads((out / "scale_results.json").read_text()), proc.stdout


def test_settings_are_recorded(run: tuple[dict, str]) -> None:
    results, stdout = run
    s = results["settings"]
    assert (s["wires"], s["layers"], s["parameters"]) == (WIRES, LAYERS, 2 * WIRES * LAYERS)
    assert s["tapes_per_parameter_shift_step"] == 1 + 2 * s["parameters"]
    assert s["qoro.maestro"]["method"] == "mps" and s["qoro.maestro"]["max_bond_dimension"] == 16
    assert s["default.tensor"]["method"] == "mps" and s["default.tensor"]["max_bond_dim"] == 16
    assert s["cost_bonds"] == [0, 2, 4]
    assert "machine" in results and "machine:" in stdout


def test_every_row_and_the_jobs_per_step(run: tuple[dict, str]) -> None:
    results, stdout = run
    rows = results["rows"]
    assert tuple(rows) == ROWS
    for name, row in rows.items():
        assert row["median_s"] > 0 and name in stdout
    # parameter-shift: one job for the forward pass, one for the shifted batch
    assert rows[ROWS[0]]["per_step"]["jobs"] == 2
    assert rows[ROWS[1]]["per_step"]["jobs"] == 1  # device derivatives: the whole step


def test_gradients_agree_with_default_tensor(run: tuple[dict, str]) -> None:
    results, stdout = run
    for name in ROWS[:2]:
        assert results["rows"][name]["grad_max_abs_diff_vs_default_tensor"] < 1e-10, name
    assert results["agreement"] == {ROWS[0]: True, ROWS[1]: True}
    assert results["rows"][ROWS[2]]["grad_nonzero"] > 0  # the comparison is not vacuous
    assert "MISSED" not in stdout
