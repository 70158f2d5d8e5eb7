"""Large ``add_circuits/`` bodies off the interpreter's long holds: validation in slices
(``routes/circuits.py``) and the paused collector (``local/gc_pause.py``)."""

from __future__ import annotations

import gc
import threading

import pytest

from pennylane_qoro.local.gc_pause import paused_gc, release
from pennylane_qoro.local.models import AddCircuitsRequest
from pennylane_qoro.local.routes.circuits import VALIDATE_SLICE, validate_chunk
from pennylane_qoro.local.submission import SubmissionError

N = 2 * VALIDATE_SLICE + 500  # three slices


def template_body(n: int) -> dict:
    return {"circuit_template": "x", "parameter_names": ["a"], "finalized": "true",
            "parameter_sets": [{"label": f"r{i}", "values": [i * 0.5]} for i in range(n)]}


class TestSlicedValidation:
    def test_same_model_as_one_call(self) -> None:
        body = template_body(N)
        assert validate_chunk(body) == AddCircuitsRequest.model_validate(body)
        bound = {"circuits": {f"c{i}": "t" for i in range(N)}, "shots": 5}
        req = validate_chunk(bound)
        assert req == AddCircuitsRequest.model_validate(bound)
        assert list(req.circuits or ()) == [f"c{i}" for i in range(N)]  # order kept

    def test_a_bad_row_in_a_later_slice_is_named_by_its_index_in_the_body(self) -> None:
        body = template_body(N)
        body["parameter_sets"][N - 3]["values"] = ["pi"]
        with pytest.raises(SubmissionError, match=rf"parameter_sets\.{N - 3}\.values\.0"):
            validate_chunk(body)

    def test_a_bad_circuit_is_named_by_its_label(self) -> None:
        bound = {"circuits": {f"c{i}": "t" for i in range(N)}}
        bound["circuits"]["c4321"] = 7
        with pytest.raises(SubmissionError, match=r"circuits\.c4321"):
            validate_chunk(bound)

    @pytest.mark.parametrize("body, field", [({"shots": "many"}, "shots"),
                                             ({"parameter_sets": "rows"}, "parameter_sets"),
                                             ({"circuits": ["a"]}, "circuits"),
                                             ({"surprise": 1}, "surprise")])
    def test_envelope_errors_name_the_field(self, body: dict, field: str) -> None:
        with pytest.raises(SubmissionError, match=field):
            validate_chunk(body)

    def test_a_body_that_is_not_an_object(self) -> None:
        with pytest.raises(SubmissionError):
            validate_chunk([1, 2])


class TestPausedCollector:
    def test_paused_while_any_block_runs_and_restored_after(self) -> None:
        assert gc.isenabled()
        inside = threading.Event()
        leave = threading.Event()

        def other() -> None:
            with paused_gc():
                inside.set()
                leave.wait(10)

        thread = threading.Thread(target=other)
        with paused_gc():
            thread.start()
            inside.wait(10)
        assert not gc.isenabled()  # the other thread's block still runs
        leave.set()
        thread.join(10)
        assert gc.isenabled()

    def test_a_disabled_collector_stays_disabled(self) -> None:
        gc.disable()
        try:
            with paused_gc():
                pass
            assert not gc.isenabled()
        finally:
            gc.enable()

    def test_release_empties_lists_and_dicts(self) -> None:
        rows, table = list(range(10_001)), {i: str(i) for i in range(5001)}
        release(rows, table, None)
        assert rows == [] and table == {}
