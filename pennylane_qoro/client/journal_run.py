"""``QoroClient.run`` with a journal: serve from the cache, reattach, or submit and record.

In that order, for one job spec (``docs/journal.rst`` states the rules for users):

1. ``cache=True`` (deterministic jobs only): a fetched job of the same content key whose
   results are stored is answered from the journal, with no request;
2. a journaled job of the same key that nobody saw finish (``Journal.reattachable``) is
   checked on the service: PENDING, RUNNING (and the cloud's SCHEDULED / PAUSED) or
   COMPLETED -> wait for it and fetch it; FAILED, CANCELLED, unknown (404) -> marked so and
   never reused. A row whose last upload was in flight when its process died counts only
   once the service shows it past PENDING (a PENDING job might be a half-uploaded one);
3. otherwise the job is recorded (before ``job/init/``), its id stored as soon as init
   answers, marked ``submitted`` after the last upload and ``fetched`` once its results are
   read.

It reaches the service only through the ``QoroClient`` it is handed. Imports the standard
library and ``client`` modules only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..protocol.vocabulary import ACTIVE_STATUSES
from .errors import (
    AuthenticationError,
    DeadlineExceededError,
    JobCancelledError,
    JobError,
    NotFoundError,
)
from .journal import Journal, JournalEntry, job_key, labels_in
from .spec import JobResult, JobSpec, UploadPlan, plan_job

if TYPE_CHECKING:
    from .jobs import QoroClient

__all__ = ["ORIGINS", "JournaledResult", "journaled_run"]

log = logging.getLogger(__name__)

ORIGINS = ("submitted", "reattached", "cache")
REUSABLE = ACTIVE_STATUSES | {"COMPLETED"}


@dataclass(frozen=True)
class JournaledResult(JobResult):
    """A :class:`JobResult` that says where it came from.

    Attributes:
        origin (str): ``"submitted"`` (a new job), ``"reattached"`` (a journaled job an earlier
            run never saw finish) or ``"cache"`` (stored results; no request).
    """

    origin: str = "submitted"


def journaled_run(client: QoroClient, spec: JobSpec, journal: Journal, *,
                  timeout: float | None, deterministic: bool, cache: bool,
                  seed_in_key: bool) -> JournaledResult:
    """One job through the journal (the module docstring gives the order)."""
    plan = plan_job(spec)  # a PayloadError here leaves nothing anywhere
    key = job_key(client.url, plan, seed_in_key=seed_in_key)
    store = cache and deterministic
    if store:
        hit = journal.cached(key)
        if hit is not None and labels_in(hit[1], spec.labels):
            entry, results = hit
            log.info("Qoro job %s served from the journal %s", entry.job_id, journal.path)
            return JournaledResult(
                job_id=str(entry.job_id), results={label: results[label] for label in spec.labels},
                run_time=float(entry.run_time or 0.0), requests=0, origin="cache",
            )
    for twin in journal.reattachable(key, deterministic=deterministic):
        result = _reattach(client, spec, journal, twin, timeout=timeout, store=store)
        if result is not None:
            return result
    return _submit(client, spec, plan, key, journal, timeout=timeout, store=store)


def _reattach(client: QoroClient, spec: JobSpec, journal: Journal, twin: JournalEntry, *,
              timeout: float | None, store: bool) -> JournaledResult | None:
    """Wait for and fetch a journaled job, or ``None`` if the service cannot give it."""
    before = client.stats.requests
    job_id = str(twin.job_id)
    try:
        status = client.status(job_id)["status"]
    except NotFoundError:  # deleted, or another account's / another database's job
        journal.update(twin.row, state="failed")
        return None
    except AuthenticationError:  # another account's job (403), or a bad key: submitting says
        return None
    if status not in REUSABLE or (twin.state == "uploading" and status == "PENDING"):
        if status not in REUSABLE:
            journal.update(twin.row, state="cancelled" if status == "CANCELLED" else "failed")
        return None
    log.info("reattaching to Qoro job %s (%s), journaled by an earlier run", job_id, status)
    journal.update(twin.row, state="submitted")
    with journal.waiting(twin.row):
        result = _finish(client, spec, journal, twin.row, job_id, None, timeout=timeout,
                         before=before, store=store)
    return _journaled(result, "reattached")


def _submit(client: QoroClient, spec: JobSpec, plan: UploadPlan, key: str, journal: Journal,
            *, timeout: float | None, store: bool) -> JournaledResult:
    before = client.stats.requests
    row = journal.record(key, client.url, spec, plan)
    with journal.waiting(row):
        try:
            job_id, answer = client._submit(
                spec, timeout=timeout, plan=plan,
                on_created=lambda job_id: journal.update(row, job_id=job_id, state="uploading"),
            )
        except BaseException:
            journal.update(row, state="failed")  # the client discarded a half-uploaded job
            raise
        journal.update(row, state="submitted")
        result = _finish(client, spec, journal, row, job_id, answer, timeout=timeout,
                         before=before, store=store)
    return _journaled(result, "submitted")


def _finish(client: QoroClient, spec: JobSpec, journal: Journal, row: int, job_id: str,
            answer: Any, *, timeout: float | None, before: int, store: bool) -> JobResult:
    """Wait and fetch; the row records how it ended. Other errors (the service unreachable
    while waiting, a malformed page) leave it ``submitted``: a later run may reattach."""
    try:
        result = client._finish(job_id, spec, answer, timeout=timeout, before=before)
    except DeadlineExceededError as exc:
        if exc.cancelled:
            journal.update(row, state="cancelled")
        raise
    except JobError as exc:
        journal.update(row, state="cancelled" if isinstance(exc, JobCancelledError) else "failed")
        raise
    journal.update(row, state="fetched", run_time=result.run_time,
                   results=result.results if store else None)
    return result


def _journaled(result: JobResult, origin: str) -> JournaledResult:
    return JournaledResult(job_id=result.job_id, results=result.results,
                           run_time=result.run_time, requests=result.requests, origin=origin)
