"""Tests for pennylane_qoro.preprocess: each transform alone, then the pipeline.

In the style of PennyLane's tests/devices/test_preprocess.py: build a tape, apply the
transform, check the output tapes, the post-processing and the error naming the device.
"""

from __future__ import annotations

import threading

import autograd
import numpy as np
import pennylane as qml
import pytest
from pennylane import numpy as pnp
from pennylane.devices import ExecutionConfig, MCMConfig
from pennylane.exceptions import DeviceError
from pennylane.measurements import CountsMP, ExpectationMP, ProbabilityMP, SampleMeasurement
from pennylane.tape import QuantumScript

from pennylane_qoro.device import QoroDevice
from pennylane_qoro.preprocess import (
    MeasurementReuse,
    PipelineCaches,
    build_pipeline,
    diagonalize_sampled,
    drop_snapshots,
    expand_trainable_broadcasts,
    explicit_measurement_wires,
    numpy_unless_scalar_boxes,
    reject_unsupported_measurements,
    split_sampled_groups,
    validate_qoro_measurements,
)
from pennylane_qoro.preprocess.rewrites import decomposition, stopping_condition

CAPS = QoroDevice.capabilities
NAME = "my.device"


def _tape(measurements, ops=None, shots=None) -> QuantumScript:
    ops = [qml.RX(0.3, 0), qml.CNOT([0, 1])] if ops is None else ops
    return QuantumScript(ops, measurements, shots=shots)


def _exact(tape: QuantumScript):
    """The tape's result on default.qubit (the oracle for post-processing)."""
    return qml.device("default.qubit").execute(tape)


class _NoMatrixObs(qml.operation.Operator):
    """An observable with neither a Pauli representation nor a matrix."""

    num_wires = 1


class _CustomSample(SampleMeasurement):
    """A user-defined sample measurement (built from the shot record by itself)."""

    def process_samples(self, samples, wire_order, shot_range=None, bin_size=None):
        return float(np.mean(samples))

    def process_counts(self, counts, wire_order):
        return 0.0


class TestRejectUnsupportedMeasurements:
    """reject_unsupported_measurements: what a Qoro service can never return."""

    def test_supported_tape_passes_unchanged(self):
        """Test that a tape of supported measurements is returned as it is."""
        tape = _tape([qml.expval(qml.Z(0)), qml.probs(wires=[0, 1])])
        (out,), fn = reject_unsupported_measurements(tape, caps=CAPS, name=NAME)
        assert out is tape
        assert fn([1.0]) == 1.0

    @pytest.mark.parametrize("mp", [qml.state(), qml.density_matrix(wires=0)])
    def test_state_measurements_are_refused_naming_the_device(self, mp):
        """Test that state-type measurements raise a DeviceError naming the device."""
        message = f"not accepted for analytic simulation on {NAME}: it is not supported"
        with pytest.raises(DeviceError, match=message):
            reject_unsupported_measurements(_tape([mp]), caps=CAPS, name=NAME)

    def test_sample_without_shots_is_refused(self):
        """Test that samples need shots."""
        with pytest.raises(DeviceError, match="not supported for analytic simulation"):
            reject_unsupported_measurements(_tape([qml.sample(wires=0)]), caps=CAPS, name=NAME)

    def test_state_with_shots_is_refused(self):
        """Test the finite-shot wording."""
        message = f"not accepted with finite shots on {NAME}: it is not supported"
        with pytest.raises(DeviceError, match=message):
            reject_unsupported_measurements(_tape([qml.state()], shots=10), caps=CAPS, name=NAME)

    def test_custom_sample_measurement_with_shots_passes(self):
        """Test that a custom SampleMeasurement is accepted with shots (not listed by name)."""
        tape = _tape([_CustomSample(wires=[0])], shots=10)
        (out,), _ = reject_unsupported_measurements(tape, caps=CAPS, name=NAME)
        assert out is tape


