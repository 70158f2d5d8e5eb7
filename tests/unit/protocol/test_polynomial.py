"""The shared QUBO/HUBO maths (pennylane_qoro.protocol.polynomial) against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.protocol.polynomial import (
    BITSTRING,
    TooManyTermsError,
    eigen_noise_floor,
    group_rows,
    group_terms,
    qubo_matrix,
    row_to_bits,
    terms_from_matrix,
    walsh_expansion,
)


def states(n: int) -> np.ndarray:
    """Row s = the bits of s, x_i = (s >> i) & 1."""
    return ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)


def energies(n: int, terms: dict, constant: float = 0.0) -> np.ndarray:
    X = states(n)
    return constant + sum(c * X[:, list(k)].prod(axis=1) for k, c in terms.items())


def random_terms(n: int, seed: int, *, cubic: float = 0.0) -> dict:
    rng = np.random.default_rng(seed)
    terms = {(i,): float(rng.normal()) for i in range(n)}
    terms.update({p: float(rng.normal()) for p in itertools.combinations(range(n), 2)
                  if rng.random() < 0.6})
    terms.update({t: float(rng.normal()) for t in itertools.combinations(range(n), 3)
                  if rng.random() < cubic})
    return terms


class TestGroups:
    def test_groups_are_by_ascending_degree_in_input_order_without_zeros(self):
        """Test the grouping both sides build their arrays from."""
        groups = group_terms([((1, 2), 3.0), ((0,), 1.0), ((0, 1), 0.0), ((0, 2), -1.0)])
        assert [(i.tolist(), c.tolist()) for i, c in groups] == [
            ([[0]], [1.0]), ([[1, 2], [0, 2]], [3.0, -1.0])]
        assert list(group_rows(groups)) == [([0], 1.0), ([1, 2], 3.0), ([0, 2], -1.0)]
        assert group_terms([]) == ()


class TestMatrix:
    @pytest.mark.parametrize("seed", range(3))
    def test_qubo_matrix_is_the_quadratic_form(self, seed):
        """Test x^T Q x = E(x) on every state, and Q symmetric."""
        n = 6
        terms = random_terms(n, seed)
        Q = qubo_matrix(n, group_terms(terms.items()))
        X = states(n)
        assert np.allclose(Q, Q.T)
        assert np.allclose(np.einsum("si,ij,sj->s", X, Q, X), energies(n, terms))

    def test_terms_from_matrix_inverts_qubo_matrix_and_sums_both_triangles(self):
        """Test Q -> terms -> Q, and b_ij = Q_ij + Q_ji for a one-sided matrix."""
        terms = random_terms(5, 7)
        Q = qubo_matrix(5, group_terms(terms.items()))
        back = terms_from_matrix(Q)
        assert set(back) == set(terms)
        assert all(back[k] == pytest.approx(v) for k, v in terms.items())
        assert terms_from_matrix(np.array([[0.0, 3.0], [0.0, 0.0]])) == {(0, 1): 3.0}

    def test_hubo_has_no_matrix(self):
        with pytest.raises(ValueError, match="degree 3"):
            qubo_matrix(3, group_terms([((0, 1, 2), 1.0)]))

    def test_pair_limit_is_checked_before_building_terms(self):
        Q = np.ones((4, 4))
        with pytest.raises(TooManyTermsError) as err:
            terms_from_matrix(Q, max_pairs=5)
        assert (err.value.count, err.value.limit) == (6, 5)
        assert "6 couplings exceed the limit 5" in str(err.value)
        assert len(terms_from_matrix(Q, max_pairs=6)) == 10


class TestWalsh:
    @pytest.mark.parametrize("cubic", [0.0, 0.5])
    def test_expansion_reproduces_every_energy(self, cubic):
        """Test E(x) = sum_S w_S prod z_S with z = 1 - 2x, constant included."""
        n = 5
        terms = random_terms(n, 3, cubic=cubic)
        w = walsh_expansion(terms.items(), 0.75)
        Z = 1.0 - 2.0 * states(n)
        E = sum(c * Z[:, list(S)].prod(axis=1) for S, c in w.items())
        assert np.allclose(E, energies(n, terms, 0.75))
        assert next(iter(w)) == ()


class TestHelpers:
    def test_noise_floor(self):
        lam = np.array([-2.0, 1e-15, 3.0])
        assert eigen_noise_floor(lam) == pytest.approx(3e-12)
        assert eigen_noise_floor(np.zeros(0)) == 0.0

    def test_bitstrings(self):
        """Test character i = variable i and the bitstring pattern."""
        assert row_to_bits(np.array([1.0, 0.0, 0.9, 0.2])) == "1010"
        assert BITSTRING.fullmatch("0110") and not BITSTRING.fullmatch("01a")
        assert not BITSTRING.fullmatch("")
