"""The fault-injection switch (local/faults/) over real HTTP (style.md rule 13)."""

from __future__ import annotations

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pennylane_qoro.local import FaultPlan, serve
from pennylane_qoro.local.store import Store, hash_token
from pennylane_qoro.protocol.text import compress_text

CIRCUIT = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\ncreg c[1];\nx q[0];\n' \
          "measure q[0] -> c[0];\n"


def session(token: str) -> requests.Session:
    s = requests.Session()
    s.headers["Authorization"] = f"Bearer {token}"
    return s


def add_body(finalized: str = "true") -> dict:
    return {"circuits": {"a": compress_text(CIRCUIT)}, "mode": "append",
            "finalized": finalized, "shots": 10}


class TestFaultPlan:
    def test_counts_and_filters(self) -> None:
        plan = FaultPlan(times=2, methods=frozenset({"get"}), path=r"/status/$")
        assert not plan.hit("POST", "/api/job/x/status/")
        assert not plan.hit("GET", "/api/job/x/resultsV2/")
        assert [plan.hit("GET", "/api/job/x/status/") for _ in range(3)] == [True, True, False]
        assert plan.injected == 2

    def test_probability_is_seeded(self) -> None:
        a, b = (FaultPlan(times=None, probability=0.5, seed=3) for _ in range(2))
        assert [a.hit("GET", "/") for _ in range(50)] == [b.hit("GET", "/") for _ in range(50)]
        plan = FaultPlan(times=None, probability=0.3, seed=1)
        hits = sum(plan.hit("GET", "/") for _ in range(2000))
        assert 450 < hits < 750

    @pytest.mark.parametrize("kwargs", [{"when": "during"}, {"action": "explode"},
                                        {"probability": 1.5}])
    def test_rejects_bad_plans(self, kwargs: dict) -> None:
        with pytest.raises(ValueError):
            FaultPlan(**kwargs)


class TestOverHttp:
    def test_502_before_the_handler(self) -> None:
        plan = FaultPlan(status=502, times=2, methods=frozenset({"GET"}), path=r"/status/$")
        with serve(faults=plan) as svc:
            s = session(svc.token)
            job_id = s.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
            codes = [s.get(f"{svc.url}/job/{job_id}/status/").status_code for _ in range(3)]
            assert codes == [502, 502, 200]
            assert plan.injected == 2

    def test_urllib3_retry_policy_rides_over_502s(self) -> None:
        """The official clients' Retry object (qoro-api.md §1.6) against real 502s."""
        plan = FaultPlan(status=502, times=3, path=r"/credits/$")
        with serve(faults=plan) as svc:
            s = session(svc.token)
            retry = Retry(total=5, backoff_factor=0.01, status_forcelist=[502],
                          allowed_methods=["GET", "POST", "DELETE"])
            s.mount("http://", HTTPAdapter(max_retries=retry))
            r = s.get(f"{svc.url}/credits/")
            assert r.status_code == 200 and r.json()["balance"] == "1000.00"
            assert plan.injected == 3

    def test_retry_after_header(self) -> None:
        plan = FaultPlan(status=503, retry_after=0.5, path=r"/api/$")
        with serve(faults=plan) as svc:
            r = session(svc.token).get(f"{svc.url}/")
            assert r.status_code == 503 and r.headers["Retry-After"] == "0.5"
            assert r.json() == {"detail": "injected fault: HTTP 503"}

    def test_drop_before_the_handler_changes_nothing(self) -> None:
        plan = FaultPlan(action="drop", methods=frozenset({"POST"}), path="add_circuits")
        with serve(faults=plan) as svc:
            s = session(svc.token)
            job_id = s.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
            with pytest.raises(requests.ConnectionError):
                s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body())
            assert s.get(f"{svc.url}/job/{job_id}/status/").json()["status"] == "PENDING"
            ok = s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body())
            assert ok.status_code == 200 and ok.json()["total_circuits"] == 1

    def test_drop_after_the_handler_loses_only_the_response(self) -> None:
        """The §1.6 hazard: the chunk IS stored although the client saw a broken connection."""
        plan = FaultPlan(when="after", action="drop", methods=frozenset({"POST"}),
                         path="add_circuits")
        with serve(faults=plan) as svc:
            s = session(svc.token)
            job_id = s.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
            with pytest.raises(requests.ConnectionError):
                s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body("false"))
            again = s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body())
            assert again.status_code == 400 and "duplicate circuit label 'a'" in again.text

    def test_status_after_the_handler(self) -> None:
        plan = FaultPlan(when="after", status=502, path="add_circuits")
        with serve(faults=plan) as svc:
            s = session(svc.token)
            job_id = s.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
            r = s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body())
            assert r.status_code == 502
            # the handler ran: the job was finalized and debited although the client saw 502
            assert s.get(f"{svc.url}/job/{job_id}/status/").json()["status"] != "PENDING" or \
                s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body()).status_code == 409
            usage = s.get(f"{svc.url}/credits/transactions/").json()["results"][0]
            assert usage["transaction_type"] == "USAGE" and usage["job_id"] == job_id


class TestSlowAnswers:
    """``action="slow"``: answers held past a client's timeout (qoro-api.md §1.5)."""

    def test_rejects_a_negative_delay(self) -> None:
        with pytest.raises(ValueError, match="delay"):
            FaultPlan(action="slow", delay=-1)

    def test_after_the_handler_the_job_exists_although_the_client_timed_out(
            self, tmp_path) -> None:
        plan = FaultPlan(action="slow", when="after", delay=1.0, path="job/init")
        with serve(faults=plan, db=tmp_path / "db.sqlite") as svc:
            s = session(svc.token)
            with pytest.raises(requests.ReadTimeout):
                s.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE"}, timeout=0.3)
            store = Store(tmp_path / "db.sqlite")
            try:
                assert len(store.job_ids(hash_token(svc.token))) == 1
            finally:
                store.close()
            assert plan.injected == 1

    def test_before_the_handler_the_request_runs_after_the_delay(self) -> None:
        plan = FaultPlan(action="slow", when="before", delay=0.5, path="add_circuits")
        with serve(faults=plan) as svc:
            s = session(svc.token)
            job_id = s.post(f"{svc.url}/job/init/", json={"job_type": "EXECUTE"}).json()["job_id"]
            r = s.post(f"{svc.url}/job/{job_id}/add_circuits/", json=add_body("false"),
                       timeout=10)
            assert r.status_code == 200 and r.json()["total_circuits"] == 1
            assert plan.injected == 1

    def test_several_plans_apply_independently(self) -> None:
        plans = [FaultPlan(status=502, times=1, path="credits"),
                 FaultPlan(status=503, times=1, path="credits")]
        with serve(faults=plans) as svc:
            s = session(svc.token)
            codes = [s.get(f"{svc.url}/credits/").status_code for _ in range(3)]
            assert codes == [502, 503, 200]
            assert [p.injected for p in plans] == [1, 1]