class TestValidateQoroMeasurements:
    """validate_qoro_measurements: analytic limits of the service."""

    def test_tapes_with_shots_pass(self):
        """Test that the analytic limits do not apply with shots."""
        tape = _tape([qml.probs(wires=range(12))], shots=10)
        (out,), _ = validate_qoro_measurements(tape, name=NAME)
        assert out is tape

    def test_analytic_probs_over_the_limit_name_the_device(self):
        """Test analytic probs on more than 10 wires."""
        tape = _tape([qml.probs(wires=range(11))])
        message = f"Analytic probs on 11 wires is not supported on {NAME}"
        with pytest.raises(DeviceError, match=message):
            validate_qoro_measurements(tape, name=NAME)

    def test_probs_without_wires_count_the_device_wires(self):
        """Test ``probs()`` means all device wires when ``n_wires`` is given."""
        tape = _tape([qml.probs()])
        (out,), _ = validate_qoro_measurements(tape, n_wires=4, name=NAME)
        assert out is tape
        with pytest.raises(DeviceError, match="Analytic probs on 11 wires"):
            validate_qoro_measurements(tape, n_wires=11, name=NAME)

    def test_probs_of_a_non_pauli_observable_is_refused(self):
        """Test that analytic probs(op=...) needs a Pauli word."""
        tape = _tape([qml.probs(op=qml.X(0) + qml.Z(0))])
        with pytest.raises(DeviceError, match=rf"probs\(op=.*\) is not supported on {NAME}"):
            validate_qoro_measurements(tape, name=NAME)

    def test_observable_without_decomposition_is_refused(self):
        """Test an observable with no Pauli representation and no matrix."""
        tape = _tape([qml.expval(_NoMatrixObs(wires=0))])
        with pytest.raises(DeviceError, match=f"not supported on {NAME}: it has no Pauli"):
            validate_qoro_measurements(tape, name=NAME)

    def test_hermitian_expval_passes(self):
        """Test that a matrix observable is fine (it has a Pauli decomposition)."""
        tape = _tape([qml.expval(qml.Hermitian(np.diag([1.0, 2.0]), wires=0))])
        (out,), _ = validate_qoro_measurements(tape, name=NAME)
        assert out is tape


class TestDropSnapshots:
    """drop_snapshots."""

    def test_snapshots_are_removed(self):
        """Test that Snapshot ops disappear and the rest stays in order."""
        tape = _tape([qml.expval(qml.Z(0))], ops=[qml.RX(0.1, 0), qml.Snapshot(), qml.RY(0.2, 0)])
        (out,), fn = drop_snapshots(tape)
        assert [op.name for op in out.operations] == ["RX", "RY"]
        assert out.measurements == tape.measurements
        assert fn(["r"]) == "r"

    def test_tape_without_snapshots_is_unchanged(self):
        """Test the identity case returns the same tape."""
        tape = _tape([qml.expval(qml.Z(0))])
        (out,), _ = drop_snapshots(tape)
        assert out is tape


class TestExplicitMeasurementWires:
    """explicit_measurement_wires."""

    def test_wireless_measurements_get_the_tape_wires(self):
        """Test probs()/counts() without wires mean the tape's wires, in tape order."""
        tape = _tape([qml.probs(), qml.counts()], ops=[qml.RX(0.1, "b"), qml.CNOT(["b", "a"])])
        (out,), _ = explicit_measurement_wires(tape)
        assert [list(mp.wires) for mp in out.measurements] == [["b", "a"], ["b", "a"]]
        assert isinstance(out.measurements[1], CountsMP)

    def test_tape_with_explicit_wires_is_unchanged(self):
        """Test observables and explicit wires keep the same tape object."""
        tape = _tape([qml.expval(qml.Z(0)), qml.probs(wires=[1])])
        (out,), _ = explicit_measurement_wires(tape)
        assert out is tape


class TestNumpyUnlessScalarBoxes:
    """numpy_unless_scalar_boxes: autograd boxes reach the device only as scalar gate args."""

    def test_scalar_boxes_stay(self):
        """Test a tape whose only boxes are scalar gate arguments is passed as is."""
        seen = []

        def cost(x):
            tape = _tape([qml.expval(qml.Z(0))], ops=[qml.RX(x, 0)])
            (out,), _ = numpy_unless_scalar_boxes(tape)
            seen.append((out is tape, type(out.operations[0].data[0]).__name__))
            return x * 1.0

        autograd.grad(cost)(0.3)
        assert seen == [(True, "ArrayBox")]

    def test_broadcast_boxes_are_converted(self):
        """Test a boxed broadcast argument gets PennyLane's numpy conversion."""
        seen = []

        def cost(x):
            tape = _tape([qml.expval(qml.Z(0))], ops=[qml.RX(x, 0)])
            (out,), _ = numpy_unless_scalar_boxes(tape)
            seen.append((out is tape, type(out.operations[0].data[0]).__name__))
            return autograd.numpy.sum(x)

        autograd.grad(cost)(np.array([0.1, 0.2]))
        assert seen == [(False, "ndarray")]

    def test_boxed_observable_coefficients_are_converted(self):
        """Test boxed observable data gets the conversion too."""
        seen = []

        def cost(c):
            tape = _tape([qml.expval(qml.Hermitian(c * np.eye(2), wires=0))])
            (out,), _ = numpy_unless_scalar_boxes(tape)
            seen.append(out is tape)
            return c * 1.0

        autograd.grad(cost)(0.5)
        assert seen == [False]


