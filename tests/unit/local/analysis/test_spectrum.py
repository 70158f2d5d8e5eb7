"""The exact tier (local/analysis/spectrum.py) against brute-force enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.local.analysis.engine import analyze
from pennylane_qoro.local.analysis.polynomial import Polynomial
from pennylane_qoro.local.analysis.spectrum import count_local_minima, exact_energies

from .oracles import brute_energies, random_terms, submit


class TestExactEnumeration:
    @pytest.mark.parametrize("n", [1, 2, 3, 7, 10])
    @pytest.mark.parametrize("cubic", [0.0, 0.3])
    def test_half_split_gemm_equals_brute_force(self, n, cubic):
        """Test that the vectorised enumeration reproduces every energy, HUBO included."""
        terms = random_terms(n, seed=n, cubic=cubic)
        poly = Polynomial.from_terms(n, terms, 0.25)
        assert np.allclose(exact_energies(poly), brute_energies(n, terms, 0.25), atol=1e-12)

    @pytest.mark.parametrize("seed", range(6))
    def test_reported_optimum_equals_brute_force(self, seed):
        """Test that the reported optimum and minimisers match brute force, n <= 16."""
        rng = np.random.default_rng(100 + seed)
        n = int(rng.integers(2, 17))
        Q = rng.normal(size=(n, n))
        Q = (Q + Q.T) / 2
        terms = {(i,): Q[i, i] for i in range(n)}
        terms.update({(i, j): 2 * Q[i, j] for i, j in itertools.combinations(range(n), 2)})
        X = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
        oracle = np.einsum("si,ij,sj->s", X, Q, X)  # x^T Q x, independent of the engine
        resp = analyze(submit(terms), time_budget=60)
        spec = resp["report"]["local"]["spectrum"]
        assert spec["energy_min"] == pytest.approx(oracle.min(), abs=1e-9)
        assert spec["energy_max"] == pytest.approx(oracle.max(), abs=1e-9)
        ground = {format(s, f"0{n}b")[::-1] for s in np.flatnonzero(oracle <= oracle.min() + 1e-9)}
        assert spec["ground_state_degeneracy"] == len(ground)
        assert set(spec["ground_states"]) <= ground
        assert resp["report"]["local"]["classical_baseline"]["best_energy"] == pytest.approx(
            oracle.min(), abs=1e-9)

    def test_local_minima_count_matches_flip_by_flip_check(self):
        """Test the gather-free local-minimum mask against checking every flip."""
        n = 9
        terms = random_terms(n, seed=3)
        E = brute_energies(n, terms)
        mask = count_local_minima(E.copy(), n, 1e-12)
        expected = [all(E[s] <= E[s ^ (1 << i)] + 1e-12 for i in range(n)) for s in range(2**n)]
        assert mask.tolist() == expected

    def test_first_excited_level_and_reference_rank(self):
        """Test gap, rank, ties and Hamming distance of a reference against brute force."""
        n = 8
        terms = {k: round(v) for k, v in random_terms(n, seed=5).items()}  # integer: ties exist
        E = brute_energies(n, terms)
        ref = "10110010"
        s = sum(1 << i for i, ch in enumerate(ref) if ch == "1")
        resp = analyze(submit(terms, [ref], preset="deep"))
        loc = resp["report"]["local"]
        levels = np.unique(E)
        assert loc["spectrum"]["cost_gap"] == pytest.approx(levels[1] - levels[0])
        row = loc["reference_states"][0]
        assert row["energy"] == pytest.approx(E[s])
        assert row["rank"] == 1 + int(np.sum(E[s] - 1e-9 > E))
        assert row["ties"] == int(np.sum(np.abs(E - E[s]) <= 1e-9))
        ground = np.flatnonzero(E.min() + 1e-9 >= E)
        assert row["hamming_to_ground"] == min(bin(int(g) ^ s).count("1") for g in ground)
        assert resp["hardness"]["ground_state_degeneracy"] == len(ground)
