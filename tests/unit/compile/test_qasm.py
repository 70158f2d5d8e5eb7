"""Tests for pennylane_qoro.compile.qasm: gate table, templates, placeholder substitution."""

from __future__ import annotations

import re

import numpy as np
import pennylane as qml
import pytest

from pennylane_qoro.compile.qasm import (
    QASM_GATES,
    bind,
    count_parameters,
    parameter_names,
    parameter_rows,
    tape_structure,
    template_text,
)
from pennylane_qoro.device import QoroDevice


class TestGateTable:
    def test_every_toml_gate_has_a_qasm_token(self):
        """Test that each gate the TOML lists (and its Adjoint when invertible) compiles."""
        missing = sorted(QoroDevice.capabilities.gate_set() - set(QASM_GATES))
        assert missing == []

    def test_table_holds_nothing_the_toml_does_not_list(self):
        """Test that the TOML stays the only gate list: no extra names in the QASM table."""
        assert set(QASM_GATES) <= QoroDevice.capabilities.gate_set()


def _tape(params, wires=(0, 1, 2)):
    a, b, c = params
    ops = [qml.RX(a, wires[0]), qml.CNOT([wires[0], wires[1]]), qml.U3(a, b, c, wires[2])]
    ops += [qml.CRZ(c, [wires[2], wires[0]]), qml.adjoint(qml.S(wires[1]))]
    return qml.tape.QuantumScript(ops, [qml.expval(qml.Z(wires[0]))])


class TestTemplate:
    def test_tapes_differing_in_values_share_one_text(self):
        """Test that parameter-shift style tapes produce the same structure and template."""
        index = {0: 0, 1: 1, 2: 2}
        s1 = tape_structure(_tape([0.1, 0.2, 0.3]).operations, index)
        s2 = tape_structure(_tape([1.1, -5.0, 3e-9]).operations, index)
        assert s1 == s2
        assert template_text(s1, 3, ()) is template_text(s2, 3, ())

    def test_every_parameter_is_a_placeholder_in_order(self):
        """Test that the template carries p_0..p_4 in op order and no numeric literal."""
        structure = tape_structure(_tape([0.1, 0.2, 0.3]).operations, {0: 0, 1: 1, 2: 2})
        text = template_text(structure, 3, (0, 2))
        assert re.findall(r"p_\d+", text) == list(parameter_names(5))
        assert count_parameters(structure) == 5
        assert "sdg q[1];" in text
        assert text.endswith("measure q[0] -> c[0];\nmeasure q[2] -> c[2];\n")
        body = text.split("creg c[3];\n")[1]
        assert not re.search(r"\(\s*-?\d", body)

    def test_wire_labels_map_through_the_index(self):
        """Test that non-integer wire labels become their position in the wire order."""
        tape = _tape([0.1, 0.2, 0.3], wires=("b", "a", 7))
        structure = tape_structure(tape.operations, {"a": 0, "b": 1, 7: 2})
        assert structure[0] == ("rx", 1, (1,))
        assert structure[1] == ("cx", 0, (1, 0))

    def test_rows_broadcast_and_full_precision(self):
        """Test that broadcast parameters fill one row per element, scalars repeat."""
        x = np.array([0.1, 1 / 3, -2.5])
        tape = _tape([x, 0.7, np.pi])
        rows, batch = parameter_rows(tape.operations, 5)
        assert batch == tape.batch_size == 3 and rows.shape == (3, 5)
        np.testing.assert_array_equal(rows[:, 0], x)
        np.testing.assert_array_equal(rows[:, 3], np.full(3, np.pi))

    def test_rows_without_broadcasting(self):
        """Test a plain tape: one row, batch size None."""
        rows, batch = parameter_rows(_tape([0.1, 0.2, 0.3]).operations, 5)
        assert batch is None and rows.tolist() == [[0.1, 0.1, 0.2, 0.3, 0.3]]


class TestBind:
    def test_longest_name_first_and_identifier_boundaries(self):
        """Test §3.5 matching: p_1 never matches inside p_10 or an identifier."""
        names = [f"p_{i}" for i in range(11)]
        text = "rx(p_1) q[0];\nry(p_10) q[1];\nrz(xp_1) q[0];\n"
        out = bind(text, names, [float(i) for i in range(11)])
        assert out == "rx(1.0) q[0];\nry(10.0) q[1];\nrz(xp_1) q[0];\n"

    @pytest.mark.parametrize("value", [1 / 3, -1e-20, 1e16, np.pi, -0.0, 123456.789e-7])
    def test_values_round_trip_exactly(self, value):
        """Test that substituted text parses back to the identical double."""
        out = bind("rx(p_0) q[0];", ["p_0"], [value])
        assert float(out[3:-7]) == value

    def test_bound_template_runs_like_to_openqasm(self):
        """Test the bound text against PennyLane's own exporter on Maestro."""
        maestro = pytest.importorskip("maestro")
        tape = _tape([0.4, -1.2, 2.2])
        structure = tape_structure(tape.operations, {0: 0, 1: 1, 2: 2})
        text = bind(template_text(structure, 3, ()), parameter_names(5), tape.get_parameters())
        reference = qml.to_openqasm(tape, wires=[0, 1, 2], rotations=False, measure_all=False)
        terms = "ZII;IXI;IIY;ZZZ"
        got = maestro.simple_estimate(text, terms)["expectation_values"]
        want = maestro.simple_estimate(reference, terms)["expectation_values"]
        np.testing.assert_allclose(got, want, atol=1e-12)
