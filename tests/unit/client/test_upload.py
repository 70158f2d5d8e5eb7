"""Tests for pennylane_qoro.client.upload: request chunking against the cap (§3.2, §3.3)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qoro.client.upload import plan_bound_requests, plan_template_requests
from pennylane_qoro.protocol.errors import PayloadError
from pennylane_qoro.protocol.observables import encode_observables
from pennylane_qoro.protocol.shot_groups import rebase_shot_groups
from pennylane_qoro.protocol.text import compress_text, json_body
from pennylane_qoro.protocol.vocabulary import MAX_PAYLOAD_BYTES


def _bodies(data: list[bytes]) -> list[dict]:
    return [json.loads(d) for d in data]


class TestBoundChunking:
    def test_envelope_and_finalized(self):
        circuits = [(f"c{i}", "x" * 10) for i in range(3)]
        (only,) = _bodies(plan_bound_requests(circuits, {"shots": 100}))
        assert only == {
            "circuits": dict(circuits),
            "mode": "append",
            "finalized": "true",
            "shots": 100,
        }
        assert list(only["circuits"]) == ["c0", "c1", "c2"]

    def _two_circuit_fill(self, extra: int) -> list[tuple[str, str]]:
        """Two circuits whose single finalized body is exactly MAX_PAYLOAD_BYTES + extra."""
        circuits = [("a", "A" * 1000), ("b", "")]
        size = len(
            json_body(
                {"circuits": dict(circuits), "mode": "append", "finalized": "true", "shots": 10}
            )
        )
        circuits[1] = ("b", "B" * (MAX_PAYLOAD_BYTES - size + extra))
        return circuits

    def test_final_body_exactly_at_cap_is_one_request(self):
        circuits = self._two_circuit_fill(0)
        data = plan_bound_requests(circuits, {"shots": 10})
        assert len(data) == 1 and len(data[0]) == MAX_PAYLOAD_BYTES

    def test_final_body_one_byte_over_splits(self):
        circuits = self._two_circuit_fill(1)
        data = plan_bound_requests(circuits, {"shots": 10})
        assert [list(b["circuits"]) for b in _bodies(data)] == [["a"], ["b"]]
        assert [b["finalized"] for b in _bodies(data)] == ["false", "true"]
        assert all(len(d) <= MAX_PAYLOAD_BYTES for d in data)

    @pytest.mark.parametrize(
        "extra, expected", [(0, [["a", "b"], ["c"]]), (1, [["a"], ["b", "c"]])]
    )
    def test_non_final_body_at_cap(self, extra, expected):
        circuits = [("a", "A" * 5000), ("b", ""), ("c", "C" * 100)]
        head = {
            "circuits": {"a": circuits[0][1], "b": ""},
            "mode": "append",
            "finalized": "false",
            "shots": 7,
        }
        circuits[1] = ("b", "B" * (MAX_PAYLOAD_BYTES - len(json_body(head)) + extra))
        data = plan_bound_requests(circuits, {"shots": 7})
        bodies = _bodies(data)
        assert [list(b["circuits"]) for b in bodies] == expected
        if extra == 0:
            assert len(data[0]) == MAX_PAYLOAD_BYTES
        assert all(len(d) <= MAX_PAYLOAD_BYTES for d in data)

    def test_single_circuit_over_cap_raises(self):
        base = len(
            json_body({"circuits": {"a": ""}, "mode": "append", "finalized": "true", "shots": 1})
        )
        fits = [("a", "x" * (MAX_PAYLOAD_BYTES - base))]
        assert len(plan_bound_requests(fits, {"shots": 1})[0]) == MAX_PAYLOAD_BYTES
        with pytest.raises(
            PayloadError, match="circuit 'a' needs a 996148-byte request on its own"
        ):
            plan_bound_requests([("a", "x" * (MAX_PAYLOAD_BYTES - base + 1))], {"shots": 1})

    def test_shot_groups_example_exact(self):
        # §3.3: global [[0,3,100],[3,5,200]] with chunk sizes 2 and 3.
        circuits = [(f"c{i}", "q" * (100 if i < 2 else 20)) for i in range(5)]
        sg = [[0, 3, 100], [3, 5, 200]]
        second = {
            "circuits": dict(circuits[2:]),
            "mode": "append",
            "finalized": "true",
            "shot_groups": [[0, 1, 100], [1, 3, 200]],
        }
        first = {
            "circuits": dict(circuits[:2]),
            "mode": "append",
            "finalized": "false",
            "shot_groups": [[0, 2, 100]],
        }
        cap = len(json_body(first))
        assert len(json_body(second)) < cap
        bodies = _bodies(plan_bound_requests(circuits, {}, shot_groups=sg, max_bytes=cap))
        assert bodies == [first, second]

    def test_circuit_ham_map_unchanged_in_every_chunk(self):
        circuits = [(f"c{i}", "q" * 400) for i in range(6)]
        env = {
            "observables": encode_observables([["ZZ"], ["XX", "YY"]]),
            "circuit_ham_map": [[0, 4], [4, 6]],
        }
        data = plan_bound_requests(circuits, env, max_bytes=1400)
        bodies = _bodies(data)
        assert len(bodies) > 1
        assert all(b["circuit_ham_map"] == [[0, 4], [4, 6]] for b in bodies)
        assert all(b["observables"] == env["observables"] for b in bodies)
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]
        assert [k for b in bodies for k in b["circuits"]] == [c for c, _ in circuits]

    @pytest.mark.parametrize(
        "sg, match",
        [
            ([[0, 2, 10]], "cover \\[0, 2\\) but there are 3"),
            ([[0, 2, 10], [1, 3, 5]], "expected start 2"),
            ([[0, 3, 0]], "shots > 0"),
            ([[0, 0, 1], [0, 3, 1]], "start < end"),
            ([[0, 3]], "three integers"),
            ([[0, 3, True]], "three integers"),
        ],
    )
    def test_bad_shot_groups(self, sg, match):
        with pytest.raises(PayloadError, match=match):
            plan_bound_requests([("a", "x"), ("b", "y"), ("c", "z")], {}, shot_groups=sg)

    def test_rejects_empty_and_duplicates(self):
        with pytest.raises(PayloadError, match="at least one circuit"):
            plan_bound_requests([], {"shots": 1})
        with pytest.raises(PayloadError, match="duplicate circuit label 'a'"):
            plan_bound_requests([("a", "x"), ("a", "y")], {"shots": 1})

    @settings(max_examples=80, deadline=None)
    @given(
        sizes=st.lists(st.integers(0, 300), min_size=1, max_size=30),
        shot_runs=st.lists(st.integers(1, 4), min_size=1, max_size=30),
        cap=st.integers(350, 2500),
        use_groups=st.booleans(),
    )
    def test_property_exact_greedy(self, sizes, shot_runs, cap, use_groups):
        circuits = [(f"lbl{i}", "z" * s) for i, s in enumerate(sizes)]
        n = len(circuits)
        sg = None
        if use_groups:
            sg, start = [], 0
            for k, run in enumerate(shot_runs):
                end = min(n, start + run)
                sg.append([start, end, 10 ** (k % 5) + k])
                start = end
                if start == n:
                    break
            if start < n:
                sg.append([start, n, 3])
        try:
            data = plan_bound_requests(
                circuits, {"shots": 5} if sg is None else {}, shot_groups=sg, max_bytes=cap
            )
        except PayloadError as exc:
            assert "on its own" in str(exc)
            return
        bodies = _bodies(data)
        assert all(len(d) <= cap for d in data)
        assert [k for b in bodies for k in b["circuits"]] == [c for c, _ in circuits]
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]
        offset = 0
        for k, b in enumerate(bodies):
            size = len(b["circuits"])
            if sg is not None:
                assert b["shot_groups"] == rebase_shot_groups(
                    [tuple(t) for t in sg], offset, offset + size
                )
            if k + 1 < len(bodies):  # greedy: the next circuit would not have fitted
                nxt = circuits[offset + size]
                grown = dict(b, circuits={**b["circuits"], nxt[0]: nxt[1]})
                last = k + 1 == len(bodies) - 1 and len(bodies[k + 1]["circuits"]) == 1
                grown["finalized"] = "true" if last else "false"
                if sg is not None:
                    grown["shot_groups"] = rebase_shot_groups(
                        [tuple(t) for t in sg], offset, offset + size + 1
                    )
                assert len(json_body(grown)) > cap
            offset += size


class TestTemplateChunking:
    def _template(self, rows, names=("theta_0", "theta_1")):
        return (compress_text("rx(theta_0) q[0];"), list(names), rows)

    def test_every_request_resends_template(self):
        rows = [(f"r{i}", [i * 0.1, -1.0]) for i in range(40)]
        data = plan_template_requests([self._template(rows)], {"shots": 50}, max_bytes=1200)
        bodies = _bodies(data)
        assert len(bodies) > 1
        for b in bodies:
            assert b["circuit_template"] == self._template(rows)[0]
            assert b["parameter_names"] == ["theta_0", "theta_1"]
            assert b["mode"] == "append" and b["shots"] == 50
            assert all(len(r["values"]) == 2 for r in b["parameter_sets"])
        labels = [r["label"] for b in bodies for r in b["parameter_sets"]]
        assert labels == [r for r, _ in rows]
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]

    def test_finalized_only_on_last_template(self):
        t1 = self._template([("a", [1, 2])])
        t2 = self._template([("b", [3, 4])])
        bodies = _bodies(plan_template_requests([t1, t2], {"shots": 5}))
        assert [b["finalized"] for b in bodies] == ["false", "true"]
        assert bodies[0]["parameter_sets"] == [{"label": "a", "values": [1.0, 2.0]}]

    @pytest.mark.parametrize("extra, n_requests", [(0, 1), (1, 2)])
    def test_exact_cap(self, extra, n_requests):
        t = self._template([("a", [0.5, 0.25]), ("b", [1.0, 2.0])])
        full = {
            "circuit_template": t[0],
            "parameter_names": t[1],
            "parameter_sets": [
                {"label": "a", "values": [0.5, 0.25]},
                {"label": "b", "values": [1.0, 2.0]},
            ],
            "mode": "append",
            "finalized": "true",
            "shots": 3,
        }
        cap = len(json_body(full)) - extra
        data = plan_template_requests([t], {"shots": 3}, max_bytes=cap)
        assert len(data) == n_requests
        assert all(len(d) <= cap for d in data)

    def test_fixed_overhead_reaching_cap(self):
        t = self._template([("a", [0.0, 0.0])])
        head = {
            "circuit_template": t[0],
            "parameter_names": t[1],
            "parameter_sets": [],
            "mode": "append",
            "finalized": "false",
            "shots": 1,
        }
        with pytest.raises(PayloadError, match="fixed overhead"):
            plan_template_requests([t], {"shots": 1}, max_bytes=len(json_body(head)))

    def test_row_too_large(self):
        t = self._template([("a" * 2000, [0.0, 0.0])])
        with pytest.raises(PayloadError, match="on its own"):
            plan_template_requests([t], {"shots": 1}, max_bytes=1000)

    @pytest.mark.parametrize(
        "rows, match",
        [
            ([], "no parameter rows"),
            ([("a", [1.0])], "1 values for 2 parameter names"),
            ([("a", [1.0, float("nan")])], "non-finite"),
            ([("a", [1.0, 2.0]), ("a", [1.0, 2.0])], "duplicate circuit label 'a'"),
            ([(3, [1.0, 2.0])], "not a string"),
        ],
    )
    def test_bad_rows(self, rows, match):
        with pytest.raises(PayloadError, match=match):
            plan_template_requests([self._template(rows)], {"shots": 1})

    def test_integer_values_sent_as_floats(self):
        (body,) = _bodies(plan_template_requests([self._template([("a", [1, 2])])], {}))
        assert body["parameter_sets"][0]["values"] == [1.0, 2.0]
        assert b"[1.0, 2.0]" in plan_template_requests([self._template([("a", [1, 2])])], {})[0]

    def test_empty_parameter_names(self):
        t = (compress_text("x q[0];"), [], [("only", [])])
        (body,) = _bodies(plan_template_requests([t], {"shots": 2}))
        assert body["parameter_names"] == [] and body["parameter_sets"] == [
            {"label": "only", "values": []}
        ]
