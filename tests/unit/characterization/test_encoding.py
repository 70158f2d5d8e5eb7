"""The wire form of a problem (characterization/encoding.py) and what the service reads."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pennylane_qoro.characterization import canonicalize, encode_problem
from pennylane_qoro.characterization.encoding import encode_factored, json_size
from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.submission import (
    decode_factored,
    parse_submission,
    parse_wire_qubo,
)


class TestEncoding:
    def test_small_or_hubo_or_sparse_problems_stay_legacy(self):
        """Test the 0.15.1 rule: n < 64, HUBO, or < 0.5 n^2 terms -> legacy."""
        rng = np.random.default_rng(0)
        small = canonicalize(np.triu(rng.normal(size=(10, 10))))
        hubo = canonicalize({(i, i + 1, i + 2): 1.0 for i in range(80)})
        sparse_ = canonicalize({(i, i + 1): 1.0 for i in range(99)})
        for prob in (small, hubo, sparse_):
            assert encode_problem(prob).encoding == "legacy"

    def test_dense_low_rank_problem_goes_factored_and_round_trips(self):
        """Test u u^T (rank 1): factored, much smaller, decoded by the service exactly."""
        u = np.random.default_rng(1).normal(size=80)
        Q = np.outer(u, u)
        prob = canonicalize(Q)
        wire = encode_problem(prob)
        assert wire.encoding == "factored_v1" and not wire.lossy
        assert wire.size < json_size(prob.to_legacy()) / 5
        assert decode_factored(wire.qubo) == pytest.approx(prob.to_matrix(), abs=1e-12)

    def test_lossy_candidate_keeps_the_diagonal_and_the_error_bound(self):
        """Test candidate C: diagonal exact, off-diagonal within 1e-3 of max|Q|, chosen.

        The off-diagonal part is three Hadamard modes (eigenvalues 50, -30, -20: their
        diagonal contributions cancel) plus 1e-6 noise, so truncating to k = 3 is within the
        bound and much smaller than either lossless candidate.
        """
        from scipy.linalg import hadamard

        n = 128
        rng = np.random.default_rng(2)
        V = hadamard(n)[:, 1:4] / np.sqrt(n)
        M = V @ np.diag([50.0, -30.0, -20.0]) @ V.T
        noise = np.triu(rng.normal(size=(n, n)), 1) * 1e-6
        Q = M + noise + noise.T
        Q[np.diag_indices(n)] = rng.normal(size=n)
        prob = canonicalize(Q)
        wire = encode_problem(prob)
        assert wire.encoding == "factored_v1" and wire.lossy and wire.qubo["k"] == 3
        sent, exact = decode_factored(wire.qubo), prob.to_matrix()
        assert np.allclose(np.diag(sent), np.diag(exact), rtol=0, atol=1e-12)
        assert np.abs(sent - exact).max() <= 1e-3 * np.abs(exact).max()
        assert wire.max_relative_error == pytest.approx(
            np.abs(sent - exact).max() / np.abs(exact).max())

    def test_envelope_layout(self):
        """Test field types and hex lengths of §1.5 (16 n k and 16 n characters)."""
        prob = canonicalize(np.outer(np.arange(1.0, 71.0), np.arange(1.0, 71.0)))
        env = encode_problem(prob).qubo
        assert set(env) == {"_format", "n", "k", "F", "signs", "diag"}
        assert len(env["F"]) == 16 * env["n"] * env["k"] and len(env["diag"]) == 16 * env["n"]
        assert all(s in (1.0, -1.0) for s in env["signs"])
        assert env["F"] == env["F"].lower()

    def test_legacy_round_trip_is_exact(self):
        """Test the comma-key dict parsed by the service gives back the same terms."""
        prob = canonicalize({(0,): -1.25, (0, 3): 2.5, (1, 2, 3): 0.1})
        _, terms, const, enc = parse_wire_qubo(prob.to_legacy())
        assert enc == "legacy" and terms == prob.terms and const == 0.0

    def test_both_encodings_give_the_same_analysis(self):
        """Test that factored_v1 and legacy payloads of one QUBO are analysed identically."""
        rng = np.random.default_rng(4)
        Q = rng.normal(size=(12, 12))
        prob = canonicalize(Q + Q.T)
        env, _ = encode_factored(prob)
        ref = "010101010101"
        out = []
        for qubo in (prob.to_legacy(), env):
            body = {"qubo": qubo, "reference_states": [ref], "options": {"preset": "deep"}}
            out.append(analyze(parse_submission(body)))
        legacy, factored = out
        for key in ("energy_min", "energy_max", "cost_gap", "ground_state_degeneracy",
                    "difficulty", "treewidth_estimate", "global_flip_symmetric"):
            assert factored["hardness"][key] == pytest.approx(legacy["hardness"][key], abs=1e-9)
        for key in ("approximation_ratio", "concentration_ratio"):
            assert factored["report"][key] == pytest.approx(legacy["report"][key], abs=1e-7)
        assert (factored["report"]["local"]["reference_states"][0]["rank"]
                == legacy["report"]["local"]["reference_states"][0]["rank"])
        assert ([r["id"] for r in factored["recommendations"]]
                == [r["id"] for r in legacy["recommendations"]])

    def test_wire_json_is_strict(self):
        """Test that the encodings serialise without NaN/Infinity tokens."""
        u = np.arange(1.0, 71.0)
        prob = canonicalize(np.outer(u, u) + np.eye(70))
        json.dumps(encode_problem(prob).qubo, allow_nan=False)
