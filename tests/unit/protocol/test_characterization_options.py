"""The characterization options schema (pennylane_qoro.protocol.characterization_options).

The client (``characterization/options.py``) and the local service (``local/analysis``) both
validate with it; these tests pin its fields, normalisation and width checks.
"""

from __future__ import annotations

import pytest

from pennylane_qoro.protocol.characterization_options import check_width, validate_options
from pennylane_qoro.protocol.errors import WireFieldError


class TestValidate:
    def test_normalised_copy(self):
        """Test null groups dropped, int weight keys, list indices, values kept."""
        out = validate_options({
            "preset": "deep", "analysis": None, "ansatz": {"mixer": "xy", "layers": 2},
            "constraints": [{"type": "inequality", "bound": 2, "weights": {"0": 1, 3: 2.5}},
                            {"type": "max_cardinality", "bound": 1, "qubits": (0, 1)}],
            "subspace": {"auto_warmstart": False, "base_bitstring": "0101",
                         "variable_qubits": (1, 2)},
            "n_qubits": 4,
        })
        assert out == {
            "preset": "deep", "ansatz": {"mixer": "xy", "layers": 2},
            "constraints": [{"type": "inequality", "bound": 2, "weights": {0: 1, 3: 2.5}},
                            {"type": "max_cardinality", "bound": 1, "qubits": [0, 1]}],
            "subspace": {"auto_warmstart": False, "base_bitstring": "0101",
                         "variable_qubits": [1, 2]},
            "n_qubits": 4,
        }
        assert validate_options(None) == {}

    @pytest.mark.parametrize(("options", "field", "detail"), [
        ([], "options", "must be an object"),
        ({"surprise": 1}, "options", "unknown keys ['surprise']"),
        ({"preset": "huge"}, "options.preset", "must be one of"),
        ({"analysis": {"sensitivity": True}}, "options.analysis",
         "'sensitivity' is now structural_sensitivity"),
        ({"analysis": {"gamma": True}}, "options.analysis.gamma", "finite number"),
        ({"analysis": {"beta": float("nan")}}, "options.analysis.beta", "finite number"),
        ({"analysis": {"parameter_sweep": "yes"}}, "options.analysis.parameter_sweep",
         "True or False"),
        ({"analysis": {"parameter_sweep": True, "gamma": 1.0}}, "options.analysis",
         "excludes"),
        ({"ansatz": {"mixer": "z"}}, "options.ansatz.mixer", "'x', 'xy' or 'I'"),
        ({"ansatz": {"layers": 0}}, "options.ansatz.layers", ">= 1"),
        ({"subspace": None}, "options.subspace", "must be an object"),
        ({"subspace": {"variable_qubits": [0, 0], "auto_warmstart": False,
                       "base_bitstring": "11"}}, "options.subspace.variable_qubits",
         "duplicates"),
        ({"subspace": {"base_bitstring": "1a"}}, "options.subspace.base_bitstring", "0 and 1"),
        ({"subspace": {"auto_warmstart": False, "restarts": 2}}, "options.subspace",
         "automatic"),
        ({"constraints": {}}, "options.constraints", "must be a list"),
        ({"constraints": [{"type": "nope", "bound": 1}]}, "options.constraints[0].type",
         "must be one of"),
        ({"constraints": [{"type": "equality"}]}, "options.constraints[0].bound", "required"),
        ({"constraints": [{"type": "equality", "bound": 1}]}, "options.constraints[0].weights",
         "non-empty weights"),
        ({"constraints": [{"type": "equality", "bound": 1, "weights": {-1: 1}}]},
         "options.constraints[0].weights", "not an index"),
        ({"constraints": [{"type": "max_cardinality", "bound": 1, "qubits": [-1]}]},
         "options.constraints[0].qubits[0]", ">= 0"),
        ({"n_qubits": True}, "options.n_qubits", "integer"),
        ({"cost_qubo": [1]}, "options.cost_qubo", "legacy comma-key object"),
        ({"analysis": {"penalty_tuning": True}, "cost_qubo": {"0": 1.0}},
         "options.analysis.penalty_tuning", "needs"),
    ])
    def test_each_rule_names_its_field(self, options, field, detail):
        """Test that each rule raises WireFieldError with the JSON path of the bad value."""
        with pytest.raises(WireFieldError) as err:
            validate_options(options)
        assert err.value.field == field and detail in err.value.detail


WIDE = {"constraints": [{"type": "max_cardinality", "bound": 1, "qubits": [0, 4]}],
        "subspace": {"auto_warmstart": False, "base_bitstring": "011", "variable_qubits": [2]}}


class TestWidth:

    def test_inline_and_later_checks_agree(self):
        """Test that n given to validate_options and check_width afterwards raise alike."""
        for n in (5, 3):
            later = None
            try:
                check_width(validate_options(WIDE), n)
            except WireFieldError as exc:
                later = (exc.field, exc.detail)
            inline = None
            try:
                validate_options(WIDE, n=n)
            except WireFieldError as exc:
                inline = (exc.field, exc.detail)
            assert inline == later
        assert later == ("options.constraints[0]", "index 4 is out of range for n=3")

    def test_bitstring_width(self):
        with pytest.raises(WireFieldError, match="must be 5 characters 0/1"):
            check_width(validate_options({"subspace": WIDE["subspace"]}), 5)
