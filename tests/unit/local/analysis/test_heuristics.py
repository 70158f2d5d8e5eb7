"""Descent and annealing kernels (local/analysis/heuristics.py) against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.local.analysis.heuristics import (
    FieldBlock,
    anneal,
    colour_classes,
    field_scale,
    steepest_descent,
)
from pennylane_qoro.local.analysis.polynomial import Polynomial
from pennylane_qoro.local.analysis.structure import interaction_edges

from .oracles import brute_energies, random_terms


class TestHeuristicKernels:
    @pytest.mark.parametrize("dense_limit", [0, 1024])
    @pytest.mark.parametrize("cubic", [0.0, 0.3])
    def test_descent_and_annealing_end_in_local_minima(self, dense_limit, cubic):
        """Test the incremental descent (QUBO) and recomputed one (HUBO) stop at 1-flip minima."""
        n = 10
        terms = random_terms(n, seed=12, density=0.5, cubic=cubic)
        poly = Polynomial.from_terms(n, terms, dense_max_n=dense_limit)
        E = brute_energies(n, terms)
        full = FieldBlock(poly, np.arange(n))
        rng = np.random.default_rng(0)
        X = steepest_descent(poly, rng.integers(0, 2, (16, n)).astype(float), full, 1e-12)
        blocks = [FieldBlock(poly, c) for c in colour_classes(n, interaction_edges(poly))]
        Y, e = anneal(poly, blocks, rng, replicas=8, sweeps=50, t0=field_scale(poly))
        assert np.allclose(e, poly.energies(Y))
        for x in np.vstack([X, steepest_descent(poly, Y, full, 1e-12)]):
            s = int(sum(1 << i for i, v in enumerate(x) if v > 0.5))
            assert all(E[s] <= E[s ^ (1 << i)] + 1e-9 for i in range(n))
