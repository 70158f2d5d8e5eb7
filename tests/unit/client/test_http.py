"""Tests for pennylane_qoro.client.http against a real HTTP server (the conftest's FakeQoro).

Retries are proven by counting the requests that reached the server while it injects 502s,
503/504s, ``Retry-After`` answers, delays and dropped connections. Nothing in requests or
urllib3 is patched. Every test runs with DEBUG logging captured and checks the key never shows.
"""

from __future__ import annotations

import logging
import platform
import socket

import pytest
import requests
from fake_qoro import TOKEN, Fault

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


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog):
    """Capture every logger at DEBUG (urllib3's included); the key must never appear."""
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()


@pytest.fixture
def transport(fake):
    t = Transport(fake.url, ApiKey(TOKEN))
    yield t
    t.close()


def _no_key(exc: BaseException) -> None:
    assert TOKEN not in str(exc) and TOKEN not in repr(exc)
    assert all(TOKEN not in str(a) for a in exc.args)


class TestHeaders:
    def test_auth_user_agent_and_content_type(self, client, fake, caplog):
        client.ping()
        client.cancel(client.init_job("VALIDATE", tag="t"))
        ping, init, cancel = fake.hits
        assert ping.path == "" and ping.method == "GET"
        assert all(h.headers["authorization"] == f"Bearer {TOKEN}" for h in fake.hits)
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

    def test_body_is_exact_reference_json(self, client, fake):
        client.init_job("VALIDATE", tag="é", extra={"x": [1.5, None]})
        body = fake.hits[-1].body
        assert body == b'{"job_type": "VALIDATE", "tag": "\\u00e9", "extra": {"x": [1.5, null]}}'
        assert client.stats.bytes_sent == len(body)


