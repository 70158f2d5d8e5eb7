"""The OFFICIAL client, ``qoro-divi`` (0.15.1 and 0.13.0), against the local service.

Each version is installed with pip into its own virtual environment under
``~/.cache/pennylane-qoro-compat/divi-<version>`` (override the directory with
``$PENNYLANE_QORO_COMPAT_CACHE``), once; later runs reuse it. ``divi_driver.py`` then runs in that
venv with divi's ``API_URL`` pointed at a fresh local service and walks through connection and
target listing, a bound EXECUTE job, a template with parameter rows, an EXPECTATION job,
per-circuit shots over several requests, execution settings, cancel and delete. This module
checks what the official client saw.

Slow (a first run downloads qiskit and friends), hence ``@pytest.mark.slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pennylane_qoro.local import serve

DRIVER = Path(__file__).with_name("divi_driver.py")
CACHE = Path(os.environ.get("PENNYLANE_QORO_COMPAT_CACHE",
                            Path.home() / ".cache" / "pennylane-qoro-compat"))

pytestmark = pytest.mark.slow


def divi_venv(version: str) -> Path:
    """The interpreter of a venv holding ``qoro-divi==version``, created on first use."""
    root = CACHE / f"divi-{version}"
    python = root / "bin" / "python"
    marker = root / ".complete"
    if marker.exists() and python.exists():
        return python
    root.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"qoro-divi=={version}"],
        capture_output=True, text=True, timeout=3600,
    )
    if install.returncode != 0:
        pytest.fail(f"pip could not install qoro-divi=={version}:\n{install.stderr[-3000:]}")
    marker.write_text(f"qoro-divi=={version}\n")
    return python


def drive(version: str) -> dict:
    python = divi_venv(version)
    with serve() as svc:
        out = subprocess.run([str(python), str(DRIVER), svc.url, svc.token],
                             capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert "errors" not in report, "\n".join(report["errors"].values())
    return report


@pytest.fixture(scope="module", params=["0.15.1", "0.13.0"])
def report(request: pytest.FixtureRequest) -> dict:
    return drive(request.param)


def test_version_installed(report: dict) -> None:
    assert report["version"] in ("0.15.1", "0.13.0")


def test_connection_and_targets(report: dict) -> None:
    assert report["ping"] == 200
    assert report["qpu_systems"] == ["local_qpu"] and report["qpus"] == ["maestro_qpu"]
    assert report["clusters"] == ["qoro_maestro"]
    assert report["credits"]["balance"] == "1000.00"
    assert report["transactions"] == {"count": 1, "types": ["PURCHASE"]}


def test_bound_execute_in_cloud_bit_order(report: dict) -> None:
    assert report["execute_status"] == "COMPLETED"
    out = report["execute"]
    assert out["x0"] == {"01": 1000}
    assert set(out["bell"]) == {"00", "11"} and sum(out["bell"].values()) == 1000
    assert set(out["ghz"]) == {"000", "111"}


def test_template_with_parameter_rows(report: dict) -> None:
    assert report["template_status"] == "COMPLETED"
    # ry(pi) on q0 / rx(pi) on q1, then cx q0->q1; keys put c[0] rightmost
    assert report["template"] == {"row_a": {"11": 1000}, "row_b": {"10": 1000},
                                  "row_c": {"01": 1000}}


def test_expectation_job(report: dict) -> None:
    assert report["expectation_status"] == "COMPLETED"
    zx, bell = report["expectation"]["zx"], report["expectation"]["bell"]
    expected_zx = {"ZI": -1.0, "IZ": 0.0, "IX": 1.0, "ZZ": 0.0, "XX": 0.0}
    expected_bell = {"ZI": 0.0, "IZ": 0.0, "IX": 0.0, "ZZ": 1.0, "XX": 1.0}
    assert set(zx) == set(expected_zx) and set(bell) == set(expected_bell)
    for got, want in ((zx, expected_zx), (bell, expected_bell)):
        for term, value in want.items():
            assert got[term] == pytest.approx(value, abs=1e-9)


def test_shot_groups_over_several_requests(report: dict) -> None:
    assert report["chunked_status"] == "COMPLETED"
    chunked = report["chunked"]
    assert chunked["requests"] >= 2  # the client really split the upload
    assert chunked["n"] == 240 and chunked["ordered"]
    assert chunked["shots"] == [7, 9] and chunked["shots_by_range"] == [7, 9]
    assert chunked["first"] == {"0": 7} and chunked["second"] == {"1": 7}
    assert chunked["last"] == {"1": 9}


def test_execution_settings(report: dict) -> None:
    assert report["config_status"] == "COMPLETED"
    assert report["config_results"] == {"a": {"1": 1000}}
    if report["version"] == "0.15.1":
        assert report["config"] == {"max_bond_dimension": 8, "seed": 3}
    else:
        assert report["config"] == {"bond_dimension": 8, "simulation_method": 1}
        assert report["config_set"] == "409"  # the job had left PENDING


def test_cancel_and_delete(report: dict) -> None:
    cancel = report["cancel"]
    assert cancel["code"] == 200 and cancel["body"]["status"] == "cancelled"
    assert cancel["body"]["circuits_cancelled"] > 0
    if report["version"] == "0.15.1":
        assert report["cancel_status"] == "JobCancelledError: CANCELLED"
    else:
        assert report["cancel_status"] == "CANCELLED"
    assert report["cancel_again"].startswith("409 Conflict")
    assert report["delete"] == 204 and report["after_delete"] == "404"


CHARACTERIZE = Path(__file__).with_name("divi_characterize.py")


@pytest.mark.parametrize("version", ["0.15.1", "0.13.0"])
def test_official_characterization_flow(version: str) -> None:
    """divi's characterize_and_validate + fetch by job id work unchanged against the service."""
    python = divi_venv(version)
    with serve() as svc:
        out = subprocess.run([str(python), str(CHARACTERIZE), svc.url, svc.token],
                             capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])  # 0.13 prints its display too
    assert seen["version"] == version
    assert seen["status"] == "COMPLETED"
    assert seen["difficulty"] in {"trivial", "easy", "moderate", "hard", "very_hard"}
    # brute force of the same QUBO: x^T Q x over all 32 assignments
    import itertools

    import numpy as np

    q = np.zeros((5, 5))
    for (i, j), w in {(0, 1): 2.0, (0, 2): 1.0, (0, 4): 2.0, (1, 2): 4.0,
                      (2, 3): 2.0, (3, 4): 3.0}.items():
        q[i, j] = w
    np.fill_diagonal(q, [-2.5, -3.0, -3.5, -2.5, -2.5])
    best = min(np.array(x) @ q @ np.array(x) for x in itertools.product((0, 1), repeat=5))
    assert seen["energy_min"] == pytest.approx(best)
    assert seen["n_recommendations"] >= 1
    assert seen["html_root"] and seen["refetch_equal"] and seen["displayed"]
