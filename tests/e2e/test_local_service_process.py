"""Large jobs run in a killable worker process (``local/process_lane.py``), over real HTTP.

A job above the runner's work threshold runs in a child process: its results match the
in-thread path, cancelling it while it runs kills that process (the job ends CANCELLED and the
process is gone), and the next large job gets a fresh process. A noisy job (``noise_model``,
``noise_seed``) that goes down that path runs under its model: exact on an MPO simulation (equal
to ``default.mixed``), and with trajectories the same seed gives the same samples as the
in-thread path. Ctrl+C (SIGINT) to a Python process running a 24-qubit job on the embedded
service ends it promptly, without nanobind "leaked" lines, with the job CANCELLED in the store.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pennylane as qml
import pytest
from local_api import Api, qasm

from pennylane_qoro.local import serve
from pennylane_qoro.protocol.observables import encode_observables

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads worker processes from /proc")


def _layers(n: int, depth: int) -> str:
    return ("".join(f"h q[{k}];\n" for k in range(n))
            + "".join(f"cx q[{k}],q[{k + 1}];\nrz(0.{k + 1}) q[{k + 1}];\n"
                      for k in range(n - 1)) * depth)


def _workers(parent: int | None = None) -> set[int]:
    """Live worker processes started by ``parent`` (default: this process; from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, ppid = fields[0], int(fields[1])
        if (ppid == (parent or os.getpid()) and state != "Z"
                and b"pennylane_qoro.local.worker_process" in cmdline):
            found.add(int(entry.name))
    return found


class TestProcessLane:
    def test_large_job_runs_in_a_child_cancel_kills_it_next_gets_a_new_one(self) -> None:
        others = _workers()  # other services' workers, if any
        with serve(workers=2) as svc:
            api = Api(svc.url, svc.token)
            # One 22-qubit circuit reaches the default threshold (2**22): the child runs it.
            small = qasm(2, "x q[0];\n")
            out = api.run({"big": qasm(22, "x q[0];\n"), "small": small})
            assert out["big"] == {"0" * 21 + "1": 1000} and out["small"] == {"01": 1000}
            (first,) = _workers() - others

            job = api.init()
            circuits = {f"s{i}": qasm(24, _layers(24, 30)) for i in range(4)}
            assert api.add(job, circuits=circuits).status_code == 200
            deadline = time.monotonic() + 60
            while api.status(job)["status"] != "RUNNING":
                assert time.monotonic() < deadline
                time.sleep(0.02)
            assert api.post(f"job/{job}/cancel/").status_code == 200
            assert api.wait(job)["status"] == "CANCELLED"
            deadline = time.monotonic() + 10
            while first in _workers():  # killed, not left computing
                assert time.monotonic() < deadline, "the worker process still runs"
                time.sleep(0.02)

            again = api.run({"big": qasm(22, "x q[1];\n")})
            assert again["big"] == {"0" * 20 + "10": 1000}
            (second,) = _workers() - others
            assert second != first


P = 0.1
DEPOL = [{"method": "set_all_depolarizing", "args": [2, P], "kwargs": {}}]  # qubits 0 and 1
BODY = "rx(0.8) q[0];\ncx q[0],q[1];\n"  # only q0, q1 act: the other qubits stay |0>


def _mixed_reference() -> tuple[float, float]:
    """default.mixed: <Z0 Z1>, <Z1> with DepolarizingChannel(P) after each gate, per wire."""

    @qml.qnode(qml.device("default.mixed", wires=2))
    def circuit():
        qml.RX(0.8, 0)
        qml.DepolarizingChannel(P, wires=0)
        qml.CNOT([0, 1])
        qml.DepolarizingChannel(P, wires=0)
        qml.DepolarizingChannel(P, wires=1)
        return qml.expval(qml.Z(0) @ qml.Z(1)), qml.expval(qml.Z(1))

    zz, z1 = circuit()
    return float(zz), float(z1)


class TestNoisyJobInTheWorkerProcess:
    """The job's options (noise model, seeds) reach the child with the job."""

    def test_exact_noise_on_an_mpo_equals_default_mixed(self) -> None:
        others = _workers()
        with serve(workers=2) as svc:
            api = Api(svc.url, svc.token)
            job = api.init("EXPECTATION",
                           maestro_config={"simulation_type": 8, "noise_model": DEPOL})
            pad = "I" * 20
            r = api.add(job, circuits={"big": qasm(22, BODY, measure=False)},
                        observables=encode_observables([[f"ZZ{pad}", f"IZ{pad}"]]))
            assert r.status_code == 200, r.text
            assert api.wait(job)["status"] == "COMPLETED"
            assert _workers() - others, "the 22-qubit job did not run in a worker process"
            row = next(api.pages(job))["results"][0]["results"]
        zz, z1 = _mixed_reference()
        assert row[f"ZZ{pad}"] == pytest.approx(zz, abs=1e-9)
        assert row[f"IZ{pad}"] == pytest.approx(z1, abs=1e-9)
        assert abs(zz - 1.0) > 0.1  # noiseless, <Z0 Z1> = 1

    def test_trajectories_repeat_with_the_seed_and_match_the_in_thread_path(self) -> None:
        """Circuit i of a job runs with noise_seed + i, wherever the job runs: the 2-qubit
        circuit at index 1 of a large job (child) and at index 0 of a small job (thread) with
        the seed one higher give the same samples."""
        config = {"noise_model": DEPOL, "noise_realizations": 20}
        big, small = qasm(22, BODY), qasm(2, BODY)
        others = _workers()
        with serve(workers=2) as svc:
            api = Api(svc.url, svc.token)

            def run(circuits: dict[str, str], seed: int) -> dict:
                return api.run(circuits, shots=400,
                               maestro_config=config | {"noise_seed": seed, "seed": seed})

            first = run({"big": big, "small": small}, 11)
            assert _workers() - others, "the 22-qubit job did not run in a worker process"
            again = run({"big": big, "small": small}, 11)
            other_seed = run({"big": big, "small": small}, 12)
            in_thread = run({"small": small}, 12)
        assert first == again
        assert other_seed != first
        assert in_thread["small"] == first["small"]
        # noisy: '01' (c0 = 1, c1 = 0; cloud keys put c[0] rightmost) never happens without
        # noise; the idle qubits get no noise and stay 0
        for counts, width in ((first["big"], 22), (first["small"], 2)):
            assert sum(counts.values()) == 400
            assert counts.get("0" * (width - 1) + "1", 0) > 0
            assert all(key[:-2] == "0" * (width - 2) for key in counts)


CHILD = textwrap.dedent("""
    import sys

    import pennylane as qml

    from pennylane_qoro.local import start

    start(db=sys.argv[1])
    n = 24
    dev = qml.device("qoro.maestro", wires=n, url="local")


    @qml.qnode(dev)
    def circuit():
        for _ in range(60):
            for k in range(n):
                qml.RY(0.3 + k, wires=k)
            for k in range(n - 1):
                qml.CNOT(wires=[k, k + 1])
        return qml.expval(qml.PauliZ(0))


    circuit()
    print("the job finished before the interrupt", flush=True)
""")


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _statuses(db: Path) -> list[str]:
    try:
        with sqlite3.connect(db) as conn:
            return [s for (s,) in conn.execute("SELECT status FROM jobs")]
    except sqlite3.Error:
        return []


def test_ctrl_c_on_a_24_qubit_embedded_job(tmp_path: Path) -> None:
    db = tmp_path / "embedded.sqlite"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while "RUNNING" not in _statuses(db):
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        time.sleep(0.3)  # well inside Maestro
        (worker,) = _workers(proc.pid)  # the 24-qubit job runs in the worker process
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert took < 3.0, f"the process took {took:.1f} s to exit after SIGINT"
    assert "finished before" not in out
    assert "leaked" not in err, err[-3000:]
    assert "KeyboardInterrupt" in err  # the user's program saw the interrupt
    assert _statuses(db) == ["CANCELLED"]
    assert not _running(worker)  # killed, not left computing as an orphan
