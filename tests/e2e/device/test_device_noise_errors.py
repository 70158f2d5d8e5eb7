"""End to end: every noise refusal is a clear error BEFORE any job is submitted."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError

from pennylane_qoro.noise import NoiseBuilder

pw = qml.noise.partial_wires
GATES = ["Hadamard", "RX", "CNOT"]


def _no_job(dev, call):
    """Run ``call``; return the exception it raised and check no job reached the service."""
    before = dev.client.stats.jobs
    with qml.Tracker(dev) as tracker, pytest.raises(Exception) as info:
        call()
    assert dev.client.stats.jobs == before
    assert tracker.totals.get("jobs", 0) == 0
    return info.value


def _run(dev, *, shots=None, measure=lambda: qml.expval(qml.Z(0)), extra=()):
    def circuit():
        qml.Hadamard(0)
        qml.RX(0.3, 1)
        qml.CNOT([0, 1])
        qml.RX(0.2, 0)
        for op in extra:
            qml.apply(op)
        return measure()

    return lambda: qml.set_shots(qml.QNode(circuit, dev), shots=shots)()


@pytest.mark.parametrize("channel", [qml.DepolarizingChannel(0.1, wires=0),
                                     qml.AmplitudeDamping(0.1, wires=1),
                                     qml.QubitChannel([np.eye(2)], wires=0)])
def test_channel_written_into_the_circuit(make_device, channel):
    dev = make_device(2)
    err = _no_job(dev, _run(dev, extra=[channel]))
    assert isinstance(err, DeviceError)
    assert channel.name in str(err) and "noise_model" in str(err)
    assert "written into the circuit" in str(err)


def test_add_noise_on_the_qoro_qnode(make_device):
    dev = make_device(2)
    model = qml.NoiseModel({qml.noise.op_in(GATES): pw(qml.BitFlip, 0.1)})

    @qml.qnode(dev)
    def circuit():
        qml.RX(0.3, 0)
        return qml.expval(qml.Z(0))

    err = _no_job(dev, lambda: qml.add_noise(circuit, model)())
    assert "BitFlip" in str(err) and "noise_model" in str(err)


UNMAPPABLE = {
    "gate_specific": ({qml.noise.op_in(["RX"]): pw(qml.DepolarizingChannel, 0.1)},
                      ["OpIn(['RX'])", "different noise", "noise_model"]),
    "idle_wire": ({qml.noise.op_in(["Hadamard"]): lambda op, **kw: qml.BitFlip(0.1, wires=1)},
                  ["BitFlip", "gate's own wires"]),
    "order": ({qml.noise.op_in(GATES): lambda op, **kw: [
        qml.DepolarizingChannel(0.2, wires=w) for w in op.wires] + [
        qml.AmplitudeDamping(0.3, wires=w) for w in op.wires]}, ["fixed order"]),
    "bit_flip_after_1q_only": ({qml.noise.op_in(["Hadamard", "RX"]): pw(qml.BitFlip, 0.1)},
                               ["depolarizing"]),
    "unknown_channel": ({qml.noise.op_in(GATES): pw(qml.ResetError, 0.1, 0.1)},
                        ["ResetError", "no Maestro equivalent"]),
}


@pytest.mark.parametrize("name", sorted(UNMAPPABLE))
def test_unmappable_models(make_device, name):
    model_map, words = UNMAPPABLE[name]
    dev = make_device(2, noise_model=qml.NoiseModel(model_map))
    err = _no_job(dev, _run(dev))
    assert isinstance(err, DeviceError)
    assert "noise_model cannot be simulated exactly by Maestro" in str(err)
    for word in words:
        assert word in str(err)


def test_readout_on_analytic_tapes(make_device):
    model = qml.NoiseModel({}, meas_map={qml.noise.meas_eq(qml.expval): pw(qml.BitFlip, 0.1)})
    dev = make_device(2, noise_model=model)
    err = _no_job(dev, _run(dev))
    assert "samples only" in str(err) and "MeasEq" in str(err)
    builder_dev = make_device(2, noise_model=NoiseBuilder().readout(0.1))
    assert "samples only" in str(_no_job(builder_dev, _run(builder_dev)))


def test_rotated_sampled_measurement_under_a_noise_model(make_device):
    model = qml.NoiseModel({qml.noise.op_in(GATES): pw(qml.DepolarizingChannel, 0.01)})
    dev = make_device(2, noise_model=model)
    err = _no_job(dev, _run(dev, shots=100, measure=lambda: qml.expval(qml.X(0))))
    assert "basis-rotation" in str(err) and "noise_model" in str(err)


def test_three_qubit_gate_with_noise(make_device):
    model = qml.NoiseModel({qml.noise.op_in([*GATES, "Toffoli"]): pw(qml.BitFlip, 0.1)})
    dev = make_device(3, noise_model=model)
    err = _no_job(dev, _run(dev, extra=[qml.Toffoli([0, 1, 2])]))
    assert "Toffoli" in str(err) and "decompose" in str(err)


@pytest.mark.parametrize(("options", "error", "words"), [
    ({"noise_model": NoiseBuilder().depolarizing(0.1, wires=[5])}, ValueError,
     ["wire 5 is not a device wire"]),
    ({"noise_model": [{"method": "set_nope", "args": [0], "kwargs": {}}]}, ValueError,
     ["unknown noise setter 'set_nope'"]),
    ({"noise_model": [{"method": "set_bit_flip", "args": [3, 0.1], "kwargs": {}}]}, ValueError,
     ["not a qubit of the 2-qubit circuit"]),
    ({"noise_model": "depolarizing"}, TypeError, ["noise_model must be"]),
    ({"noise_model": [], "noise_seed": -3}, ValueError, ["noise_seed must be an integer"]),
    ({"noise_model": [], "noise_realizations": 0}, ValueError, ["noise_realizations"]),
])
def test_bad_options_fail_at_construction(make_device, options, error, words):
    with pytest.raises(error) as info:
        make_device(2, **options)
    for word in words:
        assert word in str(info.value)


def test_builder_checks_values_when_added():
    with pytest.raises(ValueError, match=r"depolarizing: p is a probability"):
        NoiseBuilder().depolarizing(1.5)
    with pytest.raises(ValueError, match=r"thermal_relaxation: t1_s is a time and must be "
                                         r"positive"):
        NoiseBuilder().thermal_relaxation(t1=0.0, t2=1e-5, gate_time=1e-8)
    with pytest.raises(ValueError, match="distinct"):
        NoiseBuilder().two_qubit_depolarizing(0.1, pairs=[(0, 0)])


def test_maestro_value_check_surfaces_before_running(make_device):
    """T2 > 2 T1 passes the shared table but not Maestro: the service's 400 names the call."""
    calls = [{"method": "set_thermal_relaxation", "args": [0, 1e-8, 1e-5, 5e-5], "kwargs": {}}]
    dev = make_device(2, noise_model=calls)
    err = _no_job(dev, _run(dev))
    assert "T2 <= 2*T1" in str(err) and "noise_model" in str(err)
    with pytest.raises(ValueError, match="T2 must be <= 2"):
        NoiseBuilder().thermal_relaxation(1e-5, 5e-5, 1e-8)
