"""Idempotent submission and outage tolerance of the client, over real HTTP to FakeQoro.

``job/init/`` and every ``add_circuits/`` chunk carry an ``Idempotency-Key`` (qoro-api.md §8
item 10). They are re-sent -- by urllib3's ``Retry`` on a dedicated session, with the SAME
key -- only when the service's ping advertised ``"idempotency": true``; otherwise the first
failure is final and an unanswered POST is an :class:`AmbiguousSubmissionError` that says
which states the job may be in. Each test counts what reached the server.
"""

from __future__ import annotations

import json
import logging
import random
import string
import uuid

import pytest
from fake_qoro import TOKEN, Fault

from pennylane_qoro.client import (
    AmbiguousSubmissionError,
    JobSpec,
    QoroClient,
    QoroConnectionError,
    RateLimitedError,
    ServerError,
)

QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\n'


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog):
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text


def _noise(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return "// " + "".join(rng.choices(string.ascii_letters + string.digits, k=n)) + "\n"


def _spec(n: int = 2) -> JobSpec:
    return JobSpec(circuits=tuple((f"c{i}", QASM) for i in range(n)), shots=100)


def _chunked_spec() -> JobSpec:
    """Three ~400 kB circuits: two add_circuits chunks."""
    return JobSpec(
        circuits=tuple((f"big{i}", QASM + _noise(400_000, i)) for i in range(3)), shots=5
    )


def _keys(fake, route: str) -> list[str]:
    return [
        h.headers.get("idempotency-key", "")
        for h in fake.hits
        if h.method == "POST" and _route_of(h.path) == route
    ]


def _route_of(path: str) -> str:
    if path == "job/init/":
        return "init"
    return "add" if path.endswith("/add_circuits/") else "other"


class TestKeys:
    def test_every_logical_request_has_its_own_uuid4_key(self, client, fake):
        job_id = client.submit(_chunked_spec())
        keys = _keys(fake, "init") + _keys(fake, "add")
        assert len(keys) == 3 and len(set(keys)) == 3
        assert all(uuid.UUID(k).version == 4 for k in keys)
        # a healthy submission costs no ping: the service is only asked when a POST fails
        assert [h.method for h in fake.hits] == ["POST"] * 3
        assert fake.jobs[job_id].labels == ["big0", "big1", "big2"]

    def test_unkeyed_posts_stay_unkeyed(self, client, fake):
        job_id = client.init_job("EXECUTE", simulator_cluster="qoro_maestro")
        client.set_execution_config(job_id, {"bond_dimension": 4})
        client.cancel(job_id)
        posts = [h for h in fake.hits if h.method == "POST"]
        assert "idempotency-key" in posts[0].headers  # init
        assert all("idempotency-key" not in h.headers for h in posts[1:])


class TestAdvertised:
    @pytest.fixture(autouse=True)
    def _advertise(self, fake):
        fake.idempotency = True

    @pytest.mark.parametrize(
        "fault",
        [
            Fault(drop=True, after=True),
            Fault(status=502, after=True),
            Fault(drop=True),
            Fault(status=503),
            Fault(status=429, headers={"Retry-After": "0"}),
        ],
    )
    def test_init_is_resent_with_the_same_key(self, client, fake, fault):
        fake.inject("POST", "init", fault)
        job_id = client.submit(_spec())
        first, second = _keys(fake, "init")
        assert first == second
        assert len(fake.jobs) == 1 and job_id in fake.jobs
        assert fake.count("GET", "ping") == 1
        assert client.stats.jobs == 1

    @pytest.mark.parametrize("fail_at", [1, 2])
    def test_a_lost_chunk_answer_never_appends_twice(self, client, fake, fail_at):
        passes = [Fault(passthrough=True)] * (fail_at - 1)
        fake.inject("POST", "add", *passes, Fault(drop=True, after=True), Fault(status=502))
        job_id = client.submit(_chunked_spec())
        adds = _keys(fake, "add")
        assert len(adds) == 4  # two chunks, the failing one sent three times
        assert adds[fail_at - 1] == adds[fail_at] == adds[fail_at + 1]
        assert len(set(adds)) == 2
        assert fake.jobs[job_id].labels == ["big0", "big1", "big2"]
        assert fake.jobs[job_id].finalized

    def test_support_is_asked_once_per_client(self, client, fake):
        fake.inject("POST", "init", Fault(drop=True, after=True))
        client.submit(_spec())
        fake.inject("POST", "init", Fault(drop=True, after=True))
        fake.inject("POST", "add", Fault(status=502, after=True))
        client.submit(_spec())
        assert fake.count("GET", "ping") == 1
        assert len(fake.jobs) == 2
        assert client.stats.retries == 2  # the second submission re-sent through urllib3

    def test_an_explicit_ping_fills_the_cache(self, client, fake):
        assert client.ping()["idempotency"] is True
        fake.inject("POST", "init", Fault(status=502))
        client.submit(_spec())
        assert fake.count("GET", "ping") == 1
        assert client.stats.retries == 1

    def test_retries_run_out_into_an_ambiguous_error(self, client, fake):
        client.ping()
        fake.inject("POST", "init", *[Fault(drop=True, after=True)] * 6)
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.submit(_spec())
        message = str(info.value)
        assert "at most once" in message and "may have created a job" in message
        assert len(set(_keys(fake, "init"))) == 1 and fake.count("POST", "init") == 6
        assert len(fake.jobs) == 1  # the key made six sends one job
        assert TOKEN not in message

    def test_rate_limit_that_persists_surfaces_with_retry_after(self, fake):
        fake.idempotency = True
        with QoroClient(fake.url, api_key=TOKEN, progress=False, retries=2) as c:
            c.ping()
            fake.inject("POST", "init", *[Fault(status=429, headers={"Retry-After": "0"})] * 3)
            with pytest.raises(RateLimitedError) as info:
                c.submit(_spec())
        assert info.value.retry_after == 0.0 and fake.count("POST", "init") == 3
        assert not fake.jobs

    @pytest.mark.parametrize("route", ["cancel", "qubo"])
    def test_state_changing_posts_are_still_never_resent(self, client, fake, route):
        client.ping()
        job_id = client.init_job("VALIDATE")
        fake.inject("POST", route, Fault(status=502))
        call = client.cancel if route == "cancel" else (lambda j: client.submit_qubo(j, {}))
        with pytest.raises(ServerError):
            call(job_id)
        assert fake.count("POST", route) == 1


class TestNotAdvertised:
    def test_lost_init_answer_is_ambiguous_and_not_resent(self, client, fake):
        fake.inject("POST", "init", Fault(drop=True, after=True))
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.submit(_spec())
        assert "may have created a job" in str(info.value)
        assert "never runs and costs nothing" in str(info.value)
        assert fake.count("POST", "init") == 1 and fake.count("GET", "ping") == 1

    @pytest.mark.parametrize("final", [False, True])
    def test_lost_chunk_answer_names_the_job_and_its_possible_states(self, client, fake, final):
        passes = [Fault(passthrough=True)] if final else []
        fake.inject("POST", "add", *passes, Fault(drop=True, after=True))
        fake.inject("DELETE", "delete", *[Fault(status=502)] * 6)  # cleanup fails too
        with pytest.raises(AmbiguousSubmissionError) as info:
            client.submit(_chunked_spec())
        err = info.value
        (job_id,) = fake.jobs
        assert err.job_id == job_id and job_id in str(err)
        if final:
            assert "chunk 2/2" in str(err) and "finalized" in str(err)
            assert "all 2 chunk(s)" in str(err)
        else:
            assert "chunk 1/2" in str(err) and "no circuits or chunks 1-1" in str(err)
        assert f"delete({job_id!r})" in str(err)
        assert fake.count("POST", "add") == (2 if final else 1)

    def test_cleanup_that_works_is_reported(self, client, fake):
        fake.inject("POST", "add", Fault(drop=True, after=True))
        with pytest.raises(AmbiguousSubmissionError, match="cancelled and deleted"):
            client.submit(_spec())
        assert not fake.jobs

    def test_gateway_error_on_init_is_final(self, client, fake):
        fake.inject("POST", "init", Fault(status=502))
        with pytest.raises(ServerError):
            client.submit(_spec())
        assert fake.count("POST", "init") == 1 and not fake.jobs


class TestWaitingThroughOutages:
    def test_status_polls_ride_over_an_outage(self, fake):
        fake.status_script = ["RUNNING", "COMPLETED"]
        with QoroClient(
            fake.url, api_key=TOKEN, progress=False, poll_interval=0.01, first_poll=0.001,
            retries=1,
        ) as c:
            job_id = c.submit(_spec())
            # 2 attempts per poll (retries=1): four failed polls in a row, then answers
            fake.inject("GET", "status", *[Fault(drop=True)] * 8)
            assert c.wait(job_id)["status"] == "COMPLETED"
        assert fake.count("GET", "status") == 8 + 2

    @pytest.mark.parametrize(
        "fault, cls", [(Fault(status=503), ServerError), (Fault(drop=True), QoroConnectionError)]
    )
    def test_a_longer_outage_raises_with_the_job_id(self, fake, fault, cls):
        fake.status_script = ["RUNNING"]
        with QoroClient(fake.url, api_key=TOKEN, progress=False, retries=0) as c:
            c.outage_grace = 0.0
            job_id = c.submit(_spec())
            fake.inject("GET", "status", fault)
            with pytest.raises(cls) as info:
                c.wait(job_id)
        assert info.value.job_id == job_id and job_id in str(info.value)

    def test_a_500_is_not_an_outage(self, client, fake):
        job_id = client.submit(_spec())
        fake.inject("GET", "status", Fault(status=500, body={"detail": "bug"}))
        with pytest.raises(ServerError, match="bug"):
            client.wait(job_id)
        assert fake.count("GET", "status") == 1

    def test_request_timeout_caps_every_call(self, fake):
        with QoroClient(fake.url, api_key=TOKEN, progress=False, request_timeout=0.2) as c:
            fake.inject("GET", "credits", Fault(delay=1.0))
            assert c.credits()["balance"] == "500.00"
            assert c.stats.retries == 1
        with pytest.raises(ValueError):
            QoroClient(fake.url, api_key=TOKEN, request_timeout=0)


def test_bodies_are_identical_on_every_resend(client, fake):
    fake.idempotency = True
    fake.inject("POST", "add", Fault(drop=True, after=True))
    client.submit(_spec())
    first, second = (h for h in fake.hits if h.path.endswith("/add_circuits/"))
    assert first.body == second.body
    assert json.loads(first.body)["finalized"] == "true"
