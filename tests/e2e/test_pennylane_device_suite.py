"""PennyLane's own device test suite (``pl-device-test``) run against ``qoro.maestro``.

The suite runs in a subprocess because it is a pytest session of its own. ``pl-device-test``
starts "the first pytest on PATH", so the interpreter's own bin directory goes first.

Analytic mode runs with ``--skip-ops``: the only tests that fail without it ask for
``qml.state()`` (``test_BasisRotation``, ``test_FlipSign``, ``test_MottonenStatePreparation_state``,
``test_custom_state_measurement``), which no Qoro service can return; the device raises a
``DeviceError`` naming that, and ``--skip-ops`` turns exactly such errors into xfails.

The sampled run uses 100000 shots: the suite's Hermitian tests compare a 10000-shot estimate of
an observable with eigenvalues near 10 against a fixed ``atol=0.05``, which default.qubit itself
misses for some seeds (seeds 1, 3 and 4 fail there with ``--shots 10000``). At 100000 shots the
same tolerance is about five standard errors.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def _run_suite(*extra: str, tmp_path: Path) -> tuple[int, str]:
    exe = BIN / "pl-device-test"
    if not exe.exists():  # the console script always ships with pennylane
        exe = Path(shutil.which("pl-device-test") or "pl-device-test")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QORO_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # --device-kwargs takes every following word, so it comes last.
    cmd = [
        str(exe), "--device", "qoro.maestro", *extra,
        "-q", "-p", "no:cacheprovider", "--tb=line", "-rf",
        "--device-kwargs", "url=local",  # the CLI passes only one KEY=VAL through intact
    ]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200)
    return proc.returncode, proc.stdout + proc.stderr


def _summary(output: str) -> dict[str, int]:
    last = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    assert last, f"no pytest summary in output:\n{output[-3000:]}"
    return {k: int(n) for n, k in re.findall(r"(\d+) (\w+)", last[-1])}


@pytest.mark.parametrize(
    "mode",
    [("--shots", "100000"), ("--skip-ops",)],
    ids=["shots-100000", "analytic"],
)
def test_pennylane_device_suite_passes(mode, tmp_path):
    """No failure in PennyLane's device suite, analytic and with shots."""
    rc, out = _run_suite(*mode, tmp_path=tmp_path)
    counts = _summary(out)
    assert counts.get("failed", 0) == 0, out[-5000:]
    assert counts.get("passed", 0) > 350, counts
    assert rc == 0, out[-3000:]
