"""Noisy runs of one circuit (``local/noise.py``) on real Maestro."""

from __future__ import annotations

import pytest

from pennylane_qoro.local.noise import NoiseConfigError, NoisyRun, build_noise_model
from pennylane_qoro.local.simulator_options import simulator_config

QASM = ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nx q[0];\n'
        "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n")
BIT_FLIP = [{"method": "set_bit_flip", "args": [0, 0.25], "kwargs": {}}]


def test_replay_errors_name_the_call():
    with pytest.raises(NoiseConfigError, match=r"\[0\] set_kraus_channel: .*trace-preserving"):
        build_noise_model([{"method": "set_kraus_channel", "args": [[0], [[[0.5, 0], [0, 0.5]]]],
                            "kwargs": {}}])


def test_estimate_is_exact_on_a_density_matrix():
    run = NoisyRun({"simulation_type": 7, "noise_model": BIT_FLIP})
    assert run.kwargs == {"noise_realizations": 1}  # exact channels: one realization
    values = run.estimate(QASM.replace("measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n", ""),
                          ["ZI", "IZ"], simulator_config({"simulation_type": 7}), 0)
    assert values == pytest.approx([-(1 - 2 * 0.25), 1.0], abs=1e-12)


def test_seeded_counts_repeat_per_circuit_index():
    run = NoisyRun({"simulation_type": 7, "noise_model": BIT_FLIP, "noise_seed": 3})
    config = simulator_config({"simulation_type": 7})
    first = run.execute(QASM, config, 400, 0)
    assert first == run.execute(QASM, config, 400, 0)
    assert first != run.execute(QASM, config, 400, 1)  # circuit i runs with noise_seed + i
    assert set(first) == {"10", "00"}  # c[0] first: x then flips


def test_sampled_layers_keep_maestros_default_realizations():
    run = NoisyRun({"simulation_type": 7, "noise_model": [
        {"method": "set_coherent_rotation", "args": [0, 0.1, 0.0, 0.0], "kwargs": {}}]})
    assert run.kwargs == {}
    assert NoisyRun({"noise_model": BIT_FLIP, "noise_realizations": 8}).kwargs == {
        "noise_realizations": 8}
