"""The local service's ``Idempotency-Key`` handling and per-token job limit, over real HTTP.

qoro-api.md §8 item 10: the same key with the same request gets the recorded answer and
changes nothing (no second job, no chunk appended twice); the same key with another request is
409; keys are per token. Jobs are counted in the service's own database file, read through
``Store.job_ids``. §1.6: a 429 carries an integer ``Retry-After`` so urllib3 can honour it.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests

from pennylane_qoro.local import FaultPlan, serve
from pennylane_qoro.local.store import Store, hash_token
from pennylane_qoro.protocol.histogram import decode_histogram
from pennylane_qoro.protocol.text import compress_text

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
X = f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n"
ID = f"{HEAD}qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\n"


class Api:
    def __init__(self, url: str, token: str):
        self.url = url
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {token}"

    def init(self, key: str | None = None, **body: object) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return self.s.post(f"{self.url}/job/init/", json={"job_type": "EXECUTE", **body},
                           headers=headers, timeout=30)

    def add(self, job_id: str, circuits: dict[str, str], key: str | None = None,
            finalized: str = "true", shots: int = 4) -> requests.Response:
        headers = {"Idempotency-Key": key} if key else {}
        body = {"circuits": {k: compress_text(v) for k, v in circuits.items()},
                "mode": "append", "finalized": finalized, "shots": shots}
        return self.s.post(f"{self.url}/job/{job_id}/add_circuits/", json=body,
                           headers=headers, timeout=30)

    def wait(self, job_id: str) -> str:
        while True:
            status = self.s.get(f"{self.url}/job/{job_id}/status/", timeout=30).json()["status"]
            if status not in ("PENDING", "RUNNING"):
                return status

    def results(self, job_id: str) -> dict[str, dict]:
        page = self.s.get(f"{self.url}/job/{job_id}/resultsV2/?limit=100&offset=0",
                          timeout=30).json()
        return {r["label"]: decode_histogram(r["results"]) for r in page["results"]}


def jobs_of(db: Path, token: str) -> list[str]:
    store = Store(db)
    try:
        return store.job_ids(hash_token(token))
    finally:
        store.close()


@pytest.fixture
def svc(tmp_path: Path):
    with serve(db=tmp_path / "jobs.sqlite", workers=1) as service:
        yield service, tmp_path / "jobs.sqlite"


def test_ping_advertises_idempotency(svc) -> None:
    service, _ = svc
    assert Api(service.url, service.token).s.get(f"{service.url}/").json()["idempotency"] is True


def test_same_key_same_body_is_one_job(svc) -> None:
    service, db = svc
    api = Api(service.url, service.token)
    answers = [api.init("k-1") for _ in range(3)]
    assert {r.status_code for r in answers} == {201}
    assert len({r.text for r in answers}) == 1
    assert jobs_of(db, service.token) == [answers[0].json()["job_id"]]


def test_same_key_other_body_is_409(svc) -> None:
    service, db = svc
    api = Api(service.url, service.token)
    job_id = api.init("k-2").json()["job_id"]
    other = api.init("k-2", tag="different")
    assert other.status_code == 409 and "different request" in other.json()["error"]
    # the key of an init reused on add_circuits is another request too
    assert api.add(job_id, {"a": X}, key="k-2").status_code == 409
    assert jobs_of(db, service.token) == [job_id]


def test_without_a_key_every_init_is_a_job(svc) -> None:
    service, db = svc
    api = Api(service.url, service.token)
    assert api.init().json() != api.init().json()
    assert len(jobs_of(db, service.token)) == 2


def test_a_chunk_is_appended_once(svc) -> None:
    service, _ = svc
    api = Api(service.url, service.token)
    job_id = api.init("k-3").json()["job_id"]
    first = api.add(job_id, {"a": X}, key="c-1", finalized="false")
    again = api.add(job_id, {"a": X}, key="c-1", finalized="false")
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["total_circuits"] == 1
    final = api.add(job_id, {"b": ID}, key="c-2")
    assert final.json()["total_circuits"] == 2 and final.json()["finalized"] is True
    assert api.wait(job_id) == "COMPLETED"
    # the finalizing chunk re-sent after the job ran: the recorded 200, not a 409
    late = api.add(job_id, {"b": ID}, key="c-2")
    assert late.status_code == 200 and late.json() == final.json()
    assert api.results(job_id) == {"a": {"1": 4}, "b": {"0": 4}}


def test_keys_belong_to_one_token(svc) -> None:
    service, db = svc
    alice, bob = service.token, service.create_token()
    a = Api(service.url, alice).init("shared").json()["job_id"]
    b = Api(service.url, bob).init("shared").json()["job_id"]
    assert a != b
    assert jobs_of(db, alice) == [a] and jobs_of(db, bob) == [b]


def test_concurrent_duplicates_apply_once(svc) -> None:
    """Eight copies of the same keyed init, then of the same finalizing chunk, at once."""
    service, db = svc
    api = Api(service.url, service.token)
    answers: list[requests.Response] = []

    def fire(call) -> None:
        barrier.wait()
        answers.append(call())

    barrier = threading.Barrier(8)
    threads = [threading.Thread(target=fire, args=(lambda: api.init("race"),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in answers} == {201} and len({r.text for r in answers}) == 1
    job_id = answers[0].json()["job_id"]
    assert jobs_of(db, service.token) == [job_id]

    answers.clear()
    barrier = threading.Barrier(8)
    threads = [threading.Thread(target=fire, args=(lambda: api.add(job_id, {"a": X}, "rc"),))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
    assert {r.json()["total_circuits"] for r in answers} == {1}
    assert api.wait(job_id) == "COMPLETED" and api.results(job_id) == {"a": {"1": 4}}
    usage = api.s.get(f"{service.url}/credits/transactions/", timeout=30).json()["results"]
    assert [t["job_id"] for t in usage if t["transaction_type"] == "USAGE"] == [job_id]


def test_insufficient_credits_answer_is_replayed() -> None:
    with serve(grant=1, workers=1) as service:
        api = Api(service.url, service.token)
        job_id = api.init("k").json()["job_id"]
        first = api.add(job_id, {"a": X}, key="pay")
        again = api.add(job_id, {"a": X}, key="pay")
        assert first.status_code == again.status_code == 402
        assert first.json() == again.json() and "insufficient credits" in first.json()["detail"]


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\tkey"])
def test_malformed_keys_are_400(svc, key: str) -> None:
    service, db = svc
    r = Api(service.url, service.token).s.post(
        f"{service.url}/job/init/", json={"job_type": "EXECUTE"},
        headers={"Idempotency-Key": key}, timeout=30)
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["detail"]
    assert jobs_of(db, service.token) == []


def test_disabled_idempotency_ignores_the_header(tmp_path: Path) -> None:
    with serve(db=tmp_path / "j.sqlite", idempotency=False, workers=1) as service:
        api = Api(service.url, service.token)
        assert api.s.get(f"{service.url}/").json()["idempotency"] is False
        assert api.init("same").json() != api.init("same").json()
        assert len(jobs_of(tmp_path / "j.sqlite", service.token)) == 2


def test_a_slow_original_after_its_resend_changes_nothing(tmp_path: Path) -> None:
    """The original request is held past the client's timeout; the client re-sends; the
    held original then reaches the handler and is answered from the record."""
    plan = FaultPlan(action="slow", when="before", delay=0.6, path="job/init",
                     methods=frozenset({"POST"}))
    with serve(db=tmp_path / "j.sqlite", faults=plan, workers=1) as service:
        api = Api(service.url, service.token)
        with pytest.raises(requests.ReadTimeout):
            api.s.post(f"{service.url}/job/init/", json={"job_type": "EXECUTE"},
                       headers={"Idempotency-Key": "late"}, timeout=0.2)
        resent = api.init("late")
        assert resent.status_code == 201
        threading.Event().wait(0.8)  # let the held original run its handler
        assert plan.injected == 1
        assert jobs_of(tmp_path / "j.sqlite", service.token) == [resent.json()["job_id"]]


class TestActiveJobLimit:
    def test_init_beyond_the_limit_is_429_with_retry_after(self, tmp_path: Path) -> None:
        with serve(db=tmp_path / "j.sqlite", max_active_jobs=2, workers=1) as service:
            api = Api(service.url, service.token)
            first, second = (api.init().json()["job_id"] for _ in range(2))
            refused = api.init("k429")
            assert refused.status_code == 429
            assert refused.headers["Retry-After"] == "1"
            assert "Too many active jobs: 2" in refused.json()["detail"]
            # another token is not limited by this one's jobs
            other = Api(service.url, service.create_token())
            assert other.init().status_code == 201
            # finishing a job frees a slot; the refused key was not recorded
            assert api.add(first, {"a": X}).status_code == 200
            assert api.wait(first) == "COMPLETED"
            accepted = api.init("k429")
            assert accepted.status_code == 201
            assert second in jobs_of(tmp_path / "j.sqlite", service.token)

    def test_a_replayed_init_is_not_limited(self, tmp_path: Path) -> None:
        with serve(db=tmp_path / "j.sqlite", max_active_jobs=1, workers=1) as service:
            api = Api(service.url, service.token)
            first = api.init("only")
            assert api.init("only").json() == first.json()
            assert api.init("another").status_code == 429
