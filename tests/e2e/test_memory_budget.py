"""The memory budget across workers (issue 17), against the real service over raw HTTP.

With a tiny budget (``serve(memory_budget=...)`` / ``qoro-local serve --memory-budget``):

* a circuit whose estimated state alone exceeds the budget is a 400 at ``add_circuits/`` (or
  at ``POST execution_config/`` when a method change makes it so), naming the qubit count, the
  method and the budget, and no job runs;
* a job that fits alone but not beside a running one stays PENDING until that one ends: no
  observation ever sees it RUNNING before the running job is over.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from local_api import Api, qasm

from pennylane_qoro.local import serve
from pennylane_qoro.local.memory import CIRCUIT_OVERHEAD, state_bytes
from pennylane_qoro.local.timing import Timing

BUDGET = 2 << 20  # 1 MiB of state beside the per-circuit overhead: 16 statevector qubits
WIDE = 10


@pytest.fixture(scope="module")
def api():
    with serve(memory_budget=BUDGET, workers=2) as service:
        yield Api(service.url, service.token)


class TestNeverFits:
    def test_statevector_circuit_over_the_budget_is_400(self, api: Api) -> None:
        """Test that a 17-qubit circuit (2 MiB of amplitudes) is refused at submission,
        naming its label, width, method and the budget; the job stays an open upload."""
        job_id = api.init()
        r = api.add(job_id, circuits={"fits": qasm(16, "h q[0];\n"),
                                      "wide": qasm(17, "h q[0];\n")})
        assert r.status_code == 400, r.text
        detail = r.json()["detail"]
        for part in ("'wide'", "17 qubits", "Statevector", "3.0 MiB", "2.0 MiB",
                     "--memory-budget"):
            assert part in detail, detail
        assert api.status(job_id)["status"] == "PENDING"
        r = api.add(job_id, circuits={"fits": qasm(16, "h q[0];\n")})
        assert r.status_code == 200 and api.wait(job_id)["status"] == "COMPLETED"

    def test_density_matrix_squares_the_state(self, api: Api) -> None:
        """Test that a 9-qubit density matrix (4 MiB) is refused where 9 statevector qubits
        are not, and that the message names the method."""
        job_id = api.init(maestro_config={"simulation_type": 7})
        r = api.add(job_id, circuits={"dm": qasm(9, "h q[0];\n")})
        assert r.status_code == 400, r.text
        assert "9 qubits: DensityMatrix" in r.json()["detail"]

    def test_switching_the_method_is_checked_too(self, api: Api) -> None:
        """Test that ``POST execution_config/`` refuses a method under which the job's
        circuits could never fit, naming the width and method."""
        job_id = api.init()
        assert api.add(job_id, circuits={"a": qasm(9, "h q[0];\n")},
                       finalized=False).status_code == 200
        r = api.post(f"job/{job_id}/execution_config/",
                     json={"maestro_config": {"simulation_type": 7}})
        assert r.status_code == 400, r.text
        assert "9 qubits: DensityMatrix" in r.json()["detail"]


def test_the_command_line_flag_sets_the_budget(tmp_path: Path) -> None:
    """Test ``qoro-local serve --memory-budget 2MiB``: the same refusal over HTTP."""
    db = tmp_path / "jobs.sqlite"
    cli = [sys.executable, "-m", "pennylane_qoro.local"]
    token = subprocess.run([*cli, "token", "create", "--db", str(db)], capture_output=True,
                           text=True, check=True).stdout.strip()
    proc = subprocess.Popen([*cli, "serve", "--db", str(db), "--port", "0",
                             "--memory-budget", "2MiB"], stdout=subprocess.PIPE, text=True)
    try:
        api = Api(proc.stdout.readline().split()[-1], token)
        r = api.add(api.init(), circuits={"wide": qasm(17, "h q[0];\n")})
        assert r.status_code == 400 and "budget of 2.0 MiB" in r.json()["detail"], r.text
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()


def test_a_job_that_does_not_fit_beside_a_running_one_stays_pending() -> None:
    """Test that with room for one 10-qubit state, a second token's 10-qubit job waits
    PENDING while the first runs (held RUNNING 1 s), then runs: reading B's status and then
    A's, B is never seen RUNNING while A still is (B must start after A ended)."""
    budget = state_bytes(WIDE, {})
    assert budget == (16 << WIDE) + CIRCUIT_OVERHEAD
    with serve(memory_budget=budget, workers=2, timing=Timing(running=1.0)) as service:
        a, b = Api(service.url, service.token), Api(service.url, service.create_token())
        job_a, job_b = a.init(), b.init()
        assert a.add(job_a, circuits={"a": qasm(WIDE, "x q[2];\n")}).status_code == 200
        while a.status(job_a)["status"] == "PENDING":
            pass
        assert b.add(job_b, circuits={"b": qasm(WIDE, "x q[0];\n")}).status_code == 200
        seen: list[tuple[str, str]] = []
        while True:
            pair = (b.status(job_b)["status"], a.status(job_a)["status"])
            seen.append(pair)
            if pair[0] == "COMPLETED":
                break
        assert ("RUNNING", "RUNNING") not in seen, seen
        assert ("PENDING", "RUNNING") in seen, seen  # B queued while A ran
        assert a.results(job_a) == {"a": {"0" * (WIDE - 3) + "100": 1000}}
        assert b.results(job_b) == {"b": {"0" * (WIDE - 1) + "1": 1000}}


def test_jobs_waiting_for_memory_all_finish() -> None:
    """Test that six one-circuit jobs from three threads, with memory for one at a time,
    all complete with the right counts (waiting jobs are retried as memory frees)."""
    with serve(memory_budget=state_bytes(WIDE, {}), workers=2) as service:
        outcomes: dict[str, dict] = {}

        def submit(t: int) -> None:
            api = Api(service.url, service.create_token())
            for j in range(2):
                job_id = api.init()
                assert api.add(job_id, circuits={"c": qasm(WIDE, "x q[1];\n")},
                               shots=7).status_code == 200
                assert api.wait(job_id)["status"] == "COMPLETED"
                outcomes[f"{t}-{j}"] = api.results(job_id)

        threads = [threading.Thread(target=submit, args=(t,)) for t in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        expected = {"c": {"0" * (WIDE - 2) + "10": 7}}
        assert len(outcomes) == 6 and all(v == expected for v in outcomes.values()), outcomes
