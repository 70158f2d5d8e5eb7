"""The canonical polynomial (local/analysis/polynomial.py): energies against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.local.analysis.polynomial import Polynomial

from .oracles import brute_energies, random_terms


class TestEnergies:
    @pytest.mark.parametrize("dense_limit", [0, 1024])
    @pytest.mark.parametrize("cubic", [0.0, 0.3])
    def test_batch_energies_match_brute_force(self, dense_limit, cubic):
        """Test Polynomial.energies on every state: dense and sparse QUBO paths, HUBO."""
        n = 8
        terms = random_terms(n, seed=7, cubic=cubic)
        poly = Polynomial.from_terms(n, terms, 0.5, dense_max_n=dense_limit)
        X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
        assert np.allclose(poly.energies(X), brute_energies(n, terms, 0.5))
