"""Decoding and validating a submit_qubo body (local/analysis/submission.py)."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.local.analysis.errors import ProblemError
from pennylane_qoro.local.analysis.submission import decode_factored, parse_submission


class TestParsing:
    def test_linear_key_forms_agree(self):
        """Test that "i" and "i,i" both mean the linear term, and keys may be unordered."""
        a = parse_submission({"qubo": {"0": -1.0, "1,0": 2.0}})
        b = parse_submission({"qubo": {"0,0": -1.0, "0,1": 2.0}})
        assert a.problem.canonical_json() == b.problem.canonical_json()

    def test_factored_round_trip(self):
        """Test decoding §1.5's worked example: Q = [[1, .5], [.5, 2]]."""
        env = {"_format": "factored_v1", "n": 2, "k": 2,
               "F": "000000000000e0bf000000000000e03f000000000000e03f000000000000e03f",
               "signs": [-1.0, 1.0], "diag": "000000000000f03f0000000000000040"}
        Q = decode_factored(env)
        assert np.allclose(Q, [[1.0, 0.5], [0.5, 2.0]])
        sub = parse_submission({"qubo": env})
        assert sub.encoding == "factored_v1"
        assert sub.problem.energy_of("11") == pytest.approx(4.0)

    @pytest.mark.parametrize(("body", "field"), [
        ({"qubo": {}}, "qubo"),
        ({"qubo": {"0": 0.0}}, "qubo"),
        ({"qubo": {"a": 1.0}}, "qubo['a']"),
        ({"qubo": {"-1": 1.0}}, "qubo['-1']"),
        ({"qubo": {"0": float("nan")}}, "qubo['0']"),
        ({"qubo": {"0": float("inf")}}, "qubo['0']"),
        ({"qubo": {"0": True}}, "qubo['0']"),
        ({"qubo": {"5000": 1.0}}, "qubo['5000']"),
        ({"qubo": {"0": 1.0}, "reference_states": ["01"]}, "reference_states[0]"),
        ({"qubo": {"0": 1.0}, "reference_states": ["2"]}, "reference_states[0]"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"sensitivity": True}}},
         "options.analysis"),
        ({"qubo": {"0": 1.0}, "options": {"ansatz": {"auto_warmstart": True}}},
         "options.ansatz"),
        ({"qubo": {"0": 1.0}, "options": {"preset": "huge"}}, "options.preset"),
        ({"qubo": {"0": 1.0, "3": 1.0}, "options": {"n_qubits": 2}}, "options.n_qubits"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"parameter_sweep": True,
                                                       "gamma": 1.0}}}, "options.analysis"),
        ({"qubo": {"_format": "factored_v1", "n": 2, "k": 1, "F": "00", "signs": [1.0],
                   "diag": "0" * 32}}, "qubo.F"),
        ({"qubo": {"_format": "factored_v1", "n": 1, "k": 1, "F": "0" * 16, "signs": [0.5],
                   "diag": "0" * 16}}, "qubo.signs"),
        ({"qubo": {"_format": "factored_v1", "n": 1, "k": 0, "F": "", "signs": [],
                   "diag": "0" * 16, "extra": 1}}, "qubo"),
        ({"qubo": {"_format": "factored_v2", "n": 1, "k": 0, "F": "", "signs": [],
                   "diag": "0" * 16}}, "qubo._format"),
        ({"qubo": {"_format": "factored_v1", "n": 5000, "k": 0, "F": "", "signs": [],
                   "diag": "0" * 16 * 5000}}, "qubo.n"),
        ({"qubo": {"5000,0": 1.0}}, "qubo['0,5000']"),
        ({"qubo": {"0": 1.0}, "options": {"analysis": {"gamma": True}}},
         "options.analysis.gamma"),
        ({"qubo": {"0": 1.0}, "surprise": 1}, "body"),
    ])
    def test_bad_submissions_name_the_field(self, body, field):
        """Test that each malformed submission raises ProblemError naming its field."""
        with pytest.raises(ProblemError) as err:
            parse_submission(body)
        assert err.value.field == field
