"""Tests for pennylane_qoro.client.jobs (QoroClient): submission, results and the other
endpoints, over real HTTP to the real local service (see conftest.py).

The service runs every job for real; ``client_specs.bound_spec`` circuits have known
histograms. Scripted answers (``FaultPlan(status=200, body=...)``) stand in only where the
test is about a page or an answer the service would never give.
"""

from __future__ import annotations

import copy

import pytest
from client_specs import QASM, bound_spec, noise, qasm, slow_spec

from pennylane_qoro.client import (
    JobCancelledError,
    JobSpec,
    NotFoundError,
    PayloadError,
    QoroClient,
    ServerError,
    Template,
    ValidationError,
    WireDecodeError,
)
from pennylane_qoro.local import FaultPlan
from pennylane_qoro.protocol.observables import decode_observables
from pennylane_qoro.protocol.text import compress_text, decompress_text
from pennylane_qoro.protocol.vocabulary import FINALIZE_WAIT_FIELD, MAX_PAYLOAD_BYTES

pytestmark = pytest.mark.usefixtures("no_key_in_logs")


def _labels(client, job_id: str) -> list[str]:
    """The circuits the service holds for a job, in order (once it has run)."""
    client.wait(job_id)
    return [row["label"] for row in client.results(job_id)]


class TestSubmit:
    def test_init_and_single_upload(self, client, qoro):
        job_id = client.submit(bound_spec(2))
        assert [(h.method, h.path) for h in qoro.hits] == [
            ("POST", "job/init/"),
            ("POST", f"job/{job_id}/add_circuits/"),
        ]
        assert qoro.bodies("init") == [
            {
                "tag": "default",
                "job_type": "EXECUTE",
                "use_packing": False,
                "simulator_cluster": "qoro_maestro",
            }
        ]
        (body,) = qoro.bodies("add")
        assert list(body) == ["circuits", "mode", "finalized", "shots"]
        assert body["mode"] == "append" and body["finalized"] == "true" and body["shots"] == 100
        assert {k: decompress_text(v) for k, v in body["circuits"].items()} == {
            "c0": qasm(0),
            "c1": qasm(1),
        }
        assert client.stats.jobs == 1 and client.stats.requests == 2
        assert client.stats.bytes_sent == sum(len(h.body) for h in qoro.hits)

    def test_qpu_target_tag_and_maestro_config(self, client, qoro):
        client.submit(bound_spec(1, qpu_system="local_qpu", tag=None))
        client.submit(bound_spec(1, maestro_config={"simulation_type": 1,
                                                    "max_bond_dimension": 32}))
        qpu, sim = qoro.bodies("init")
        assert qpu == {
            "tag": None,
            "job_type": "EXECUTE",
            "use_packing": False,
            "qpu_system_name": "local_qpu",
        }
        assert sim["simulator_cluster"] == "qoro_maestro"
        assert sim["maestro_config"] == {"simulation_type": 1, "max_bond_dimension": 32}

    def test_large_job_is_chunked_at_the_cap(self, client, qoro):
        circuits = tuple((f"big{i}", QASM + noise(300_000, i)) for i in range(7))
        job_id = client.submit(JobSpec(circuits=circuits, shots=10))
        uploads = [h for h in qoro.hits if h.path == f"job/{job_id}/add_circuits/"]
        assert len(uploads) > 1
        assert all(len(h.body) <= MAX_PAYLOAD_BYTES for h in uploads)
        assert all(int(h.headers["content-length"]) == len(h.body) for h in uploads)
        assert all("content-encoding" not in h.headers for h in uploads)  # plain, as to the cloud
        bodies = [h.json for h in uploads]
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]
        assert _labels(client, job_id) == [label for label, _ in circuits]

    def test_shot_groups_are_chunk_local(self, client, qoro):
        circuits = tuple((f"c{i}", QASM + noise(300_000, i)) for i in range(5))  # ~300 kB each
        job_id = client.submit(JobSpec(circuits=circuits, shot_groups=((0, 3, 100), (3, 5, 200))))
        bodies = qoro.job_bodies(job_id)
        assert [len(b["circuits"]) for b in bodies] == [3, 2]
        assert bodies[0]["shot_groups"] == [[0, 3, 100]]
        assert bodies[1]["shot_groups"] == [[0, 2, 200]]
        assert all("shots" not in b for b in bodies)

    def test_expectation_with_ham_map(self, client, qoro):
        spec = JobSpec(
            job_type="EXPECTATION",
            circuits=tuple((f"c{i}", qasm(1) + noise(300_000, i)) for i in range(5)),
            observables=(("ZII", "IZI"), ("XXX",)),
            circuit_ham_map=((0, 3), (3, 5)),
        )
        result = client.run(spec)
        bodies = qoro.job_bodies(result.job_id)
        assert len(bodies) > 1
        assert all(b["circuit_ham_map"] == [[0, 3], [3, 5]] for b in bodies)
        assert decode_observables(bodies[0]["observables"]) == [["ZII", "IZI"], ["XXX"]]
        assert all("shots" not in b for b in bodies)
        assert qoro.bodies("init")[0]["job_type"] == "EXPECTATION"
        # x q[0]: Z on qubit 0 (the first character) is -1, on qubit 1 +1; <100|XXX|100> = 0
        expected = {f"c{i}": {"ZII": -1.0, "IZI": 1.0} for i in range(3)}
        expected |= {f"c{i}": {"XXX": 0.0} for i in range(3, 5)}
        assert list(result.results) == list(expected)
        for label, values in expected.items():
            assert result.results[label] == pytest.approx(values, abs=1e-9)

    def test_templates(self, client, qoro):
        t1 = Template(qasm(0, body="rx(theta_0*pi) q[0];\n"), ("theta_0",),
                      (("a", (0.1,)), ("b", (1,))))
        t2 = Template(qasm(0, body="ry(p_0) q[0];\nrz(p_1) q[1];\n"), ("p_0", "p_1"),
                      (("c", (0.0, -2.5)),))
        result = client.run(JobSpec(templates=(t1, t2), shots=64))
        first, second = qoro.job_bodies(result.job_id)
        assert decompress_text(first["circuit_template"]) == t1.qasm
        assert first["parameter_names"] == ["theta_0"]
        assert first["parameter_sets"] == [
            {"label": "a", "values": [0.1]},
            {"label": "b", "values": [1.0]},
        ]
        assert (first["finalized"], second["finalized"]) == ("false", "true")
        assert second["parameter_names"] == ["p_0", "p_1"] and second["shots"] == 64
        assert list(result.results) == ["a", "b", "c"]
        assert result.results["b"] == {"001": 64}  # rx(pi) on q[0]: c[0] is the last character

    def test_template_rows_chunked_and_template_resent(self, client, qoro):
        rows = tuple((f"row{i}-" + "x" * 20_000, (float(i),)) for i in range(120))
        template = Template(qasm(0, n=1, body="rx(t) q[0];\n"), ("t",), rows)
        job_id = client.submit(JobSpec(templates=(template,), shots=1))
        bodies = qoro.job_bodies(job_id)
        assert len(bodies) == 3
        assert all(b["circuit_template"] == bodies[0]["circuit_template"] for b in bodies)
        assert all(b["parameter_names"] == ["t"] for b in bodies)
        assert sum(len(b["parameter_sets"]) for b in bodies) == 120

    @pytest.mark.parametrize(
        "spec, match",
        [
            (JobSpec(shots=1), "either bound circuits or templates"),
            (bound_spec(1, shots=None), "exactly one of shots or shot_groups"),
            (bound_spec(2, shot_groups=((0, 2, 5),)), "exactly one of shots or shot_groups"),
            (bound_spec(2, shots=None, shot_groups=((0, 1, 5),)), "cover \\[0, 1\\)"),
            (bound_spec(1, shots=0), "positive int"),
            (bound_spec(1, shots=True), "positive int"),
            (bound_spec(1, observables=(("Z",),)), "not observables"),
            (bound_spec(1, job_type="SAMPLE"), "job_type"),
            (
                JobSpec(
                    job_type="EXPECTATION", circuits=(("a", QASM),), shots=5, observables=(("Z",),)
                ),
                "not shots",
            ),
            (JobSpec(job_type="EXPECTATION", circuits=(("a", QASM),)), "need observables"),
            (
                JobSpec(
                    job_type="EXPECTATION", circuits=(("a", QASM),), observables=(("Z",), ("X",))
                ),
                "need a circuit_ham_map",
            ),
            (
                JobSpec(
                    job_type="EXPECTATION",
                    circuits=(("a", QASM),),
                    observables=(("Z",), ("X",)),
                    circuit_ham_map=((0, 1),),
                ),
                "1 ranges for 2",
            ),
            (
                JobSpec(
                    job_type="EXPECTATION",
                    circuits=(("a", QASM),),
                    observables=(("Z",),),
                    circuit_ham_map=((0, 2),),
                ),
                "within \\[0, 1\\)",
            ),
            (
                JobSpec(job_type="EXPECTATION", circuits=(("a", QASM),), observables=(("ZQ",),)),
                "'ZQ'",
            ),
            (
                JobSpec(
                    job_type="EXPECTATION",
                    templates=(Template("x", (), (("a", ()),)),),
                    observables=(("Z",), ("X",)),
                ),
                "exactly one observable group",
            ),
            (
                JobSpec(templates=(Template("x", (), (("a", ()),)),), shot_groups=((0, 1, 1),)),
                "bound-path only",
            ),
            (bound_spec(1, qpu_system="q", maestro_config={"a": 1}), "maestro_config"),
            (bound_spec(1, simulator_cluster=None), "simulator_cluster or a qpu_system"),
            (bound_spec(1, maestro_config={"bad": float("nan")}), "cannot be serialized"),
            (JobSpec(circuits=(("a", QASM), ("a", QASM)), shots=1), "duplicate circuit label"),
            (JobSpec(circuits=(("", QASM),), shots=1), "non-empty string"),
            (JobSpec(circuits=(("a", "  "),), shots=1), "non-empty text"),
            (JobSpec(circuits=(("a", QASM + noise(1_400_000, 0)),), shots=1), "on its own"),
            (
                JobSpec(
                    templates=(Template(QASM + noise(1_400_000, 1), (), (("a", ()),)),), shots=1
                ),
                "fixed overhead",
            ),
        ],
    )
    def test_invalid_specs_fail_before_init(self, client, qoro, spec, match):
        with pytest.raises(PayloadError, match=match):
            client.submit(spec)
        assert qoro.hits == []

    @pytest.mark.parametrize("fail_at", [1, 2])
    def test_failed_upload_cancels_and_deletes_the_job(self, client, qoro, fail_at):
        circuits = tuple((f"c{i}", QASM + noise(400_000, i)) for i in range(5))
        failure = FaultPlan(status=500, body={"error": "disk full"}, skip=fail_at - 1)
        qoro.inject("POST", "add", failure)
        with pytest.raises(ServerError, match="disk full") as info:
            client.submit(JobSpec(circuits=circuits, shots=5))
        job_id = info.value.job_id
        assert job_id and job_id in str(info.value)
        assert qoro.count("POST", "add") == fail_at
        assert qoro.count("POST", "cancel") == 1 and qoro.count("DELETE", "delete") == 1
        assert job_id not in qoro.jobs

    def test_cleanup_failures_are_swallowed(self, client, qoro, caplog):
        qoro.inject("POST", "add", FaultPlan(status=413, body={"error": "too large"}))
        qoro.inject("POST", "cancel", FaultPlan(status=500))
        qoro.inject("DELETE", "delete", FaultPlan(status=502, times=6))
        with pytest.raises(Exception, match="too large") as info:
            client.submit(bound_spec(1))
        assert info.value.status == 413
        assert "could not be deleted" in caplog.text


