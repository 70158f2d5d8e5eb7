"""Reading one add_circuits request: envelope rules, templates, limits and prices."""

from __future__ import annotations

import pytest

from pennylane_qoro.local.models import AddCircuitsRequest
from pennylane_qoro.local.store import Job
from pennylane_qoro.local.submission import (
    DEFAULT_SHOTS,
    SubmissionError,
    prepare_chunk,
    terms_for,
)
from pennylane_qoro.protocol.observables import encode_observables
from pennylane_qoro.protocol.pricing import execute_cost, expectation_cost
from pennylane_qoro.protocol.text import compress_text

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def job(job_type: str = "EXECUTE", *, n_circuits: int = 0, options: dict | None = None) -> Job:
    return Job(id="j", owner="o", job_type=job_type, tag=None, target="qoro_maestro",
               status="PENDING", finalized=False, n_circuits=n_circuits, max_qubits=0,
               execution_configuration=None, maestro_config=None, device_config=None,
               options=options or {}, observables=None, circuit_ham_map=None, cost=0,
               error=None, run_time=0.0, attempts=0, created_at="", updated_at="")


def program(n: int, body: str = "") -> str:
    return f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{body}"


def request(**body) -> AddCircuitsRequest:
    if "circuits" in body:
        body["circuits"] = {k: compress_text(v) for k, v in body["circuits"].items()}
    if "circuit_template" in body:
        body["circuit_template"] = compress_text(body["circuit_template"])
    return AddCircuitsRequest.model_validate({"mode": "append", "finalized": "true", **body})


class TestBound:
    def test_order_widths_and_default_shots(self) -> None:
        chunk = prepare_chunk(request(circuits={"b": program(2), "a": program(3)}, shots=None),
                              job())
        assert [c.label for c in chunk.circuits] == ["b", "a"]
        assert [(c.n_qubits, c.n_clbits, c.shots) for c in chunk.circuits] == [
            (2, 2, DEFAULT_SHOTS), (3, 3, DEFAULT_SHOTS)]
        assert chunk.max_qubits == 3 and chunk.finalize

    def test_shot_groups_are_chunk_local(self) -> None:
        chunk = prepare_chunk(request(circuits={f"c{i}": program(1) for i in range(3)},
                                      shot_groups=[[0, 1, 100], [1, 3, 2500]]),
                              job(n_circuits=40))
        assert [c.shots for c in chunk.circuits] == [100, 2500, 2500]
        assert [c.cost for c in chunk.circuits] == [2, 4, 4]

    @pytest.mark.parametrize("groups", [[[1, 3, 10]], [[0, 2, 10]], [[0, 1, 10], [2, 3, 10]],
                                        [[0, 3, 0]], [[0, 4, 10]]])
    def test_shot_groups_must_tile(self, groups: list) -> None:
        with pytest.raises(SubmissionError, match="shot_groups"):
            prepare_chunk(request(circuits={f"c{i}": program(1) for i in range(3)},
                                  shot_groups=groups), job())

    def test_qubit_limit_depends_on_the_method(self) -> None:
        req = request(circuits={"wide": program(30)})
        with pytest.raises(SubmissionError, match=r"'wide' has 30 qubits; Statevector .* 28"):
            prepare_chunk(req, job())
        assert prepare_chunk(req, job(options={"simulation_type": 1})).max_qubits == 30


class TestExpectation:
    def test_ham_map_indices_are_job_global(self) -> None:
        obs = encode_observables([["ZI", "IZ"], ["XX"] * 150])
        chunk = prepare_chunk(request(circuits={"x": program(2), "y": program(2)},
                                      observables=obs, circuit_ham_map=[[0, 11], [11, 12]]),
                              job("EXPECTATION", n_circuits=10))
        # global indices 10 and 11: group 0 then group 1 (150 duplicates collapse to 1 term)
        assert [c.cost for c in chunk.circuits] == [expectation_cost(2), expectation_cost(1)]
        assert chunk.observables == [["ZI", "IZ"], ["XX"] * 150]
        assert [c.shots for c in chunk.circuits] == [None, None]

    def test_terms_for(self) -> None:
        groups = [["ZI"], ["IZ", "ZI"]]
        assert terms_for(0, groups, [[0, 1], [1, 2]]) == ["ZI"]
        assert terms_for(1, groups, [[0, 1], [1, 2]]) == ["IZ", "ZI"]
        assert terms_for(5, groups, [[0, 1], [1, 2]]) == ["ZI", "IZ"]  # uncovered: all groups

    @pytest.mark.parametrize("body, needle", [
        ({"observables": encode_observables([["Z"], ["X"]]),
          "circuit_ham_map": [[0, 1]]}, "1 ranges but observables have 2 groups"),
        ({"observables": encode_observables([["Z"]]), "circuit_ham_map": [[2, 1]]}, "empty"),
        ({"observables": "Z0"}, "@gzs"),
        ({"observables": encode_observables([["Z"]]), "shot_groups": [[0, 1, 5]]},
         "shot_groups"),
        ({}, "need 'observables'"),
    ])
    def test_envelope_errors(self, body: dict, needle: str) -> None:
        with pytest.raises(SubmissionError, match=needle):
            prepare_chunk(request(circuits={"c": program(1)}, **body), job("EXPECTATION"))

    def test_term_length_must_match(self) -> None:
        with pytest.raises(SubmissionError, match=r"'c' has 3 qubits .* length 2"):
            prepare_chunk(request(circuits={"c": program(3)},
                                  observables=encode_observables([["ZZ"]])),
                          job("EXPECTATION"))


