"""Fixtures for the compile/results unit tests: run a plan's jobs on Maestro directly.

``run_plan`` does what the service does with a job (qoro-api.md §3.5 substitution, §4.5 bit
order, §4.6 expectation values) using the real Maestro simulator, so the pure stages
(compile -> results) are checked end to end against default.qubit without HTTP.
"""

from __future__ import annotations

import maestro
import pytest

from pennylane_qoro.compile.qasm import bind


def _circuits(job):
    for label, qasm in job.circuits:
        yield label, qasm
    for tmpl in job.templates:
        for label, row in zip(tmpl.labels, tmpl.values, strict=True):
            yield label, bind(tmpl.qasm, tmpl.parameter_names, row.tolist())


def _shots_of(job):
    if job.shot_groups is None:
        return lambda i: job.shots
    per = [n for s, e, n in job.shot_groups for _ in range(s, e)]
    return lambda i: per[i]


def run_job(job, seed: int = 1234) -> dict:
    """label -> decoded result, as ``JobResult.results`` would hold it."""
    out = {}
    shots_of = _shots_of(job)
    config = maestro.SimulatorConfig()
    config.seed = seed
    for i, (label, qasm) in enumerate(_circuits(job)):
        if job.job_type == "EXPECTATION":
            terms = list(job.observables)
            values = maestro.simple_estimate(qasm, ";".join(terms))["expectation_values"]
            out[label] = dict(zip(terms, values, strict=True))
        else:
            counts = maestro.simple_execute(qasm, config, shots=shots_of(i))["counts"]
            # maestro puts c[0] first; the service sends Qiskit order, c[0] last (§4.5).
            width = int(qasm.split("creg c[")[1].split("]")[0])
            out[label] = {k[::-1].rjust(width, "0"): v for k, v in counts.items()}
    return out


@pytest.fixture
def run_plan():
    """Run every job of a BatchPlan on Maestro; returns the per-job raw results."""

    def _run(plan, seed: int = 1234):
        return [run_job(job, seed + j) for j, job in enumerate(plan.jobs)]

    return _run
