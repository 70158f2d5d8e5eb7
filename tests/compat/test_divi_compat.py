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
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from pennylane_qoro.local import LocalService, serve
from pennylane_qoro.local.timing import Timing

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


def flood(version: str, svc: LocalService, n: int) -> dict[str, list]:
    """``divi_driver.py flood``: n jobs back to back from the service's token, then n from a
    second token; returns ``{"0": [[job_id, status, counts], ...], "1": [...]}``."""
    python = divi_venv(version)
    out = subprocess.run([str(python), str(DRIVER), svc.url, svc.token, "flood", str(n),
                          svc.create_token()], capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    assert report["version"] == version
    return report["jobs"]


@pytest.mark.parametrize("version", ["0.15.1", "0.13.0"])
@pytest.mark.parametrize("n", [40, 200])
def test_jobs_back_to_back_are_queued_not_refused(version: str, n: int) -> None:
    """The official client never re-sends ``job/init/``: a 429 would kill its program. By
    default the service queues every job (n per token, two tokens) and all complete."""
    with serve() as svc:
        jobs = flood(version, svc, n)
    for rows in jobs.values():
        assert len(rows) == n
        assert [status for _, status, _ in rows] == ["COMPLETED"] * n
        assert [counts for _, _, counts in rows] == [
            {f"j{i}": {"1" if i % 2 else "0": 1000}} for i in range(n)]


@pytest.mark.parametrize("version", ["0.15.1", "0.13.0"])
def test_two_tokens_are_served_round_robin(version: str, tmp_path: Path) -> None:
    """40 jobs from token A, then 40 from token B, on one worker holding each job RUNNING for
    0.1 s (so a queue builds up): once B's jobs arrive they alternate with A's instead of
    waiting behind all of A's (FIFO per token, round robin between tokens)."""
    db = tmp_path / "jobs.sqlite"
    with serve(db=db, workers=1, timing=Timing(running=0.1)) as svc:
        jobs = flood(version, svc, 40)
        with sqlite3.connect(db) as conn:
            order = [job_id for (job_id,) in conn.execute(
                "SELECT id FROM jobs WHERE status = 'COMPLETED' ORDER BY updated_at, id")]
    token_of = {job_id: index for index, rows in jobs.items() for job_id, _, _ in rows}
    sequence = [token_of[job_id] for job_id in order]
    assert len(sequence) == 80 and sequence.count("1") == 40
    # A's jobs in FIFO order, and B's, each among themselves
    for index in ("0", "1"):
        assert [j for j in order if token_of[j] == index] == [r[0] for r in jobs[index]]
    # While both tokens have jobs left, they alternate (FIFO would run all of A's first).
    first_b = sequence.index("1")
    last_a = len(sequence) - 1 - sequence[::-1].index("0")
    window = "".join(sequence[first_b:last_a + 1])
    assert len(window) >= 20, sequence  # B's jobs did not wait behind A's queue
    assert max(len(run) for run in re.findall("0+|1+", window)) <= 2, sequence


def test_noise_model_in_maestro_config(report: dict) -> None:
    """0.15.1: the job runs noisy as default.mixed predicts and execution_config/ returns the
    model the client sent; 0.13: ``noisy_device`` gets the defined 400 (no fake devices)."""
    if report["version"] != "0.15.1":
        assert "named fake devices are not available" in report["noise_old"]
        assert "noisy_device" in report["noise_old"]
        return
    import numpy as np
    import pennylane as qml

    assert report["noise_status"] == "COMPLETED"
    assert report["noise_returned"] == report["noise_sent"]
    assert report["noise_seed_returned"] == 9

    @qml.qnode(qml.device("default.mixed", wires=2))
    def twin():
        qml.PauliX(0)
        qml.DepolarizingChannel(0.1, wires=0)
        qml.CNOT([0, 1])
        qml.DepolarizingChannel(0.1, wires=0)
        qml.DepolarizingChannel(0.1, wires=1)
        return qml.probs(wires=[0, 1])

    counts = report["noise_counts"]
    shots = sum(counts.values())
    est = np.array([counts.get(k, 0) for k in ("00", "10", "01", "11")]) / shots  # c[0] right
    exact = twin()
    assert np.all(np.abs(est - exact) <= 5 * np.sqrt(exact * (1 - exact) / shots) + 1e-9)
    assert counts.get("11", 0) < shots  # noiseless would be {"11": shots}
