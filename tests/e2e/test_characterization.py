"""``characterize`` against the real embedded service, over real HTTP.

Fault injection uses the service's own test switch (``serve(faults=FaultPlan(...))``): nothing
in requests or urllib3 is patched.
"""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np
import pytest
import requests

from pennylane_qoro import endpoint as endpoint_module
from pennylane_qoro.characterization import (
    CharacterizationFailedError,
    CharacterizationSubmitError,
    ProblemError,
    ProblemTooLargeError,
    characterize,
)
from pennylane_qoro.characterization import api as api_module
from pennylane_qoro.client import NotFoundError, QoroClient, ValidationError
from pennylane_qoro.local import FaultPlan, serve

qml = pytest.importorskip("pennylane")
nx = pytest.importorskip("networkx")

CYCLE5 = {(0,): -2.5, (1,): -3.0, (2,): -3.5, (3,): -2.5, (4,): -2.5, (0, 1): 2.0,
          (0, 2): 1.0, (0, 4): 2.0, (1, 2): 4.0, (2, 3): 2.0, (3, 4): 3.0}


def post(service, path: str, body=None, **kw):
    return requests.post(f"{service.url}/{path}", json=body,
                         headers={"Authorization": f"Bearer {service.token}"}, timeout=60, **kw)


class TestFlow:
    def test_fetch_by_job_id_returns_the_stored_result(self, client):
        """Test submit, then fetch by id: same data, and no second job or submission."""
        first = characterize(CYCLE5, ["10100"], preset="deep", client=client)
        jobs, sent = client.stats.jobs, client.stats.bytes_sent
        again = characterize(job_id=first.job_id, client=client)
        assert again.raw == first.raw
        assert again.hardness == first.hardness and again.report == first.report
        assert client.stats.jobs == jobs and client.stats.bytes_sent == sent
        assert first.hardness["energy_min"] == -6.0
        assert first.report["local"]["reference_states"][0]["rank"] == 7

    def test_maxcut_hamiltonian_end_to_end(self, client):
        """Test a PennyLane cost Hamiltonian: best energy = -(max cut), greedy reference."""
        graph = nx.random_regular_graph(3, 10, seed=3)
        H = qml.qaoa.maxcut(graph)[0]
        r = characterize(H, client=client, preset="deep")
        assert r.reference_source.startswith("greedy")
        cut = max(nx.cut_size(graph, {v for v in graph if (s >> v) & 1}) for s in range(2**10))
        assert r.best_energy == pytest.approx(-cut)
        assert r.report["num_qubits"] == 10
        assert r.problem.variables == tuple(range(10))
        assert "Characterization" in str(r) and r.recommendations

    def test_constant_offset_is_kept_client_side(self, client):
        """Test that the offset is not sent but added back to the best energy."""
        r = characterize({(0,): -1.0, (0, 1): 2.0, (1,): -1.0, (): 10.0}, ["10"], client=client,
                         preset="fast")
        assert r.offset == 10.0
        assert r.report["local"]["spectrum"]["energy_min"] == -1.0  # the service never saw it
        assert r.best_energy == 9.0

    def test_factored_payload_over_http(self, client):
        """Test a dense rank-2 QUBO travelling as factored_v1 with n_qubits attached."""
        rng = np.random.default_rng(0)
        U = rng.normal(size=(90, 2))
        r = characterize(U @ np.diag([1.0, -2.0]) @ U.T, client=client, preset="fast")
        assert r.encoding == "factored_v1" and not r.lossy_encoding
        assert r.report["num_qubits"] == 90 and r.report["local"]["encoding"] == "factored_v1"
        assert r.report["local"]["tier"] == "heuristic"

    def test_html_is_fetched_lazily_once_and_escapes_the_tag(self, client):
        """Test _repr_html_: one request for two displays; hostile tag shown as text."""
        tag = '<script>alert("t")</script>'
        r = characterize(CYCLE5, ["10100"], client=client, tag=tag)
        before = client.stats.requests
        page = r._repr_html_()
        assert r._repr_html_() == page
        assert client.stats.requests == before + 1

        class Tags(HTMLParser):
            def __init__(self):
                super().__init__()
                self.seen: list[tuple[str, dict]] = []

            def handle_starttag(self, t, attrs):
                self.seen.append((t, dict(attrs)))

        p = Tags()
        p.feed(page)
        assert p.seen[0] == ("div", {"class": "qvr-root"})
        assert "script" not in {t for t, _ in p.seen}
        assert "&lt;script&gt;" in page

    def test_target_states_alias_over_http(self, service, client):
        """Test the seed's target_states key is accepted as reference_states."""
        job = client.init_job("VALIDATE", tag="seed")
        resp = post(service, f"job/{job}/submit_qubo/",
                    {"qubo": {"0": -1.0, "0,1": 2.0, "1": -1.0}, "target_states": ["01"]})
        assert resp.status_code == 200
        body = client.validation_result(job)
        assert body["report"]["reference_states"] == ["01"]
        assert set(body) >= {"job_id", "status", "hardness", "report", "recommendations",
                             "created_at", "completed_at"}