class TestResults:
    def test_paging_in_submission_order(self, client, qoro):
        result = client.run(bound_spec(250, shots=9))
        pages = [h for h in qoro.hits if h.route == "results"]
        assert [(h.query["limit"], h.query["offset"]) for h in pages] == [
            (["100"], ["0"]),
            (["100"], ["100"]),
            (["100"], ["200"]),
        ]
        assert list(result.results) == [f"c{i}" for i in range(250)]
        assert result.results["c9"] == {"001": 9}
        polls = qoro.count("GET", "status")  # as many as the real job took
        assert polls >= 1
        assert result.requests == len(qoro.hits) == 2 + polls + 3
        rows = client.results(result.job_id)
        assert [r["label"] for r in rows] == list(result.results)
        assert rows[5] == {"label": "c5", "results": {"101": 9}}

    def test_not_ready(self, client, qoro):
        job_id = client.submit(slow_spec())
        try:
            client.status(job_id)
            with pytest.raises(ValidationError, match="still running") as info:
                client.results(job_id)
            assert info.value.job_id == job_id and info.value.status == 400
        finally:
            client.cancel(job_id)

    def _completed(self, client) -> str:
        job_id = client.submit(bound_spec(2))
        client.wait(job_id)
        return job_id

    def test_empty_page_with_next_link(self, client, qoro):
        job_id = self._completed(client)
        page = {"count": 2, "results": [], "next": "x"}
        qoro.inject("GET", "results", FaultPlan(status=200, body=page))
        with pytest.raises(WireDecodeError, match="empty results page"):
            client.results(job_id)

    @pytest.mark.parametrize(
        "page, match",
        [
            ({"next": None}, "no rows list"),
            ({"count": 1, "results": [{"label": "a"}], "next": None}, "without label/results"),
            (
                {
                    "results": [
                        {"label": "a", "results": {"encoding": "qh1", "payload": "UUgyAA=="}}
                    ],
                    "count": 1,
                    "next": None,
                },
                "circuit 'a': version mismatch",
            ),
        ],
    )
    def test_malformed_pages(self, client, qoro, page, match):
        job_id = self._completed(client)
        qoro.inject("GET", "results", FaultPlan(status=200, body=page))
        with pytest.raises(WireDecodeError, match=match):
            client.results(job_id)

    def test_missing_rows_are_reported(self, client, qoro):
        # the paging path: the service does not advertise the answering finalize
        qoro.inject("POST", "init", FaultPlan(action="edit", remove=(FINALIZE_WAIT_FIELD,)))
        qoro.inject(
            "GET",
            "results",
            FaultPlan(
                status=200,
                body={"count": 1, "results": [{"label": "c0", "results": {"0": 1}}], "next": None},
            ),
        )
        with pytest.raises(WireDecodeError, match="says count 1, expected 2"):
            client.run(bound_spec(2))

    def test_plain_dicts_pass_through(self, client, qoro):
        job_id = self._completed(client)
        rows = [
            {"label": "c0", "results": {"01": 3}, "metadata": {"i": 0}},  # other keys kept
            {"label": "c1", "results": None},
        ]
        page = {"count": 2, "results": rows, "next": None}
        qoro.inject("GET", "results", FaultPlan(status=200, body=page))
        assert client.results(job_id) == rows


