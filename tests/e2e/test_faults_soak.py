"""1000 tiny jobs through QoroClient while the local service breaks 20% of the job requests.

Faults (``local/faults/``, at the service boundary, over real HTTP) hit ``job/init/``,
``add_circuits/``, ``status/`` and ``resultsV2/``: a 502 or a dropped connection before the
handler runs, a lost response (dropped, or replaced by a 503) after it ran, and answers held
past the client's timeout (handler run first, or run only after the client re-sent). Six plans
of probability p with 1 - (1 - p)^6 = 0.2.

The client re-sends GETs, and -- because the service advertises idempotency -- its keyed
``job/init/`` / ``add_circuits/`` POSTs with the same ``Idempotency-Key`` (qoro-api.md §8
item 10). Counted at the end, from the client's answers and the service's own database:
lost = logical jobs that did not come back with results, duplicated = service jobs beyond one
per logical job or debits beyond one per job, wrong = results that differ from the known
outcome. All three must be 0. And the ledger balances: the balance is the grant minus one
debit of each job's cost (every job COMPLETED, so no refunds).
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.local import FaultPlan, serve
from pennylane_qoro.local.store import DEFAULT_GRANT, Store, format_amount, hash_token

pytestmark = pytest.mark.slow

JOBS = 1000
THREADS = 16
FAULT_RATE = 0.20
SHOTS = 3
PATHS = r"/job/(init/|submit/|[^/]+/(add_circuits|status|resultsV2)/)$"
HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def _plans(seed: int) -> list[FaultPlan]:
    kinds = [
        {"when": "before", "action": "status", "status": 502},
        {"when": "before", "action": "drop"},
        {"when": "after", "action": "drop"},
        {"when": "after", "action": "status", "status": 503},
        {"when": "after", "action": "slow", "delay": 0.8},
        {"when": "before", "action": "slow", "delay": 0.8},
    ]
    p = 1 - (1 - FAULT_RATE) ** (1 / len(kinds))
    return [FaultPlan(times=None, probability=p, path=PATHS, seed=seed + k, **kind)
            for k, kind in enumerate(kinds)]


def _job(i: int) -> tuple[JobSpec, dict[str, dict[str, int]]]:
    """Job i: one or two circuits on 1-2 qubits with a certain outcome."""
    n = 1 + i % 2
    specs, expected = [], {}
    for c in range(1 + (i // 2) % 2):
        bits = (i + c) % (1 << n)
        flips = "".join(f"x q[{k}];\n" for k in range(n) if bits >> k & 1)
        measure = "".join(f"measure q[{k}] -> c[{k}];\n" for k in range(n))
        label = f"j{i}-c{c}"
        specs.append((label, f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{flips}{measure}"))
        expected[label] = {format(bits, f"0{n}b"): SHOTS}
    return JobSpec(circuits=tuple(specs), shots=SHOTS, tag=f"soak-{i}"), expected


def test_1000_jobs_under_20_percent_faults(tmp_path: Path) -> None:
    db = tmp_path / "soak.sqlite"
    plans = _plans(seed=20240)
    returned: dict[int, str] = {}
    wrong: list[int] = []
    errors: dict[int, str] = {}
    attempts = Counter()
    lock = threading.Lock()

    with serve(db=db, faults=plans, workers=2, max_active_jobs=None) as service:

        def worker(w: int) -> None:
            client = QoroClient(service.url, api_key=service.token, progress=False,
                                poll_interval=0.05, first_poll=0.005, retries=10,
                                request_timeout=0.4)
            with client:
                for i in range(w, JOBS, THREADS):
                    spec, expected = _job(i)
                    try:
                        result = client.run(spec)
                    except Exception as exc:  # counted as lost below, with the reason
                        with lock:
                            errors[i] = f"{type(exc).__name__}: {exc}"
                        continue
                    with lock:
                        returned[i] = result.job_id
                        if result.results != expected:
                            wrong.append(i)
                with lock:
                    attempts["requests"] += client.stats.requests
                    attempts["retries"] += client.stats.retries

        threads = [threading.Thread(target=worker, args=(w,)) for w in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        injected = sum(plan.injected for plan in plans)
        by_kind = {f"{p.when}-{p.action}": p.injected for p in plans}

    store = Store(db)
    try:
        owner = hash_token(service.token)
        service_jobs = store.job_ids(owner)
        statuses = Counter(store.status(job_id, owner)[0] for job_id in service_jobs)
        _, ledger = store.transactions(owner, page=1, page_size=10 * JOBS)
        balance = store.credits(owner)["balance"]
        cost = sum(store.get_job(job_id, owner).cost for job_id in service_jobs)
    finally:
        store.close()
    debits = Counter(t["job_id"] for t in ledger if t["transaction_type"] == "USAGE")

    lost = JOBS - len(returned)
    duplicated = (len(service_jobs) - len(set(returned.values()))
                  + sum(n - 1 for n in debits.values()))
    sent = attempts["requests"] + attempts["retries"]
    print(f"\nsoak: {JOBS} jobs, {injected} faults injected in {sent} HTTP attempts "
          f"({injected / sent:.1%} of all attempts, ~{FAULT_RATE:.0%} of job requests); "
          f"lost={lost} duplicated={duplicated} wrong={len(wrong)}; "
          f"service jobs={len(service_jobs)} {dict(statuses)}; faults by kind {by_kind}")
    assert not errors, list(errors.items())[:5]
    assert lost == 0 and duplicated == 0 and wrong == []
    assert sorted(service_jobs) == sorted(returned.values())
    assert statuses == Counter({"COMPLETED": JOBS})
    assert set(debits) == set(service_jobs)
    assert balance == format_amount(DEFAULT_GRANT - cost)  # grant minus one charge per job
    assert {t["transaction_type"] for t in ledger} == {"PURCHASE", "USAGE"}
    assert injected > 0.1 * sent  # the faults really happened (seeded draws)
    assert min(by_kind.values()) > 0
