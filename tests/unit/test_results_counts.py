"""``counts()`` built straight from a histogram equals PennyLane's own ``process_samples`` on
the expanded shot record: same keys, key types, order, values and value types."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.measurements import CountsMP

from pennylane_qoro.results import _samples, sampled_measurement

WIRE_ORDER = qml.wires.Wires(["a", 1, "c", 3, 4])


def random_histogram(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    outcomes = np.unique(rng.integers(0, 2**n, 12))
    bits = ((outcomes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.uint8)
    return bits, rng.integers(1, 50, len(outcomes))


@pytest.mark.parametrize("wires", [None, ["c"], [3, "a"], [4, "c", 1]])
@pytest.mark.parametrize("all_outcomes", [False, True])
def test_counts_match_process_samples(wires: list | None, all_outcomes: bool) -> None:
    rng = np.random.default_rng(7)
    mp = CountsMP(wires=wires, all_outcomes=all_outcomes)
    for _ in range(5):
        bits, counts = random_histogram(rng, len(WIRE_ORDER))
        got = sampled_measurement(mp, bits, counts, WIRE_ORDER, rng)
        want = mp.process_samples(_samples(bits, counts, rng), WIRE_ORDER)
        assert list(got.items()) == list(want.items())
        assert [type(k) for k in got] == [type(k) for k in want]
        assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
