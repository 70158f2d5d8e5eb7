"""Tests for pennylane_qoro.compile.batching: job plans, checked end to end on Maestro.

The ``run_plan`` fixture (conftest.py) does the service's part with the real Maestro
simulator, so every plan here is also checked numerically against default.qubit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pennylane as qml
import pytest
from pennylane.measurements import Shots

from pennylane_qoro.compile.batching import plan_batch, shot_ranges
from pennylane_qoro.device import QoroDevice
from pennylane_qoro.results import assemble_results


def _device(wires):
    # A device that never reaches a service: only its preprocessing pipeline is used here.
    return QoroDevice(wires=wires, url="http://127.0.0.1:9/api", api_key="unused")


def _run(tapes, wires, run_plan, **plan_kwargs):
    dev = _device(wires)
    batch, post = dev.preprocess_transforms()(tapes)
    plan = plan_batch(batch, dev.wires, **plan_kwargs)
    raw = run_plan(plan)
    return post(assemble_results(plan, raw, np.random.default_rng(7))), plan


def random_tape(n_wires, seed, shots=None, wires=None):
    """A random layered circuit with expvals, a variance, a Hamiltonian and probs."""
    rng = np.random.default_rng(seed)
    wires = list(range(n_wires)) if wires is None else wires
    ops = []
    for _ in range(3):
        for w in wires:
            ops.append(qml.Rot(*rng.uniform(-np.pi, np.pi, 3), wires=w))
        for a, b in itertools.pairwise(wires):
            gate = [qml.CNOT, qml.CZ, qml.IsingXX][rng.integers(3)]
            ops.append(gate([a, b]) if gate is not qml.IsingXX else gate(rng.uniform(0, 3), [a, b]))
    paulis = [qml.X, qml.Y, qml.Z]
    word = qml.prod(*[paulis[rng.integers(3)](w) for w in wires[: min(3, n_wires)]])
    ham = qml.Hamiltonian(rng.normal(size=2), [word, paulis[rng.integers(3)](wires[-1])])
    mps = [qml.expval(paulis[rng.integers(3)](wires[0])), qml.expval(ham), qml.var(word)]
    mps.append(qml.probs(wires=wires[::-1][:3]))
    return qml.tape.QuantumScript(ops, mps, shots=shots)


@pytest.mark.parametrize("n_wires", range(1, 9))
def test_random_circuits_analytic_equal_default_qubit(n_wires, run_plan):
    """Test analytic expval/var/probs of random circuits on 1-8 wires to 1e-8."""
    tapes = [random_tape(n_wires, seed) for seed in range(3)]
    got, plan = _run(tapes, n_wires, run_plan)
    want = qml.device("default.qubit", wires=n_wires).execute(tapes)
    assert len(plan.jobs) == 1 and plan.jobs[0].job_type == "EXPECTATION"
    for g, w in zip(got, want, strict=True):
        for a, b in zip(g, w, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-8)


def test_parameter_shift_batch_is_one_template(run_plan):
    """Test that a 4-qubit, 12-parameter param-shift batch (2x12 tapes) is one job, one template."""
    weights = np.random.default_rng(3).uniform(0, 2, (3, 4))
    ops = [qml.BasicEntanglerLayers(weights, wires=range(4), rotation=qml.RY)]
    tape = qml.tape.QuantumScript(ops, [qml.expval(qml.Z(0) @ qml.Z(3)), qml.expval(qml.X(1))])
    tape = qml.devices.preprocess.decompose(
        tape, stopping_condition=lambda op: op.name in ("RY", "CNOT")
    )[0][0]
    tapes, fn = qml.gradients.param_shift(tape)
    got, plan = _run(tapes, 4, run_plan)
    assert [job.job_type for job in plan.jobs] == ["EXPECTATION"]
    (template,) = plan.jobs[0].templates
    assert len(template.labels) == len(tapes) == 24 and template.values.shape == (24, 12)
    assert set(plan.jobs[0].observables) == {"ZIIZ", "IXII"}
    want = fn(qml.device("default.qubit", wires=4).execute(tapes))
    np.testing.assert_allclose(fn(got), want, atol=1e-8)


def test_broadcast_tape_is_one_row_per_element(run_plan):
    """Test broadcasting without broadcast_expand: rows, not tapes."""
    x = np.array([0.1, 0.8, 2.0])
    tape = qml.tape.QuantumScript(
        [qml.RX(x, 0), qml.CRY(0.4, [0, 1])], [qml.expval(qml.Z(1)), qml.probs(wires=[0])]
    )
    got, plan = _run([tape], 2, run_plan)
    assert plan.jobs[0].n_circuits == 3
    want = qml.device("default.qubit", wires=2).execute([tape])
    for a, b in zip(got[0], want[0], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-10)


def test_mixed_analytic_and_sampled_needs_two_jobs(run_plan):
    """Test that a second job appears only for a second job type, and says why."""
    tapes = [random_tape(3, 1), random_tape(3, 2, shots=4000)]
    got, plan = _run(tapes, 3, run_plan)
    assert [job.job_type for job in plan.jobs] == ["EXPECTATION", "EXECUTE"]
    assert any("mixes analytic and sampled" in note for note in plan.notes)
    want = qml.device("default.qubit", wires=3).execute(tapes[:1])
    for a, b in zip(got[0], want[0], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-8)


def test_different_shot_totals_use_bound_circuits_with_shot_groups(run_plan):
    """Test per-tape shots in one job: bound path and ranges tiling all circuits."""
    tapes = [random_tape(2, s, shots=n) for s, n in [(1, 100), (2, 100), (3, 300)]]
    got, plan = _run(tapes, 2, run_plan)
    (job,) = plan.jobs
    assert job.templates == () and len(job.circuits) == job.n_circuits
    assert job.shot_groups[0][0] == 0 and job.shot_groups[-1][1] == len(job.circuits)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(job.shot_groups))
    assert {n for _, _, n in job.shot_groups} == {100, 300}
    exact = qml.device("default.qubit", wires=2).execute([t.copy(shots=None) for t in tapes])
    for g, w, (n, _) in zip(got, exact, [(100, 0), (100, 1), (300, 2)], strict=True):
        np.testing.assert_allclose(g[3], w[3], atol=5 / np.sqrt(n))  # probs


def test_observables_over_budget_split_into_fewest_jobs(run_plan):
    """Test term chunking: several EXPECTATION jobs with the same rows, same results."""
    tapes = [random_tape(4, s) for s in range(2)]
    full, _ = _run(tapes, 4, run_plan)
    got, plan = _run(
        tapes, 4, run_plan, observables_budget=1, observables_size=lambda terms: len(terms)
    )
    assert len(plan.jobs) > 1 and all(j.job_type == "EXPECTATION" for j in plan.jobs)
    assert plan.notes
    for g, f in zip(got, full, strict=True):
        for a, b in zip(g, f, strict=True):
            np.testing.assert_allclose(a, b, atol=1e-12)


def test_identity_only_needs_no_job(run_plan):
    """Test that expval(Identity) is answered without asking the service."""
    tape = qml.tape.QuantumScript([qml.RX(0.3, 0)], [qml.expval(qml.Identity(0))])
    got, plan = _run([tape], 1, run_plan)
    assert plan.jobs == () and got == (1.0,)


def test_shot_ranges_merge_neighbours():
    """Test §3.3 ranges: consecutive equal shots merge, ranges tile [0, n)."""
    assert shot_ranges([5]) == ((0, 1, 5),)
    assert shot_ranges([5, 5, 7, 5]) == ((0, 2, 5), (2, 3, 7), (3, 4, 5))


def test_sampled_results_within_five_standard_errors(run_plan):
    """Test sampled expvals/probs against default.qubit's exact values (fixed seed)."""
    shots = 20000
    tapes = [random_tape(3, s, shots=shots) for s in range(2)]
    got, plan = _run(tapes, 3, run_plan)
    assert [j.job_type for j in plan.jobs] == ["EXECUTE"]
    exact = qml.device("default.qubit", wires=3).execute([t.copy(shots=None) for t in tapes])
    for g, w in zip(got, exact, strict=True):
        for a, b in zip(g, w, strict=True):
            # |values| <= sum|coeffs| <= ~4 here, so 5 SE <= 5 * 4 / sqrt(shots)
            np.testing.assert_allclose(a, b, atol=5 * 4 / np.sqrt(shots))


def test_shot_vector_bins_are_separate_results(run_plan):
    """Test a shot vector: one histogram split into bins of the requested sizes."""
    tape = qml.tape.QuantumScript(
        [qml.RY(0.9, 0), qml.CNOT([0, 1])],
        [qml.sample(wires=[1]), qml.expval(qml.Z(0))],
        shots=Shots([(50, 2), 100]),
    )
    got, plan = _run([tape], 2, run_plan)
    assert plan.jobs[0].shots == 200
    (result,) = got
    assert len(result) == 3
    assert [r[0].shape for r in result] == [(50, 1), (50, 1), (100, 1)]
