"""Attack: one token's huge ``add_circuits/`` upload against every other token's polls (issue 17).

Raw HTTP to a real local service on a database file. Before the fix the store's one lock was
held for the whole insert of the chunk's rows (every token's ``status/`` waited seconds) and
the rows were stored before the credit check refused the job (402). These tests hold the
service to what can be checked without a clock:

* an upload the balance cannot pay is refused with 402 and NONE of its rows is stored (read
  from the database file by a second connection), for a finalizing and a non-final chunk;
* another token's ``status/`` requests are answered WHILE the upload's rows are being stored:
  a poll sent after some of the rows were visible in the database and answered before all of
  them were (impossible when the chunk was one transaction);

and print the other token's ``status/`` latency during the upload (p50/p99/max);
``python -m bench upload-fairness`` records it for the issue's 700 000 rows.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import requests

from pennylane_qoro.local import serve
from pennylane_qoro.protocol.text import compress_text

TEMPLATE = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nrx(theta) q[0];\n'
            "measure q[0] -> c[0];\n")
ROWS = 60_000  # about 2.6 MB of JSON: tens of staging batches, a few seconds in all
INIT = {"tag": "fair", "job_type": "EXECUTE", "simulator_cluster": "qoro_maestro"}


def template_body(n: int, *, finalized: bool, prefix: str = "r") -> bytes:
    """A gzip ``add_circuits/`` body of one template and ``n`` parameter rows, 1 shot each."""
    rows = [{"label": f"{prefix}{i}", "values": [0.001 * (i % 1000)]} for i in range(n)]
    body = {"circuit_template": compress_text(TEMPLATE), "parameter_names": ["theta"],
            "parameter_sets": rows, "mode": "append", "shots": 1,
            "finalized": "true" if finalized else "false"}
    return gzip.compress(json.dumps(body).encode(), 6)


def session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def upload(s: requests.Session, url: str, job_id: str, body: bytes) -> requests.Response:
    return s.post(f"{url}/job/{job_id}/add_circuits/", data=body, timeout=300,
                  headers={"Content-Encoding": "gzip", "Content-Type": "application/json"})


def stored_rows(db: Path, job_id: str) -> int:
    """Circuit rows of ``job_id`` committed to the database file (a reader of its own)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM circuits WHERE job_id = ?",
                            (job_id,)).fetchone()
    conn.close()
    return n


@pytest.mark.parametrize("finalized", [True, False])
def test_unaffordable_upload_is_402_before_any_row_is_stored(tmp_path: Path,
                                                             finalized: bool) -> None:
    """Test that a chunk the balance cannot pay (1.00 credit for 20 000 circuits of 0.02) is
    refused with 402 naming the cost and balance, the job is FAILED, and no row reached the
    database (before the fix all 20 000 were inserted first)."""
    db = tmp_path / "jobs.sqlite"
    with serve(db=db, grant=100) as service:
        s = session(service.token)
        job_id = s.post(f"{service.url}/job/init/", json=INIT, timeout=30).json()["job_id"]
        r = upload(s, service.url, job_id, template_body(20_000, finalized=finalized))
        assert r.status_code == 402, r.text
        assert "costs 400.00 credits and the balance is 1.00" in r.json()["detail"]
        status = s.get(f"{service.url}/job/{job_id}/status/", timeout=30).json()
        assert status["status"] == "FAILED" and "insufficient credits" in status["error"]
        assert stored_rows(db, job_id) == 0
        assert s.get(f"{service.url}/credits/", timeout=30).json()["balance"] == "1.00"


def test_other_tokens_are_answered_while_the_rows_are_stored(tmp_path: Path) -> None:
    """Test that while one token's 60 000-row chunk is being stored, another token's
    ``status/`` polls are answered: some poll is sent after part of the rows is in the
    database and answered before all of them are. Prints the poller's latency."""
    db = tmp_path / "jobs.sqlite"
    body = template_body(ROWS, finalized=False)
    with serve(db=db, grant=10**8, workers=1) as service:
        big, small = session(service.token), session(service.create_token())
        big_job = big.post(f"{service.url}/job/init/", json=INIT, timeout=30).json()["job_id"]
        small_job = small.post(f"{service.url}/job/init/", json=INIT,
                               timeout=30).json()["job_id"]
        polls: list[tuple[float, float, int, int]] = []  # sent, answered, rows before/after
        done = threading.Event()

        def poll() -> None:
            while not done.is_set():
                before = stored_rows(db, big_job)
                sent = time.perf_counter()
                r = small.get(f"{service.url}/job/{small_job}/status/", timeout=60)
                answered = time.perf_counter()
                assert r.status_code == 200 and r.json()["status"] == "PENDING", r.text
                polls.append((sent, answered, before, stored_rows(db, big_job)))

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            start = time.perf_counter()
            r = upload(big, service.url, big_job, body)
            end = time.perf_counter()
        finally:
            done.set()
            poller.join(timeout=120)
        assert r.status_code == 200, r.text
        assert r.json()["total_circuits"] == ROWS and stored_rows(db, big_job) == ROWS
    during = sorted(a - s for s, a, _, _ in polls if start <= s and a <= end)
    mid_insert = [p for p in polls if p[2] > 0 and p[3] < ROWS]
    if during:
        print(f"\nother token's status/ during a {ROWS}-row upload ({end - start:.2f} s): "
              f"{len(during)} polls, p50 {during[len(during) // 2] * 1e3:.1f} ms, "
              f"p99 {during[int(len(during) * 0.99)] * 1e3:.1f} ms, "
              f"max {during[-1] * 1e3:.1f} ms; {len(mid_insert)} answered mid-insert")
    assert mid_insert, "no status/ answer was served while the chunk's rows were stored"
