"""One planned job (``compile.JobPlan``) as the client's request (``client.JobSpec``).

The device's only translation between the compiler's plan and the client's vocabulary: the
template rows, the observable group, the target fields (``simulator_cluster`` or
``qpu_system``, qoro-api.md §2.7) and the simulator's ``maestro_config`` (§2.13), which a QPU
never gets.

Pure: imports ``client.spec`` (no transport), ``compile`` and ``targets`` types only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .client.spec import JobSpec, Template
from .compile.batching import JobPlan
from .targets import TargetInfo

__all__ = ["job_spec"]


def job_spec(
    job: JobPlan, target: TargetInfo, maestro_config: Mapping[str, Any] | None, tag: str
) -> JobSpec:
    """The request for one planned job on ``target``.

    Args:
        job (JobPlan): from ``compile.plan_batch``.
        target (TargetInfo): the resolved target.
        maestro_config (Mapping | None): simulator options (with the job's seed, if any);
            dropped for a QPU, and an empty mapping is sent as none.
        tag (str): the job tag.

    Returns:
        JobSpec: what ``QoroClient.run`` submits.
    """
    templates = tuple(
        Template(
            t.qasm,
            t.parameter_names,
            tuple(zip(t.labels, map(tuple, t.values.tolist()), strict=True)),
        )
        for t in job.templates
    )
    simulator = target.kind == "simulator"
    return JobSpec(
        job_type=job.job_type,
        circuits=job.circuits,
        templates=templates,
        shots=job.shots,
        shot_groups=job.shot_groups,
        observables=(job.observables,) if job.observables is not None else None,
        simulator_cluster=target.name if simulator else None,
        qpu_system=target.name if not simulator else None,
        maestro_config=dict(maestro_config) if simulator and maestro_config else None,
        tag=tag,
    )
