"""Smoke test of ``python -m bench noise`` at a tiny size (3 wires, one layer, one round).

Runs the script as a user would, in a subprocess from the repository root, against the real
embedded service, Maestro and ``default.mixed``, and reads what it prints: the header, one row
per device (both ``qoro.maestro`` ways and both ``default.mixed`` ways), gradients that agree
with ``default.mixed`` + ``qml.add_noise`` far below how much the noise moves them. It never
looks at a time (style.md rule 14).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
N, LAYERS = 3, 1
ROWS = (
    "qoro.maestro device derivatives (1 job)",
    "qoro.maestro parameter-shift transform",
    "default.mixed + add_noise, backprop",
    "default.mixed + add_noise, parameter-shift",
)


@pytest.fixture(scope="module")
def stdout() -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "noise", "--wires", str(N), "--layers", str(LAYERS),
         "--rounds", "1"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-3000:]}"
    return proc.stdout


def _rows(stdout: str) -> dict[str, float]:
    """Device name -> its ``max |dgrad|`` against default.mixed backprop."""
    found = {}
    for name in ROWS:
        m = re.search(rf"^{re.escape(name)} +\S+ +\S+x +(\S+)$", stdout, flags=re.MULTILINE)
        assert m, f"no row for {name!r} in:\n{stdout}"
        found[name] = float(m.group(1))
    return found


def test_header_names_the_problem(stdout: str) -> None:
    params = 2 * N * LAYERS
    assert f"# noisy gradient step: n={N}, {LAYERS} layers, {params} parameters, " \
           f"{2 * N - 1}-term H" in stdout
    assert "'qoro-maestro'" in stdout  # the machine line names the simulator's version


def test_every_device_has_a_row_and_the_gradients_agree(stdout: str) -> None:
    diffs = _rows(stdout)
    assert diffs["default.mixed + add_noise, backprop"] == 0.0  # the reference itself
    for name in ROWS:
        assert diffs[name] < 1e-6, (name, diffs[name])
    m = re.search(r"^# the noise moves the gradient by max \|dgrad\| (\S+) ", stdout,
                  flags=re.MULTILINE)
    assert m, stdout
    effect = float(m.group(1))
    # the agreement means something: the noise itself moves the gradient visibly
    assert effect > 1e-3
    assert max(diffs.values()) < effect * 1e-4
