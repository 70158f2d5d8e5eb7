"""Tests for pennylane_qoro.results: bit order, shot bins, result shapes."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.measurements import Shots

from pennylane_qoro.results import histogram_to_bits, sampled_tape_result, split_shot_bins


class TestBitOrder:
    def test_qiskit_key_is_reversed_into_wire_order(self):
        """Test §4.5: c[0] is the rightmost key character and becomes column 0."""
        bits, counts = histogram_to_bits({"001": 3, "110": 1}, 3)
        assert bits.tolist() == [[1, 0, 0], [0, 1, 1]]
        assert counts.tolist() == [3, 1]

    def test_probs_index_follows_pennylane(self):
        """Test that x on wire 0 of 2 gives probs index 2 (wire 0 most significant)."""
        tape = qml.tape.QuantumScript([], [qml.probs(wires=[0, 1])], shots=10)
        res = sampled_tape_result(
            tape.measurements, [{"01": 10}], tape.shots, [0, 1], False, np.random.default_rng(0)
        )
        np.testing.assert_array_equal(res, [0, 0, 1, 0])

    def test_wrong_width_is_an_error(self):
        """Test that a key narrower than the register is refused, not padded silently."""
        with pytest.raises(ValueError, match="3 bits"):
            histogram_to_bits({"01": 1}, 3)


class TestShotBins:
    def test_bins_partition_the_histogram(self):
        """Test that bins have the requested sizes and add up to the histogram."""
        counts = np.array([500, 300, 200])
        bins = split_shot_bins(counts, [100, 400, 500], np.random.default_rng(1))
        assert [int(b.sum()) for b in bins] == [100, 400, 500]
        np.testing.assert_array_equal(sum(bins), counts)

    def test_bins_are_seeded(self):
        """Test that the same seed gives the same split and another seed another."""
        counts = np.array([50, 50, 50, 50])
        one = split_shot_bins(counts, [20, 180], np.random.default_rng(5))
        two = split_shot_bins(counts, [20, 180], np.random.default_rng(5))
        three = split_shot_bins(counts, [20, 180], np.random.default_rng(6))
        np.testing.assert_array_equal(one[0], two[0])
        assert any(not np.array_equal(one[0], three[0]) for _ in [0])

    def test_bin_mean_is_unbiased(self):
        """Test that a small bin's expected composition is proportional to the histogram."""
        counts = np.array([700, 300])
        rng = np.random.default_rng(2)
        draws = np.array([split_shot_bins(counts, [10, 990], rng)[0] for _ in range(2000)])
        np.testing.assert_allclose(draws.mean(axis=0), [7.0, 3.0], atol=0.1)

    def test_shot_mismatch_is_an_error(self):
        """Test that a histogram of the wrong size is not silently resampled."""
        with pytest.raises(ValueError, match="bins need"):
            split_shot_bins(np.array([5]), [3, 3], np.random.default_rng(0))


class TestShapes:
    def test_sample_and_counts_shapes_match_default_qubit(self):
        """Test sample(wires=[w]) -> (shots, 1) ints; counts keyed in wire order."""
        mps = [qml.sample(wires=[1]), qml.counts(wires=[1, 0]), qml.sample(qml.Z(0))]
        hist = {"01": 6, "10": 4}  # Qiskit keys: "01" = wire 0 is 1
        res = sampled_tape_result(mps, [hist], Shots(10), [0, 1], False, np.random.default_rng(0))
        assert res[0].shape == (10, 1) and res[0].dtype.kind == "i"
        assert res[0].sum() == 4
        assert res[1] == {"01": 6, "10": 4}  # keys ordered (wire 1, wire 0)
        assert res[2].shape == (10,) and sorted(set(res[2].tolist())) == [-1.0, 1.0]

    def test_broadcast_stacks_elements(self):
        """Test shot bin -> measurement -> broadcast nesting."""
        mps = [qml.expval(qml.Z(0)), qml.probs(wires=[0])]
        hists = [{"0": 4}, {"1": 4}]
        res = sampled_tape_result(mps, hists, Shots([2, 2]), [0], True, np.random.default_rng(0))
        assert len(res) == 2
        np.testing.assert_array_equal(res[0][0], [1.0, -1.0])
        assert res[1][1].shape == (2, 2)


@pytest.mark.parametrize("measure", [qml.expval, qml.var])
def test_z_diagonal_fast_path_equals_the_probabilities_path(measure):
    """Z-word expvals/vars read parities of the unique outcomes; the general path builds the
    2^k probabilities and the eigenvalues. Both must give the same statistic."""
    from pennylane_qoro.results import diagonal_values, empirical_probs, sampled_measurement

    rng = np.random.default_rng(3)
    n = 6
    wire_order = qml.wires.Wires(["a", 1, "c", 3, "e", 5])
    outcomes, counts = np.unique(rng.integers(0, 2**n, 500), return_counts=True)
    bits = ((outcomes[:, None] >> np.arange(n - 1, -1, -1)) & 1).astype(np.uint8)
    obs = 0.7 * qml.Z("a") @ qml.Z(3) - 0.2 * qml.Z("e") + 0.4 * qml.Z(1) @ qml.Z("c") @ qml.Z(5)
    mp = measure(obs)
    wires = mp.wires
    cols = np.array([wire_order.index(w) for w in wires])
    probs = empirical_probs(bits, counts, cols)
    eig = diagonal_values(mp, wires)
    mean = probs @ eig
    want = mean if measure is qml.expval else probs @ eig**2 - mean**2
    got = sampled_measurement(mp, bits, counts, wire_order, rng)
    assert isinstance(got, np.float64)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