class TestRetries:
    @pytest.mark.parametrize(
        "faults",
        [
            [Fault(status=502), Fault(status=502)],
            [Fault(status=503), Fault(status=504)],
            [Fault(drop=True)],
            [Fault(drop=True), Fault(status=502), Fault(drop=True)],
            [Fault(status=429, headers={"Retry-After": "0"})],
            [Fault(status=503, headers={"Retry-After": "1"})],
        ],
    )
    def test_get_is_retried(self, client, fake, faults):
        fake.inject("GET", "credits", *faults)
        assert client.credits()["balance"] == "500.00"
        assert fake.count("GET", "credits") == len(faults) + 1
        assert client.stats.retries == len(faults)
        assert client.stats.requests == 1

    def test_get_gives_up_after_five_retries(self, client, fake):
        fake.inject("GET", "qpusystem", *[Fault(status=502, body={"detail": "bad gw"})] * 7)
        with pytest.raises(ServerError, match="bad gw") as info:
            client.qpu_systems()
        assert fake.count("GET", "qpusystem") == 6
        assert info.value.status == 502 and info.value.path == "qpusystem/"
        _no_key(info.value)

    def test_dropped_connections_exhaust_to_connection_error(self, client, fake):
        fake.inject("GET", "credits", *[Fault(drop=True)] * 6)
        with pytest.raises(QoroConnectionError) as info:
            client.credits()
        assert not isinstance(info.value, AmbiguousSubmissionError)
        assert fake.count("GET", "credits") == 6
        assert info.value.method == "GET" and info.value.path == "credits/"
        _no_key(info.value)

    def test_get_read_timeout_is_retried(self, transport, fake):
        fake.inject("GET", "credits", Fault(delay=1.0))
        assert transport.get("credits/", timeout=0.2)["balance"] == "500.00"
        assert fake.count("GET", "credits") == 2

    def test_delete_is_retried(self, client, fake):
        job_id = client.init_job("VALIDATE")
        fake.inject("DELETE", "delete", Fault(status=502), Fault(drop=True))
        client.delete(job_id)
        assert fake.count("DELETE", "delete") == 3
        assert fake.hits[-1].path == f"job/{job_id}"  # no trailing slash (§2.12)
        assert job_id not in fake.jobs

    @pytest.mark.parametrize("fault", [Fault(status=502), Fault(status=503), Fault(drop=True)])
    def test_init_is_never_retried(self, client, fake, fault):
        fake.inject("POST", "init", fault)
        expected = AmbiguousSubmissionError if fault.drop else ServerError
        with pytest.raises(expected) as info:
            client.init_job("VALIDATE")
        assert fake.count("POST", "init") == 1
        assert not fake.jobs
        assert client.stats.jobs == 0
        _no_key(info.value)

    @pytest.mark.parametrize("route", ["add", "cancel", "qubo", "exec"])
    @pytest.mark.parametrize("fault", [Fault(status=502), Fault(drop=True)])
    def test_state_changing_posts_are_never_retried(self, client, fake, route, fault):
        job_id = client.init_job("EXECUTE", simulator_cluster="qoro_maestro")
        fake.inject("POST", route, fault)
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
        with pytest.raises(AmbiguousSubmissionError if fault.drop else ServerError) as info:
            call()
        assert fake.count("POST", route) == 1
        assert info.value.job_id == job_id and job_id in str(info.value)
        _no_key(info.value)

    def test_post_rate_limit_is_not_retried_and_carries_retry_after(self, client, fake):
        fake.inject("POST", "init", Fault(status=429, headers={"Retry-After": "7"}))
        with pytest.raises(RateLimitedError) as info:
            client.init_job("VALIDATE")
        assert info.value.retry_after == 7.0
        assert fake.count("POST", "init") == 1

    def test_post_read_timeout_is_ambiguous(self, transport, fake):
        fake.inject("POST", "init", Fault(delay=1.0))
        with pytest.raises(AmbiguousSubmissionError, match="may have reached the service"):
            transport.post("job/init/", {"job_type": "VALIDATE"}, timeout=0.2)
        assert fake.count("POST", "init") == 1

    def test_connection_refused_is_not_ambiguous(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        t = Transport(f"http://127.0.0.1:{port}/api", ApiKey(TOKEN), retries=1, backoff=0)
        with pytest.raises(QoroConnectionError) as info:
            t.post("job/init/", {"job_type": "VALIDATE"}, timeout=2)
        assert not isinstance(info.value, AmbiguousSubmissionError)
        with pytest.raises(QoroConnectionError):
            t.get("credits/", timeout=2)
        _no_key(info.value)
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
    def test_status_classes(self, client, fake, status, body, cls, message):
        job_id = client.init_job("VALIDATE")
        fake.inject("POST", "cancel", Fault(status=status, body=body))
        with pytest.raises(cls) as info:
            client.cancel(job_id)
        err = info.value
        assert type(err) is cls
        assert err.status == status and message in err.server_message
        assert err.method == "POST" and err.path == f"job/{job_id}/cancel/"
        assert err.job_id == job_id
        assert f"HTTP {status} on POST job/{job_id}/cancel/ (job {job_id})" in str(err)
        _no_key(err)

    def test_real_401_from_wrong_key(self, fake):
        bad = QoroClient(fake.url, api_key="not-the-key", progress=False)
        with pytest.raises(AuthenticationError, match="Invalid token") as info:
            bad.qpu_systems()
        assert info.value.status == 401 and info.value.job_id is None
        assert "not-the-key" not in str(info.value)
        bad.close()

    def test_404_for_unknown_job(self, client):
        with pytest.raises(NotFoundError) as info:
            client.status("no-such-job")
        assert info.value.job_id == "no-such-job"

    def test_server_echoing_the_key_is_redacted(self, client, fake):
        fake.inject("GET", "credits", Fault(status=401, echo_auth=True))
        with pytest.raises(AuthenticationError) as info:
            client.credits()
        assert "Bearer <hidden> rejected" in str(info.value)
        _no_key(info.value)

    def test_short_key_does_not_mangle_messages(self, fake):
        # A 1-character key: the old rule masked every "a", giving "Inv<hidden>lid token."
        short = QoroClient(fake.url, api_key="a", progress=False)
        with pytest.raises(AuthenticationError) as info:
            short.credits()
        assert info.value.server_message == "Invalid token."
        # ... while an echo of the short key, standing alone, is still masked
        fake.inject("GET", "credits", Fault(status=401, echo_auth=True))
        with pytest.raises(AuthenticationError) as info:
            short.credits()
        assert info.value.server_message == "token Bearer <hidden> rejected"
        short.close()

    def test_html_page_is_summarised(self, client, fake):
        page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>" + "x" * 5000
        fake.inject("GET", "credits", *[Fault(status=504, body=page)] * 6)
        with pytest.raises(ServerError) as info:
            client.credits()
        assert info.value.server_message == (
            f"HTML error page from {fake.url}/credits/; upstream may be down or timed out"
        )

    def test_long_text_is_trimmed(self, client, fake):
        fake.inject("GET", "credits", Fault(status=400, body="e" * 2000))
        with pytest.raises(ValidationError) as info:
            client.credits()
        assert info.value.server_message == "e" * 500 + "..."

    def test_retry_after_http_date(self, client, fake):
        fake.inject(
            "POST",
            "init",
            Fault(status=503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        )
        with pytest.raises(ServerError) as info:
            client.init_job("VALIDATE")
        assert info.value.retry_after == 0.0  # a date in the past

    def test_non_json_success_body(self, client, fake):
        fake.inject("GET", "credits", Fault(status=200, body="plain words"))
        with pytest.raises(QoroHTTPError, match="expected a JSON body"):
            client.credits()

    def test_post_redirect_is_not_followed(self, client, fake):
        fake.inject("POST", "init", Fault(status=307, body={}, headers={"Location": "/api/x/"}))
        with pytest.raises(QoroHTTPError, match="unexpected redirect") as info:
            client.init_job("VALIDATE")
        assert info.value.status == 307
        assert fake.count("POST", "init") == 1


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
