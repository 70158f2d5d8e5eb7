"""``NoiseBuilder``: Maestro's families in wire labels (``noise/builder.py``)."""

from __future__ import annotations

import numpy as np
import pytest

from pennylane_qoro.noise import NoiseBuilder
from pennylane_qoro.protocol.noise import validate_noise_model


def test_labels_map_to_positions_like_circuits():
    nb = (NoiseBuilder().depolarizing(0.01, wires=["b"], after="2q")
          .two_qubit_depolarizing(0.02, pairs=("b", "a")).readout(0.1, 0.2, wires="a")
          .thermal_relaxation(5e-5, 3e-5, 1e-8, gate_time_2q=0.0))
    calls = nb.calls(["a", "b"])
    assert calls[:3] == [
        {"method": "set_2q_gate_depolarizing", "args": [1, 0.01], "kwargs": {}},
        {"method": "set_2q_depolarizing", "args": [1, 0, 0.02], "kwargs": {}},
        {"method": "set_readout_error", "args": [0, 0.1, 0.2], "kwargs": {}}]
    assert [c["method"] for c in calls[3:]] == ["set_thermal_relaxation"] * 2 + [
        "set_thermal_relaxation_2q"] * 2
    validate_noise_model(calls, width=2)  # the service's table accepts what it builds


def test_two_wire_kraus_is_sent_in_maestros_bit_order():
    k = np.zeros((4, 4))
    k[0, 1] = k[1, 0] = k[2, 3] = k[3, 2] = 1.0  # X on the SECOND PennyLane wire
    (call,) = NoiseBuilder().kraus([k], wires=[0, 1]).calls([0, 1])
    sent = np.array([[complex(*x["__complex__"]) for x in row] for row in call["args"][1][0]])
    assert call["args"][0] == [0, 1]
    swap = np.eye(4)[[0, 2, 1, 3]]
    np.testing.assert_allclose(sent, swap @ k @ swap)  # Maestro: targets[0] is the LSB


@pytest.mark.parametrize(("build", "message"), [
    (lambda: NoiseBuilder().pauli(0.5, 0.2, -0.1), "pz is a probability"),
    (lambda: NoiseBuilder().depolarizing(0.1, after="3q"), "after must be"),
    (lambda: NoiseBuilder().coherent("spin", 0.1), "kind must be"),
    (lambda: NoiseBuilder().amplitude_damping(0.1, gamma_2q=2.0), "gamma is a probability"),
    (lambda: NoiseBuilder().one_over_f(1e-3, 0.0, 1e6, 4, 1e-8), "f_min is a time"),
])
def test_values_are_checked_when_added(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_unknown_wire_named_at_calls():
    with pytest.raises(ValueError, match=r"crosstalk: wire 'z' is not a device wire"):
        NoiseBuilder().crosstalk(0.01, pairs=[("a", "z")]).calls(["a", "b"])
