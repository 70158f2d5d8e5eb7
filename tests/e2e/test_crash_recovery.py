"""Crash recovery: ``qoro-local serve`` on a database file, SIGKILLed at a random moment while
clients submit and wait, then restarted on the same port.

Three client threads keep the service busy (small jobs, and two-chunk uploads, each circuit
with a certain outcome named by the job's tag). At a seeded random point -- after a random
number of the jobs have come back, plus a random fraction of a job's time, so work is always
left -- the server gets ``kill -9``; after a seeded random pause it is started again on the
same database and port.
Then, for every job in the database:

* COMPLETED with the right results, or FAILED with a reason -- never RUNNING, and never a
  finalized job left PENDING (nothing stuck);
* an upload the kill cut short (unfinalized, or cancelled by the client's clean-up) only if a
  client error named that job id;

and every client call either returned the right results or raised a typed error that names the
job id when one existed. The ledger then balances: the token's balance equals its grant minus
the charges (each job's debit less its refunds), a job is debited at most once (a resumed job is
never charged again), a COMPLETED job was charged exactly its cost, a FAILED or CANCELLED one at
most that, an upload never finalized nothing. Parametrized over five seeds: five kills at five
random points.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from pennylane_qoro.client import JobSpec, QoroClient, QoroError
from pennylane_qoro.local.store import DEFAULT_GRANT, Store, hash_token

pytestmark = pytest.mark.slow

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
N_QUBITS = 14
JOBS_PER_THREAD = 5
SETTLE_TIMEOUT = 120.0


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pennylane_qoro.local", *args]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def server(db: Path, port: int) -> Iterator[subprocess.Popen]:
    proc = subprocess.Popen(
        cli("serve", "--db", str(db), "--port", str(port), "--workers", "2"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"serving http://127.0.0.1:{port}/api"), (line, proc.stderr.read())
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()


def circuit(ones: int, noise: int = 0, seed: int = 0) -> str:
    """X on the set bits of ``ones``, six entangling layers and their exact inverse."""
    n = N_QUBITS
    flips = "".join(f"x q[{k}];\n" for k in range(n) if ones >> k & 1)
    forward: list[str] = []
    for layer in range(6):
        forward += [f"h q[{k}];" for k in range(n)]
        forward += [f"cx q[{k}],q[{k + 1}];" for k in range(n - 1)]
        forward += [f"rz(0.{layer + 1}{k + 1}) q[{k}];" for k in range(n)]
    inverse = ["rz(-" + g[3:] if g.startswith("rz(") else g for g in reversed(forward)]
    measure = "".join(f"measure q[{k}] -> c[{k}];\n" for k in range(n))
    comment = ""
    if noise:  # incompressible, so the job needs two add_circuits chunks
        rng = random.Random(seed)
        comment = "// " + "".join(rng.choices(string.ascii_letters, k=noise)) + "\n"
    body = "\n".join(forward + inverse) + "\n"
    return f"{HEAD}{comment}qreg q[{n}];\ncreg c[{n}];\n{flips}{body}{measure}"


def outcome(tag: str, index: int) -> int:
    return (zlib.crc32(tag.encode()) + 7919 * index) % (1 << N_QUBITS)


def job_spec(tag: str, chunked: bool) -> JobSpec:
    count = 3 if chunked else 8
    circuits = tuple(
        (f"c{k}", circuit(outcome(tag, k), noise=400_000 if chunked else 0, seed=k))
        for k in range(count)
    )
    return JobSpec(circuits=circuits, shots=4, tag=tag)


def expected(tag: str, labels: list[str]) -> dict[str, dict[str, int]]:
    return {label: {format(outcome(tag, int(label[1:])), f"0{N_QUBITS}b"): 4}
            for label in labels}


@dataclass
class Outcome:
    tag: str
    job_id: str | None = None
    results: dict | None = None
    error: BaseException | None = None


def run_jobs(url: str, token: str, thread: int, out: list[Outcome], lock: threading.Lock,
             ) -> None:
    client = QoroClient(url, api_key=token, progress=False, poll_interval=0.05,
                        first_poll=0.005, retries=8)
    with client:
        for i in range(JOBS_PER_THREAD):
            tag = f"t{thread}-j{i}"
            record = Outcome(tag)
            try:
                result = client.run(job_spec(tag, chunked=thread == 0))
                record.job_id, record.results = result.job_id, result.results
            except QoroError as exc:
                record.error = exc
                record.job_id = getattr(exc, "job_id", None)
            with lock:
                out.append(record)


def settle(db: Path, owner: str) -> dict[str, object]:
    """Wait until no finalized job is PENDING or RUNNING; the jobs then."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        store = Store(db)
        try:
            jobs = {job_id: store.get_job(job_id, owner) for job_id in store.job_ids(owner)}
        finally:
            store.close()
        busy = [j for j in jobs.values() if j.finalized and j.status in ("PENDING", "RUNNING")]
        if not busy:
            return jobs
        assert time.monotonic() < deadline, f"stuck jobs: {[(j.id, j.status) for j in busy]}"
        time.sleep(0.1)


