"""The classical baseline's bounds (local/analysis/baseline.py) against brute force."""

from __future__ import annotations

import pytest

from pennylane_qoro.local.analysis.baseline import mccormick_bound
from pennylane_qoro.local.analysis.polynomial import Polynomial

from .oracles import brute_energies, random_terms


class TestBounds:
    @pytest.mark.parametrize("seed", range(4))
    def test_mccormick_bound_is_a_lower_bound(self, seed):
        """Test the LP relaxation never exceeds the true minimum."""
        n = 10
        terms = random_terms(n, seed=seed, density=0.4)
        bound = mccormick_bound(Polynomial.from_terms(n, terms))
        assert bound <= brute_energies(n, terms).min() + 1e-7
