"""Large jobs run in a killable worker process (``local/process_lane.py``), over real HTTP.

A job above the runner's work threshold runs in a child process: its results match the
in-thread path, cancelling it while it runs kills that process (the job ends CANCELLED and the
process is gone), and the next large job gets a fresh process. Ctrl+C (SIGINT) to a Python
process running a 24-qubit job on the embedded service ends it promptly, without nanobind
"leaked" lines, with the job CANCELLED in the store.
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

import pytest
from local_api import Api, qasm

from pennylane_qoro.local import serve

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
