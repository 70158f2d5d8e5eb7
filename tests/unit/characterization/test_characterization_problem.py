"""Client-side problem conversion, canonical form and wire encodings (characterization/problem.py).

The oracle for energies is independent of the code under test: x^T Q x for matrices, a loop
over terms for dicts, and the diagonal of ``qml.matrix`` for Hamiltonians.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
import scipy.sparse as sp

from pennylane_qoro.characterization import (
    ProblemError,
    ProblemTooLargeError,
    ReferenceStateError,
    canonicalize,
    encode_problem,
)
from pennylane_qoro.characterization import problem as P
from pennylane_qoro.local import analysis as A
from pennylane_qoro.local import analysis_report as R

qml = pytest.importorskip("pennylane")


def all_states(n: int) -> np.ndarray:
    """Rows x for every assignment; row k is the bitstring format(k, '0nb') (x_0 left-most)."""
    return np.array([[int(c) for c in format(k, f"0{n}b")] for k in range(2**n)], dtype=float)


def random_ising(n: int, seed: int, *, order: int = 2):
    rng = np.random.default_rng(seed)
    coeffs, ops = [float(rng.normal())], [qml.Identity(0)]
    for i in range(n):
        coeffs.append(float(rng.normal()))
        ops.append(qml.Z(i))
    for k in range(2, order + 1):
        for t in itertools.combinations(range(n), k):
            if rng.random() < 0.5:
                coeffs.append(float(rng.normal()))
                ops.append(qml.prod(*[qml.Z(w) for w in t]))
    return qml.Hamiltonian(coeffs, ops)


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


class TestIsing:
    @pytest.mark.parametrize("seed", range(4))
    @pytest.mark.parametrize("order", [2, 3])
    def test_ising_and_qubo_energies_agree_on_every_basis_state(self, seed, order):
        """Test Z = 1 - 2x: E(x) equals <x|H|x> for every x, constant included."""
        n = 5
        H = random_ising(n, seed, order=order)
        prob = canonicalize(H)
        diag = np.real(np.diag(qml.matrix(H, wire_order=range(n))))
        assert np.allclose(prob.energies(all_states(n)), diag)

    def test_round_trip_through_the_cost_hamiltonian(self):
        """Test Problem -> qml Hamiltonian -> Problem keeps every energy (HUBO included)."""
        prob = canonicalize({(0,): 1.0, (1, 2): -2.0, (0, 1, 2): 0.5, (): 3.0})
        back = canonicalize(prob.cost_hamiltonian())
        X = all_states(3)
        assert np.allclose(back.energies(X), prob.energies(X))
        assert np.allclose(np.real(np.diag(qml.matrix(prob.cost_hamiltonian(),
                                                      wire_order=range(3)))), prob.energies(X))

    def test_maxcut_cost_hamiltonian(self):
        """Test qml.qaoa.maxcut: the minimum energy is minus the maximum cut."""
        nx = pytest.importorskip("networkx")
        graph = nx.cycle_graph(5)
        prob = canonicalize(qml.qaoa.maxcut(graph)[0])
        E = prob.energies(all_states(5))
        assert E.min() == pytest.approx(-4.0)  # max cut of C5 is 4


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
            canonicalize({(P.MAX_VARIABLES,): 1.0})

    @pytest.mark.parametrize(("states", "match"), [
        (["012"], "only 0 and 1|string of 0 and 1"),
        (["01a"], "string of 0 and 1"),
        (["01"], "has 2 bits; the problem has 3"),
        (["0111"], "has 4 bits"),
        ([[0, 1, 2]], "only 0 and 1"),
        ([], "empty"),
        ([""], "non-empty"),
    ])
    def test_bad_reference_states(self, states, match):
        with pytest.raises(ReferenceStateError, match=match):
            P.reference_states(states, 3)

    def test_reference_state_forms(self):
        """Test a single string, 0/1 sequences and duplicate removal."""
        assert P.reference_states("101", 3) == ["101"]
        assert P.reference_states([[1, 0, 1], "101", np.array([0, 0, 1])], 3) == ["101", "001"]


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
        assert wire.size < P.json_size(prob.to_legacy()) / 5
        assert A.decode_factored(wire.qubo) == pytest.approx(prob.to_matrix(), abs=1e-12)

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
        sent, exact = A.decode_factored(wire.qubo), prob.to_matrix()
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
        _, terms, const, enc = A.parse_wire_qubo(prob.to_legacy())
        assert enc == "legacy" and terms == prob.terms and const == 0.0

    def test_both_encodings_give_the_same_analysis(self):
        """Test that factored_v1 and legacy payloads of one QUBO are analysed identically."""
        rng = np.random.default_rng(4)
        Q = rng.normal(size=(12, 12))
        prob = canonicalize(Q + Q.T)
        env, _ = P.encode_factored(prob)
        ref = "010101010101"
        out = []
        for qubo in (prob.to_legacy(), env):
            body = {"qubo": qubo, "reference_states": [ref], "options": {"preset": "deep"}}
            out.append(R.analyze(A.parse_submission(body)))
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


def test_greedy_reference_is_a_local_minimum():
    """Test the default candidate: no single flip lowers its energy."""
    rng = np.random.default_rng(5)
    prob = canonicalize({(i, j): float(rng.normal()) for i, j in
                         itertools.combinations(range(12), 2)})
    ref = P.greedy_reference(prob)
    x = np.array([int(c) for c in ref], dtype=float)
    e = prob.energies(x[None, :])[0]
    flips = np.array([x] * 12)
    flips[np.arange(12), np.arange(12)] = 1 - flips[np.arange(12), np.arange(12)]
    assert np.all(prob.energies(flips) >= e - 1e-12)
    assert ref == P.greedy_reference(prob)  # seeded