class TestTemplate:
    TEMPLATE = program(2, "rx(t_0) q[0];\nry(t_1) q[1];\n")

    def test_rows_become_circuits(self) -> None:
        chunk = prepare_chunk(request(circuit_template=self.TEMPLATE,
                                      parameter_names=["t_0", "t_1"],
                                      parameter_sets=[{"label": "r0", "values": [1, 2.5]},
                                                      {"label": "r1", "values": [0.0, -1.0]}],
                                      shots=10), job())
        assert chunk.templates == [(self.TEMPLATE, ("t_0", "t_1"))]
        assert [(c.label, c.template, c.params, c.shots) for c in chunk.circuits] == [
            ("r0", 0, (1.0, 2.5), 10), ("r1", 0, (0.0, -1.0), 10)]

    @pytest.mark.parametrize("body, needle", [
        ({"parameter_names": ["t_0", "t_1"], "parameter_sets": [{"label": "r", "values": [1]}]},
         "'r' has 1 values but parameter_names has 2"),
        ({"parameter_names": ["t_0"], "parameter_sets": [{"label": "r", "values": [1]}]},
         "t_1"),
        ({"parameter_names": ["t_0", "t_0"], "parameter_sets": []}, "more than once"),
        ({"parameter_names": ["t_0", "t_1"], "parameter_sets": [], "shot_groups": [[0, 1, 1]]},
         "neither"),
        ({"parameter_names": ["t_0", "t_1"]}, "parameter_sets"),
    ])
    def test_errors(self, body: dict, needle: str) -> None:
        with pytest.raises(SubmissionError, match=needle):
            prepare_chunk(request(circuit_template=self.TEMPLATE, **body), job())

    def test_a_bad_template_names_its_first_row_every_time(self) -> None:
        bad = program(1, "bogus(t_0) q[0];\n")
        for label in ("first", "second"):  # the verdict is kept; the message is not
            with pytest.raises(SubmissionError, match=f"'{label}'.*bogus"):
                prepare_chunk(request(circuit_template=bad, parameter_names=["t_0"],
                                      parameter_sets=[{"label": label, "values": [1]}]), job())
        good = request(circuit_template=self.TEMPLATE, parameter_names=["t_0", "t_1"],
                       parameter_sets=[{"label": "r", "values": [1, 2]}])
        assert prepare_chunk(good, job()).circuits[0].label == "r"  # twice: once kept
        assert prepare_chunk(good, job()).circuits[0].params == (1.0, 2.0)

    def test_template_takes_one_observable_group(self) -> None:
        with pytest.raises(SubmissionError, match="single observable group"):
            prepare_chunk(request(circuit_template=self.TEMPLATE, parameter_names=["t_0", "t_1"],
                                  parameter_sets=[], observables=encode_observables(
                                      [["ZZ"], ["XX"]])), job("EXPECTATION"))


class TestShapeRules:
    def test_exactly_one_shape(self) -> None:
        with pytest.raises(SubmissionError, match="exactly one"):
            prepare_chunk(request(), job())

    def test_validate_jobs_take_no_circuits(self) -> None:
        with pytest.raises(SubmissionError, match="submit_qubo"):
            prepare_chunk(request(circuits={"c": program(1)}), job("VALIDATE"))

    def test_prices(self) -> None:
        assert [execute_cost(s) for s in (1, 1000, 1001, 10_000)] == [2, 2, 3, 11]
        assert [expectation_cost(t) for t in (1, 100, 101)] == [2, 2, 3]
