"""Tests for pennylane_qoro.compile.gradients and device-derivative plans.

Shift rules are checked against PennyLane's own ``param_shift`` recipes; plans built with
``derivatives=True`` are run on Maestro (``run_plan``) and their Jacobians checked against
``param_shift`` on default.qubit.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from pennylane.exceptions import DeviceError
from pennylane.gradients.parameter_shift import _get_operation_recipe

from pennylane_qoro.compile.batching import plan_batch
from pennylane_qoro.compile.gradients import FORWARD, ShiftPlan, operation_recipe, shift_plan
from pennylane_qoro.device import QoroDevice
from pennylane_qoro.jacobians import assemble_jacobians
from pennylane_qoro.results import assemble_results

TOL = 1e-8


def _differentiable_gates():
    caps = QoroDevice.capabilities
    return sorted(n for n, props in caps.operations.items() if props.differentiable)


def _instance(name):
    cls = getattr(qml, name)
    return cls(*([0.3] * cls.num_params), wires=range(cls.num_wires))


class TestOperationRecipe:
    def test_differentiable_gates_listed(self):
        """Test the TOML's differentiable gates are the ones this module has rules for."""
        assert _differentiable_gates() == [
            "CRX",
            "CRY",
            "CRZ",
            "ControlledPhaseShift",
            "PhaseShift",
            "RX",
            "RY",
            "RZ",
            "U2",
            "U3",
        ]

    @pytest.mark.parametrize("name", _differentiable_gates())
    def test_equals_param_shift_recipe(self, name):
        """Test every argument of every differentiable gate gets param_shift's own rule."""
        op = _instance(name)
        tape = qml.tape.QuantumScript([op], [qml.expval(qml.Z(0))])
        for p_idx in range(op.num_params):
            want = np.asarray(_get_operation_recipe(tape, p_idx, None))
            got = np.array(operation_recipe(op, p_idx))
            np.testing.assert_allclose(got, want, atol=1e-15)

    def test_controlled_rotations_have_four_terms(self):
        """Test the four-term rule of controlled rotations (frequencies 1/2 and 1)."""
        for name in ("CRX", "CRY", "CRZ"):
            assert len(operation_recipe(_instance(name), 0)) == 4
        assert len(operation_recipe(_instance("ControlledPhaseShift"), 0)) == 2


class _ForwardDifferenceRX(qml.RX):
    """An RX whose (valid for this test only) recipe uses the unshifted circuit."""

    grad_recipe = ([[10.0, 1.0, 0.1], [-10.0, 1.0, 0.0]],)


class TestShiftPlan:
    def test_only_trainable_columns_are_shifted(self):
        """Test rows: one changed column per shifted evaluation, others untouched."""
        ops = [qml.RX(0.1, 0), qml.U3(0.2, 0.3, 0.4, 0), qml.CRY(0.5, [0, 1])]
        tape = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(1))], trainable_params=[2, 4])
        plan = shift_plan(tape)
        assert plan.n_params == 2 and plan.n_shifts == 2 + 4
        assert [c for c, _, _ in plan.shifts] == [2, 2, 4, 4, 4, 4]
        forward = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
        rows = plan.rows(forward)
        for row, (column, _, shift) in zip(rows, plan.shifts, strict=True):
            diff = row - forward[0]
            assert np.count_nonzero(diff) == 1 and diff[column] == pytest.approx(shift)

    def test_broadcast_rows_are_shift_major(self):
        """Test a broadcast tape: per shifted evaluation, one row per element."""
        plan = ShiftPlan(((1, 1.0, 0.5), (1, 1.0, -0.5)), (((0, 1.0), (1, -1.0)),))
        rows = plan.rows(np.array([[0.0, 1.0], [2.0, 3.0]]))
        assert rows.tolist() == [[0.0, 1.5], [2.0, 3.5], [0.0, 0.5], [2.0, 2.5]]

    def test_zero_shift_term_reuses_the_forward_rows(self):
        """Test a rule term without shift adds no row and points at the forward rows."""
        tape = qml.tape.QuantumScript([_ForwardDifferenceRX(0.3, 0)], [qml.expval(qml.Z(0))])
        plan = shift_plan(tape)
        assert plan.shifts == ((0, 1.0, 0.1),)
        assert plan.rules == (((FORWARD, -10.0), (0, 10.0)),)  # process_shifts: zero shift first
        assert plan.combine(np.array([1.0]), [np.array([1.5])])[0].tolist() == [5.0]

    def test_trainable_observable_parameter_is_refused(self):
        """Test a trainable Hamiltonian coefficient: DeviceError, not a wrong derivative."""
        obs = qml.Hamiltonian([0.5], [qml.Z(0)])
        tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(obs)], trainable_params=[0, 1])
        with pytest.raises(DeviceError, match="observable"):
            shift_plan(tape)