class TestBadInput:
    @pytest.mark.parametrize(("problem", "refs"), [
        (np.ones((2, 3)), None),
        (np.array([[0.0, 1.0], [2.0, 0.0]]), None),
        ({(0, 1): float("nan")}, None),
        ({(0, -1): 1.0}, None),
        ({}, None),
        ({(0, 1): 1.0}, ["0"]),
        ({(0, 1): 1.0}, ["0x"]),
    ])
    def test_rejected_before_any_request(self, client, problem, refs):
        """Test that bad problems and references fail before a job exists."""
        before = client.stats.requests
        with pytest.raises(ProblemError):
            characterize(problem, refs, client=client)
        assert client.stats.requests == before

    def test_too_large_request_is_refused_before_init(self, client, monkeypatch):
        """Test the request-size limit (lowered here) is checked before job/init/."""
        monkeypatch.setattr(api_module, "MAX_REQUEST_BYTES", 200)
        before = client.stats.requests
        with pytest.raises(ProblemTooLargeError, match="bytes"):
            characterize({(i, i + 1): 1.0 for i in range(30)}, client=client)
        assert client.stats.requests == before

    def test_service_limit_is_a_plain_400_with_the_job_id(self, client):
        """Test a 4xx after init stays the client's typed error (not wrapped)."""
        with pytest.raises(ValidationError) as err:
            characterize({(0, 1): 1.0, (4999,): 1.0}, ["0" * 5000], client=client,
                         preset="fast")
        assert err.value.status == 400 and err.value.job_id
        assert "4096" in str(err.value)

    @pytest.mark.parametrize(("body", "field"), [
        ({"qubo": {"0": 1.0}, "reference_states": ["01"]}, "reference_states[0]"),
        ({"qubo": {"0,x": 1.0}}, "qubo['0,x']"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"auto_tune": True}}}, "options.analysis"),
        ({"qubo": {"_format": "factored_v1", "n": 2, "k": 1, "F": "00", "signs": [1.0],
                   "diag": "00" * 16}}, "qubo.F"),
        ({"qubo": {}}, "qubo"),
    ])
    def test_service_answers_400_naming_the_field(self, service, client, body, field):
        """Test 400 bodies over HTTP; the job stays PENDING and can still be submitted."""
        job = client.init_job("VALIDATE")
        resp = post(service, f"job/{job}/submit_qubo/", body)
        assert resp.status_code == 400 and resp.json()["field"] == field
        assert client.status(job)["status"] == "PENDING"
        ok = post(service, f"job/{job}/submit_qubo/", {"qubo": {"0": -1.0}})
        assert ok.status_code == 200

    def test_non_finite_json_and_resubmission(self, service, client):
        """Test NaN tokens are a 400 and a second submit of a finished job is a 409."""
        job = client.init_job("VALIDATE")
        resp = requests.post(f"{service.url}/job/{job}/submit_qubo/",
                             data=b'{"qubo": {"0": NaN}}',
                             headers={"Authorization": f"Bearer {service.token}",
                                      "Content-Type": "application/json"}, timeout=30)
        assert resp.status_code == 400
        assert post(service, f"job/{job}/submit_qubo/", {"qubo": {"0": 1.0}}).status_code == 200
        again = post(service, f"job/{job}/submit_qubo/", {"qubo": {"0": 1.0}})
        assert again.status_code == 409 and again.json() == {"error": "Job is not in PENDING "
                                                                      "status"}


