"""p=1 QAOA expectation values (local/analysis/qaoa.py): closed form, statevector, PennyLane."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.local.analysis.ising import ising_form
from pennylane_qoro.local.analysis.polynomial import Polynomial
from pennylane_qoro.local.analysis.qaoa import ClosedFormP1, qaoa_expectation_sv
from pennylane_qoro.local.analysis.spectrum import exact_energies

from .oracles import random_terms


class TestQaoaP1:
    @pytest.mark.parametrize("seed", [0, 1])
    def test_closed_form_p1_equals_statevector(self, seed):
        """Test the p=1 closed form (any n) against the statevector, fields h != 0."""
        n = 6
        terms = random_terms(n, seed=seed, density=0.7)
        poly = Polynomial.from_terms(n, terms, 0.3)
        cf = ClosedFormP1(ising_form(poly), n)
        E = exact_energies(poly)
        rng = np.random.default_rng(seed)
        for g, b in rng.uniform(0, 3, size=(5, 2)):
            assert cf.grid(np.array([g]), np.array([b]))[0, 0] == pytest.approx(
                qaoa_expectation_sv(E, n, g, b), abs=1e-10)

    def test_statevector_matches_pennylane_qaoa_layers(self):
        """Test the angle convention against qml.qaoa.cost_layer / mixer_layer."""
        qml = pytest.importorskip("pennylane")
        n = 4
        terms = random_terms(n, seed=4)
        poly = Polynomial.from_terms(n, terms)
        ising = ising_form(poly)
        coeffs = [ising.c0, *ising.h.tolist(), *ising.J.tolist()]
        ops = [qml.Identity(0), *[qml.Z(i) for i in range(n)],
               *[qml.Z(int(i)) @ qml.Z(int(j)) for i, j in ising.J_idx]]
        H = qml.Hamiltonian(coeffs, ops)
        g, b = 0.37, 0.81

        @qml.qnode(qml.device("default.qubit", wires=n))
        def circuit():
            for w in range(n):
                qml.Hadamard(w)
            qml.qaoa.cost_layer(g, H)
            qml.qaoa.mixer_layer(b, qml.qaoa.x_mixer(range(n)))
            return qml.expval(H)

        assert float(circuit()) == pytest.approx(
            qaoa_expectation_sv(exact_energies(poly), n, g, b), abs=1e-9)
