"""Tests for pennylane_qoro.client.http against the real local service (see conftest.py).

Retries are proven by counting the requests that reached the service while its fault switch
injects 502s, 503/504s, ``Retry-After`` answers, delays and dropped connections. Nothing in
requests or urllib3 is patched. Every test runs with DEBUG logging captured and checks the key
never shows (``no_key_in_logs``, tests/conftest.py).
"""

from __future__ import annotations

import platform
import socket

import pytest
import requests

from pennylane_qoro.client import QoroClient
from pennylane_qoro.client.config import ApiKey
from pennylane_qoro.client.errors import (
    AmbiguousSubmissionError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PayloadTooLargeError,
    PaymentRequiredError,
    QoroConnectionError,
    QoroHTTPError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from pennylane_qoro.client.http import Transport, redact_key, user_agent
from pennylane_qoro.local import FaultPlan

pytestmark = pytest.mark.usefixtures("no_key_in_logs")


@pytest.fixture
def transport(qoro):
    t = Transport(qoro.url, ApiKey(qoro.token))
    yield t
    t.close()


def _no_key(exc: BaseException, key: str) -> None:
    assert key not in str(exc) and key not in repr(exc)
    assert all(key not in str(a) for a in exc.args)


class TestHeaders:
    def test_auth_user_agent_and_content_type(self, client, qoro, caplog):
        client.ping()
        client.cancel(client.init_job("VALIDATE", tag="t"))
        ping, init, cancel = qoro.hits
        assert ping.path == "" and ping.method == "GET"
        assert all(h.headers["authorization"] == f"Bearer {qoro.token}" for h in qoro.hits)
        agent = ping.headers["user-agent"]
        assert agent == user_agent()
        assert agent.startswith("pennylane-qoro/")
        assert f"(python={platform.python_version()}) python-requests/" in agent
        assert agent.endswith(requests.__version__)
        assert "content-type" not in ping.headers
        assert init.headers["content-type"] == "application/json"
        # §1.3: a POST without a body still carries the JSON content type and length 0.
        assert cancel.headers["content-type"] == "application/json"
        assert cancel.headers["content-length"] == "0" and cancel.body == b""
        assert any("urllib3" in r.name for r in caplog.records)  # DEBUG logs really captured

    def test_body_is_exact_reference_json(self, client, qoro):
        # The service refuses the unknown field (400); the body it received is what counts.
        with pytest.raises(ValidationError, match="extra"):
            client.init_job("VALIDATE", tag="é", extra={"x": [1.5, None]})
        body = qoro.hits[-1].body
        assert body == b'{"job_type": "VALIDATE", "tag": "\\u00e9", "extra": {"x": [1.5, null]}}'
        assert client.stats.bytes_sent == len(body)


class TestRetries:
    @pytest.mark.parametrize(
        "faults",
        [
            [FaultPlan(status=502), FaultPlan(status=502)],
            [FaultPlan(status=503), FaultPlan(status=504)],
            [FaultPlan(action="drop")],
            [FaultPlan(action="drop"), FaultPlan(status=502), FaultPlan(action="drop")],
            [FaultPlan(status=429, headers={"Retry-After": "0"})],
            [FaultPlan(status=503, headers={"Retry-After": "1"})],
        ],
    )
    def test_get_is_retried(self, client, qoro, faults):
        qoro.inject("GET", "credits", *faults)
        assert client.credits()["balance"] == "500.00"
        assert qoro.count("GET", "credits") == len(faults) + 1
        assert client.stats.retries == len(faults)
        assert client.stats.requests == 1

    def test_get_gives_up_after_five_retries(self, client, qoro):
        qoro.inject("GET", "qpusystem", FaultPlan(status=502, body={"detail": "bad gw"}, times=7))
        with pytest.raises(ServerError, match="bad gw") as info:
            client.qpu_systems()
        assert qoro.count("GET", "qpusystem") == 6
        assert info.value.status == 502 and info.value.path == "qpusystem/"
        _no_key(info.value, qoro.token)

    def test_dropped_connections_exhaust_to_connection_error(self, client, qoro):
        qoro.inject("GET", "credits", FaultPlan(action="drop", times=6))
        with pytest.raises(QoroConnectionError) as info:
            client.credits()
        assert not isinstance(info.value, AmbiguousSubmissionError)
        assert qoro.count("GET", "credits") == 6
        assert info.value.method == "GET" and info.value.path == "credits/"
        _no_key(info.value, qoro.token)

    def test_get_read_timeout_is_retried(self, transport, qoro):
        qoro.inject("GET", "credits", FaultPlan(action="slow", delay=1.0))
        assert transport.get("credits/", timeout=0.2)["balance"] == "500.00"
        assert qoro.count("GET", "credits") == 2

    def test_delete_is_retried(self, client, qoro):
        job_id = client.init_job("VALIDATE")
        qoro.inject("DELETE", "delete", FaultPlan(status=502), FaultPlan(action="drop"))
        client.delete(job_id)
        assert qoro.count("DELETE", "delete") == 3
        assert qoro.hits[-1].path == f"job/{job_id}"  # no trailing slash (§2.12)
        assert job_id not in qoro.jobs

    @pytest.mark.parametrize(
        "fault", [FaultPlan(status=502), FaultPlan(status=503), FaultPlan(action="drop")]
    )
    def test_init_is_never_retried(self, client, qoro, fault):
        qoro.inject("POST", "init", fault)
        expected = AmbiguousSubmissionError if fault.action == "drop" else ServerError
        with pytest.raises(expected) as info:
            client.init_job("VALIDATE")
        assert qoro.count("POST", "init") == 1
        assert not qoro.jobs
        assert client.stats.jobs == 0
        _no_key(info.value, qoro.token)

    @pytest.mark.parametrize("route", ["add", "cancel", "qubo", "exec"])
    @pytest.mark.parametrize("fault", [FaultPlan(status=502), FaultPlan(action="drop")])
    def test_state_changing_posts_are_never_retried(self, client, qoro, route, fault):
        job_id = client.init_job("EXECUTE", simulator_cluster="qoro_maestro")
        qoro.inject("POST", route, fault)
        call = {
            "add": lambda: client._http.post(
                f"job/{job_id}/add_circuits/",
                {"circuits": {}, "mode": "append", "finalized": "false", "shots": 1},
                timeout=5,
                job_id=job_id,
            ),
            "cancel": lambda: client.cancel(job_id),
            "qubo": lambda: client.submit_qubo(job_id, {"qubo": {"0": 1.0}}),
            "exec": lambda: client.set_execution_config(job_id, {"bond_dimension": 4}),
        }[route]
        drop = fault.action == "drop"
        with pytest.raises(AmbiguousSubmissionError if drop else ServerError) as info:
            call()
        assert qoro.count("POST", route) == 1
        assert info.value.job_id == job_id and job_id in str(info.value)
        _no_key(info.value, qoro.token)

    def test_post_rate_limit_is_not_retried_and_carries_retry_after(self, client, qoro):
        qoro.inject("POST", "init", FaultPlan(status=429, headers={"Retry-After": "7"}))
        with pytest.raises(RateLimitedError) as info:
            client.init_job("VALIDATE")
        assert info.value.retry_after == 7.0
        assert qoro.count("POST", "init") == 1

    def test_post_read_timeout_is_ambiguous(self, transport, qoro):
        qoro.inject("POST", "init", FaultPlan(action="slow", delay=1.0))
        with pytest.raises(AmbiguousSubmissionError, match="may have reached the service"):
            transport.post("job/init/", {"job_type": "VALIDATE"}, timeout=0.2)
        assert qoro.count("POST", "init") == 1

    def test_connection_refused_is_not_ambiguous(self, qoro):
        key = qoro.token
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t = Transport(f"http://127.0.0.1:{port}/api", ApiKey(key), retries=1, backoff=0)
        with pytest.raises(QoroConnectionError) as info:
            t.post("job/init/", {"job_type": "VALIDATE"}, timeout=2)
        assert not isinstance(info.value, AmbiguousSubmissionError)
        with pytest.raises(QoroConnectionError):
            t.get("credits/", timeout=2)
        _no_key(info.value, key)
        t.close()


class TestErrorMapping:
    @pytest.mark.parametrize(
        "status, body, cls, message",
        [
            (400, {"detail": "bad qasm"}, ValidationError, "bad qasm"),
            (401, {"detail": "Invalid token."}, AuthenticationError, "Invalid token."),
            (402, {"detail": "insufficient credits"}, PaymentRequiredError, "insufficient"),
            (403, {"detail": "You do not have permission"}, AuthenticationError, "permission"),
            (404, {"detail": "Not found."}, NotFoundError, "Not found."),
            (409, {"error": "Job is not in PENDING status"}, ConflictError, "not in PENDING"),
            (413, {"error": "too big"}, PayloadTooLargeError, "too big"),
            (422, {"message": "unprocessable"}, ValidationError, "unprocessable"),
            (429, {"detail": "slow down"}, RateLimitedError, "slow down"),
            (500, {"error": {"code": 7}}, ServerError, '{"code": 7}'),
            (418, ["teapot"], QoroHTTPError, '["teapot"]'),
        ],
    )
    def test_status_classes(self, client, qoro, status, body, cls, message):
        job_id = client.init_job("VALIDATE")
        qoro.inject("POST", "cancel", FaultPlan(status=status, body=body))
        with pytest.raises(cls) as info:
            client.cancel(job_id)
        err = info.value
        assert type(err) is cls
        assert err.status == status and message in err.server_message
        assert err.method == "POST" and err.path == f"job/{job_id}/cancel/"
        assert err.job_id == job_id
        assert f"HTTP {status} on POST job/{job_id}/cancel/ (job {job_id})" in str(err)
        _no_key(err, qoro.token)

    def test_real_401_from_wrong_key(self, qoro):
        bad = QoroClient(qoro.url, api_key="not-the-key", progress=False)
        with pytest.raises(AuthenticationError, match="Invalid token") as info:
            bad.qpu_systems()
        assert info.value.status == 401 and info.value.job_id is None
        assert "not-the-key" not in str(info.value)
        bad.close()

    def test_404_for_unknown_job(self, client):
        with pytest.raises(NotFoundError) as info:
            client.status("no-such-job")
        assert info.value.job_id == "no-such-job"

    def test_server_echoing_the_key_is_redacted(self, client, qoro):
        qoro.inject("GET", "credits", FaultPlan(status=401, echo_auth=True))
        with pytest.raises(AuthenticationError) as info:
            client.credits()
        assert "Bearer <hidden> rejected" in str(info.value)
        _no_key(info.value, qoro.token)

    def test_short_key_does_not_mangle_messages(self, qoro):
        # A 1-character key: the old rule masked every "a", giving "Inv<hidden>lid token."
        short = QoroClient(qoro.url, api_key="a", progress=False)
        with pytest.raises(AuthenticationError) as info:
            short.credits()
        assert info.value.server_message == "Invalid token."
        # ... while an echo of the short key, standing alone, is still masked
        qoro.inject("GET", "credits", FaultPlan(status=401, echo_auth=True))
        with pytest.raises(AuthenticationError) as info:
            short.credits()
        assert info.value.server_message == "token Bearer <hidden> rejected"
        short.close()

    def test_html_page_is_summarised(self, client, qoro):
        page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>" + "x" * 5000
        qoro.inject("GET", "credits", FaultPlan(status=504, body=page, times=6))
        with pytest.raises(ServerError) as info:
            client.credits()
        assert info.value.server_message == (
            f"HTML error page from {qoro.url}/credits/; upstream may be down or timed out"
        )

    def test_long_text_is_trimmed(self, client, qoro):
        qoro.inject("GET", "credits", FaultPlan(status=400, body="e" * 2000))
        with pytest.raises(ValidationError) as info:
            client.credits()
        assert info.value.server_message == "e" * 500 + "..."

    def test_retry_after_http_date(self, client, qoro):
        qoro.inject(
            "POST",
            "init",
            FaultPlan(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        )
        with pytest.raises(ServerError) as info:
            client.init_job("VALIDATE")
        assert info.value.retry_after == 0.0  # a date in the past

    def test_non_json_success_body(self, client, qoro):
        qoro.inject("GET", "credits", FaultPlan(status=200, body="plain words"))
        with pytest.raises(QoroHTTPError, match="expected a JSON body"):
            client.credits()

    def test_post_redirect_is_not_followed(self, client, qoro):
        redirect = FaultPlan(status=307, body={}, headers={"Location": "/api/x/"})
        qoro.inject("POST", "init", redirect)
        with pytest.raises(QoroHTTPError, match="unexpected redirect") as info:
            client.init_job("VALIDATE")
        assert info.value.status == 307
        assert qoro.count("POST", "init") == 1


class TestRedactKey:
    """The masking rule of ``redact_key``: 8+ character keys everywhere, shorter keys only
    where they stand alone (not inside a run of letters, digits, ``_`` or ``-``)."""

    def test_long_key_masked_everywhere_even_inside_words(self):
        key = "qk_12345678"
        assert redact_key(f"x{key}y and {key}", key) == "x<hidden>y and <hidden>"
        assert redact_key("no key here", key) == "no key here"

    @pytest.mark.parametrize(
        "key, text, want",
        [
            ("x", "Max retries exceeded", "Max retries exceeded"),
            ("a", "Invalid token.", "Invalid token."),
            ("a", "token Bearer a rejected", "token Bearer <hidden> rejected"),
            ("ab", 'got "ab", expected a key', 'got "<hidden>", expected a key'),
            ("ab", "key=ab&x=abab", "key=<hidden>&x=abab"),
            ("k-1", "k-1 k-12 xk-1 (k-1)", "<hidden> k-12 xk-1 (<hidden>)"),
            ("1234567", "id 1234567890 / 1234567", "id 1234567890 / <hidden>"),
        ],
    )
    def test_short_key_masked_only_where_it_stands_alone(self, key, text, want):
        assert redact_key(text, key) == want

    def test_empty_key_changes_nothing(self):
        assert redact_key("anything", "") == "anything"
