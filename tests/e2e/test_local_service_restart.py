"""Durability: the service as a separate process on a database file, killed with SIGKILL.

Runs ``python -m pennylane_qoro.local serve --db FILE --port 0`` and ``... token create``
exactly as a user would, kills the server in the middle of a job, starts it again and checks
that the interrupted job is resumed to completion, that finished results survived, and that an
unfinished upload can still be completed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from pennylane_qoro.protocol.histogram import decode_histogram
from pennylane_qoro.protocol.text import compress_text

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pennylane_qoro.local", *args]


@contextmanager
def server(db: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start ``serve`` on a free port; yield its URL and process; kill it at the end."""
    proc = subprocess.Popen(cli("serve", "--db", str(db), "--port", "0", "--workers", "2"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving http://127.0.0.1:"), (line, proc.stderr.read())
        yield line.split()[1], proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def circuit(n: int, ones: int, layers: int = 8) -> str:
    """X on the set bits of ``ones``, then ``layers`` of entangling work and its exact inverse
    (tens of milliseconds at 16 qubits), so the outcome is ``ones`` with certainty."""
    flips = "".join(f"x q[{k}];\n" for k in range(n) if ones >> k & 1)
    forward: list[str] = []
    for layer in range(layers):
        forward += [f"h q[{k}];" for k in range(n)]
        forward += [f"cx q[{k}],q[{k + 1}];" for k in range(n - 1)]
        forward += [f"rz(0.{layer + 1}{k + 1}) q[{k}];" for k in range(n)]
    inverse = ["rz(-" + g[3:] if g.startswith("rz(") else g for g in reversed(forward)]
    measure = "".join(f"measure q[{k}] -> c[{k}];\n" for k in range(n))
    body = "\n".join(forward + inverse) + "\n"
    return f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{flips}{body}{measure}"


def add(s: requests.Session, url: str, job_id: str, circuits: dict[str, str],
        finalized: str) -> requests.Response:
    return s.post(f"{url}/job/{job_id}/add_circuits/", timeout=60, json={
        "circuits": {k: compress_text(v) for k, v in circuits.items()},
        "mode": "append", "finalized": finalized, "shots": 4})


def wait(s: requests.Session, url: str, job_id: str, until: set[str],
         timeout: float = 180.0) -> str:
    deadline = time.monotonic() + timeout
    while (status := s.get(f"{url}/job/{job_id}/status/").json()["status"]) not in until:
        assert time.monotonic() < deadline, status
        time.sleep(0.02)
    return status


def results(s: requests.Session, url: str, job_id: str) -> dict[str, dict]:
    out, offset = {}, 0
    while True:
        page = s.get(f"{url}/job/{job_id}/resultsV2/?limit=100&offset={offset}").json()
        out.update({r["label"]: decode_histogram(r["results"]) for r in page["results"]})
        if page["next"] is None:
            return out
        offset += 100


def test_token_create_prints_only_the_token(tmp_path: Path) -> None:
    db = tmp_path / "new" / "jobs.sqlite"
    out = subprocess.run(cli("token", "create", "--db", str(db), "--credits", "12.50"),
                         capture_output=True, text=True, check=True)
    token = out.stdout.strip()
    assert out.stdout == token + "\n" and len(token) >= 32 and " " not in token
    assert db.exists()
    with server(db) as (url, _proc):
        s = requests.Session()
        s.headers["Authorization"] = f"Bearer {token}"
        assert s.get(f"{url}/credits/").json()["balance"] == "12.50"
        assert requests.get(f"{url}/credits/", headers={"Authorization": "Bearer x"}
                            ).status_code == 401


def test_kill_mid_job_then_resume(tmp_path: Path) -> None:
    db = tmp_path / "jobs.sqlite"
    token = subprocess.run(cli("token", "create", "--db", str(db)), capture_output=True,
                           text=True, check=True).stdout.strip()
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    n = 16
    long_job = {f"c{i:03d}": circuit(n, i * 97 % (1 << n)) for i in range(300)}

    with server(db) as (url, proc):
        done = s.post(f"{url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
        assert add(s, url, done, {"x": circuit(3, 5)}, "true").status_code == 200
        assert wait(s, url, done, {"COMPLETED"}) == "COMPLETED"
        before = results(s, url, done)
        upload = s.post(f"{url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
        assert add(s, url, upload, {"u0": circuit(2, 1)}, "false").status_code == 200
        running = s.post(f"{url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
        assert add(s, url, running, long_job, "true").status_code == 200
        wait(s, url, running, {"RUNNING"})
        time.sleep(1.5)  # long enough for a batch of results to be stored
        assert s.get(f"{url}/job/{running}/status/").json()["status"] == "RUNNING"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    balance_after_debit = None

    with server(db) as (url, _proc):
        assert results(s, url, done) == before == {"x": {"101": 4}}
        assert wait(s, url, running, {"COMPLETED", "FAILED"}) == "COMPLETED"
        got = results(s, url, running)
        assert list(got) == list(long_job)
        for i, label in enumerate(long_job):
            assert got[label] == {format(i * 97 % (1 << n), f"0{n}b"): 4}, label
        assert s.get(f"{url}/job/{upload}/status/").json()["status"] == "PENDING"
        assert add(s, url, upload, {"u1": circuit(2, 2)}, "true").status_code == 200
        assert wait(s, url, upload, {"COMPLETED"}) == "COMPLETED"
        assert results(s, url, upload) == {"u0": {"01": 4}, "u1": {"10": 4}}
        ledger = s.get(f"{url}/credits/transactions/", params={"page_size": 100}).json()
        usage = [t for t in ledger["results"] if t["job_id"] == running]
        assert [t["transaction_type"] for t in usage] == ["USAGE"]  # debited once, no refund
        balance_after_debit = s.get(f"{url}/credits/").json()["balance"]
    assert balance_after_debit == f"{1000 - 0.02 - 0.02 * 300 - 0.04:.2f}"
