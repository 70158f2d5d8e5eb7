"""End to end: seeding follows PennyLane's convention for sampling devices.

``default.qubit`` and ``lightning.qubit`` take ``seed="global"`` by default: the device draws
its seed from NumPy's global generator when it is built, so ``np.random.seed(s)`` before
building it reproduces its shots, and building it consumes the global generator by exactly
one draw. ``qoro.maestro`` does the same; ``seed=<int>`` reproduces regardless of the global
state; ``seed=None`` takes OS entropy and leaves the global generator alone.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

SHOTS = 300


def _samples(dev):
    """300 samples of a circuit whose outcomes are all equally likely (H on 3 wires)."""

    @qml.set_shots(SHOTS)
    @qml.qnode(dev)
    def circuit():
        for w in range(3):
            qml.Hadamard(w)
        return qml.sample()

    return np.asarray(circuit())


def test_global_seed_reproduces_shot_results(make_device):
    """Test np.random.seed(s) before building the device reproduces its samples (order and
    histogram), and another global seed gives other samples."""
    np.random.seed(7)
    first = _samples(make_device(3))
    np.random.seed(7)
    again = _samples(make_device(3))
    np.random.seed(8)
    other = _samples(make_device(3))
    assert first.shape == (SHOTS, 3)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_building_the_device_consumes_the_global_generator_like_default_qubit(make_device):
    """Test a script that draws data after creating its device gets the same data as on
    default.qubit (one draw from the global generator at construction, the same call)."""
    np.random.seed(11)
    qml.device("default.qubit", wires=3)
    after_default_qubit = np.random.rand(4)
    np.random.seed(11)
    make_device(3)
    after_qoro = np.random.rand(4)
    np.testing.assert_array_equal(after_qoro, after_default_qubit)


@pytest.mark.parametrize("global_seed", [1, 2])
def test_explicit_seed_reproduces_whatever_the_global_state(global_seed, make_device):
    """Test seed=123 gives the same samples on two devices, under different global seeds."""
    np.random.seed(global_seed)
    first = _samples(make_device(3, seed=123))
    np.random.seed(global_seed + 100)
    again = _samples(make_device(3, seed=123))
    np.testing.assert_array_equal(first, again)


def test_seed_none_takes_os_entropy_and_leaves_the_global_generator(make_device):
    """Test seed=None: no draw from NumPy's global generator (as on default.qubit)."""
    np.random.seed(5)
    expected = np.random.rand(3)
    np.random.seed(5)
    dev = make_device(3, seed=None)
    np.testing.assert_array_equal(np.random.rand(3), expected)
    assert _samples(dev).shape == (SHOTS, 3)
