"""End to end: noisy circuits on the local service against ``qml.add_noise`` on default.mixed.

For each mapped ``qml.NoiseModel`` pattern the device (density matrix on Maestro) and
default.mixed running ``qml.add_noise(qnode, model)`` must agree: analytic expval / var / probs
to 1e-6, samples within 5 standard errors; with ``noise_seed`` the samples repeat exactly;
gradients (device and parameter-shift) agree with backprop through default.mixed.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp

from pennylane_qoro.noise import NoiseBuilder

pw = qml.noise.partial_wires
ONE_Q = ["Hadamard", "RX", "RY", "RZ"]
TWO_Q = ["CNOT", "CZ"]
ALL = qml.noise.op_in(ONE_Q + TWO_Q)
H = 0.7 * qml.Z(0) @ qml.Y(1) + 0.4 * qml.X(0) @ qml.Z(2) - 0.2 * qml.Z(1)


def body(x, y=0.4):
    qml.Hadamard(0)
    qml.RX(x, 1)
    qml.CNOT([0, 1])
    qml.RY(y, 2)
    qml.CZ([1, 2])
    qml.RZ(0.2, 0)
    qml.RX(0.7, 2)


def _model(*pairs):
    return qml.NoiseModel(dict(pairs))


def _dep2(p):
    paulis = [qml.matrix(P(0)) for P in (qml.Identity, qml.X, qml.Y, qml.Z)]
    return [np.sqrt(1 - p if i == j == 0 else p / 15) * np.kron(paulis[i], paulis[j])
            for i in range(4) for j in range(4)]


def _amp_phase_kraus(gamma, lam):
    """Kraus operators of amplitude damping ``gamma`` followed by phase damping ``lam``."""
    ad = [np.array([[1, 0], [0, np.sqrt(1 - gamma)]]), np.array([[0, np.sqrt(gamma)], [0, 0]])]
    pd = [np.array([[1, 0], [0, np.sqrt(1 - lam)]]), np.array([[0, 0], [0, np.sqrt(lam)]])]
    return [b @ a for a in ad for b in pd]


TRE = (0.0, 50e-6, 30e-6, 1e-6)  # pe, T1, T2 <= T1, gate time
TRE_LONG_T2 = (0.1, 20e-6, 35e-6, 2e-6)  # T1 < T2 <= 2 T1 (needs exact channels)

#: pattern name -> qml.NoiseModel that Maestro expresses exactly on ``body``.
PATTERNS = {
    "depolarizing_all": _model((ALL, pw(qml.DepolarizingChannel, 0.05))),
    "bit_flip_all": _model((ALL, pw(qml.BitFlip, 0.04))),
    "phase_flip_all": _model((ALL, pw(qml.PhaseFlip, 0.06))),
    "amplitude_damping_all": _model((ALL, pw(qml.AmplitudeDamping, 0.08))),
    "phase_damping_all": _model((ALL, pw(qml.PhaseDamping, 0.1))),
    "thermal_all": _model((ALL, pw(qml.ThermalRelaxationError, *TRE))),
    "thermal_t2_above_t1": _model((ALL, pw(qml.ThermalRelaxationError, *TRE_LONG_T2))),
    "depolarizing_1q": _model((qml.noise.op_in(ONE_Q), pw(qml.DepolarizingChannel, 0.05))),
    "depolarizing_2q": _model((qml.noise.op_in(TWO_Q), pw(qml.DepolarizingChannel, 0.07))),
    "depolarizing_1q_and_2q": _model(
        (qml.noise.op_in(ONE_Q), pw(qml.DepolarizingChannel, 0.02)),
        (qml.noise.op_in(TWO_Q), pw(qml.DepolarizingChannel, 0.09))),
    "amplitude_damping_1q": _model((qml.noise.op_in(ONE_Q), pw(qml.AmplitudeDamping, 0.05))),
    "amplitude_damping_2q": _model((qml.noise.op_in(TWO_Q), pw(qml.AmplitudeDamping, 0.05))),
    "thermal_1q": _model((qml.noise.op_in(ONE_Q), pw(qml.ThermalRelaxationError, *TRE))),
    "thermal_2q": _model((qml.noise.op_in(TWO_Q), pw(qml.ThermalRelaxationError, *TRE))),
    "op_eq_cnot_and_cz": _model(
        (qml.noise.op_eq("CNOT") | qml.noise.op_eq("CZ"), pw(qml.DepolarizingChannel, 0.06))),
    "wires_in_all": _model((qml.noise.wires_in([0, 1, 2]), pw(qml.PhaseFlip, 0.03))),
    "wires_eq_single": _model(
        (qml.noise.wires_eq(0) | qml.noise.wires_eq(1) | qml.noise.wires_eq(2),
         pw(qml.DepolarizingChannel, 0.04))),
    "depolarizing_and_bit_flip": _model(
        (ALL, pw(qml.DepolarizingChannel, 0.03)), (qml.noise.op_in(ONE_Q + TWO_Q),
                                                   pw(qml.BitFlip, 0.02))),
    "damping_then_depolarizing": _model(
        (ALL, pw(qml.AmplitudeDamping, 0.05)), (qml.noise.op_in(ONE_Q + TWO_Q),
                                                pw(qml.DepolarizingChannel, 0.03))),
    "generalized_amplitude_damping": _model(
        (ALL, pw(qml.GeneralizedAmplitudeDamping, 0.06, 0.2))),
    "two_qubit_depolarizing": _model(
        (qml.noise.op_in(TWO_Q), lambda op, **kw: qml.QubitChannel(_dep2(0.08), wires=op.wires))),
    "pauli_error_y_all": _model((ALL, lambda op, **kw: [
        qml.PauliError("Y", 0.07, wires=w) for w in op.wires])),
    "amplitude_damping_per_gate_class": _model(
        (qml.noise.op_in(ONE_Q), pw(qml.AmplitudeDamping, 0.03)),
        (qml.noise.op_in(TWO_Q), pw(qml.AmplitudeDamping, 0.09))),
    "one_wire_kraus_all": _model((ALL, lambda op, **kw: [
        qml.QubitChannel(_amp_phase_kraus(0.06, 0.1), wires=w) for w in op.wires])),
    "two_wire_kraus_2q": _model(
        (qml.noise.op_in(TWO_Q), lambda op, **kw: qml.QubitChannel(
            [np.kron(a, b) for a in _amp_phase_kraus(0.05, 0.0)
             for b in _amp_phase_kraus(0.0, 0.08)], wires=op.wires))),
}


def _measure():
    return qml.expval(H), qml.var(H), qml.probs(wires=[0, 2])


def _pair(make_device, model, measure, shots=None, **options):
    def circuit(x):
        body(x)
        return measure()

    dev = make_device(3, noise_model=model, **options)
    ours = qml.set_shots(qml.QNode(circuit, dev), shots=shots)
    ref = qml.add_noise(qml.QNode(circuit, qml.device("default.mixed", wires=3)), model)
    return ours, ref


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_analytic_matches_default_mixed(make_device, name):
    ours, ref = _pair(make_device, PATTERNS[name], _measure)
    for got, want in zip(ours(0.3), ref(0.3), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)
    noiseless = qml.QNode(lambda x: (body(x), _measure())[1],
                          qml.device("default.qubit", wires=3))(0.3)
    assert max(np.max(np.abs(np.asarray(a) - np.asarray(b)))  # it IS noisy
               for a, b in zip(ours(0.3), noiseless, strict=True)) > 1e-4


def _within_5_se(est, exact, shots):
    se = np.sqrt(np.maximum(exact * (1 - exact), 1e-12) / shots)
    assert np.all(np.abs(est - exact) <= 5 * se + 1e-9), (est, exact)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_samples_within_five_standard_errors(make_device, name):
    shots = 20_000
    ours, ref = _pair(make_device, PATTERNS[name], lambda: qml.probs(wires=[0, 1, 2]),
                      shots=shots)
    _within_5_se(np.asarray(ours(0.3)), np.asarray(ref(0.3)), shots)


@pytest.mark.parametrize("channel", [pw(qml.BitFlip, 0.1),
                                     lambda mp, **kw: [qml.QubitChannel(
                                         [np.sqrt(0.9) * np.diag([1, 0]),
                                          np.sqrt(0.1) * np.array([[0, 0], [1, 0]]),
                                          np.sqrt(0.75) * np.diag([0, 1]),
                                          np.sqrt(0.25) * np.array([[0, 1], [0, 0]])],
                                         wires=w) for w in mp.wires]])
def test_readout_noise_on_samples(make_device, channel):
    model = qml.NoiseModel({ALL: pw(qml.DepolarizingChannel, 0.02)},
                           meas_map={qml.noise.meas_eq(qml.probs): channel})
    shots = 20_000
    ours, ref = _pair(make_device, model, lambda: qml.probs(wires=[0, 1, 2]), shots=shots)
    _within_5_se(np.asarray(ours(0.3)), np.asarray(ref(0.3)), shots)


def test_noise_seed_repeats_samples_exactly(make_device):
    model = PATTERNS["depolarizing_all"]
    a, _ = _pair(make_device, model, lambda: qml.counts(wires=[0, 1, 2]), shots=500,
                 noise_seed=11)
    b, _ = _pair(make_device, model, lambda: qml.counts(wires=[0, 1, 2]), shots=500,
                 noise_seed=11)
    c, _ = _pair(make_device, model, lambda: qml.counts(wires=[0, 1, 2]), shots=500,
                 noise_seed=12)
    first = a(0.3)
    assert first == a(0.3) == b(0.3)
    assert first != c(0.3)


def test_trajectories_on_statevector(make_device):
    """method='statevector' + noise_realizations: unbiased trajectories for Pauli noise."""
    ours, ref = _pair(make_device, PATTERNS["depolarizing_all"],
                      lambda: qml.expval(qml.Z(0) @ qml.Z(1)), method="statevector",
                      noise_realizations=4000, noise_seed=3)
    assert abs(float(ours(0.3)) - float(ref(0.3))) < 0.05


@pytest.mark.parametrize("diff_method", ["device", "parameter-shift"])
def test_gradients_match_default_mixed(make_device, diff_method):
    model = PATTERNS["damping_then_depolarizing"]

    def circuit(x, y):
        body(x, y)
        return qml.expval(H)

    dev = make_device(3, noise_model=model)
    ours = qml.QNode(circuit, dev, diff_method=diff_method)
    ref = qml.add_noise(qml.QNode(circuit, qml.device("default.mixed", wires=3),
                                  diff_method="backprop"), model)
    x, y = pnp.array(0.3, requires_grad=True), pnp.array(0.5, requires_grad=True)
    got, want = qml.grad(ours)(x, y), qml.grad(ref)(x, y)
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), atol=1e-6)


def test_builder_matches_equivalent_noise_model(make_device):
    builder = NoiseBuilder().amplitude_damping(0.05, gamma_2q=0.1).depolarizing(0.03)
    model = qml.NoiseModel(
        {qml.noise.op_in(ONE_Q): pw(qml.AmplitudeDamping, 0.05),
         qml.noise.op_in(TWO_Q): pw(qml.AmplitudeDamping, 0.1),
         qml.noise.op_in(ONE_Q + TWO_Q): pw(qml.DepolarizingChannel, 0.03)})

    def circuit(x):
        body(x)
        return qml.expval(H)

    ours = qml.QNode(circuit, make_device(3, noise_model=builder))
    ref = qml.add_noise(qml.QNode(circuit, qml.device("default.mixed", wires=3)), model)
    assert float(ours(0.3)) == pytest.approx(float(ref(0.3)), abs=1e-6)


def test_wire_form_on_labelled_wires(make_device):
    """Qubit i of the wire form is the device's i-th wire, as in the circuits."""
    calls = [{"method": "set_bit_flip", "args": [1, 0.2], "kwargs": {}}]
    dev = make_device(["a", "b"], noise_model=calls)

    @qml.qnode(dev)
    def circuit():
        qml.RX(0.0, "a")
        qml.RX(0.0, "b")
        return qml.expval(qml.Z("a")), qml.expval(qml.Z("b"))

    za, zb = circuit()
    assert float(za) == pytest.approx(1.0, abs=1e-9)
    assert float(zb) == pytest.approx(1 - 2 * 0.2, abs=1e-9)
