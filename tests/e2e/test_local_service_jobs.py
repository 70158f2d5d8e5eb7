"""The local service's job routes over real HTTP: result pages, chunked uploads, cancel, delete,
status and execution options (qoro-api.md §2.8-2.13, §2.16)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from local_api import Api, qasm

from pennylane_qoro.local import LocalService
from pennylane_qoro.protocol.histogram import decode_histogram


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    """The protocol speaker for this module's user (``service`` is in tests/conftest.py)."""
    return Api(service.url, service.token)


class TestPagingAndChunks:
    def test_paging_over_250_circuits(self, api: Api) -> None:
        n = 8
        circuits = {
            f"n{i:03d}": qasm(n, "".join(f"x q[{k}];\n" for k in range(n) if i >> k & 1))
            for i in range(250)
        }
        job_id = api.init()
        assert api.add(job_id, circuits=circuits, shots=3).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        pages = list(api.pages(job_id))
        assert [len(p["results"]) for p in pages] == [100, 100, 50]
        assert all(p["count"] == 250 for p in pages)
        assert pages[0]["previous"] is None and pages[1]["previous"] is not None
        assert "offset=100" in pages[0]["next"] and pages[2]["next"] is None
        rows = [row for p in pages for row in p["results"]]
        assert [row["label"] for row in rows] == list(circuits)
        for i, row in enumerate(rows):
            assert decode_histogram(row["results"]) == {format(i, "08b"): 3}

    def test_exactly_limit_rows_per_page(self, api: Api) -> None:
        job_id = api.init()
        assert api.add(job_id, circuits={f"c{i}": qasm(1, "") for i in range(7)},
                       shots=1).status_code == 200
        api.wait(job_id)
        sizes = [len(p["results"]) for p in api.pages(job_id, limit=3)]
        assert sizes == [3, 3, 1]

    def test_chunks_concatenate_with_chunk_local_shot_groups(self, api: Api) -> None:
        job_id = api.init()
        first = {"a": qasm(1, "x q[0];\n"), "b": qasm(1, ""), "c": qasm(1, "x q[0];\n")}
        second = {"d": qasm(1, ""), "e": qasm(1, "x q[0];\n")}
        r1 = api.add(job_id, circuits=first, finalized=False,
                     shot_groups=[[0, 1, 100], [1, 3, 200]])
        assert r1.status_code == 200 and api.status(job_id)["status"] == "PENDING"
        r2 = api.add(job_id, circuits=second, shot_groups=[[0, 2, 300]])
        assert r2.status_code == 200
        assert r2.json()["total_circuits"] == 5
        assert api.wait(job_id)["status"] == "COMPLETED"
        assert api.results(job_id) == {"a": {"1": 100}, "b": {"0": 200}, "c": {"1": 200},
                                       "d": {"0": 300}, "e": {"1": 300}}

    def test_bodies_of_several_mib_are_accepted(self, api: Api) -> None:
        """seed/0.13 bodies overshoot 0.95 MiB (§3.2); a 3 MiB chunk must pass."""
        rng = np.random.default_rng(1)
        body = "".join(f"rz({rng.uniform():.17f}) q[0];\n" for _ in range(60_000))
        circuits = {f"big{i}": qasm(1, body + f"// {rng.bytes(600_000).hex()}\n")
                    for i in range(3)}
        job_id = api.init()
        r = api.add(job_id, circuits=circuits, shots=1)
        assert r.status_code == 200, r.text[:300]
        assert len(r.request.body) > 3 << 20
        assert api.wait(job_id)["status"] == "COMPLETED"


def slow_circuits(count: int) -> dict[str, str]:
    """Circuits of tens of milliseconds each, to catch a job while it runs."""
    n = 20
    body = "".join(f"h q[{k}];\n" for k in range(n)) + "".join(
        f"cx q[{k}],q[{k + 1}];\nrz(0.{k + 1}) q[{k + 1}];\n" for k in range(n - 1)) * 4
    return {f"s{i}": qasm(n, body) for i in range(count)}