class TestExpandTrainableBroadcasts:
    """expand_trainable_broadcasts."""

    def test_constant_broadcast_stays_one_tape(self):
        """Test a broadcast over constants is not split."""
        tape = _tape([qml.expval(qml.Z(0))], ops=[qml.RX(np.array([0.1, 0.2, 0.3]), 0)])
        (out,), _ = expand_trainable_broadcasts(tape)
        assert out is tape

    def test_trainable_broadcast_is_expanded_and_stacked(self):
        """Test a trainable broadcast becomes one tape per element, stacked back."""
        x = pnp.array([0.1, 0.2, 0.3], requires_grad=True)
        tape = _tape([qml.expval(qml.Z(0))], ops=[qml.RX(x, 0)])
        tapes, fn = expand_trainable_broadcasts(tape)
        assert len(tapes) == 3 and all(t.batch_size is None for t in tapes)
        result = fn([_exact(t) for t in tapes])
        assert np.allclose(result, np.cos([0.1, 0.2, 0.3]))

    def test_unbroadcast_tape_is_unchanged(self):
        """Test tapes without broadcasting pass."""
        tape = _tape([qml.expval(qml.Z(0))], ops=[qml.RX(pnp.array(0.1, requires_grad=True), 0)])
        (out,), _ = expand_trainable_broadcasts(tape)
        assert out is tape


class TestSplitSampledGroups:
    """split_sampled_groups."""

    def test_analytic_tape_stays_whole(self):
        """Test non-commuting measurements stay on one analytic tape."""
        tape = _tape([qml.expval(qml.X(0)), qml.expval(qml.Z(0))])
        (out,), _ = split_sampled_groups(tape, name=NAME)
        assert out is tape

    def test_non_commuting_groups_are_split(self):
        """Test qubit-wise commuting groups with shots, recombined by the post-processing."""
        tape = _tape([qml.expval(qml.X(0)), qml.expval(qml.Z(0))], shots=100)
        tapes, fn = split_sampled_groups(tape, name=NAME)
        assert len(tapes) == 2
        assert fn([0.25, 0.75]) == (0.25, 0.75)

    def test_variance_of_a_qwc_sum_gets_its_own_rotated_tape(self):
        """Test var(X0 + X1) runs as var of the Z sum after rotating both wires."""
        mps = [qml.expval(qml.Z(0)), qml.var(qml.X(0) + 0.5 * qml.X(1))]
        tape = _tape(mps, shots=100)
        tapes, fn = split_sampled_groups(tape, name=NAME)
        assert len(tapes) == 2
        var_tape = tapes[1]
        assert [op.name for op in var_tape.operations[2:]] == ["Hadamard", "Hadamard"]
        [mp] = var_tape.measurements
        assert all(set(w.values()) == {"Z"} for w in mp.obs.pauli_rep)
        assert fn([0.5, 0.25]) == (0.5, 0.25)

    def test_variance_of_a_non_qwc_sum_is_refused_naming_the_device(self):
        """Test var(X0 + Z0) with shots."""
        tape = _tape([qml.var(qml.X(0) + qml.Z(0))], shots=100)
        with pytest.raises(DeviceError, match=f"with shots on {NAME}: its terms are not"):
            split_sampled_groups(tape, name=NAME)

    def test_shot_vector_postprocessing_keeps_bins(self):
        """Test the variance path with a shot vector: one tuple per bin."""
        tape = _tape([qml.expval(qml.Z(0)), qml.var(qml.X(0) + qml.X(1))], shots=(10, 20))
        tapes, fn = split_sampled_groups(tape, name=NAME)
        assert fn([(1.0, 2.0), (3.0, 4.0)]) == ((1.0, 3.0), (2.0, 4.0))
        assert len(tapes) == 2

    def test_reuse_rebuilds_the_split_around_each_tapes_operations(self):
        """Test a reuse table serves a tape sharing the measurement objects."""
        reuse = MeasurementReuse()
        mps = [qml.expval(qml.X(0)), qml.expval(qml.Z(0))]
        first = _tape(mps, ops=[qml.RX(0.1, 0)], shots=100)
        second = _tape(mps, ops=[qml.RX(0.2, 0)], shots=100)
        tapes1, _ = split_sampled_groups(first, reuse=reuse, name=NAME)
        tapes2, _ = split_sampled_groups(second, reuse=reuse, name=NAME)
        assert len(reuse) == 1
        assert [t.operations[0].data[0] for t in tapes2] == [0.2, 0.2]
        assert [t.measurements for t in tapes1] == [t.measurements for t in tapes2]

    def test_without_reuse_nothing_is_kept(self):
        """Test the transform is stateless without a reuse table: two tables never mix."""
        a, b = MeasurementReuse(), MeasurementReuse()
        tape = _tape([qml.expval(qml.X(0)), qml.expval(qml.Z(0))], shots=100)
        split_sampled_groups(tape, name=NAME)
        split_sampled_groups(tape, reuse=a, name=NAME)
        assert (len(a), len(b)) == (1, 0)


