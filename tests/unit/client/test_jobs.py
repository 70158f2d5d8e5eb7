"""Tests for pennylane_qoro.client.jobs (QoroClient) over real HTTP to the conftest's FakeQoro."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import string
import sys
import threading

import pytest
from fake_qoro import TOKEN, Fault

from pennylane_qoro.client import (
    ACTIVE_STATUSES,
    TERMINAL_STATUSES,
    DeadlineExceededError,
    InsufficientCreditsError,
    JobCancelledError,
    JobFailedError,
    JobSpec,
    JobTimedOutError,
    NotFoundError,
    PayloadError,
    QoroClient,
    ServerError,
    Template,
    ValidationError,
    WireDecodeError,
)
from pennylane_qoro.client.wire import MAX_PAYLOAD_BYTES, decode_observables, decompress_text

QASM = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\n'


@pytest.fixture(autouse=True)
def _no_key_in_logs(caplog):
    caplog.set_level(logging.DEBUG)
    yield
    assert TOKEN not in caplog.text


def _noise(n: int, seed: int) -> str:
    """An incompressible QASM comment of n characters (so gzip cannot shrink the body)."""
    rng = random.Random(seed)
    return "// " + "".join(rng.choices(string.ascii_letters + string.digits, k=n)) + "\n"


def _spec(n: int = 3, **kw) -> JobSpec:
    kw.setdefault("shots", 100)
    return JobSpec(circuits=tuple((f"c{i}", QASM) for i in range(n)), **kw)


class TestSubmit:
    def test_init_and_single_upload(self, client, fake):
        job_id = client.submit(_spec(2))
        assert [(h.method, h.path) for h in fake.hits] == [
            ("POST", "job/init/"),
            ("POST", f"job/{job_id}/add_circuits/"),
        ]
        assert fake.bodies("init") == [
            {
                "tag": "default",
                "job_type": "EXECUTE",
                "use_packing": False,
                "simulator_cluster": "qoro_maestro",
            }
        ]
        (body,) = fake.bodies("add")
        assert list(body) == ["circuits", "mode", "finalized", "shots"]
        assert body["mode"] == "append" and body["finalized"] == "true" and body["shots"] == 100
        assert {k: decompress_text(v) for k, v in body["circuits"].items()} == {
            "c0": QASM,
            "c1": QASM,
        }
        assert client.stats.jobs == 1 and client.stats.requests == 2
        assert client.stats.bytes_sent == sum(len(h.body) for h in fake.hits)

    def test_qpu_target_tag_and_maestro_config(self, client, fake):
        client.submit(_spec(1, qpu_system="test_qpu", tag=None))
        client.submit(_spec(1, maestro_config={"simulation_type": 1, "max_bond_dimension": 32}))
        qpu, sim = fake.bodies("init")
        assert qpu == {
            "tag": None,
            "job_type": "EXECUTE",
            "use_packing": False,
            "qpu_system_name": "test_qpu",
        }
        assert sim["simulator_cluster"] == "qoro_maestro"
        assert sim["maestro_config"] == {"simulation_type": 1, "max_bond_dimension": 32}

    def test_large_job_is_chunked_at_the_cap(self, client, fake):
        circuits = tuple((f"big{i}", QASM + _noise(300_000, i)) for i in range(7))
        job_id = client.submit(JobSpec(circuits=circuits, shots=10))
        uploads = [h for h in fake.hits if h.path == f"job/{job_id}/add_circuits/"]
        assert len(uploads) > 1
        assert all(len(h.body) <= MAX_PAYLOAD_BYTES for h in uploads)
        assert all(int(h.headers["content-length"]) == len(h.body) for h in uploads)
        bodies = [json.loads(h.body) for h in uploads]
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]
        assert fake.jobs[job_id].labels == [label for label, _ in circuits]

    def test_shot_groups_are_chunk_local(self, client, fake):
        circuits = tuple((f"c{i}", QASM + _noise(300_000, i)) for i in range(5))  # ~300 kB each
        job_id = client.submit(JobSpec(circuits=circuits, shot_groups=((0, 3, 100), (3, 5, 200))))
        bodies = fake.jobs[job_id].bodies
        assert [len(b["circuits"]) for b in bodies] == [3, 2]
        assert bodies[0]["shot_groups"] == [[0, 3, 100]]
        assert bodies[1]["shot_groups"] == [[0, 2, 200]]
        assert all("shots" not in b for b in bodies)

    def test_expectation_with_ham_map(self, client, fake):
        spec = JobSpec(
            job_type="EXPECTATION",
            circuits=tuple((f"c{i}", QASM + _noise(300_000, i)) for i in range(5)),
            observables=(("ZII", "IZI"), ("XXX",)),
            circuit_ham_map=((0, 3), (3, 5)),
        )
        result = client.run(spec)
        bodies = fake.jobs[result.job_id].bodies
        assert len(bodies) > 1
        assert all(b["circuit_ham_map"] == [[0, 3], [3, 5]] for b in bodies)
        assert decode_observables(bodies[0]["observables"]) == [["ZII", "IZI"], ["XXX"]]
        assert all("shots" not in b for b in bodies)
        assert fake.bodies("init")[0]["job_type"] == "EXPECTATION"
        assert result.results == {
            "c0": {"ZII": 0.5, "IZI": -0.5},
            "c1": {"ZII": 0.5, "IZI": -0.5},
            "c2": {"ZII": 0.5, "IZI": -0.5},
            "c3": {"XXX": 0.5},
            "c4": {"XXX": 0.5},
        }

    def test_templates(self, client, fake):
        t1 = Template("rx(theta_0) q[0];", ("theta_0",), (("a", (0.1,)), ("b", (1,))))
        t2 = Template("ry(p_0) q[0]; rz(p_1) q[1];", ("p_0", "p_1"), (("c", (0.0, -2.5)),))
        result = client.run(JobSpec(templates=(t1, t2), shots=64))
        first, second = fake.jobs[result.job_id].bodies
        assert decompress_text(first["circuit_template"]) == t1.qasm
        assert first["parameter_names"] == ["theta_0"]
        assert first["parameter_sets"] == [
            {"label": "a", "values": [0.1]},
            {"label": "b", "values": [1.0]},
        ]
        assert (first["finalized"], second["finalized"]) == ("false", "true")
        assert second["parameter_names"] == ["p_0", "p_1"] and second["shots"] == 64
        assert list(result.results) == ["a", "b", "c"]
        assert result.results["b"] == {"001": 64}

    def test_template_rows_chunked_and_template_resent(self, client, fake):
        rows = tuple((f"row{i}-" + "x" * 20_000, (float(i),)) for i in range(120))
        job_id = client.submit(JobSpec(templates=(Template("rx(t) q[0];", ("t",), rows),), shots=1))
        bodies = fake.jobs[job_id].bodies
        assert len(bodies) == 3
        assert all(b["circuit_template"] == bodies[0]["circuit_template"] for b in bodies)
        assert all(b["parameter_names"] == ["t"] for b in bodies)
        assert sum(len(b["parameter_sets"]) for b in bodies) == 120

    @pytest.mark.parametrize(
        "spec, match",
        [
            (JobSpec(shots=1), "either bound circuits or templates"),
            (_spec(1, shots=None), "exactly one of shots or shot_groups"),
            (_spec(2, shot_groups=((0, 2, 5),)), "exactly one of shots or shot_groups"),
            (_spec(2, shots=None, shot_groups=((0, 1, 5),)), "cover \\[0, 1\\)"),
            (_spec(1, shots=0), "positive int"),
            (_spec(1, shots=True), "positive int"),
            (_spec(1, observables=(("Z",),)), "not observables"),
            (_spec(1, job_type="SAMPLE"), "job_type"),
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
            (_spec(1, qpu_system="q", maestro_config={"a": 1}), "maestro_config"),
            (_spec(1, simulator_cluster=None), "simulator_cluster or a qpu_system"),
            (_spec(1, maestro_config={"bad": float("nan")}), "cannot be serialized"),
            (JobSpec(circuits=(("a", QASM), ("a", QASM)), shots=1), "duplicate circuit label"),
            (JobSpec(circuits=(("", QASM),), shots=1), "non-empty string"),
            (JobSpec(circuits=(("a", "  "),), shots=1), "non-empty text"),
            (JobSpec(circuits=(("a", QASM + _noise(1_400_000, 0)),), shots=1), "on its own"),
            (
                JobSpec(
                    templates=(Template(QASM + _noise(1_400_000, 1), (), (("a", ()),)),), shots=1
                ),
                "fixed overhead",
            ),
        ],
    )
    def test_invalid_specs_fail_before_init(self, client, fake, spec, match):
        with pytest.raises(PayloadError, match=match):
            client.submit(spec)
        assert fake.hits == []

    @pytest.mark.parametrize("fail_at", [1, 2])
    def test_failed_upload_cancels_and_deletes_the_job(self, client, fake, fail_at):
        circuits = tuple((f"c{i}", QASM + _noise(400_000, i)) for i in range(5))
        passes = [Fault(passthrough=True)] * (fail_at - 1)
        fake.inject("POST", "add", *passes, Fault(status=500, body={"error": "disk full"}))
        with pytest.raises(ServerError, match="disk full") as info:
            client.submit(JobSpec(circuits=circuits, shots=5))
        job_id = info.value.job_id
        assert job_id and job_id in str(info.value)
        assert fake.count("POST", "add") == fail_at
        assert fake.count("POST", "cancel") == 1 and fake.count("DELETE", "delete") == 1
        assert job_id not in fake.jobs

    def test_cleanup_failures_are_swallowed(self, client, fake, caplog):
        fake.inject("POST", "add", Fault(status=413, body={"error": "too large"}))
        fake.inject("POST", "cancel", Fault(status=500))
        fake.inject("DELETE", "delete", *[Fault(status=502)] * 6)
        with pytest.raises(Exception, match="too large") as info:
            client.submit(_spec(1))
        assert info.value.status == 413
        assert "could not be deleted" in caplog.text


class TestWait:
    def test_every_active_status_is_accepted(self, client, fake):
        fake.status_script = ["PENDING", "SCHEDULED", "RUNNING", "PAUSED", "RUNNING", "COMPLETED"]
        job_id = client.submit(_spec(1))
        final = client.wait(job_id)
        assert final["status"] == "COMPLETED" and final["run_time"] == 1.25
        assert fake.count("GET", "status") == 6 and client.stats.polls == 6
        assert {
            "PENDING",
            "SCHEDULED",
            "RUNNING",
            "PAUSED",
            "COMPLETED",
            "FAILED",
            "CANCELLED",
            "INSUFFICIENT_CREDITS",
            "TIMED_OUT",
        } == ACTIVE_STATUSES | TERMINAL_STATUSES

    def test_unknown_status_warns_once_and_keeps_polling(self, client, fake, caplog):
        fake.status_script = ["MAINTENANCE", "MAINTENANCE", "MAINTENANCE", "COMPLETED"]
        job_id = client.submit(_spec(1))
        assert client.wait(job_id)["status"] == "COMPLETED"
        warnings = [r for r in caplog.records if "unknown status" in r.getMessage()]
        assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
        assert job_id in warnings[0].getMessage()

    @pytest.mark.parametrize(
        "status, extra, cls, message",
        [
            (
                "FAILED",
                {"error": "qasm parse error line 3"},
                JobFailedError,
                "qasm parse error line 3",
            ),
            ("CANCELLED", {}, JobCancelledError, ""),
            (
                "INSUFFICIENT_CREDITS",
                {"detail": "balance 0.00"},
                InsufficientCreditsError,
                "balance 0.00",
            ),
            ("TIMED_OUT", {"message": "deadline 3600 s"}, JobTimedOutError, "deadline 3600 s"),
        ],
    )
    def test_terminal_failures(self, client, fake, status, extra, cls, message):
        fake.status_script = ["RUNNING", status]
        fake.status_extra = {"run_time": 0, **extra}
        job_id = client.submit(_spec(1))
        with pytest.raises(cls) as info:
            client.wait(job_id)
        err = info.value
        assert err.job_id == job_id and err.status == status
        assert err.server_message == message and job_id in str(err)
        assert TOKEN not in str(err)

    def test_deadline(self, client, fake):
        fake.status_script = ["RUNNING"]
        job_id = client.submit(_spec(1))
        with pytest.raises(DeadlineExceededError) as info:
            client.wait(job_id, timeout=0.15)
        assert info.value.job_id == job_id and info.value.status == "RUNNING"
        assert "deadline of 0.15 s" in str(info.value)
        assert fake.count("POST", "cancel") == 0  # wait() alone leaves the job alone

    def test_run_cancels_on_deadline(self, client, fake):
        fake.status_script = ["RUNNING"]
        with pytest.raises(DeadlineExceededError) as info:
            client.run(_spec(1), timeout=0.1)
        assert fake.count("POST", "cancel") == 1
        assert fake.jobs[info.value.job_id].cancelled

    def test_zero_timeout_checks_once(self, client, fake):
        fake.status_script = ["COMPLETED"]
        job_id = client.submit(_spec(1))
        assert client.wait(job_id, timeout=0)["status"] == "COMPLETED"

    @pytest.mark.parametrize(
        "extra, expected",
        [
            ({"run_time": "2.5"}, 2.5),
            ({"run_time": None}, 0.0),
            ({}, 0.0),
            ({"run_time": "n/a"}, 0.0),
            ({"run_time": 7}, 7.0),
            ({"run_time": True}, 0.0),
        ],
    )
    def test_run_time_is_read_leniently(self, client, fake, extra, expected):
        fake.status_extra = extra
        assert client.run(_spec(1)).run_time == expected

    @pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")
    @pytest.mark.parametrize("cancel_fails", [False, True])
    def test_ctrl_c_cancels_the_job_once(self, client, fake, cancel_fails):
        fake.status_script = ["RUNNING"]
        if cancel_fails:
            fake.inject("POST", "cancel", Fault(status=500, body={"error": "nope"}))
        job_id = client.submit(_spec(1))
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        timer.start()
        try:
            with pytest.raises(KeyboardInterrupt):
                client.wait(job_id)
        finally:
            timer.cancel()
        assert fake.count("POST", "cancel") == 1
        assert fake.jobs[job_id].cancelled is not cancel_fails

    def test_progress_display(self, fake, capsys):
        client = QoroClient(fake.url, api_key=TOKEN, progress=True, poll_interval=0.1)
        fake.status_script = ["RUNNING"] * 30 + ["COMPLETED"]
        job_id = client.submit(_spec(1))
        client.wait(job_id)
        err = capsys.readouterr().err
        assert f"Qoro job {job_id.split('-')[0]}" in err and "RUNNING" in err
        assert TOKEN not in err
        client.close()

    def test_progress_silent_without_tqdm(self, fake, capsys, monkeypatch):
        monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # import tqdm.auto -> ImportError
        client = QoroClient(fake.url, api_key=TOKEN, progress=True, poll_interval=0.1)
        fake.status_script = ["RUNNING"] * 30 + ["COMPLETED"]
        client.wait(client.submit(_spec(1)))
        assert "Qoro job" not in capsys.readouterr().err
        client.close()

    def test_no_progress_for_short_jobs(self, fake, capsys):
        client = QoroClient(fake.url, api_key=TOKEN, progress=True)
        client.run(_spec(1))
        assert "Qoro job" not in capsys.readouterr().err
        client.close()


class TestResults:
    def test_paging_in_submission_order(self, client, fake):
        spec = _spec(250, shots=9)
        result = client.run(spec)
        pages = [h for h in fake.hits if h.path.endswith("/resultsV2/")]
        assert [(h.query["limit"], h.query["offset"]) for h in pages] == [
            (["100"], ["0"]),
            (["100"], ["100"]),
            (["100"], ["200"]),
        ]
        assert list(result.results) == [f"c{i}" for i in range(250)]
        assert result.results["c9"] == {"001": 9}
        assert result.requests == len(fake.hits) == 2 + 3 + 3
        rows = client.results(result.job_id)
        assert [r["label"] for r in rows] == list(result.results)
        assert rows[5] == {"label": "c5", "results": {"101": 9}, "metadata": {"i": 5}}

    def test_not_ready(self, client, fake):
        fake.status_script = ["RUNNING"]
        job_id = client.submit(_spec(1))
        client.status(job_id)
        with pytest.raises(ValidationError, match="still running") as info:
            client.results(job_id)
        assert info.value.job_id == job_id and info.value.status == 400

    def _completed(self, client, fake) -> str:
        fake.status_script = ["COMPLETED"]
        job_id = client.submit(_spec(2))
        client.wait(job_id)
        return job_id

    def test_empty_page_with_next_link(self, client, fake):
        job_id = self._completed(client, fake)
        fake.inject("GET", "results", Fault(status=200, body={"results": [], "next": "x"}))
        with pytest.raises(WireDecodeError, match="empty results page"):
            client.results(job_id)

    @pytest.mark.parametrize(
        "page, match",
        [
            ({"next": None}, "no rows list"),
            ({"results": [{"label": "a"}], "next": None}, "without label/results"),
            (
                {
                    "results": [
                        {"label": "a", "results": {"encoding": "qh1", "payload": "UUgyAA=="}}
                    ],
                    "next": None,
                },
                "circuit 'a': version mismatch",
            ),
        ],
    )
    def test_malformed_pages(self, client, fake, page, match):
        job_id = self._completed(client, fake)
        fake.inject("GET", "results", Fault(status=200, body=page))
        with pytest.raises(WireDecodeError, match=match):
            client.results(job_id)

    def test_missing_rows_are_reported(self, client, fake):
        fake.inject(
            "GET",
            "results",
            Fault(
                status=200, body={"results": [{"label": "c0", "results": {"0": 1}}], "next": None}
            ),
        )
        with pytest.raises(WireDecodeError, match="no result rows for 1 label"):
            client.run(_spec(2))

    def test_plain_dicts_pass_through(self, client, fake):
        job_id = self._completed(client, fake)
        rows = [{"label": "c0", "results": {"01": 3}}, {"label": "c1", "results": None}]
        fake.inject("GET", "results", Fault(status=200, body={"results": rows, "next": None}))
        assert client.results(job_id) == rows


class TestOtherEndpoints:
    def test_targets_credits_ping(self, client, fake):
        assert client.ping()["service"] == "fake-qoro"
        assert client.qpu_systems()[0]["name"] == "test_qpu"
        assert client.simulator_clusters()[0]["supports_expval"] is True
        assert client.credits()["balance"] == "500.00"
        assert client.transactions(page=2, page_size=50)["query"] == {
            "page": "2",
            "page_size": "50",
        }
        assert [h.path for h in fake.hits] == [
            "",
            "qpusystem/",
            "simulatorcluster/",
            "credits/",
            "credits/transactions/",
        ]
        with pytest.raises(ValueError):
            client.transactions(page_size=101)

    def test_unexpected_shapes(self, client, fake):
        fake.inject("GET", "qpusystem", Fault(status=200, body={"not": "a list"}))
        with pytest.raises(WireDecodeError, match="JSON array"):
            client.qpu_systems()
        fake.inject("POST", "init", Fault(status=201, body={"id": 5}))
        with pytest.raises(WireDecodeError, match="without a string job_id"):
            client.submit(_spec(1))

    def test_cancel_delete_and_execution_config(self, client, fake):
        fake.status_script = ["RUNNING"]
        job_id = client.submit(_spec(2))
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
        assert fake.hits[-1].path == f"job/{job_id}"

    def test_characterization_calls(self, client, fake):
        job_id = client.init_job("VALIDATE", tag="divi-characterize")
        assert fake.bodies("init")[-1] == {"job_type": "VALIDATE", "tag": "divi-characterize"}
        qubo = {"qubo": {"0": -1.0, "0,1": 2.0}, "reference_states": ["01"]}
        client.submit_qubo(job_id, qubo)
        assert fake.bodies("qubo") == [qubo]
        assert client.wait(job_id)["status"] == "COMPLETED"
        assert client.validation_result(job_id) == {
            "status": "COMPLETED",
            "report": {},
            "job_id": job_id,
        }
        assert client.validation_html(job_id) == "<div>report</div>"

    def test_repr_and_context_manager(self, fake):
        with QoroClient(fake.url + "/", api_key=TOKEN) as c:
            assert repr(c) == f"QoroClient(url={fake.url!r})" and c.url == fake.url
            assert TOKEN not in repr(c.stats)
        with pytest.raises(ValueError):
            QoroClient(fake.url, api_key=TOKEN, poll_interval=0)

    def test_deepcopy_keeps_working(self, client, fake):
        import copy

        client.ping()
        twin = copy.deepcopy(client)
        assert twin.stats.requests == 1 and twin.url == client.url
        assert twin.run(_spec(1)).results == {"c0": {"000": 100}}
        assert client.stats.requests == 1  # counters are not shared
        twin.close()
