"""Idempotent submission and outage tolerance of the client, over real HTTP to the real local
service (see conftest.py).

``job/init/`` and every ``add_circuits/`` chunk carry an ``Idempotency-Key`` (qoro-api.md §8
item 10). They are re-sent -- by urllib3's ``Retry`` on a dedicated session, with the SAME
key -- only when the service's ping advertised ``"idempotency": true`` (``keyed_qoro``: the
service then also honours the key); otherwise the first failure is final and an unanswered
POST is an :class:`AmbiguousSubmissionError` that says which states the job may be in. Each
test counts what reached the service and reads what it stored.
"""

from __future__ import annotations

import uuid

import pytest
from client_specs import QASM, bound_spec, noise

from pennylane_qoro.client import (
    AmbiguousSubmissionError,
    JobSpec,
    QoroClient,
    QoroConnectionError,
    RateLimitedError,
    ServerError,
)
from pennylane_qoro.local import FaultPlan

pytestmark = pytest.mark.usefixtures("no_key_in_logs")

DROP_AFTER = FaultPlan(action="drop", when="after")  # the POST took effect, its answer is lost


def _spec(n: int = 2) -> JobSpec:
    return bound_spec(n, shots=100)


def _chunked_spec() -> JobSpec:
    """Three ~400 kB circuits: two add_circuits chunks."""
    return JobSpec(
        circuits=tuple((f"big{i}", QASM + noise(400_000, i)) for i in range(3)), shots=5
    )


def _keys(qoro, route: str) -> list[str]:
    return [
        h.headers.get("idempotency-key", "")
        for h in qoro.hits
        if h.method == "POST" and h.route == route
    ]


def _labels(client, job_id: str) -> list[str]:
    """The circuits the service holds for a job, in order (once it has run)."""
    client.wait(job_id)
    return [row["label"] for row in client.results(job_id)]


class TestKeys:
    def test_every_logical_request_has_its_own_uuid4_key(self, client, qoro):
        job_id = client.submit(_chunked_spec())
        keys = _keys(qoro, "init") + _keys(qoro, "add")
        assert len(keys) == 3 and len(set(keys)) == 3
        assert all(uuid.UUID(k).version == 4 for k in keys)
        # a healthy submission costs no ping: the service is only asked when a POST fails
        assert [h.method for h in qoro.hits] == ["POST"] * 3
        assert _labels(client, job_id) == ["big0", "big1", "big2"]

    def test_unkeyed_posts_stay_unkeyed(self, client, qoro):
        job_id = client.init_job("EXECUTE", simulator_cluster="qoro_maestro")
        client.set_execution_config(job_id, {"bond_dimension": 4})
        client.cancel(job_id)
        posts = [h for h in qoro.hits if h.method == "POST"]
        assert "idempotency-key" in posts[0].headers  # init
        assert all("idempotency-key" not in h.headers for h in posts[1:])


class TestAdvertised:
    @pytest.fixture
    def qoro(self, keyed_qoro):
        """The service that advertises and honours ``Idempotency-Key``."""
        return keyed_qoro

    @pytest.mark.parametrize(
        "fault",
        [
            DROP_AFTER,
            FaultPlan(status=502, when="after"),
            FaultPlan(action="drop"),
            FaultPlan(status=503),
            FaultPlan(status=429, headers={"Retry-After": "0"}),
        ],
    )
    def test_init_is_resent_with_the_same_key(self, client, qoro, fault):
        qoro.inject("POST", "init", fault)
        job_id = client.submit(_spec())
        first, second = _keys(qoro, "init")
        assert first == second
        assert qoro.jobs == [job_id]
        assert qoro.count("GET", "ping") == 1
        assert client.stats.jobs == 1

    @pytest.mark.parametrize("fail_at", [1, 2])
    def test_a_lost_chunk_answer_never_appends_twice(self, client, qoro, fail_at):
        qoro.inject("POST", "add", FaultPlan(action="drop", when="after", skip=fail_at - 1),
                    FaultPlan(status=502))
        job_id = client.submit(_chunked_spec())
        adds = _keys(qoro, "add")
        assert len(adds) == 4  # two chunks, the failing one sent three times
        assert adds[fail_at - 1] == adds[fail_at] == adds[fail_at + 1]
        assert len(set(adds)) == 2
        assert qoro.job(job_id).finalized
        assert _labels(client, job_id) == ["big0", "big1", "big2"]

    def test_support_is_asked_once_per_client(self, client, qoro):
        qoro.inject("POST", "init", DROP_AFTER)
        client.submit(_spec())
        qoro.inject("POST", "init", DROP_AFTER)
        qoro.inject("POST", "add", FaultPlan(status=502, when="after"))
        client.submit(_spec())
        assert qoro.count("GET", "ping") == 1
        assert len(qoro.jobs) == 2
        assert client.stats.retries == 2  # the second submission re-sent through urllib3

    def test_an_explicit_ping_fills_the_cache(self, client, qoro):
        assert client.ping()["idempotency"] is True
        qoro.inject("POST", "init", FaultPlan(status=502))
        client.submit(_spec())
        assert qoro.count("GET", "ping") == 1
        assert client.stats.retries == 1

    def test_retries_run_out_into_an_ambiguous_error(self, client, qoro):
        client.ping()
        qoro.inject("POST", "init", FaultPlan(action="drop", when="after", times=6))
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.submit(_spec())
        message = str(info.value)
        assert "at most once" in message and "may have created a job" in message
        assert len(set(_keys(qoro, "init"))) == 1 and qoro.count("POST", "init") == 6
        assert len(qoro.jobs) == 1  # the key made six sends one job
        assert qoro.token not in message

    def test_rate_limit_that_persists_surfaces_with_retry_after(self, qoro):
        with QoroClient(qoro.url, api_key=qoro.token, progress=False, retries=2) as c:
            c.ping()
            qoro.inject("POST", "init",
                        FaultPlan(status=429, headers={"Retry-After": "0"}, times=3))
            with pytest.raises(RateLimitedError) as info:
                c.submit(_spec())
        assert info.value.retry_after == 0.0 and qoro.count("POST", "init") == 3
        assert not qoro.jobs

    @pytest.mark.parametrize("route", ["cancel", "qubo"])
    def test_state_changing_posts_are_still_never_resent(self, client, qoro, route):
        client.ping()
        job_id = client.init_job("VALIDATE")
        qoro.inject("POST", route, FaultPlan(status=502))
        call = client.cancel if route == "cancel" else (lambda j: client.submit_qubo(j, {}))
        with pytest.raises(ServerError):
            call(job_id)
        assert qoro.count("POST", route) == 1

    def test_bodies_are_identical_on_every_resend(self, client, qoro):
        qoro.inject("POST", "add", DROP_AFTER)
        client.submit(_spec())
        first, second = (h for h in qoro.hits if h.route == "add")
        assert first.body == second.body
        assert first.json["finalized"] == "true"


