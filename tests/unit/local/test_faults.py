"""Tests for pennylane_qoro.local.faults: plans, the switch's queues and tiers, and the
middleware's answers, driven in-process (over HTTP they are exercised by tests/unit/client and
tests/e2e/test_local_service_faults.py)."""

from __future__ import annotations

import asyncio
import json

import pytest

from pennylane_qoro.local.faults import FaultMiddleware, FaultPlan, FaultSwitch, status_script


def _call(middleware, method="GET", path="/api/x/", body=b"", headers=()):
    """One request through an ASGI callable; ``(status, headers, body)`` of its answer."""
    scope = {"type": "http", "method": method, "path": path, "query_string": b"a=1",
             "headers": [(k.encode(), v.encode()) for k, v in headers]}
    sent = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(scope, receive, send))
    start, *rest = sent
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in rest)


def _app(payload, kind=b"application/json"):
    """An application that echoes the body it received under ``"got"`` (or sends ``payload``)."""

    async def app(scope, receive, send):
        got = (await receive())["body"]
        data = payload if payload is not None else json.dumps({"got": got.decode()}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", kind),
                                (b"content-length", str(len(data)).encode())]})
        await send({"type": "http.response.body", "body": data})

    return app


class TestFaultPlan:
    def test_skip_lets_the_first_matching_requests_through(self):
        plan = FaultPlan(skip=2, times=1, path="credits")
        assert [plan.hit("GET", "/api/credits/") for _ in range(4)] == [False, False, True, False]
        assert plan.injected == 1 and plan.exhausted

    def test_matches_is_the_filter_alone(self):
        plan = FaultPlan(methods=frozenset({"post"}), path=r"/init/$", times=0)
        assert plan.matches("POST", "/api/job/init/") and not plan.hit("POST", "/api/job/init/")
        assert not plan.matches("GET", "/api/job/init/")

    @pytest.mark.parametrize("kwargs", [{"skip": -1}, {"action": "explode"}])
    def test_rejects_bad_plans(self, kwargs):
        with pytest.raises(ValueError):
            FaultPlan(**kwargs)

    def test_status_script(self):
        plans = status_script(["PENDING", "FAILED"], {"error": "boom"})
        assert [(p.body, p.times, p.status) for p in plans] == [
            ({"status": "PENDING", "error": "boom"}, 1, 200),
            ({"status": "FAILED", "error": "boom"}, None, 200),
        ]
        assert plans[0].matches("GET", "/api/job/j-1/status/")
        assert not plans[0].matches("GET", "/api/job/j-1/resultsV2/")
        with pytest.raises(ValueError):
            status_script([])


class TestFaultSwitch:
    def test_a_queue_applies_its_plans_in_turn(self):
        switch = FaultSwitch()
        switch.inject(FaultPlan(status=503, skip=1), FaultPlan(status=502, times=2))
        picked = [switch.pick("GET", "/api/") for _ in range(5)]
        assert [p and p.status for p in picked] == [None, 503, 502, 502, None]

    def test_faults_go_before_answers_and_answers_before_defaults(self):
        default = FaultPlan(action="edit", times=None)
        switch = FaultSwitch(default)
        switch.script(*status_script(["RUNNING"]))
        switch.inject(FaultPlan(action="drop", path="status"))
        status = "/api/job/j/status/"
        assert [switch.pick("GET", status).action for _ in range(2)] == ["drop", "status"]
        assert switch.pick("GET", "/api/credits/") is default
        switch.reset()
        assert switch.pick("GET", status) is default  # reset keeps the defaults

    def test_records_every_request_and_replays_its_body(self):
        switch = FaultSwitch()
        middleware = FaultMiddleware(_app(None), switch)
        status, _, body = _call(middleware, "POST", "/api/job/init/", b'{"a": 1}',
                                headers=[("Authorization", "Bearer t")])
        assert status == 200 and json.loads(body) == {"got": '{"a": 1}'}
        (seen,) = switch.received
        assert (seen.method, seen.path, seen.query, seen.body) == (
            "POST", "/api/job/init/", "a=1", b'{"a": 1}')
        assert seen.headers["authorization"] == "Bearer t"
        switch.reset()
        assert switch.received == []


class TestAnswers:
    def test_scripted_json_text_and_headers(self):
        plan = FaultPlan(status=307, body={}, headers={"Location": "/api/x/"})
        status, headers, body = _call(FaultMiddleware(_app(b"{}"), plan))
        assert (status, body, headers[b"location"]) == (307, b"{}", b"/api/x/")
        page = FaultPlan(status=504, body="<h1>502 Bad Gateway</h1>")
        _, headers, body = _call(FaultMiddleware(_app(b"{}"), page))
        assert headers[b"content-type"].startswith(b"text/html") and body.startswith(b"<h1>")
        text = FaultPlan(status=200, body="plain")
        assert _call(FaultMiddleware(_app(b"{}"), text))[1][b"content-type"].startswith(
            b"text/plain")

    def test_default_body_and_echoed_credentials(self):
        _, _, body = _call(FaultMiddleware(_app(b"{}"), FaultPlan(status=503)))
        assert json.loads(body) == {"detail": "injected fault: HTTP 503"}
        echo = FaultPlan(status=401, echo_auth=True)
        _, _, body = _call(FaultMiddleware(_app(b"{}"), echo),
                           headers=[("authorization", "Bearer k")])
        assert json.loads(body) == {"detail": "token Bearer k rejected"}

    def test_edit_sets_and_removes_keys_of_a_json_object(self):
        plan = FaultPlan(action="edit", update={"run_time": "2.5"}, remove=("max_wait",))
        answer = json.dumps({"status": "COMPLETED", "run_time": 1.0, "max_wait": 5.0}).encode()
        _, headers, body = _call(FaultMiddleware(_app(answer), plan))
        assert json.loads(body) == {"status": "COMPLETED", "run_time": "2.5"}
        assert int(headers[b"content-length"]) == len(body)

    @pytest.mark.parametrize("payload, kind", [(b"[1, 2]", b"application/json"),
                                               (b"<div/>", b"text/html")])
    def test_edit_leaves_other_answers_alone(self, payload, kind):
        plan = FaultPlan(action="edit", remove=("x",))
        assert _call(FaultMiddleware(_app(payload, kind), plan))[2] == payload

    def test_drop_without_a_transport_degrades_to_the_status(self):
        status, _, _ = _call(FaultMiddleware(_app(b"{}"), FaultPlan(action="drop")))
        assert status == 502