class TestOtherEndpoints:
    def test_targets_credits_ping(self, client, qoro):
        assert client.ping()["service"] == "qoro-local"
        assert client.qpu_systems()[0]["name"] == "local_qpu"
        assert client.simulator_clusters()[0]["supports_expval"] is True
        assert client.credits()["balance"] == "500.00"
        # a fresh token has one page of transactions: the service read page=2 and refused it
        with pytest.raises(NotFoundError, match="Invalid page"):
            client.transactions(page=2, page_size=50)
        assert qoro.hits[-1].query == {"page": ["2"], "page_size": ["50"]}
        assert [h.path for h in qoro.hits] == [
            "",
            "qpusystem/",
            "simulatorcluster/",
            "credits/",
            "credits/transactions/",
        ]
        with pytest.raises(ValueError):
            client.transactions(page_size=101)

    def test_unexpected_shapes(self, client, qoro):
        qoro.inject("GET", "qpusystem", FaultPlan(status=200, body={"not": "a list"}))
        with pytest.raises(WireDecodeError, match="JSON array"):
            client.qpu_systems()
        qoro.inject("POST", "init", FaultPlan(status=201, body={"id": 5}))
        with pytest.raises(WireDecodeError, match="without a string job_id"):
            client.submit(bound_spec(1))

    def test_cancel_delete_and_execution_config(self, client, qoro):
        # Options can only change while the job is PENDING: upload without finalizing.
        job_id = client.init_job("EXECUTE", simulator_cluster="qoro_maestro")
        chunk = {"circuits": {f"c{i}": compress_text(qasm(i)) for i in range(2)},
                 "mode": "append", "finalized": "false", "shots": 100}
        client._http.post(f"job/{job_id}/add_circuits/", chunk, timeout=5, job_id=job_id)
        with pytest.raises(NotFoundError, match="No execution configuration"):
            client.get_execution_config(job_id)
        cfg = {"bond_dimension": 64, "simulation_type": 1}
        assert client.set_execution_config(job_id, cfg)["execution_configuration"] == cfg
        assert client.get_execution_config(job_id)["execution_configuration"] == cfg
        client.status(job_id)
        answer = client.cancel(job_id)
        assert answer == {"status": "cancelled", "job_id": job_id, "circuits_cancelled": 2}
        with pytest.raises(JobCancelledError):
            client.wait(job_id)
        client.delete(job_id)
        with pytest.raises(NotFoundError):
            client.delete(job_id)
        assert qoro.hits[-1].path == f"job/{job_id}"

    def test_characterization_calls(self, client, qoro):
        job_id = client.init_job("VALIDATE", tag="divi-characterize")
        assert qoro.bodies("init")[-1] == {"job_type": "VALIDATE", "tag": "divi-characterize"}
        qubo = {"qubo": {"0": -1.0, "0,1": 2.0}, "reference_states": ["01"]}
        client.submit_qubo(job_id, qubo)
        assert qoro.bodies("qubo") == [qubo]
        assert client.wait(job_id)["status"] == "COMPLETED"
        report = client.validation_result(job_id)
        assert report["status"] == "COMPLETED" and report["job_id"] == job_id
        assert client.validation_html(job_id).lstrip().startswith("<")
        # job_id is filled in when an answer lacks it; the HTML comes back as it was sent
        qoro.inject("GET", "validation",
                    FaultPlan(status=200, body={"status": "COMPLETED", "report": {}}))
        qoro.inject("GET", "validation_html", FaultPlan(status=200, body="<div>report</div>"))
        assert client.validation_result(job_id) == {
            "status": "COMPLETED",
            "report": {},
            "job_id": job_id,
        }
        assert client.validation_html(job_id) == "<div>report</div>"

    def test_repr_and_context_manager(self, qoro):
        with QoroClient(qoro.url + "/", api_key=qoro.token) as c:
            assert repr(c) == f"QoroClient(url={qoro.url!r})" and c.url == qoro.url
            assert qoro.token not in repr(c.stats)
        with pytest.raises(ValueError):
            QoroClient(qoro.url, api_key=qoro.token, poll_interval=0)

    def test_deepcopy_keeps_working(self, client, qoro):
        client.ping()
        twin = copy.deepcopy(client)
        assert twin.stats.requests == 1 and twin.url == client.url
        assert twin.run(bound_spec(1)).results == {"c0": {"000": 100}}
        assert client.stats.requests == 1  # counters are not shared
        twin.close()
