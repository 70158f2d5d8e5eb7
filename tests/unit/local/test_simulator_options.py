"""Simulator options: both wire forms of qoro-api.md §2.13 -> maestro.SimulatorConfig."""

from __future__ import annotations

import re

import maestro
import pytest

from pennylane_qoro.local import simulator_options as options


class TestMaestroConfig:
    def test_fields_and_enum_codes(self) -> None:
        opts = options.from_maestro_config({"simulation_type": 1, "simulator_type": 1,
                                            "max_bond_dimension": 32, "seed": 3,
                                            "singular_value_threshold": 1e-10})
        cfg = options.simulator_config(opts)
        assert cfg.simulation_type == maestro.SimulationType.MatrixProductState
        assert cfg.simulator_type == maestro.SimulatorType.QCSim
        assert (cfg.max_bond_dimension, cfg.seed) == (32, 3)

    def test_codes_match_maestro(self) -> None:
        for name, member in maestro.SimulationType.__members__.items():
            assert options.SIMULATION_CODES[member.value] == name
        assert options.SIMULATION_CODES[8] == "MatrixProductOperator"

    @pytest.mark.parametrize("raw, needle", [
        ({"max_bond": 1}, "unknown key 'max_bond'"),
        ({"max_bond_dimension": True}, "['max_bond_dimension'] must be int, got bool"),
        ({"max_bond_dimension": 2.5}, "['max_bond_dimension'] must be int, got float"),
        ({"gate_fusion": 1}, "['gate_fusion'] must be bool"),
        ({"simulation_type": 9}, "9 is not a known code"),
        ({"simulation_type": "MPS"}, "integer code"),
        ({"seed": -1}, "['seed'] = -1 is out of range"),
        ({"simulator_type": 6}, "not available"),
        ({"noise_model": [{"method": "set_bit_flip", "args": [0]}]}, "missing p"),
        ({"noise_model": [{"method": "get_all"}]}, "unknown noise setter"),
        ({"distributed_options": {"a": "b"}}, "distributed_options"),
        ({"mps_sampling": None}, "must not be null"),
    ])
    def test_errors_name_the_key(self, raw: dict, needle: str) -> None:
        with pytest.raises(options.ConfigError, match=re.escape(needle)):
            options.from_maestro_config(raw)

    def test_seed_override(self) -> None:
        opts = options.from_maestro_config({"seed": 1})
        assert options.simulator_config(opts, seed=99).seed == 99


class TestExecutionConfiguration:
    def test_legacy_names_map_onto_maestro_fields(self) -> None:
        opts = options.from_execution_configuration({
            "bond_dimension": 64, "truncation_threshold": 1e-8, "simulator_type": 1,
            "simulation_type": 1, "api_meta": {"optimization_level": 2, "layout_method": "x"},
            "seed": 4,
        })
        assert opts == {"max_bond_dimension": 64, "singular_value_threshold": 1e-8,
                        "simulator_type": 1, "simulation_type": 1, "seed": 4}

    def test_empty_config(self) -> None:
        assert options.from_execution_configuration({}) == {}

    @pytest.mark.parametrize("raw, needle", [
        ({"api_meta": {"invalid_key": 1}}, "Unknown api_meta key: 'invalid_key'"),
        ({"api_meta": {"optimization_level": "2"}}, "['optimization_level'] must be int"),
        ({"bond_dimension": 0}, "must be >= 1"),
        ({"simulation_type": 7}, "7 is not a known code"),  # DensityMatrix is 0.15-only
        ({"noisy_device": "ibm_fake_fez"}, "named fake devices are not available"),
        ({"noise_scaling_factor": 0.5}, "only applies with 'noisy_device'"),
        ({"precision": "double"}, "unknown key 'precision'"),
    ])
    def test_errors(self, raw: dict, needle: str) -> None:
        with pytest.raises(options.ConfigError, match=re.escape(needle)):
            options.from_execution_configuration(raw)


class TestLimits:
    @pytest.mark.parametrize("opts, limit", [
        ({}, 28), ({"simulation_type": 0}, 28), ({"simulation_type": 7}, 14),
        ({"simulation_type": 1}, 4096), ({"simulation_type": 2}, 4096),
    ])
    def test_max_qubits(self, opts: dict, limit: int) -> None:
        assert options.max_qubits(opts)[0] == limit


class TestNoiseKeys:
    MODEL = ({"method": "set_depolarizing", "args": [0, 0.1], "kwargs": {}},)

    def test_noise_keys_are_kept_beside_the_config(self) -> None:
        opts = options.from_maestro_config({"simulation_type": 7, "noise_model": list(self.MODEL),
                                            "noise_seed": 4, "noise_realizations": 2})
        assert opts == {"simulation_type": 7, "noise_model": list(self.MODEL), "noise_seed": 4,
                        "noise_realizations": 2}
        assert options.simulator_config(opts).simulation_type.value == 7  # noise keys left out

    def test_empty_model_is_no_noise(self) -> None:
        assert options.from_maestro_config({"noise_model": []}) == {}

    def test_maestros_own_checks_name_the_call(self) -> None:
        bad = [{"method": "set_t1", "args": [0, 0.1]},
               {"method": "set_thermal_relaxation", "args": [0, 1e-8, 1e-5, 1e-5]}]
        with pytest.raises(options.ConfigError, match=r"\['noise_model'\]\[1\] "
                                                      r"set_thermal_relaxation: .*double-count"):
            options.from_maestro_config({"simulation_type": 7, "noise_model": bad})