class TestDiagonalizeSampled:
    """diagonalize_sampled."""

    def test_analytic_tape_is_unchanged(self):
        """Test analytic tapes keep their observables."""
        tape = _tape([qml.expval(qml.X(0))])
        (out,), _ = diagonalize_sampled(tape)
        assert out is tape

    def test_pauli_observables_are_rotated_to_z(self):
        """Test expval(X0) with shots gets a basis rotation and a Z observable."""
        tape = _tape([qml.expval(qml.X(0))], shots=100)
        (out,), _ = diagonalize_sampled(tape)
        assert len(out.operations) == len(tape.operations) + 1
        [mp] = out.measurements
        assert set(next(iter(mp.obs.pauli_rep)).values()) == {"Z"}

    @pytest.mark.filterwarnings("ignore:Using qp.probs with a Hermitian observable")
    def test_hermitian_becomes_an_eigenvalue_measurement(self):
        """Test a Hermitian observable is measured in its eigenbasis by eigenvalues."""
        h = qml.Hermitian(np.array([[1.0, 1.0], [1.0, -1.0]]), wires=0)
        tape = _tape([qml.expval(h), qml.counts(h), qml.probs(op=h)], shots=100)
        (out,), fn = diagonalize_sampled(tape)
        expval, counts, probs = out.measurements
        assert isinstance(expval, ExpectationMP) and expval.obs is None
        assert np.allclose(np.sort(expval.eigvals()), np.sort(h.eigvals()))
        assert isinstance(counts, CountsMP) and counts.obs is None
        assert isinstance(probs, ProbabilityMP) and probs.obs is None
        assert list(probs.wires) == [0]
        assert fn(["r"]) == "r"

    def test_z_diagonal_tape_is_unchanged(self):
        """Test that Z observables need no rotation."""
        tape = _tape([qml.expval(qml.Z(0) @ qml.Z(1)), qml.sample(wires=0)], shots=100)
        (out,), _ = diagonalize_sampled(tape)
        assert out.operations == tape.operations

    def test_reuse_serves_shared_measurements(self):
        """Test a reuse table rebuilds the rotation around the second tape's ops."""
        reuse = MeasurementReuse()
        mps = [qml.expval(qml.X(0))]
        diagonalize_sampled(_tape(mps, ops=[qml.RY(0.1, 0)], shots=10), reuse=reuse)
        (out,), _ = diagonalize_sampled(_tape(mps, ops=[qml.RY(0.7, 0)], shots=10), reuse=reuse)
        assert len(reuse) == 1
        assert out.operations[0].data[0] == 0.7 and len(out.operations) == 2


class TestMeasurementReuse:
    """MeasurementReuse, the per-device table."""

    def test_size_bound_drops_the_oldest(self):
        """Test at most ``size`` entries are kept."""
        reuse = MeasurementReuse(size=2)
        for _ in range(3):
            split_sampled_groups(_tape([qml.expval(qml.X(0))], shots=10), reuse=reuse, name=NAME)
        assert len(reuse) == 2

    def test_concurrent_batches_share_one_table_safely(self):
        """Test several threads filling one device's table (the lock guards it)."""
        reuse = MeasurementReuse(size=4)
        errors = []

        def work():
            try:
                for _ in range(20):
                    tape = _tape([qml.expval(qml.X(0)), qml.expval(qml.Z(1))], shots=10)
                    split_sampled_groups(tape, reuse=reuse, name=NAME)
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(reuse) <= 4


class TestDecompositionHooks:
    """The hooks handed to PennyLane's decompose."""

    def test_stopping_condition_reads_the_toml(self):
        """Test the stopping condition is the TOML gate set."""
        supported = stopping_condition(CAPS)
        assert supported(qml.RX(0.1, 0)) and not supported(qml.IsingXX(0.1, [0, 1]))

    def test_matrix_only_ops_become_a_unitary(self):
        """Test an op with only a matrix decomposes to QubitUnitary."""

        class MatrixOnly(qml.operation.Operation):
            num_wires = 1

            @staticmethod
            def compute_matrix():
                return np.array([[0.0, 1.0], [1.0, 0.0]])

        [op] = decomposition(MatrixOnly(wires=0))
        assert isinstance(op, qml.QubitUnitary)