def hundredths(amount: str) -> int:
    """A ledger amount (``"-0.10"``) in hundredths of a credit."""
    return int(Decimal(amount) * 100)


def check_ledger(db: Path, owner: str, jobs: dict) -> int:
    """Assert the ledger equation (module docstring); returns the total charged."""
    store = Store(db)
    try:
        credits = store.credits(owner)
        _, ledger = store.transactions(owner, page=1, page_size=100_000)
    finally:
        store.close()
    grants = [t for t in ledger if t["transaction_type"] == "PURCHASE"]
    assert [hundredths(t["amount"]) for t in grants] == [DEFAULT_GRANT]
    charged: Counter[str] = Counter()
    debits: Counter[str] = Counter()
    for t in ledger:
        if t["transaction_type"] in ("USAGE", "REFUND"):
            charged[t["job_id"]] -= hundredths(t["amount"])
            debits[t["job_id"]] += t["transaction_type"] == "USAGE"
    assert set(charged) <= set(jobs), "a charge for a job that is not in the database"
    assert max(debits.values(), default=0) <= 1, f"a job debited twice: {debits}"
    for job_id, job in jobs.items():
        if job.status == "COMPLETED":
            assert charged[job_id] == job.cost and debits[job_id] == 1, job
        elif not job.finalized:
            assert job_id not in charged, job
        else:
            assert 0 <= charged[job_id] <= job.cost, job
    total = sum(charged.values())
    assert hundredths(credits["balance"]) == DEFAULT_GRANT - total
    assert hundredths(credits["total_used"]) == total
    return total


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_kill_at_a_random_point_then_restart(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    db = tmp_path / "jobs.sqlite"
    token = subprocess.run(cli("token", "create", "--db", str(db)), capture_output=True,
                           text=True, check=True).stdout.strip()
    owner = hash_token(token)
    port = free_port()
    url = f"http://127.0.0.1:{port}/api"
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    total = 3 * JOBS_PER_THREAD
    kill_at, kill_after, pause = rng.randint(1, total - 4), rng.uniform(0.0, 0.2), \
        rng.uniform(0.0, 0.5)

    with server(db, port) as first:
        threads = [threading.Thread(target=run_jobs, args=(url, token, t, outcomes, lock))
                   for t in range(3)]
        for t in threads:
            t.start()
        while len(outcomes) < kill_at:
            time.sleep(0.005)
        time.sleep(kill_after)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    store = Store(db)
    try:
        at_kill = Counter(store.get_job(j, owner).status for j in store.job_ids(owner))
    finally:
        store.close()
    time.sleep(pause)

    with server(db, port):
        for t in threads:
            t.join(timeout=SETTLE_TIMEOUT)
            assert not t.is_alive(), "a client hung across the restart"
        jobs = settle(db, owner)
        with QoroClient(url, api_key=token, progress=False) as reader:
            stored = {job_id: {row["label"]: row["results"] for row in reader.results(job_id)}
                      for job_id, job in jobs.items() if job.status == "COMPLETED"}

    named = {o.job_id for o in outcomes if o.error is not None and o.job_id}
    for job_id, job in jobs.items():
        if job.status == "COMPLETED":
            assert stored[job_id] == expected(job.tag, list(stored[job_id])), job.tag
            assert len(stored[job_id]) == (3 if job.tag.startswith("t0-") else 8)
        elif job.status == "FAILED":
            assert job.error, f"job {job_id} FAILED without a reason"
        else:  # an upload the kill interrupted: the client must have said so, naming the job
            assert not job.finalized and job.status in ("PENDING", "CANCELLED"), job
            assert job_id in named, f"job {job_id} ({job.status}) was never reported"
    assert len(outcomes) == total
    assert at_kill["COMPLETED"] < total  # the kill came with work left
    for o in outcomes:
        if o.error is None:
            assert o.results == expected(o.tag, list(o.results)), o.tag
            assert jobs[o.job_id].status == "COMPLETED"
        elif o.job_id is not None:
            assert o.job_id in str(o.error), o.error
    charged = check_ledger(db, owner, jobs)
    by_status = Counter(job.status for job in jobs.values())
    print(f"\nseed {seed}: ledger balanced ({charged / 100:.2f} credits charged); "
          f"kill {kill_after:.2f} s after {kill_at} jobs returned (jobs then "
          f"{dict(at_kill)}), restart "
          f"after {pause:.2f} s; jobs now {dict(by_status)}; client: "
          f"{sum(o.error is None for o in outcomes)} results, "
          f"{sum(o.error is not None for o in outcomes)} errors "
          f"{[type(o.error).__name__ for o in outcomes if o.error is not None]}")
