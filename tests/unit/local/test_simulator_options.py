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
        ({"noise_model": []}, "noisy simulation is not supported"),
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
        ({"noisy_device": "ibm_fake_fez"}, "not supported"),
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
