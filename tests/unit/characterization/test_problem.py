"""The canonical problem's Ising readings (characterization/problem.py).

The oracle is the diagonal of ``qml.matrix`` of the Hamiltonian, independent of the code.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.characterization import canonicalize

from .states import all_states

qml = pytest.importorskip("pennylane")


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
