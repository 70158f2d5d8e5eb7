"""Structure, reductions and certificates (local/analysis/structure.py) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.polynomial import Polynomial
from pennylane_qoro.local.analysis.structure import is_balanced, persistencies

from .oracles import brute_energies, submit


class TestStructure:
    @pytest.mark.parametrize("seed", range(5))
    def test_persistencies_keep_an_optimum(self, seed):
        """Test that dominance fixings are met by some optimum (and strict ones by all)."""
        n = 9
        rng = np.random.default_rng(seed)
        terms = {(i,): float(rng.normal() * 3) for i in range(n)}
        terms.update({(i, j): float(rng.normal()) for i, j in itertools.combinations(range(n), 2)
                      if rng.random() < 0.3})
        poly = Polynomial.from_terms(n, terms)
        state, _ = persistencies(poly)
        E = brute_energies(n, terms)
        ground = np.flatnonzero(E.min() + 1e-9 >= E)
        fixed = np.flatnonzero(state >= 0)
        ok = [all(((g >> i) & 1) == state[i] for i in fixed) for g in ground]
        assert any(ok)

    @pytest.mark.parametrize("seed", range(6))
    def test_balanced_iff_some_switching_makes_all_couplings_nonpositive(self, seed):
        """Test the signed 2-colouring against trying every flip subset."""
        rng = np.random.default_rng(seed)
        n = 6
        pairs = np.array([p for p in itertools.combinations(range(n), 2) if rng.random() < 0.5])
        if len(pairs) == 0:  # keep at least one coupling so the test always checks something
            pairs = np.array([(0, 1)])
        w = rng.choice([-1.0, 1.0], size=len(pairs), p=[0.7, 0.3])
        expected = any(
            all((w[k] if (f >> i & 1) == (f >> j & 1) else -w[k]) <= 0
                for k, (i, j) in enumerate(pairs))
            for f in range(2**n))
        assert is_balanced(n, pairs, w) == expected

    def test_number_partitioning_is_flip_symmetric(self):
        """Test number partitioning (sum s_i z_i)^2: every state ties with its complement."""
        a = [3.0, 1.0, 1.0, 2.0, 2.0, 1.0]
        n = len(a)
        terms = {(i,): 4 * a[i] * (a[i] - sum(a)) for i in range(n)}
        terms.update({(i, j): 8 * a[i] * a[j] for i, j in itertools.combinations(range(n), 2)})
        resp = analyze(submit(terms, preset="deep"))
        assert resp["report"]["local"]["structure"]["global_flip_symmetric"] is True
        assert resp["report"]["local"]["spectrum"]["complement_of_ground_is_ground"] is True
        assert resp["hardness"]["energy_min"] == pytest.approx(-sum(a) ** 2)  # perfect split