class TestBuildPipeline:
    """build_pipeline composes the transforms per config and passes the device name on."""

    @staticmethod
    def _names(program):
        return [t.tape_transform.__name__ for t in program]

    def test_default_pipeline_order(self):
        """Test the transform order for a device with wires and the default config."""
        program = build_pipeline(CAPS, qml.wires.Wires([0, 1]), ExecutionConfig(), NAME)
        assert self._names(program) == [
            "reject_postselection",
            "defer_measurements",
            "drop_snapshots",
            "reject_unsupported_measurements",
            "validate_measurements",
            "validate_observables",
            "validate_qoro_measurements",
            "split_sampled_groups",
            "diagonalize_sampled",
            "decompose",
            "device_resolve_dynamic_wires",
            "validate_device_wires",
        ]

    def test_config_guards(self):
        """Test each optional stage follows its config field."""
        config = ExecutionConfig(
            convert_to_numpy=False,
            gradient_method="device",
            mcm_config=MCMConfig(mcm_method="one-shot"),
        )
        names = self._names(build_pipeline(CAPS, None, config, NAME))
        assert names[0] == "numpy_unless_scalar_boxes"
        assert "defer_measurements" not in names
        assert "explicit_measurement_wires" in names
        assert names[-1] == "expand_trainable_broadcasts"

    def test_every_raising_stage_gets_the_name(self):
        """Test the device name reaches each transform that raises."""
        program = build_pipeline(CAPS, None, ExecutionConfig(), NAME)
        named = {t.tape_transform.__name__ for t in program if t.kwargs.get("name") == NAME}
        assert {
            "reject_postselection",
            "reject_unsupported_measurements",
            "validate_measurements",
            "validate_observables",
            "validate_qoro_measurements",
            "split_sampled_groups",
            "decompose",
            "validate_device_wires",
        } <= named

    def test_caches_are_passed_in_and_none_means_stateless(self):
        """Test the reuse tables come from the caller (a device), never a module global."""
        caches = PipelineCaches()
        program = build_pipeline(CAPS, None, ExecutionConfig(), NAME, caches=caches)
        reuse = {t.tape_transform.__name__: t.kwargs.get("reuse") for t in program}
        assert reuse["split_sampled_groups"] is caches.split
        assert reuse["diagonalize_sampled"] is caches.diagonalize
        stateless = build_pipeline(CAPS, None, ExecutionConfig(), NAME)
        assert all(t.kwargs.get("reuse") is None for t in stateless)

    def test_devices_do_not_share_caches(self):
        """Test two devices get distinct reuse tables."""
        a = QoroDevice(wires=1, url="http://127.0.0.1:1/api", api_key="k")
        b = QoroDevice(wires=1, url="http://127.0.0.1:1/api", api_key="k")
        reuse_a = {t.kwargs.get("reuse") for t in a.preprocess_transforms()} - {None}
        reuse_b = {t.kwargs.get("reuse") for t in b.preprocess_transforms()} - {None}
        assert len(reuse_a) == 2 and not reuse_a & reuse_b

    def test_pipeline_error_names_the_device(self):
        """Test a whole pipeline run raises with the given name."""
        program = build_pipeline(CAPS, qml.wires.Wires([0, 1]), ExecutionConfig(), NAME)
        with pytest.raises(DeviceError, match=NAME):
            program((_tape([qml.state()]),))

    def test_pipeline_output_matches_default_qubit(self):
        """Test a sampled non-commuting tape through the pipeline gives diagonal tapes."""
        program = build_pipeline(CAPS, qml.wires.Wires([0, 1]), ExecutionConfig(), NAME)
        tape = _tape([qml.expval(qml.X(0)), qml.expval(qml.Y(1) @ qml.Z(0))], shots=100)
        tapes, fn = program((tape,))
        assert len(tapes) == 2
        for t in tapes:
            assert all(
                mp.obs is None or set(next(iter(mp.obs.pauli_rep)).values()) <= {"Z"}
                for mp in t.measurements
            )
            assert all(CAPS.supports_operation(op.name) for op in t.operations)
        exact = [_exact(t.copy(shots=None)) for t in tapes]
        expected = _exact(tape.copy(shots=None))
        assert np.allclose(fn(exact)[0], expected)
