"""Tests for pennylane_qoro.compile.observables: dense terms and analytic recipes."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

from pennylane_qoro.compile.observables import dense_term, recipe

WIRES = ["a", 3, "b", 0]


def _state_ops(seed):
    rng = np.random.default_rng(seed)
    ops = [qml.Rot(*rng.uniform(0, 2 * np.pi, 3), wires=w) for w in WIRES]
    ops += [qml.CNOT(["a", 3]), qml.CNOT([3, "b"]), qml.CZ(["b", 0])]
    ops += [qml.RY(x, wires=w) for x, w in zip(rng.uniform(0, 3, 4), WIRES, strict=True)]
    return ops


def _term_values(ops, terms):
    """<P> for dense terms, computed by default.qubit (character i <-> WIRES[i])."""
    obs = [qml.pauli.string_to_pauli_word(t, {w: i for i, w in enumerate(WIRES)}) for t in terms]
    tape = qml.tape.QuantumScript(ops, [qml.expval(o) for o in obs])
    dev = qml.device("default.qubit", wires=WIRES)
    res = dev.execute(tape)
    return np.atleast_1d(np.array(res, dtype=float))


def test_dense_term_character_i_is_wire_i():
    """Test §3.4 orientation: character i acts on wire_order[i]."""
    assert dense_term({"b": "X", 0: "Z"}, {w: i for i, w in enumerate(WIRES)}, 4) == "IIXZ"


MEASUREMENTS = [
    qml.expval(qml.Z("a")),
    qml.expval(0.5 * qml.X("a") @ qml.Y(0) - 0.25 * qml.Z("b") + 0.1 * qml.Identity(3)),
    qml.var(qml.X(3) + qml.Z(3) @ qml.Y("b")),
    qml.var(qml.Hamiltonian([0.3, -1.2], [qml.Y("a"), qml.X("a") @ qml.X(0)])),
    qml.expval(qml.Hermitian(np.array([[1.0, 0.5j], [-0.5j, -2.0]]), wires="b")),
    qml.expval(qml.Hadamard(0)),
    qml.probs(wires=[0, "a"]),
    qml.probs(wires=WIRES),
    qml.probs(op=qml.X(3) @ qml.Y("a")),
]


@pytest.mark.parametrize("mp", MEASUREMENTS, ids=lambda m: repr(m)[:40])
@pytest.mark.parametrize("seed", [1, 2])
def test_recipe_matches_default_qubit(mp, seed):
    """Test each analytic recipe, fed exact term values, against default.qubit's result."""
    ops = _state_ops(seed)
    rec = recipe(mp, WIRES)
    values = _term_values(ops, rec.terms)
    dev = qml.device("default.qubit", wires=WIRES)
    want = dev.execute(qml.tape.QuantumScript(ops, [mp]))
    np.testing.assert_allclose(rec.evaluate(values), want, atol=1e-10)


def test_probs_needs_all_subsets_of_z():
    """Test that probs on k wires asks for the 2^k Z-subset terms, identity included."""
    rec = recipe(qml.probs(wires=[0, "a"]), WIRES)
    assert set(rec.terms) == {"IIII", "ZIII", "IIIZ", "ZIIZ"}


def test_probs_over_ten_wires_is_refused():
    """Test the analytic probs limit."""
    with pytest.raises(DeviceError, match="at most 10 wires"):
        recipe(qml.probs(wires=range(11)), list(range(11)))


def test_probs_of_non_pauli_op_is_refused():
    """Test that analytic probs(op=Hermitian) gets a clear error."""
    with pytest.raises(DeviceError, match="Pauli-word"):
        recipe(qml.probs(op=qml.Hermitian(np.eye(2), wires=0)), [0])
