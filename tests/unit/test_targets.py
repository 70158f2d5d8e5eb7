"""Tests for pennylane_qoro.targets: method codes, simulator options, target resolution."""

from __future__ import annotations

import pytest
from pennylane.exceptions import DeviceError

from pennylane_qoro.targets import (
    DEFAULT_TARGET,
    SIMULATION_METHODS,
    TargetInfo,
    check_target,
    maestro_options,
    resolve_target,
    simulation_code,
)


class TestSimulationCode:
    """simulation_code: names (any case) and integer codes."""

    @pytest.mark.parametrize("name", sorted(SIMULATION_METHODS))
    def test_every_name_maps_to_its_code(self, name):
        """Test names and upper-case names."""
        assert simulation_code(name) == SIMULATION_METHODS[name]
        assert simulation_code(name.upper()) == SIMULATION_METHODS[name]

    def test_codes_pass_and_none_stays_unset(self):
        """Test integer codes and None."""
        assert [simulation_code(c) for c in range(9)] == list(range(9))
        assert simulation_code(None) is None

    @pytest.mark.parametrize("bad", ["densitymatrix", 9, -1, True, 1.0])
    def test_unknown_methods_list_the_valid_ones(self, bad):
        """Test unknown names/codes (and bools, floats) raise with the valid list."""
        with pytest.raises(ValueError, match=r"use one of .*'statevector'.* or their codes"):
            simulation_code(bad)


class TestMaestroOptions:
    """maestro_options: only the keys the user set."""

    def test_nothing_set_is_empty(self):
        """Test a device without options sends no maestro_config keys."""
        assert maestro_options(None, None, None) == {}

    def test_all_set(self):
        """Test each key and its type."""
        assert maestro_options("mps", 8.0, 1) == {
            "simulation_type": 1,
            "max_bond_dimension": 8,
            "singular_value_threshold": 1.0,
        }

    def test_bond_dimension_must_be_positive(self):
        """Test max_bond_dimension < 1."""
        with pytest.raises(ValueError, match="max_bond_dimension must be >= 1"):
            maestro_options(None, 0, None)


class _Lists:
    """Service lists, counting how often each was asked for."""

    def __init__(self, clusters=(), systems=()):
        self.clusters, self.systems = list(clusters), list(systems)
        self.calls = []

    def simulator_clusters(self):
        self.calls.append("clusters")
        return self.clusters

    def qpu_systems(self):
        self.calls.append("systems")
        return self.systems


class TestResolveTarget:
    """resolve_target against the service's lists (qoro-api.md §2.2-2.3)."""

    def test_a_listed_cluster_needs_one_request(self):
        """Test a cluster is found without asking for the QPU list."""
        lists = _Lists(clusters=[{"name": "big", "supports_expval": False}])
        info = resolve_target("big", lists.simulator_clusters, lists.qpu_systems)
        assert info == TargetInfo("big", "simulator", False)
        assert lists.calls == ["clusters"]

    def test_cluster_expval_defaults_to_true(self):
        """Test a cluster record without supports_expval computes expectation values."""
        lists = _Lists(clusters=[{"name": "big"}])
        assert resolve_target("big", lists.simulator_clusters, lists.qpu_systems).supports_expval

    def test_qpu_systems(self):
        """Test a QPU defaults to sampling only; one named qoro_maestro always has expval."""
        lists = _Lists(systems=[{"name": "ibm_x"}, {"name": DEFAULT_TARGET}])
        assert resolve_target("ibm_x", lists.simulator_clusters, lists.qpu_systems) == TargetInfo(
            "ibm_x", "qpu", False
        )
        info = resolve_target(DEFAULT_TARGET, lists.simulator_clusters, lists.qpu_systems)
        assert info == TargetInfo(DEFAULT_TARGET, "qpu", True)

    def test_the_default_cluster_need_not_be_listed(self):
        """Test §2.3: an unlisted qoro_maestro is the default simulator."""
        lists = _Lists()
        info = resolve_target(DEFAULT_TARGET, lists.simulator_clusters, lists.qpu_systems)
        assert info == TargetInfo(DEFAULT_TARGET, "simulator", True)

    def test_unknown_name_lists_both(self):
        """Test the error names the known clusters and systems."""
        lists = _Lists(clusters=[{"name": "a"}], systems=[{"name": "b"}])
        with pytest.raises(DeviceError, match=r"Unknown Qoro target 'zz'.*\['a'\].*\['b'\]"):
            resolve_target("zz", lists.simulator_clusters, lists.qpu_systems)


class TestCheckTarget:
    """check_target: refuse before any job."""

    def test_simulator_options_on_a_qpu(self):
        """Test simulator options cannot go to a QPU."""
        with pytest.raises(DeviceError) as info:
            check_target(TargetInfo("q", "qpu", True), {"simulation_type": 1}, analytic=False)
        text = str(info.value)
        # the option as the user wrote it, never the internal maestro_config key
        assert "method='mps' cannot be used with the QPU system 'q'" in text
        assert "simulation_type" not in text and "target='qoro_maestro'" in text

    def test_analytic_on_a_sampling_only_target(self):
        """Test analytic tapes on a target without expectation values."""
        with pytest.raises(DeviceError, match="only samples: analytic execution"):
            check_target(TargetInfo("q", "qpu", False), {}, analytic=True)

    def test_allowed_combinations_pass(self):
        """Test sampled tapes on a sampling target, options on a simulator."""
        check_target(TargetInfo("q", "qpu", False), {}, analytic=False)
        check_target(TargetInfo("s", "simulator", True), {"simulation_type": 1}, analytic=True)
