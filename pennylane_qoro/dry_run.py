"""``pennylane_qoro.estimate``: what a call would submit and cost, with nothing submitted.

:func:`estimate` runs any callable that calls QNodes (a QNode, ``qml.grad(qnode)``, a training
step) with every ``qoro.maestro`` device in a dry-run mode: each batch is preprocessed,
planned and turned into its ``JobSpec`` and request bodies exactly as a run would (the same
``_run_batch``, the same ``plan_job``), counted, and answered with placeholder results of the
right shapes (zero expectation values, all-zero histograms of the job's shots), so PennyLane's
post-processing and gradients carry on. No job is created and the journal is not written; a
device's only requests are the one-time target lookup (two reads). The devices' random streams
are restored afterwards, so a seeded run after an estimate gives what it gives without one, and
the tracker records nothing.

Imports the standard library, numpy and ``client`` (spec, pricing, journal keys); never the
device (the device imports this module) or the transport.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .client.job_creation import one_request_body
from .client.journal import job_key
from .client.journal_run import JournaledResult
from .client.pricing import estimated_credits
from .client.spec import JobSpec, plan_job
from .protocol.text import json_body

__all__ = ["Estimate", "EstimatedJob", "active_dry_run", "estimate"]

_ACTIVE: ContextVar[DryRun | None] = ContextVar("pennylane_qoro_dry_run", default=None)
UNKNOWN = "unknown"


@dataclass(frozen=True)
class EstimatedJob:
    """One job a call would submit.

    Attributes:
        url (str): the service.
        target (str): simulator cluster or QPU system.
        job_type (str): ``EXECUTE`` or ``EXPECTATION``.
        circuits (int): circuits (template rows or bound circuits).
        shots (int): shots over all circuits (0 for EXPECTATION).
        upload_bytes (int): the ``job/init/`` and ``add_circuits`` JSON bodies, in bytes
            (before the transport's optional gzip); the ``job/submit/`` body where the client
            would use it.
        requests (int): uploading requests (``job/init/`` plus one per ``add_circuits`` chunk,
            or the one ``job/submit/``).
        credits (Decimal | None): the estimated price; ``None`` where the service publishes no
            rule (the cloud); ``0`` for a cache hit.
        cached (bool): ``cache=True`` would serve it from the journal (no request, no cost).
    """

    url: str
    target: str
    job_type: str
    circuits: int
    shots: int
    upload_bytes: int
    requests: int
    credits: Decimal | None
    cached: bool = False


@dataclass(frozen=True)
class Estimate:
    """What a call would submit: jobs, circuits (rows), shots, upload bytes and credits.

    ``jobs``, ``circuits`` and ``shots`` are what ``qml.Tracker`` would record for the same
    call (``tracker.totals``); ``credits`` is a ``Decimal``, or ``"unknown"`` when any job goes
    to a service without a published price rule. ``str()`` is a table, one line per job.
    """

    items: tuple[EstimatedJob, ...] = ()

    @property
    def jobs(self) -> int:
        """Jobs the call uses (cache hits included, as the tracker counts them)."""
        return len(self.items)

    @property
    def circuits(self) -> int:
        """Circuits over all jobs."""
        return sum(j.circuits for j in self.items)

    @property
    def shots(self) -> int:
        """Shots over all jobs."""
        return sum(j.shots for j in self.items)

    @property
    def upload_bytes(self) -> int:
        """Request-body bytes over all jobs (cache hits send none)."""
        return sum(j.upload_bytes for j in self.items if not j.cached)

    @property
    def cache_hits(self) -> int:
        """Jobs ``cache=True`` would serve from the journal."""
        return sum(j.cached for j in self.items)

    @property
    def credits(self) -> Decimal | str:
        """Estimated credits, or ``"unknown"``."""
        if any(j.credits is None for j in self.items):
            return UNKNOWN
        return sum((j.credits for j in self.items if j.credits is not None), Decimal(0))

    def __str__(self) -> str:
        head = ("job", "target", "type", "circuits", "shots", "upload bytes", "credits")
        rows = [(str(k + 1), j.target, j.job_type + (" (cached)" if j.cached else ""),
                 str(j.circuits), str(j.shots), str(j.upload_bytes), _credits(j.credits))
                for k, j in enumerate(self.items)]
        rows.append(("total", "", "", str(self.circuits), str(self.shots),
                     str(self.upload_bytes), str(self.credits)))
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                           for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
                 for r in [head, *rows]]
        return "\n".join(lines)


def _credits(value: Decimal | None) -> str:
    return UNKNOWN if value is None else str(value)


@dataclass
class DryRun:
    """The jobs counted so far, and the devices whose random streams are to be restored."""

    items: list[EstimatedJob] = field(default_factory=list)
    _saved: dict[int, tuple[Any, dict]] = field(default_factory=dict)

    def touch(self, device: Any) -> None:
        """Remember a device's random state before its first draw of this estimate."""
        if id(device) not in self._saved:
            self._saved[id(device)] = (device, copy.deepcopy(device._rng.bit_generator.state))

    def restore(self) -> None:
        """Put every touched device's random state back."""
        for device, state in self._saved.values():
            device._rng.bit_generator.state = state
        self._saved.clear()

    def record(self, device: Any, spec: JobSpec, job: Any, width: int, journal: Any,
               rules: Any, *, cache: bool) -> JournaledResult:
        """Count one job and answer it with placeholder results of the right shapes."""
        plan = plan_job(spec)  # the exact bodies a run sends (PayloadError as a run would)
        cached = bool(cache and rules.deterministic and journal is not None and journal.cached(
            job_key(device.client.url, plan, seed_in_key=rules.seed_in_key)))
        # What the client would send now: job/submit/ when the service has advertised it (from
        # a job it already ran), else job/init/ and the chunks.
        one = one_request_body(plan, len(spec.labels),
                               advertised=device.client.single_request_jobs,
                               journaled=journal is not None)
        size = len(one) if one else len(json_body(plan.init)) + sum(len(b) for b in plan.bodies)
        credits = Decimal(0) if cached else estimated_credits(spec, device.client.url)
        self.items.append(EstimatedJob(
            url=device.client.url, target=str(spec.qpu_system or spec.simulator_cluster),
            job_type=spec.job_type, circuits=len(spec.labels), shots=job.total_shots,
            upload_bytes=0 if cached else size,
            requests=0 if cached else 1 if one else 1 + len(plan.bodies),
            credits=credits, cached=cached,
        ))
        return JournaledResult(job_id="estimate", results=placeholder_results(spec, width),
                               run_time=0.0, requests=0, origin="cache" if cached else "submitted")


def placeholder_results(spec: JobSpec, width: int) -> dict[str, Any]:
    """Decoded results of the right shape for every label: zero expectation values of every
    term, or a histogram of the circuit's shots all on outcome 0.

    >>> placeholder_results(JobSpec(circuits=(("a", "q"),), shots=3), 2)
    {'a': {'00': 3}}
    """
    labels = spec.labels
    if spec.job_type == "EXPECTATION":
        terms = [t for group in (spec.observables or ()) for t in group]
        return {label: dict.fromkeys(terms, 0.0) for label in labels}
    zeros = "0" * width
    return {label: {zeros: shots} for label, shots in zip(labels, _shots(spec), strict=True)}


def _shots(spec: JobSpec) -> Sequence[int]:
    if spec.shot_groups is None:
        return [int(spec.shots or 0)] * len(spec.labels)
    out = [0] * len(spec.labels)
    for start, end, shots in spec.shot_groups:
        out[start:end] = [shots] * (end - start)
    return out


def active_dry_run(device: Any = None) -> DryRun | None:
    """The estimate in progress in this context, if any (``device``: remember its random
    state before it draws)."""
    run = _ACTIVE.get()
    if run is not None and device is not None:
        run.touch(device)
    return run


def estimate(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Estimate:
    r"""What ``fn(*args, **kwargs)`` would submit to Qoro services, with nothing submitted.

    Args:
        fn (Callable): a QNode, or any callable that calls QNodes on ``qoro.maestro`` devices
            (``qml.grad(qnode)``, a training step, ``qml.jacobian``).
        \*args: its positional arguments.
        \*\*kwargs: its keyword arguments.

    Returns:
        Estimate: jobs, circuits, shots, upload bytes and credits; ``print`` it for a table.

    Raises:
        Whatever the call raises before any job would be submitted (bad options, unsupported
        measurements, a payload over the cap); nothing is submitted either way.

    >>> est = pennylane_qoro.estimate(qml.grad(circuit), x)  # doctest: +SKIP
    >>> est.jobs, est.circuits, est.credits  # doctest: +SKIP
    (1, 5, Decimal('0.10'))
    """
    run = DryRun()
    token = _ACTIVE.set(run)
    try:
        fn(*args, **kwargs)
    finally:
        _ACTIVE.reset(token)
        run.restore()
    return Estimate(tuple(run.items))
