"""The Ising/Walsh form (local/analysis/ising.py) and its metrics against enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.local.analysis.ising import frustrated_triangles, ising_form
from pennylane_qoro.local.analysis.polynomial import Polynomial
from pennylane_qoro.local.analysis.state import AnalysisState
from pennylane_qoro.local.analysis.structure import walsh_metrics

from .oracles import brute_energies, random_terms, submit


class TestIsing:
    @pytest.mark.parametrize("cubic", [0.0, 0.4])
    def test_walsh_form_reproduces_the_energy(self, cubic):
        """Test the Ising/Walsh expansion (x = (1 - z)/2) on every state."""
        n = 7
        terms = random_terms(n, seed=11, cubic=cubic)
        poly = Polynomial.from_terms(n, terms, -1.5)
        ising = ising_form(poly)
        X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
        Z = 1 - 2 * X
        E = ising.c0 + Z @ ising.h + (Z[:, ising.J_idx[:, 0]] * Z[:, ising.J_idx[:, 1]]) @ ising.J
        for S, w in ising.higher.items():
            E += w * Z[:, list(S)].prod(axis=1)
        assert np.allclose(E, brute_energies(n, terms, -1.5))

    def test_mean_std_and_autocorrelation_closed_forms(self):
        """Test mu, sigma and rho(1) of §3.6 against enumeration of all states and flips."""
        n = 8
        terms = random_terms(n, seed=2, cubic=0.2)
        E = brute_energies(n, terms)
        s = walsh_metrics(AnalysisState(sub=submit(terms), rng=np.random.default_rng(0), seed=0,
                                        ising=ising_form(Polynomial.from_terms(n, terms))))
        assert s["mean_energy"] == pytest.approx(E.mean())
        assert s["std_energy"] == pytest.approx(E.std())
        # rho(1) = correlation of E(x) and E(x') for x' a uniformly random single flip of x
        cov = np.mean([np.mean((E - E.mean()) * (E[np.arange(2**n) ^ (1 << i)] - E.mean()))
                       for i in range(n)])
        assert s["autocorrelation_rho1"] == pytest.approx(cov / E.var())

    def test_frustrated_triangles_against_enumeration(self):
        """Test the trace formula: a triangle is frustrated iff its J-sign product is > 0."""
        rng = np.random.default_rng(8)
        n = 9
        pairs = [p for p in itertools.combinations(range(n), 2) if rng.random() < 0.6]
        J = rng.choice([-1.0, 2.0], size=len(pairs))
        idx = np.array(pairs)
        sign = dict(zip(pairs, np.sign(J), strict=True))
        tri = [t for t in itertools.combinations(range(n), 3)
               if all(p in sign for p in itertools.combinations(t, 2))]
        bad = sum(np.prod([sign[p] for p in itertools.combinations(t, 2)]) > 0 for t in tri)
        assert frustrated_triangles(n, idx, J) == (len(tri), bad)
