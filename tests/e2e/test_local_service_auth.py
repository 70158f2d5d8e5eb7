"""Authentication and ownership over real HTTP: 401 without a valid token, another user's jobs
are 404 (403 on ``cancel/``) and untouched (qoro-api.md §1.2, §2.11)."""

from __future__ import annotations

import pytest
from local_api import Api, qasm

from pennylane_qoro.local import LocalService


class TestIsolation:
    def test_every_job_endpoint_hides_other_users_jobs(self, service: LocalService) -> None:
        alice = Api(service.url, service.create_token())
        bob = Api(service.url, service.create_token())
        job_id = alice.init()
        done = alice.init()
        alice.add(done, circuits={"a": qasm(1, "")}, shots=1)
        alice.wait(done)
        checks = [
            bob.get(f"job/{job_id}/status/"),
            bob.get(f"job/{done}/resultsV2/?limit=100&offset=0"),
            bob.add(job_id, circuits={"x": qasm(1, "")}, shots=1),
            bob.get(f"job/{job_id}/execution_config/"),
            bob.post(f"job/{job_id}/execution_config/", json={"bond_dimension": 2}),
            bob.delete(f"job/{job_id}"),
            bob.delete(f"job/{done}/"),
        ]
        assert [r.status_code for r in checks] == [404] * len(checks)
        cancel = bob.post(f"job/{job_id}/cancel/")
        assert cancel.status_code == 403
        assert cancel.json() == {"detail": "You do not have permission to modify this job."}
        # nothing Bob did touched Alice's jobs
        assert alice.status(job_id)["status"] == "PENDING"
        assert alice.results(done) == {"a": {"0": 1}}

    @pytest.mark.parametrize("token", [None, "not-a-token", ""])
    def test_missing_or_unknown_token_is_401(self, service: LocalService,
                                             token: str | None) -> None:
        stranger = Api(service.url, token)
        owner = Api(service.url, service.token)
        job_id = owner.init()
        responses = [
            stranger.get(""), stranger.get("qpusystem/"), stranger.get("simulatorcluster/"),
            stranger.get("credits/"), stranger.get("credits/transactions/"),
            stranger.post("job/init/", json={"job_type": "EXECUTE"}),
            stranger.add(job_id, circuits={"a": qasm(1, "")}),
            stranger.get(f"job/{job_id}/status/"),
            stranger.get(f"job/{job_id}/resultsV2/?limit=100&offset=0"),
            stranger.post(f"job/{job_id}/cancel/"), stranger.delete(f"job/{job_id}"),
            stranger.get(f"job/{job_id}/execution_config/"),
            stranger.post(f"job/{job_id}/execution_config/", json={"bond_dimension": 2}),
            stranger.get("vendor-config-blueprint/"),
            stranger.post("job/create_failed/", json={"tag": "t"}),
        ]
        assert [r.status_code for r in responses] == [401] * len(responses)
        assert all("detail" in r.json() for r in responses)
        assert owner.status(job_id)["status"] == "PENDING"
