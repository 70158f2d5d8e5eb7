"""The job journal end to end: reattach after ``kill -9``, the cache, and what it stores.

* A Python process waiting on a long job (``qoro-local serve --hold-running``) is killed with
  SIGKILL; the same script run again reattaches (tracker ``reattached`` == 1), returns the
  right result, and the service's ledger shows ONE charge.
* ``cache=True``: an identical analytic gradient step makes zero HTTP requests and returns
  identical results; a changed parameter misses; an unseeded sampled call is never served;
  a seeded one is, in a new device (a rerun of a script).
* A journaled job that FAILED is not reused; normal repeated calls still submit.
* The journal file never holds the API key.

Real HTTP to the real local service, real Maestro, real PennyLane.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pennylane as qml
import pytest

from pennylane_qoro.client import QoroClient
from pennylane_qoro.client.journal import Journal, open_journal

CLI = [sys.executable, "-m", "pennylane_qoro.local"]

SCRIPT = '''
import json, sys
import pennylane as qml

url, token, journal = sys.argv[1:4]
dev = qml.device("qoro.maestro", wires=2, url=url, api_key=token, journal=journal)

@qml.qnode(dev)
def circuit(x):
    qml.RX(x, 0)
    qml.CNOT([0, 1])
    return qml.expval(qml.Z(1)), qml.expval(qml.X(0) @ qml.X(1))

with qml.Tracker(dev) as tracker:
    value = circuit(0.4)
print(json.dumps({"value": [float(v) for v in value], "totals": tracker.totals,
                  "ids": tracker.history["qoro_job_ids"]}))
'''


def _oracle(x: float) -> list[float]:
    @qml.qnode(qml.device("default.qubit", wires=2))
    def circuit(x):
        qml.RX(x, 0)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(1)), qml.expval(qml.X(0) @ qml.X(1))

    return [float(v) for v in circuit(x)]


def _usage(client: QoroClient) -> list[dict]:
    page = client.transactions(page_size=100)["results"]
    return [t for t in page if t["transaction_type"] == "USAGE"]


def _wait_for(predicate, what: str, timeout: float = 120.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.mark.slow
def test_kill_9_while_waiting_then_the_rerun_reattaches_and_pays_once(tmp_path: Path) -> None:
    db, journal_file = tmp_path / "jobs.sqlite", tmp_path / "journal.sqlite"
    token = subprocess.run([*CLI, "token", "create", "--db", str(db)], capture_output=True,
                           text=True, check=True).stdout.strip()
    server = subprocess.Popen([*CLI, "serve", "--port", "0", "--db", str(db),
                               "--hold-running", "6"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    try:
        line = server.stdout.readline().strip()
        assert line.startswith("serving http://"), server.stderr.read()
        url = line.removeprefix("serving ")
        args = [sys.executable, str(script), url, token, str(journal_file)]
        with QoroClient(url, token, progress=False) as client:
            first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            journal = Journal(journal_file)
            job_id = _wait_for(lambda: next((e.job_id for e in journal.entries() if e.job_id),
                                            None), "the journaled job id")
            _wait_for(lambda: client.status(job_id)["status"] == "RUNNING", "RUNNING")
            os.kill(first.pid, signal.SIGKILL)
            first.communicate(timeout=60)
            assert first.returncode == -signal.SIGKILL
            (entry,) = journal.entries()
            assert entry.state in ("uploading", "submitted") and entry.job_id == job_id

            rerun = subprocess.run(args, capture_output=True, text=True, timeout=300)
            assert rerun.returncode == 0, rerun.stderr
            out = json.loads(rerun.stdout.strip().splitlines()[-1])
            charges = _usage(client)
        journal.close()
    finally:
        server.kill()
        server.communicate(timeout=60)
    assert out["totals"]["reattached"] == 1
    assert out["totals"]["jobs"] == 1 and out["ids"] == [[job_id]]
    assert np.allclose(out["value"], _oracle(0.4), atol=1e-9)
    assert [c["job_id"] for c in charges] == [job_id]  # one job, one charge
    assert Journal(journal_file).entry(job_id).state == "fetched"


def _analytic(dev):  # type: ignore[no-untyped-def]
    @qml.qnode(dev, diff_method="parameter-shift")
    def circuit(w):
        qml.RX(w[0], 0)
        qml.RY(w[1], 1)
        qml.CNOT([0, 1])
        return qml.expval(qml.Z(0) @ qml.Z(1) + 0.5 * qml.X(1))

    return circuit


def _sampled(dev):  # type: ignore[no-untyped-def]
    @qml.qnode(dev)
    def circuit(x):
        qml.RX(x, 0)
        qml.Hadamard(1)
        return qml.sample(wires=[0, 1])

    return circuit


class TestCache:
    def test_an_identical_analytic_gradient_step_makes_no_request(self, service) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                         cache=True)
        circuit = _analytic(dev)
        w = qml.numpy.array([0.3, -0.7], requires_grad=True)
        first = qml.grad(circuit)(w)
        before = dev.client.stats.requests
        with qml.Tracker(dev) as tracker:
            again = qml.grad(circuit)(w)
        assert dev.client.stats.requests == before  # zero HTTP requests
        assert np.array_equal(again, first)  # identical, bit for bit
        assert tracker.totals["cache_hits"] == tracker.totals["jobs"] >= 1
        assert "reattached" not in tracker.totals

        fresh = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                           cache=True)  # a new device, as in a rerun of the script
        fresh.target  # noqa: B018 - the one-time target lookup, not a job
        before = fresh.client.stats.requests
        assert np.array_equal(qml.grad(_analytic(fresh))(w), first)
        assert fresh.client.stats.requests == before

    def test_a_changed_parameter_misses(self, service) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                         cache=True)
        circuit = _analytic(dev)
        qml.grad(circuit)(qml.numpy.array([0.3, -0.7], requires_grad=True))
        before = dev.client.stats.jobs
        with qml.Tracker(dev) as tracker:
            qml.grad(circuit)(qml.numpy.array([0.3, -0.6], requires_grad=True))
        assert dev.client.stats.jobs > before
        assert "cache_hits" not in tracker.totals

    @pytest.mark.parametrize("seed", [None, "global"])
    def test_unseeded_sampling_is_never_served(self, service, seed) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                         cache=True, seed=seed)
        circuit = qml.set_shots(_sampled(dev), 50)
        circuit(0.5)
        with qml.Tracker(dev) as tracker:
            circuit(0.5)
        assert tracker.totals["jobs"] == 1 and "cache_hits" not in tracker.totals
        assert dev.client.stats.jobs == 2

    def test_a_fixed_seed_reruns_from_the_cache(self, service) -> None:
        def run():  # type: ignore[no-untyped-def]
            dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                             cache=True, seed=123)
            circuit = qml.set_shots(_sampled(dev), 50)
            with qml.Tracker(dev) as tracker:
                samples = [circuit(0.5), circuit(0.5)]  # two draws: two jobs, two seeds
            return samples, tracker.totals, dev.client.stats.jobs

        first, totals, jobs = run()
        assert jobs == 2 and "cache_hits" not in totals
        assert not np.array_equal(first[0], first[1])  # the cache never repeats a draw
        again, totals, jobs = run()
        assert jobs == 0 and totals["cache_hits"] == 2
        assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))

    def test_cache_needs_the_journal(self, service) -> None:
        with pytest.raises(ValueError, match="journal"):
            qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                       cache=True, journal=False)


class TestReattach:
    def test_repeated_calls_without_cache_still_submit(self, service) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token)
        circuit = _analytic(dev)
        w = qml.numpy.array([0.3, -0.7])
        with qml.Tracker(dev) as tracker:
            circuit(w)
            circuit(w)
        assert tracker.totals["jobs"] == 2 and dev.client.stats.jobs == 2
        assert "reattached" not in tracker.totals

    def _unfinished(self, dev, journal_path: Path) -> str:  # type: ignore[no-untyped-def]
        """Run once, then make the row look as a killed process leaves it."""
        circuit = _analytic(dev)
        circuit(qml.numpy.array([0.1, 0.2]))
        journal = open_journal(journal_path)
        (entry,) = journal.entries()
        journal.update(entry.row, state="submitted", process="gone", pid=2**22 + 1)
        return str(entry.job_id)

    def test_an_unfinished_completed_job_is_reattached(self, service, journal_path) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token)
        job_id = self._unfinished(dev, journal_path)
        with qml.Tracker(dev) as tracker:
            value = _analytic(dev)(qml.numpy.array([0.1, 0.2]))
        assert tracker.totals["reattached"] == 1 and tracker.history["qoro_job_ids"] == [[job_id]]
        assert dev.client.stats.jobs == 1  # only the first run's
        expected = _analytic(qml.device("default.qubit", wires=2))(qml.numpy.array([0.1, 0.2]))
        assert np.isclose(value, expected, atol=1e-9)

    def test_a_failed_job_is_not_reused(self, service, journal_path, client) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token)
        self._unfinished(dev, journal_path)
        failed = client._http.post("job/create_failed/", {"job_type": "EXPECTATION"},
                                   timeout=10)["job_id"]
        journal = open_journal(journal_path)
        (entry,) = journal.entries()
        journal.update(entry.row, job_id=failed)
        with qml.Tracker(dev) as tracker:
            _analytic(dev)(qml.numpy.array([0.1, 0.2]))
        assert "reattached" not in tracker.totals and dev.client.stats.jobs == 2
        assert journal.entry(failed).state == "failed"


def test_the_journal_never_stores_the_api_key(service, journal_path) -> None:
    noise = qml.NoiseModel({qml.noise.op_eq("RX"): qml.noise.partial_wires(qml.DepolarizingChannel,
                                                                           0.01)})
    for options in ({"cache": True}, {"seed": 5}, {"noise_model": noise}):
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                         **options)
        _analytic(dev)(qml.numpy.array([0.1, 0.2]))
        qml.set_shots(_sampled(dev), 20)(0.3)
    files = [p for p in journal_path.parent.iterdir() if p.name.startswith(journal_path.name)]
    assert journal_path in files
    for path in files:
        data = path.read_bytes()
        assert service.token.encode() not in data, path
    assert len(open_journal(journal_path).entries()) == 6


class TestDeviceJobs:
    def test_list_get_and_fetch(self, service) -> None:
        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token)
        value = _analytic(dev)(qml.numpy.array([0.1, 0.2]))
        jobs = dev.jobs()
        (entry,) = list(jobs)
        assert len(jobs) == 1 and entry.state == "fetched" and entry.job_type == "EXPECTATION"
        assert entry.circuits == 1 and entry.shots == 0 and entry.target == "qoro_maestro"
        assert jobs.get(entry.job_id) == entry and entry.job_id in str(jobs)
        fetched = jobs.fetch(entry.job_id)  # from the service: this job's results were not stored
        (terms,) = fetched.values()
        assert np.isclose(terms["ZZ"] + 0.5 * terms["IX"], value, atol=1e-9)
        with pytest.raises(KeyError, match="not in the journal"):
            jobs.get("no-such-job")

    def test_cancel_a_journaled_job(self) -> None:
        from pennylane_qoro.client.errors import JobCancelledError
        from pennylane_qoro.local import serve
        from pennylane_qoro.local.timing import Timing

        with serve(timing=Timing(pending=30)) as held:
            dev = qml.device("qoro.maestro", wires=2, url=held.url, api_key=held.token)
            circuit = _analytic(dev)
            with ThreadPoolExecutor(1) as pool:
                waiting = pool.submit(circuit, qml.numpy.array([0.1, 0.2]))
                job_id = _wait_for(lambda: next((e.job_id for e in dev.jobs()
                                                 if e.state == "submitted"), None), "a job")
                dev.jobs().cancel(job_id)
                with pytest.raises(JobCancelledError):
                    waiting.result(timeout=60)
            assert dev.jobs().get(job_id).state == "cancelled"

    def test_no_journal_no_jobs(self, service, journal_path) -> None:
        from pennylane.exceptions import DeviceError

        dev = qml.device("qoro.maestro", wires=2, url=service.url, api_key=service.token,
                         journal=False)
        _analytic(dev)(qml.numpy.array([0.1, 0.2]))
        assert not journal_path.exists()
        with pytest.raises(DeviceError, match="journal=False"):
            dev.jobs()
