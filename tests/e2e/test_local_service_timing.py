"""Cloud-like timing on demand (``local/timing.py``), over real HTTP with the project's client.

With ``Timing(pending=0.2, running=0.2)`` a job is seen PENDING, then RUNNING, then COMPLETED;
the client polls several times; the device's ``timeout=`` raises and cancels the job as
against the cloud; the progress display appears. Without the option, jobs are not held.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pennylane as qml
import pytest
from local_api import Api, qasm

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.client import polling as polling_module
from pennylane_qoro.client.errors import DeadlineExceededError
from pennylane_qoro.local import LocalService, serve
from pennylane_qoro.local.timing import Timing

HOLD = Timing(pending=0.2, running=0.2)


@pytest.fixture(scope="module")
def held() -> LocalService:
    with serve(timing=HOLD) as svc:
        yield svc


def _states(api: Api, job_id: str) -> list[str]:
    """Every distinct status seen by polling every few milliseconds, in order."""
    seen: list[str] = []
    while not seen or seen[-1] in ("PENDING", "RUNNING"):
        state = api.status(job_id)["status"]
        if not seen or seen[-1] != state:
            seen.append(state)
    return seen


def test_a_held_job_is_seen_pending_then_running_then_completed(held: LocalService) -> None:
    api = Api(held.url, held.token)
    job_id = api.init()
    assert api.add(job_id, circuits={"a": qasm(1, "x q[0];\n")}).status_code == 200
    assert _states(api, job_id) == ["PENDING", "RUNNING", "COMPLETED"]
    assert api.results(job_id) == {"a": {"1": 1000}}


def test_without_timing_nothing_is_held() -> None:
    with serve() as svc:
        api = Api(svc.url, svc.token)
        job_id = api.init()
        api.add(job_id, circuits={"a": qasm(1, "x q[0];\n")})
        seen = _states(api, job_id)
    assert "PENDING" not in seen[1:] and seen[-1] == "COMPLETED"


def test_the_clients_adaptive_polling_polls_until_the_end(held: LocalService) -> None:
    spec = JobSpec(circuits=(("a", qasm(2, "x q[1];\n")),), shots=20)
    with QoroClient(held.url, api_key=held.token, progress=False, poll_interval=0.05,
                    first_poll=0.005) as client:
        result = client.run(spec)
        polls = client.stats.polls
    assert result.results["a"] is not None
    assert polls >= 3  # held ~0.4 s at <= 0.05 s per poll: several answers, not one


def test_the_devices_timeout_raises_and_cancels_as_with_the_cloud(held: LocalService) -> None:
    dev = qml.device("qoro.maestro", wires=2, url=held.url, api_key=held.token, timeout=0.1)

    @qml.qnode(dev)
    def circuit(x):
        qml.RX(x, 0)
        return qml.expval(qml.PauliZ(0))

    with pytest.raises(DeadlineExceededError) as info:
        circuit(0.3)
    assert info.value.cancelled
    assert info.value.status in ("PENDING", "RUNNING")
    assert Api(held.url, held.token).status(info.value.job_id)["status"] == "CANCELLED"
    relaxed = qml.device("qoro.maestro", wires=2, url=held.url, api_key=held.token, timeout=30)
    value = qml.QNode(circuit.func, relaxed)(0.3)
    assert value == pytest.approx(np.cos(0.3), abs=1e-9)


def test_the_progress_display_appears(held: LocalService, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(polling_module, "PROGRESS_AFTER", 0.1)  # the cloud's 2 s, scaled
    spec = JobSpec(circuits=(("a", qasm(1, "x q[0];\n")),), shots=10)
    with QoroClient(held.url, api_key=held.token, progress=True, poll_interval=0.05,
                    first_poll=0.005) as client:
        client.run(spec)
    err = capsys.readouterr().err
    assert "Qoro job" in err and ("PENDING" in err or "RUNNING" in err)


def test_the_command_line_takes_the_hold_options() -> None:
    out = subprocess.run([sys.executable, "-m", "pennylane_qoro.local", "serve",
                          "--hold-pending", "-1"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "seconds must be >= 0" in out.stderr
    assert "Traceback" not in out.stderr
