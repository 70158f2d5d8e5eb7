"""Dense observables (``compile/dense.py`` and ``observables.dense_recipe``): the fast routes
give exactly what the general Pauli decomposition gives (``qml.pauli_decompose``)."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
import scipy.sparse as sps

from pennylane_qoro.compile.dense import content_key, is_diagonal, pauli_coefficients, pauli_rows
from pennylane_qoro.compile.observables import dense_recipe, pauli_sentence, recipe

RNG = np.random.default_rng(42)


def hermitian(k: int) -> np.ndarray:
    a = RNG.normal(size=(2**k, 2**k)) + 1j * RNG.normal(size=(2**k, 2**k))
    return (a + a.conj().T) / 2


def general_value(mp, wire_order, values: dict[str, float]) -> float:
    """The general path: qml.pauli_decompose of the matrix (square for var)."""
    ps = pauli_sentence(mp.obs)
    mean = sum(float(np.real(c)) * values[_dense(w, wire_order)] for w, c in ps.items())
    if isinstance(mp, qml.measurements.VarianceMP):
        square = ps @ ps
        square.simplify()
        second = sum(float(np.real(c)) * values[_dense(w, wire_order)]
                     for w, c in square.items())
        return second - mean**2
    return mean


def _dense(word, wire_order) -> str:
    return "".join(word.get(w, "I") for w in wire_order)


def term_values(n: int, state: np.ndarray) -> dict[str, float]:
    """<P> of every Pauli word on a state vector (n small)."""
    import itertools

    out = {}
    for letters in itertools.product("IXYZ", repeat=n):
        word = "".join(letters)
        mat = qml.matrix(qml.pauli.string_to_pauli_word(word), wire_order=range(n))
        out[word] = float(np.real(state.conj() @ mat @ state))
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_coefficients_equal_pauli_decompose(k: int) -> None:
    m = hermitian(k)
    x, z, c = pauli_coefficients(m)
    ps = qml.pauli_decompose(m, pauli=True, wire_order=range(k))
    letters = {(0, 0): "I", (1, 0): "X", (0, 1): "Z", (1, 1): "Y"}
    mine = {}
    for xi, zi, ci in zip(x, z, c, strict=True):
        word = "".join(letters[(xi >> (k - 1 - j) & 1, zi >> (k - 1 - j) & 1)] for j in range(k))
        mine[word] = ci
    theirs = {_dense(w, range(k)): coeff for w, coeff in ps.items()}
    assert mine.keys() == theirs.keys()
    for word, coeff in theirs.items():
        assert abs(mine[word] - coeff) < 1e-12


def test_rows_rebuild_the_matrix() -> None:
    m = hermitian(2)
    terms, rows = pauli_rows([m], [2, 0], 3)  # wires placed at qubits 2 and 0 of 3
    rebuilt = sum(c * qml.matrix(qml.pauli.string_to_pauli_word(t), wire_order=range(3))
                  for t, c in zip(terms, rows[0], strict=True))
    expected = qml.matrix(qml.Hermitian(m, wires=[2, 0]), wire_order=range(3))
    assert np.allclose(rebuilt, expected, atol=1e-12)


@pytest.mark.parametrize("measure", [qml.expval, qml.var])
@pytest.mark.parametrize("make", [
    lambda: qml.Hermitian(hermitian(2), wires=["b", 0]),
    lambda: qml.Projector([1, 0], wires=[0, "a"]),
    lambda: qml.Projector(np.array([0.6, 0.0, 0.0, 0.8j]), wires=["a", "b"]),
    lambda: qml.Hermitian(np.diag([1.0, -2.0, 0.5, 3.0]), wires=[0, "b"]),
    lambda: qml.SparseHamiltonian(sps.csr_matrix(hermitian(2) * (RNG.random((4, 4)) < 0.5)
                                  + np.eye(4)), wires=["a", 0]),
], ids=["hermitian", "basis-projector", "state-projector", "diagonal", "sparse"])
def test_dense_recipe_equals_the_general_path(make, measure) -> None:
    obs = make()
    if isinstance(obs, qml.SparseHamiltonian):
        obs = qml.SparseHamiltonian((obs.sparse_matrix() + obs.sparse_matrix().conj().T) / 2,
                                    wires=obs.wires)
    wire_order = [0, "a", "b"]
    mp = measure(obs)
    state = RNG.normal(size=8) + 1j * RNG.normal(size=8)
    state /= np.linalg.norm(state)
    values = term_values(3, state)
    rec = recipe(mp, wire_order)
    fast = float(rec.evaluate(np.array([values[t] for t in rec.terms])))
    assert fast == pytest.approx(general_value(mp, wire_order, values), abs=1e-10)
    direct = qml.matrix(obs, wire_order=wire_order)
    mean = np.real(state.conj() @ direct @ state)
    exact = mean if measure is qml.expval else np.real(
        state.conj() @ direct @ direct @ state) - mean**2
    assert fast == pytest.approx(exact, abs=1e-10)


def test_diagonal_matrices_need_only_z_terms() -> None:
    rec = recipe(qml.expval(qml.Projector(np.ones(10, dtype=int), wires=range(10))), range(10))
    assert rec.kind == "eig_expval" and len(rec.terms) == 2**10
    assert all(set(t) <= {"I", "Z"} for t in rec.terms)


def test_recipes_are_cached_by_content() -> None:
    m = hermitian(3)
    first = dense_recipe(qml.expval(qml.Hermitian(m, wires=[0, 1, 2])), [0, 1, 2])
    again = dense_recipe(qml.expval(qml.Hermitian(m.copy(), wires=[0, 1, 2])), [0, 1, 2])
    other = dense_recipe(qml.expval(qml.Hermitian(m, wires=[2, 1, 0])), [0, 1, 2])
    assert first is again and other is not first
    assert content_key(m) == content_key(m.copy()) != content_key(m.T.copy())


def test_is_diagonal() -> None:
    assert is_diagonal(np.diag([1.0, 2.0])) and not is_diagonal(np.ones((2, 2)))