class TestLifecycle:
    def test_cancel_running_job(self, service: LocalService) -> None:
        api = Api(service.url, service.create_token())
        job_id = api.init()
        assert api.add(job_id, circuits=slow_circuits(200), shots=10).status_code == 200
        while api.status(job_id)["status"] == "PENDING":
            time.sleep(0.005)
        r = api.post(f"job/{job_id}/cancel/")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "cancelled" and body["job_id"] == job_id
        assert 0 < body["circuits_cancelled"] <= 200
        time.sleep(0.3)  # a circuit in flight finishes; the job must stay CANCELLED
        assert api.status(job_id)["status"] == "CANCELLED"
        again = api.post(f"job/{job_id}/cancel/")
        assert again.status_code == 409
        assert again.json() == {"error": "Can only cancel a PENDING or RUNNING job"}
        assert api.get(f"job/{job_id}/resultsV2/?limit=100&offset=0").status_code == 409
        refund = api.get("credits/transactions/").json()["results"][0]
        assert refund["transaction_type"] == "REFUND" and refund["job_id"] == job_id
        # 10 shots: 0.02 per circuit; results not stored before the cancel are refunded
        assert refund["amount"] == f"{body['circuits_cancelled'] * 2 / 100:.2f}"

    def test_cancel_pending_upload_and_completed_job(self, api: Api) -> None:
        job_id = api.init()
        assert api.add(job_id, circuits={"a": qasm(1, "")}, finalized=False,
                       shots=1).status_code == 200
        r = api.post(f"job/{job_id}/cancel/")
        assert r.status_code == 200 and r.json()["circuits_cancelled"] == 1
        late = api.add(job_id, circuits={"b": qasm(1, "")}, shots=1)
        assert late.status_code == 409
        done = api.init()
        api.add(done, circuits={"a": qasm(1, "")}, shots=1)
        api.wait(done)
        assert api.post(f"job/{done}/cancel/").status_code == 409

    def test_delete_with_and_without_slash(self, api: Api) -> None:
        for suffix in ("", "/"):
            job_id = api.init()
            api.add(job_id, circuits={"a": qasm(1, "")}, shots=1)
            api.wait(job_id)
            r = api.delete(f"job/{job_id}{suffix}")
            assert r.status_code == 204 and r.content == b""
            assert api.get(f"job/{job_id}/status/").status_code == 404
            assert api.delete(f"job/{job_id}{suffix}").status_code == 404

    def test_delete_running_job(self, api: Api) -> None:
        job_id = api.init()
        api.add(job_id, circuits=slow_circuits(50), shots=10)
        assert api.delete(f"job/{job_id}").status_code == 204
        assert api.get(f"job/{job_id}/status/").status_code == 404

    def test_status_shape_and_failed_job(self, api: Api) -> None:
        job_id = api.init()
        st = api.status(job_id)
        assert st == {"status": "PENDING", "run_time": 0.0}
        assert api.get(f"job/{job_id}/resultsV2/?limit=100&offset=0").status_code == 400
        failed = api.post("job/create_failed/", json={"tag": "test"})
        assert failed.status_code == 201
        fid = failed.json()["job_id"]
        body = api.status(fid)
        assert body["status"] == "FAILED" and isinstance(body["run_time"], float)
        assert body["error"]
        res = api.get(f"job/{fid}/resultsV2/?limit=100&offset=0")
        assert res.status_code == 409 and "FAILED" in res.json()["detail"]

    def test_completed_run_time_is_a_positive_number(self, api: Api) -> None:
        job_id = api.init()
        api.add(job_id, circuits={"a": qasm(3, "h q[0];\n")}, shots=100)
        st = api.wait(job_id)
        assert st["status"] == "COMPLETED" and st["run_time"] > 0

    def test_execution_config_get_and_post(self, api: Api) -> None:
        job_id = api.init()
        missing = api.get(f"job/{job_id}/execution_config/")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "No execution configuration exists for this job."}
        posted = api.post(f"job/{job_id}/execution_config/",
                          json={"bond_dimension": 16, "simulation_type": 1,
                                "api_meta": {"optimization_level": 2}})
        assert posted.status_code == 200, posted.text
        assert posted.json()["status"] == "ok" and posted.json()["job_id"] == job_id
        got = api.get(f"job/{job_id}/execution_config/").json()
        assert got["execution_configuration"]["bond_dimension"] == 16
        assert {"maestro_config", "device_config"} <= set(got)
        new = api.post(f"job/{job_id}/execution_config/",
                       json={"maestro_config": {"simulation_type": 1, "max_bond_dimension": 4}})
        assert new.status_code == 200
        assert api.get(f"job/{job_id}/execution_config/").json()["maestro_config"] == {
            "simulation_type": 1, "max_bond_dimension": 4}
        bad = api.post(f"job/{job_id}/execution_config/", json={"api_meta": {"invalid_key": 1}})
        assert bad.status_code == 400
        assert bad.json() == {"error": "Unknown api_meta key: 'invalid_key'"}
        api.add(job_id, circuits={"a": qasm(1, "")}, shots=1)
        api.wait(job_id)
        late = api.post(f"job/{job_id}/execution_config/", json={"bond_dimension": 2})
        assert late.status_code == 409
        assert late.json() == {"error": "Job is not in PENDING status"}