class TestNotAdvertised:
    def test_lost_init_answer_is_ambiguous_and_not_resent(self, client, qoro):
        qoro.inject("POST", "init", DROP_AFTER)
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.submit(_spec())
        assert "may have created a job" in str(info.value)
        assert "never runs and costs nothing" in str(info.value)
        assert qoro.count("POST", "init") == 1 and qoro.count("GET", "ping") == 1

    @pytest.mark.parametrize("final", [False, True])
    def test_lost_chunk_answer_names_the_job_and_its_possible_states(self, client, qoro, final):
        qoro.inject("POST", "add", FaultPlan(action="drop", when="after", skip=int(final)))
        qoro.inject("DELETE", "delete", FaultPlan(status=502, times=6))  # cleanup fails too
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.submit(_chunked_spec())
        err = info.value
        (job_id,) = qoro.jobs
        assert err.job_id == job_id and job_id in str(err)
        if final:
            assert "chunk 2/2" in str(err) and "finalized" in str(err)
            assert "all 2 chunk(s)" in str(err)
        else:
            assert "chunk 1/2" in str(err) and "no circuits or chunks 1-1" in str(err)
        assert f"delete({job_id!r})" in str(err)
        assert qoro.count("POST", "add") == (2 if final else 1)

    def test_cleanup_that_works_is_reported(self, client, qoro):
        qoro.inject("POST", "add", DROP_AFTER)
        with pytest.raises(AmbiguousSubmissionError, match="cancelled and deleted"):
            client.submit(_spec())
        assert not qoro.jobs

    def test_gateway_error_on_init_is_final(self, client, qoro):
        qoro.inject("POST", "init", FaultPlan(status=502))
        with pytest.raises(ServerError):
            client.submit(_spec())
        assert qoro.count("POST", "init") == 1 and not qoro.jobs


class TestWaitingThroughOutages:
    def test_status_polls_ride_over_an_outage(self, qoro):
        qoro.statuses("RUNNING", "COMPLETED")
        with QoroClient(
            qoro.url, api_key=qoro.token, progress=False, poll_interval=0.01, first_poll=0.001,
            retries=1,
        ) as c:
            job_id = c.submit(_spec())
            # 2 attempts per poll (retries=1): four failed polls in a row, then answers
            qoro.inject("GET", "status", FaultPlan(action="drop", times=8))
            assert c.wait(job_id)["status"] == "COMPLETED"
        assert qoro.count("GET", "status") == 8 + 2

    @pytest.mark.parametrize(
        "fault, cls",
        [(FaultPlan(status=503), ServerError), (FaultPlan(action="drop"), QoroConnectionError)],
    )
    def test_a_longer_outage_raises_with_the_job_id(self, qoro, fault, cls):
        qoro.statuses("RUNNING")
        with QoroClient(qoro.url, api_key=qoro.token, progress=False, retries=0) as c:
            c.outage_grace = 0.0
            job_id = c.submit(_spec())
            qoro.inject("GET", "status", fault)
            with pytest.raises(cls) as info:
                c.wait(job_id)
        assert info.value.job_id == job_id and job_id in str(info.value)

    def test_a_500_is_not_an_outage(self, client, qoro):
        job_id = client.submit(_spec())
        qoro.inject("GET", "status", FaultPlan(status=500, body={"detail": "bug"}))
        with pytest.raises(ServerError, match="bug"):
            client.wait(job_id)
        assert qoro.count("GET", "status") == 1

    def test_request_timeout_caps_every_call(self, qoro):
        with QoroClient(qoro.url, api_key=qoro.token, progress=False, request_timeout=0.2) as c:
            qoro.inject("GET", "credits", FaultPlan(action="slow", delay=1.0))
            assert c.credits()["balance"] == "500.00"
            assert c.stats.retries == 1
        with pytest.raises(ValueError):
            QoroClient(qoro.url, api_key=qoro.token, request_timeout=0)
