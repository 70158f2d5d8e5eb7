"""Tests for pennylane_qoro.jacobians: which tapes device derivatives accept.

The assembly itself (``assemble_jacobians``) is checked against PennyLane's ``param_shift`` in
tests/unit/compile/test_gradients.py.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp
from pennylane.exceptions import DeviceError
from pennylane.tape import QuantumScript

from pennylane_qoro.jacobians import (
    check_derivative_tapes,
    device_differentiable,
    sampled_statistic,
)


class TestDeviceDifferentiable:
    """device_differentiable."""

    @pytest.mark.parametrize("mp", [qml.expval(qml.Z(0)), qml.var(qml.X(0)), qml.probs(wires=[0])])
    def test_expval_var_probs(self, mp):
        """Test the differentiable measurements."""
        assert device_differentiable(QuantumScript([qml.RX(0.1, 0)], [mp]))

    @pytest.mark.parametrize("mp", [qml.sample(wires=0), qml.counts(wires=0)])
    def test_samples_and_counts_are_not(self, mp):
        """Test measurements without a derivative."""
        assert not device_differentiable(QuantumScript([qml.RX(0.1, 0)], [mp]))

    def test_trainable_observable_coefficients_are_not(self):
        """Test a trainable coefficient has no parameter-shift derivative."""
        c = pnp.array(0.5, requires_grad=True)
        tape = QuantumScript([qml.RX(0.1, 0)], [qml.expval(c * qml.Z(0))])
        assert not device_differentiable(tape)


class TestCheckDerivativeTapes:
    """check_derivative_tapes."""

    def test_broadcast_trainable_parameter_is_refused(self):
        """Test the direct-call guard names the device."""
        x = pnp.array([0.1, 0.2], requires_grad=True)
        tape = QuantumScript([qml.RX(x, 0)], [qml.expval(qml.Z(0))], trainable_params=[0])
        with pytest.raises(DeviceError, match=r"my\.device cannot differentiate a broadcast"):
            check_derivative_tapes([tape], "my.device")

    def test_constant_broadcast_and_plain_tapes_pass(self):
        """Test broadcasts without trainable parameters, and scalar tapes."""
        constant = QuantumScript(
            [qml.RX(np.array([0.1, 0.2]), 0)], [qml.expval(qml.Z(0))], trainable_params=[]
        )
        plain = QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))])
        check_derivative_tapes([constant, plain])


def test_sampled_statistic_refuses_samples():
    """Test a sampled measurement without a derivative."""
    bits = np.array([[0], [1]], dtype=np.uint8)
    with pytest.raises(DeviceError, match="has no derivative"):
        sampled_statistic(qml.sample(wires=0), bits, np.array([1, 1]), [0])
