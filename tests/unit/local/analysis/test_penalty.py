"""The penalty split (local/analysis/penalty.py) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.submission import parse_submission

from .oracles import brute_energies, wire


class TestPenalty:
    def test_min_feasible_lambda_against_brute_force(self):
        """Test lambda_min: above it every minimiser of C + lambda P is feasible."""
        n = 5
        rng = np.random.default_rng(1)
        cost = {(i,): float(rng.normal() * 2) for i in range(n)}
        cost.update({(i, j): float(rng.normal()) for i, j in itertools.combinations(range(n), 2)})
        # one-hot: (sum x - 1)^2 = 1 - sum x_i + 2 sum_{i<j} x_i x_j
        pen = {(i,): -1.0 for i in range(n)}
        pen.update({(i, j): 2.0 for i, j in itertools.combinations(range(n), 2)})
        w = 0.4
        total = {k: cost.get(k, 0.0) + w * pen.get(k, 0.0) for k in set(cost) | set(pen)}
        resp = analyze(parse_submission({
            "qubo": wire(total), "reference_states": ["10000"],
            "options": {"analysis": {"penalty_tuning": True},
                        "cost_qubo": wire(cost), "penalty_qubo": wire(pen)}}))
        rep = resp["report"]
        lam = rep["penalty_lambda_min_feasible"]
        C, P = brute_energies(n, cost), brute_energies(n, pen)
        feasible = P.min() + 1e-9 >= P
        assert lam > 0  # this instance needs a penalty: the check below is not vacuous
        for lam_test, expect_feasible in ((lam * 1.01, True), (lam * 0.99, False)):
            E = C + lam_test * P
            argmins = np.flatnonzero(E.min() + 1e-9 >= E)
            assert bool(np.all(feasible[argmins])) is expect_feasible
        assert rep["local"]["penalty"]["current_weight"] == pytest.approx(w)
        assert rep["local"]["reference_states"][0]["feasible"] is True
        assert rep["penalty_lambda_safe"] is not None and rep["penalty_recommendation"] >= lam
