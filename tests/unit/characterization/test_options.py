"""Client-side options (characterization/options.py): the current vocabulary of §1.7."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.characterization import OptionsError, canonicalize, encode_problem
from pennylane_qoro.characterization.options import build_options
from pennylane_qoro.local.analysis.submission import parse_submission


def opts(options=None, preset="standard", problem=None):
    prob = problem or canonicalize({(0, 1): 1.0, (2,): -1.0})
    return build_options(preset, options, prob, encode_problem(prob))


def test_preset_and_current_vocabulary_on_the_wire():
    """Test the preset at the top of options and explicit flags passed through."""
    out = opts({"analysis": {"structural_sensitivity": True}, "ansatz": {"mixer": "x",
                                                                        "layers": 2}})
    assert out == {"preset": "standard", "analysis": {"structural_sensitivity": True},
                   "ansatz": {"mixer": "x", "layers": 2}}
    assert opts(preset=None) is None  # omitted entirely when empty (§2.14)


def test_what_the_client_sends_the_service_accepts():
    """Test that a full option set built here passes the service's strict validation."""
    prob = canonicalize({(0, 1): 1.0, (2,): -1.0, (0,): 0.5})
    out = build_options("deep", {
        "analysis": {"penalty_tuning": True, "parameter_sweep": True},
        "subspace": {"auto_warmstart": True, "solver": "greedy", "restarts": 3},
        "constraints": [{"type": "inequality", "bound": 2, "weights": {0: 1, 1: 2}},
                        {"type": "eq_cardinality", "bound": 1, "qubits": [0, 1]}],
        "cost_qubo": {(0,): 0.5, (2,): -1.0}, "penalty_qubo": {(0, 1): 1.0},
    }, prob, encode_problem(prob))
    sub = parse_submission({"qubo": prob.to_legacy(), "reference_states": ["101"],
                              "options": out})
    assert sub.options.penalty_tuning and sub.penalty is not None
    assert out["constraints"][0]["weights"] == {"0": 1, "1": 2}


@pytest.mark.parametrize(("options", "match"), [
    ({"analysis": {"sensitivity": True}}, "structural_sensitivity"),
    ({"analysis": {"hardness_only": True}}, "preset='deep'"),
    ({"analysis": {"parameter_sweep": "yes"}}, "True or False"),
    ({"analysis": {"parameter_sweep": True, "gamma": 0.1}}, "excludes"),
    ({"analysis": {"gamma": float("nan")}}, "finite"),
    ({"ansatz": {"mixer": "z"}}, "mixer"),
    ({"ansatz": {"layers": 0}}, "layers"),
    ({"ansatz": {"auto_warmstart": True}}, "unknown"),
    ({"subspace": {"base_bitstring": "101", "variable_qubits": [0]}}, "auto_warmstart=False"),
    ({"subspace": {"auto_warmstart": False, "restarts": 2}}, "automatic"),
    ({"subspace": {"auto_warmstart": False, "base_bitstring": "10"}}, "3 characters"),
    ({"constraints": [{"type": "inequality", "bound": 1}]}, "weights"),
    ({"constraints": [{"type": "max_cardinality", "bound": 1, "qubits": [7]}]},
     "out of range"),
    ({"constraints": [{"type": "nope", "bound": 1}]}, "type"),
    ({"n_qubits": 9}, "n_variables"),
    ({"preset": "deep"}, "preset=..."),
    ({"analysis": {"penalty_tuning": True}}, "needs"),
    ({"cost_qubo": {(0,): 1.0}}, "only with"),
    ({"surprise": 1}, "unknown"),
])
def test_bad_options_are_named(options, match):
    """Test that each option outside §1.7 raises OptionsError before any request."""
    with pytest.raises(OptionsError, match=match):
        opts(options)


def test_bad_preset():
    with pytest.raises(OptionsError, match="preset"):
        opts(preset="quick")


def test_contradicting_the_preset_warns():
    """Test divi's warnings: explicit False against a sweeping preset, fixed angles too."""
    with pytest.warns(UserWarning, match="parameter_sweep=False"):
        opts({"analysis": {"parameter_sweep": False}}, preset="deep")
    with pytest.warns(UserWarning, match="fixed gamma/beta"):
        opts({"analysis": {"gamma": 0.3}}, preset="standard")


def test_n_qubits_is_sent_when_the_payload_under_states_the_width():
    """Test n_qubits for trailing free variables (legacy) and for factored payloads."""
    prob = canonicalize({(0, 1): 1.0}, n_variables=4)
    assert opts(problem=prob)["n_qubits"] == 4
    u = np.arange(1.0, 71.0)
    dense = canonicalize(np.outer(u, u))
    assert encode_problem(dense).encoding == "factored_v1"
    assert opts(problem=dense)["n_qubits"] == 70
    assert "n_qubits" not in opts()
