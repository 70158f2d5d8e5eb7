"""Conversion of user problems into the canonical form (characterization/convert.py).

The oracle for energies is independent of the code under test: x^T Q x for matrices and a
loop over terms for dicts.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from pennylane_qoro.characterization import (
    ProblemError,
    ProblemTooLargeError,
    canonicalize,
)
from pennylane_qoro.characterization.convert import MAX_VARIABLES

from .states import all_states

qml = pytest.importorskip("pennylane")


class TestConversion:
    def test_symmetric_and_triangular_matrices_mean_x_T_Q_x(self):
        """Test that a symmetric matrix and its triangular fold give E = x^T Q x."""
        rng = np.random.default_rng(0)
        Q = rng.normal(size=(6, 6))
        Q = Q + Q.T
        upper = np.triu(Q) + np.triu(Q, 1)  # same quadratic form, one-sided
        X = all_states(6)
        expected = np.einsum("si,ij,sj->s", X, Q, X)
        for m in (Q, upper, Q.tolist(), sp.csr_matrix(upper)):
            assert np.allclose(canonicalize(m).energies(X), expected)

    def test_every_matrix_row_is_a_variable(self):
        """Test that an all-zero last row still counts (§1.3) and pins n."""
        Q = np.zeros((4, 4))
        Q[0, 1] = 1.0
        prob = canonicalize(Q)
        assert prob.n == 4 and prob.terms == {(0, 1): 1.0}

    def test_dict_forms(self):
        """Test tuple dicts (QUBO diagonal (i, i), HUBO, int keys, constant) and wire dicts."""
        a = canonicalize({(0, 0): -1.0, (0, 1): 2.0, (): 0.5})
        b = canonicalize({(0,): -1.0, (1, 0): 2.0, (): 0.5})
        c = canonicalize({"0": -1.0, "0,1": 2.0, "": 0.5})
        d = canonicalize({0: -1.0, (0, 1): 2.0, (): 0.5})
        assert a.terms == b.terms == c.terms == d.terms == {(0,): -1.0, (0, 1): 2.0}
        assert a.offset == b.offset == c.offset == d.offset == 0.5
        h = canonicalize({(0,): -1.0, (0, 1, 2): 3.0})
        assert h.degree == 3 and h.source == "hubo_dict" and not h.is_quadratic

    def test_symmetric_dict_entries_add_up(self):
        """Test that both orderings with equal values are the symmetric convention."""
        assert canonicalize({(0, 1): 1.5, (1, 0): 1.5}).terms == {(0, 1): 3.0}

    def test_labels_and_wire_order(self):
        """Test non-integer labels (sorted by repr) and an explicit wire order."""
        prob = canonicalize({("b", "a"): 1.0, ("c",): -2.0})
        assert prob.variables == ("a", "b", "c")
        assert prob.terms == {(0, 1): 1.0, (2,): -2.0}
        prob = canonicalize({("b", "a"): 1.0, ("c",): -2.0}, wire_order=["c", "b", "a"])
        assert prob.terms == {(1, 2): 1.0, (0,): -2.0}

    def test_n_variables_pins_the_width(self):
        prob = canonicalize({(0, 1): 1.0}, n_variables=5)
        assert prob.n == 5 and prob.to_legacy() == {"0,1": 1.0}


class TestBadInput:
    @pytest.mark.parametrize(("problem", "match"), [
        (np.zeros((2, 3)), "square"),
        (np.zeros((0, 0)), "empty"),
        (np.zeros((3, 3)), "empty"),
        (np.array([[1.0, 2.0], [3.0, 1.0]]), "neither symmetric nor triangular"),
        ({(0, 1): 1.0, (1, 0): 2.0}, "conflicting"),
        (np.array([[np.nan, 0.0], [0.0, 1.0]]), "finite"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), "finite"),
        ({(0, 1): float("nan")}, "finite"),
        ({(0,): float("inf")}, "finite"),
        ({(-1, 2): 1.0}, "out of range"),
        ({}, "empty"),
        ({(): 3.0}, "empty"),
        ({(0,): 0.0}, "empty"),
        ({"0,a": 1.0}, "malformed"),
        ({"0": 1.0, (1,): 1.0}, "mixes"),
        ({(0,): "x"}, "real number"),
        ({(0,): 1 + 2j}, "complex"),
        ("0,1", "unsupported problem type"),
    ])
    def test_each_bad_problem_is_a_named_value_error(self, problem, match):
        """Test that each malformed problem raises ProblemError (a ValueError) naming it."""
        with pytest.raises(ProblemError, match=match) as err:
            canonicalize(problem)
        assert isinstance(err.value, ValueError)

    def test_index_out_of_range_of_n_variables(self):
        with pytest.raises(ProblemError, match="out of range for n_variables=3"):
            canonicalize({(0, 5): 1.0}, n_variables=3)

    def test_wire_missing_from_wire_order(self):
        with pytest.raises(ProblemError, match="not in wire_order"):
            canonicalize({(0, 1): 1.0}, wire_order=[0])

    def test_non_diagonal_hamiltonian(self):
        """Test that an X term is refused with the term named."""
        with pytest.raises(ProblemError, match=r"only Z/I"):
            canonicalize(qml.Hamiltonian([1.0, 0.5], [qml.Z(0) @ qml.Z(1), qml.X(0)]))

    def test_too_many_variables(self):
        with pytest.raises(ProblemTooLargeError, match="limit"):
            canonicalize({(MAX_VARIABLES,): 1.0})