def _preprocessed(tapes, wires):
    dev = QoroDevice(wires=wires, url="http://127.0.0.1:9/api", api_key="unused")
    config = dev.setup_execution_config(qml.devices.ExecutionConfig(gradient_method="device"))
    return dev.preprocess_transforms(config)(tapes)


def _param_shift(tape, wires):
    tapes, fn = qml.gradients.param_shift(tape)
    return fn(qml.device("default.qubit", wires=wires).execute(tapes))


def _assert_nested_close(got, want, atol):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _assert_nested_close(g, w, atol)
        return
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, atol=atol)


class TestDerivativePlans:
    def test_forward_and_shifted_rows_share_one_template(self, run_plan):
        """Test two tapes with trainable parameters: one EXPECTATION job, one template, the
        forward and shifted rows of both; Jacobians equal param_shift's."""
        ops = [qml.RX(0.4, 0), qml.CRX(1.1, [0, 1]), qml.U2(0.3, -0.7, 1)]
        mps = [qml.expval(qml.Z(0) @ qml.X(1)), qml.var(qml.Y(1)), qml.probs(wires=[1])]
        tapes = [
            qml.tape.QuantumScript(ops, mps, trainable_params=[0, 1, 3]),
            qml.tape.QuantumScript(ops, mps[:1], trainable_params=[1]),
        ]
        batch, _ = _preprocessed(tapes, 2)
        plan = plan_batch(batch, (0, 1), derivatives=True)
        (job,) = plan.jobs
        (template,) = job.templates
        assert template.labels == (
            "0",
            *(f"0s{j}" for j in range(2 + 4 + 2)),
            "1",
            *(f"1s{j}" for j in range(4)),
        )
        raw = run_plan(plan)
        jacobians = assemble_jacobians(plan, raw, np.random.default_rng(0))
        for tape, jac in zip(tapes, jacobians, strict=True):
            _assert_nested_close(jac, _param_shift(tape, 2), TOL)

    def test_untrained_tape_has_empty_jacobian(self, run_plan):
        """Test a tape without trainable parameters adds no rows and gets param_shift's empty
        Jacobian; its forward result is unaffected."""
        tape = qml.tape.QuantumScript(
            [qml.RY(0.3, 0)], [qml.expval(qml.Z(0)), qml.expval(qml.X(0))], trainable_params=[]
        )
        plan = plan_batch([tape], (0,), derivatives=True)
        assert plan.jobs[0].n_circuits == 1
        raw = run_plan(plan)
        (jac,) = assemble_jacobians(plan, raw, np.random.default_rng(0))
        assert isinstance(jac, tuple) and [j.shape for j in jac] == [(0,), (0,)]
        (res,) = assemble_results(plan, raw, np.random.default_rng(0))
        np.testing.assert_allclose(res, [np.cos(0.3), np.sin(0.3)], atol=TOL)

    def test_sampled_tapes_with_different_shots_use_bound_circuits(self, run_plan):
        """Test sampled tapes of different shot totals: bound circuits whose shot ranges give
        every shifted row its tape's shots; Jacobians within 5 standard errors."""
        ops = [qml.RY(0.9, 0), qml.CRZ(0.6, [0, 1]), qml.Hadamard(1), qml.RX(-0.4, 1)]
        tapes = [
            qml.tape.QuantumScript(ops, [qml.expval(qml.Z(1))], shots=20000),
            qml.tape.QuantumScript(ops, [qml.probs(wires=[0])], shots=30000),
        ]
        batch, _ = _preprocessed(tapes, 2)
        plan = plan_batch(batch, (0, 1), derivatives=True)
        (job,) = plan.jobs
        rows_per_tape = 1 + 2 + 4 + 2  # forward, RY, CRZ (four-term), RX
        assert job.shot_groups == ((0, rows_per_tape, 20000), (rows_per_tape, 18, 30000))
        assert [label for label, _ in job.circuits][: rows_per_tape + 1] == [
            "0",
            *(f"0s{j}" for j in range(rows_per_tape - 1)),
            "1",
        ]
        raw = run_plan(plan)
        jacobians = assemble_jacobians(plan, raw, np.random.default_rng(0))
        for tape, jac in zip(tapes, jacobians, strict=True):
            want = _param_shift(tape.copy(shots=None), 2)
            # 5 standard errors: sqrt(sum c^2) <= 0.71 times the range bound (1 for Z, and
            # conservatively also for a probability).
            bound = 5 * 0.71 / np.sqrt(tape.shots.total_shots)
            for g, w in zip(jac, want, strict=True):
                assert np.all(np.abs(np.asarray(g) - np.asarray(w)) <= bound)
