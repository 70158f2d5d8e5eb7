"""Reference states (characterization/references.py): validation and the greedy candidate."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from pennylane_qoro.characterization import ReferenceStateError, canonicalize
from pennylane_qoro.characterization.references import greedy_reference, reference_states


class TestReferenceStates:
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
            reference_states(states, 3)

    def test_reference_state_forms(self):
        """Test a single string, 0/1 sequences and duplicate removal."""
        assert reference_states("101", 3) == ["101"]
        assert reference_states([[1, 0, 1], "101", np.array([0, 0, 1])], 3) == ["101", "001"]


def test_greedy_reference_is_a_local_minimum():
    """Test the default candidate: no single flip lowers its energy."""
    rng = np.random.default_rng(5)
    prob = canonicalize({(i, j): float(rng.normal()) for i, j in
                         itertools.combinations(range(12), 2)})
    ref = greedy_reference(prob)
    x = np.array([int(c) for c in ref], dtype=float)
    e = prob.energies(x[None, :])[0]
    flips = np.array([x] * 12)
    flips[np.arange(12), np.arange(12)] = 1 - flips[np.arange(12), np.arange(12)]
    assert np.all(prob.energies(flips) >= e - 1e-12)
    assert ref == greedy_reference(prob)  # seeded