class TestRecovery:
    """Failures after the job exists carry its id and phase; fetching then works."""

    def _client(self, svc) -> QoroClient:
        return QoroClient(svc.url, svc.token, progress=False, first_poll=0.01, poll_interval=0.05)

    def test_lost_submit_response(self):
        """Test a dropped submit response: CharacterizationSubmitError, then fetch by id."""
        plan = FaultPlan(when="after", action="drop", path=r"submit_qubo", methods={"POST"})
        with serve(faults=plan) as svc, self._client(svc) as c:
            with pytest.raises(CharacterizationSubmitError) as err:
                characterize(CYCLE5, ["10100"], client=c)
            assert err.value.phase == "submission" and err.value.job_id
            assert err.value.job_id in str(err.value)
            jobs = c.stats.jobs
            r = characterize(job_id=err.value.job_id, client=c)
            assert r.status == "COMPLETED" and c.stats.jobs == jobs

    def test_result_retrieval_failure(self):
        """Test a 500 on validation_result/: phase 'result retrieval'."""
        plan = FaultPlan(status=500, path=r"validation_result/$", methods={"GET"})
        with serve(faults=plan) as svc, self._client(svc) as c:
            with pytest.raises(CharacterizationSubmitError) as err:
                characterize(CYCLE5, ["10100"], client=c)
            assert err.value.phase == "result retrieval"
            assert characterize(job_id=err.value.job_id, client=c).hardness is None

    def test_status_polling_failure_in_fetch_mode(self):
        """Test a 500 on status/ while fetching: phase 'status polling'."""
        plan = FaultPlan(status=500, path=r"/status/$", methods={"GET"})
        with serve(faults=plan) as svc, self._client(svc) as c:
            job = characterize(CYCLE5, ["10100"], client=c).job_id
            with pytest.raises(CharacterizationSubmitError) as err:
                characterize(job_id=job, client=c)
            assert (err.value.phase, err.value.job_id) == ("status polling", job)

    def test_failed_and_unknown_jobs(self, service, client):
        """Test a FAILED job raises CharacterizationFailedError; an unknown id is a 404."""
        job = post(service, "job/create_failed/", {"tag": "t", "job_type": "VALIDATE"})
        job_id = job.json()["job_id"]
        with pytest.raises(CharacterizationFailedError) as err:
            characterize(job_id=job_id, client=client)
        assert err.value.job_id == job_id and err.value.status == "FAILED"
        with pytest.raises(NotFoundError):
            characterize(job_id="00000000-0000-0000-0000-000000000000", client=client)


def test_without_url_or_key_the_embedded_service_is_used(monkeypatch, isolated_env):
    """Test the default target: no key anywhere -> local service, with one warning."""
    monkeypatch.setattr(endpoint_module, "_WARNED", set())
    with pytest.warns(UserWarning, match="embedded local service"):
        r = characterize({(0,): -1.0, (0, 1): 2.0}, ["10"], preset="fast")
    assert r.source == "local" and r.status == "COMPLETED"


def test_device_and_characterize_share_one_no_key_warning(monkeypatch, isolated_env):
    """Test a script that builds the device and then characterizes, with no key anywhere,
    sees exactly one no-key warning, in the shared text (endpoint.FALLBACK_WARNING)."""
    import warnings

    import pennylane as qml

    monkeypatch.setattr(endpoint_module, "_WARNED", set())
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        qml.device("qoro.maestro", wires=1)
        r = characterize({(0,): -1.0, (0, 1): 2.0}, ["10"], preset="fast")
    texts = [str(w.message) for w in record if "embedded local service" in str(w.message)]
    assert texts == [endpoint_module.FALLBACK_WARNING]
    assert r.source == "local"
