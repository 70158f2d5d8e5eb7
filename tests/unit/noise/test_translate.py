"""``qml.NoiseModel`` -> Maestro setter calls (``noise/translate.py``), no service involved."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest

from pennylane_qoro.noise.channels import NotExpressible
from pennylane_qoro.noise.translate import Translator, readout_calls

pw = qml.noise.partial_wires
ONE_Q, TWO_Q = ["Hadamard", "RX", "RY"], ["CNOT"]
WIRES = {0: 0, 1: 1, 2: 2}


def tape(shots=None, measurements=None):
    ops = [qml.Hadamard(0), qml.RX(0.3, 1), qml.CNOT([0, 1]), qml.RY(0.2, 2), qml.CNOT([1, 2]),
           qml.RX(0.5, 0)]
    return qml.tape.QuantumScript(ops, measurements or [qml.expval(qml.Z(0))], shots=shots)


def calls(model, tapes=None):
    return Translator(model).gate_calls(tapes or [tape()], WIRES)


def test_all_gates_depolarizing_keeps_the_users_value():
    model = qml.NoiseModel({qml.noise.op_in(ONE_Q + TWO_Q): pw(qml.DepolarizingChannel, 0.02)})
    assert calls(model) == [("set_depolarizing", [q, 0.02], {}) for q in range(3)]


def test_gate_classes_become_gate_class_layers():
    model = qml.NoiseModel({qml.noise.op_in(ONE_Q): pw(qml.DepolarizingChannel, 0.02),
                            qml.noise.op_in(TWO_Q): pw(qml.AmplitudeDamping, 0.1)})
    assert calls(model) == [call for q in range(3) for call in (
        ("set_t1", [q, 0.0], {}), ("set_t1_2q", [q, 0.1], {}),
        ("set_1q_gate_depolarizing", [q, 0.02], {}))]


def test_depolarizing_differing_by_class_composes():
    model = qml.NoiseModel({qml.noise.op_in(ONE_Q): pw(qml.DepolarizingChannel, 0.02),
                            qml.noise.op_in(TWO_Q): pw(qml.DepolarizingChannel, 0.1)})
    got = calls(model)[:2]
    assert got[0] == ("set_depolarizing", [0, 0.02], {})
    method, (q, p), _ = got[1]
    assert (method, q) == ("set_2q_gate_depolarizing", 0)
    assert (1 - 4 * 0.02 / 3) * (1 - 4 * p / 3) == pytest.approx(1 - 4 * 0.1 / 3, abs=1e-12)


def test_pauli_channels_compose_into_one_slot():
    model = qml.NoiseModel({qml.noise.op_in(ONE_Q + TWO_Q): pw(qml.BitFlip, 0.1),
                            qml.noise.op_in(["Hadamard", "RX", "RY", "CNOT"]):
                            pw(qml.PhaseFlip, 0.2)})
    (method, args, _), *_ = calls(model)
    assert method == "set_qubit_noise"
    px, py, pz = args[1:]
    assert (px, py, pz) == pytest.approx((0.1 * 0.8, 0.1 * 0.2, 0.9 * 0.2))


def test_two_qubit_channels_map_to_pair_setters():
    paulis = [qml.matrix(P(0)) for P in (qml.Identity, qml.X, qml.Y, qml.Z)]
    dep2 = [np.sqrt(0.9 if i == j == 0 else 0.1 / 15) * np.kron(paulis[i], paulis[j])
            for i in range(4) for j in range(4)]
    model = qml.NoiseModel({qml.noise.op_in(TWO_Q):
                            lambda op, **kw: qml.QubitChannel(dep2, wires=op.wires)})
    got = calls(model)
    assert sorted(got) == [("set_2q_depolarizing", [0, 1, pytest.approx(0.1)], {}),
                           ("set_2q_depolarizing", [1, 2, pytest.approx(0.1)], {})]


REFUSED = {
    "gate_type_specific": ({qml.noise.op_in(["RX"]): pw(qml.DepolarizingChannel, 0.1)},
                           r"1q gates on qubit 1 get different noise|different noise"),
    "idle_wire": ({qml.noise.op_in(["Hadamard"]):
                   lambda op, **kw: qml.BitFlip(0.1, wires=2)}, "gate's own wires"),
    "bit_flip_after_1q_only": ({qml.noise.op_in(ONE_Q): pw(qml.BitFlip, 0.1)},
                               "differ by more than a depolarizing"),
    "order": ({qml.noise.op_in(ONE_Q + TWO_Q): lambda op, **kw: [
        qml.DepolarizingChannel(0.2, wires=w) for w in op.wires] + [
        qml.AmplitudeDamping(0.3, wires=w) for w in op.wires]}, "fixed order"),
    "noise_before_gate": ({qml.noise.op_in(ONE_Q + TWO_Q): lambda op, **kw: [
        qml.BitFlip(0.1, wires=op.wires[0]), qml.apply(op)]}, "BEFORE"),
    "coherent_gate_as_noise": ({qml.noise.op_in(ONE_Q + TWO_Q):
                                lambda op, **kw: qml.RX(0.01, wires=op.wires[0])},
                               "not a noise channel"),
    "damping_with_thermal": ({qml.noise.op_in(ONE_Q): pw(qml.AmplitudeDamping, 0.1),
                              qml.noise.op_in(TWO_Q): pw(qml.ThermalRelaxationError, 0, 5e-5,
                                                         3e-5, 1e-7)},
                             "refuses set_t1 together"),
    "wires_in_partial": ({qml.noise.wires_in([0, 1]): pw(qml.DepolarizingChannel, 0.1)},
                         "different"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refusals_say_why(name):
    model_map, message = REFUSED[name]
    with pytest.raises(NotExpressible, match=message):
        calls(qml.NoiseModel(model_map))


def test_three_qubit_gates_refused_when_their_qubits_are_noisy():
    ops = [qml.RX(0.1, 0), qml.RX(0.1, 1), qml.RX(0.1, 2), qml.Toffoli([0, 1, 2])]
    t = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(0))])
    with pytest.raises(NotExpressible, match="3 or more wires"):
        calls(qml.NoiseModel({qml.noise.op_in(["RX"]): pw(qml.BitFlip, 0.1)}), [t])
    with pytest.raises(NotExpressible, match="3-qubit gate"):
        calls(qml.NoiseModel({qml.noise.op_in(["Toffoli"]): pw(qml.BitFlip, 0.1)}), [t])


def test_identity_gets_no_noise():
    t = qml.tape.QuantumScript([qml.RX(0.1, 0), qml.Identity(0)], [qml.expval(qml.Z(0))])
    with pytest.raises(NotExpressible, match="identity or barrier"):
        calls(qml.NoiseModel({qml.noise.op_in(["RX", "Identity"]): pw(qml.BitFlip, 0.1)}), [t])
    assert calls(qml.NoiseModel({qml.noise.op_in(["RX"]): pw(qml.BitFlip, 0.1)}), [t]) == [
        ("set_bit_flip", [0, 0.1], {})]


def test_readout_maps_on_samples_and_refuses_analytic():
    model = qml.NoiseModel({}, meas_map={qml.noise.meas_eq(qml.counts): pw(qml.BitFlip, 0.05)})
    sampled = tape(shots=100, measurements=[qml.counts(wires=[0, 2])])
    got = readout_calls(model, [sampled], [], [0, 1, 2])
    assert got == [("set_readout_error_symmetric", [0, 0.05], {}),
                   ("set_readout_error_symmetric", [2, 0.05], {})]
    analytic = tape(measurements=[qml.counts(wires=[0])])
    with pytest.raises(NotExpressible, match="samples only"):
        readout_calls(model, [], [analytic], [0, 1, 2])
    mixed = [sampled, tape(shots=100, measurements=[qml.probs(wires=[0])])]
    with pytest.raises(NotExpressible, match="different readout noise"):
        readout_calls(model, mixed, [], [0, 1, 2])


def test_readout_refuses_channels_that_are_not_classical():
    model = qml.NoiseModel({}, meas_map={qml.noise.meas_eq(qml.counts):
                                         pw(qml.AmplitudeDamping, 0.05)})
    assert readout_calls(model, [tape(shots=10, measurements=[qml.counts(wires=[0])])], [],
                         [0, 1, 2]) == [("set_readout_error", [0, 0.0, pytest.approx(0.05)], {})]
    hadamard_like = [np.array([[1, 1], [1, -1]]) / np.sqrt(2)]
    model = qml.NoiseModel({}, meas_map={qml.noise.meas_eq(qml.counts): lambda mp, **kw:
                                         qml.QubitChannel(hadamard_like, wires=mp.wires[0])})
    with pytest.raises(NotExpressible, match="not a classical bit"):
        readout_calls(model, [tape(shots=10, measurements=[qml.counts(wires=[0])])], [],
                      [0, 1, 2])
