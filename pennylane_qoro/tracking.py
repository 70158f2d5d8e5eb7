"""What the device tells ``qml.Tracker`` about one batch (style.md rule 11).

:func:`batch_record` builds the keyword arguments of one ``tracker.update`` call: the batch
keys follow PennyLane's simulators (``batches``/``executions`` for ``execute``,
``derivative_batches``/``derivatives`` for ``compute_derivatives``,
``execute_and_derivative_batches``/``executions``/``derivatives`` for both at once), plus the
Qoro keys (``jobs``, ``circuits``, ``qoro_job_ids``, ``qoro_failed_job_id``, ``plan_notes``,
``batch_len``, and, from the job journal, ``reattached`` and ``cache_hits``). The device
calls it in a ``finally``, so a failed batch is recorded too.

Pure: imports nothing from the client, the service or PennyLane.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["MODES", "batch_record"]


class _RanJob(Protocol):
    n_circuits: int
    total_shots: int


#: Per batch mode, the batch counter and the per-tape counters.
_BATCH_KEYS = {
    "execute": {"batches": 1},
    "derivatives": {"derivative_batches": 1},
    "execute_and_derivatives": {"execute_and_derivative_batches": 1},
}
_TAPE_KEYS = {
    "execute": ("executions",),
    "derivatives": ("derivatives",),
    "execute_and_derivatives": ("executions", "derivatives"),
}

#: The batch modes of the device: ``execute``, ``compute_derivatives`` and both at once.
MODES = tuple(_BATCH_KEYS)


def batch_record(
    mode: str,
    circuits: Sequence[Any],
    ran: Sequence[_RanJob],
    job_ids: Sequence[str],
    failed: str | None,
    results: Any,
    notes: Sequence[str],
    *,
    origins: Sequence[str] = (),
) -> dict[str, Any]:
    """The ``tracker.update`` keywords for one batch.

    Args:
        mode (str): one of :data:`MODES`.
        circuits (Sequence[QuantumScript]): the batch's tapes.
        ran (Sequence[JobPlan]): the jobs that completed.
        job_ids (Sequence[str]): their ids, in order.
        failed (str | None): the id of a job that was submitted and failed.
        results: the batch's results (``None`` if none were assembled).
        notes (Sequence[str]): the plan's notes (why a batch needed more than one job).
        origins (Sequence[str]): per ran job, where its results came from (``"submitted"``,
            ``"reattached"`` to a journaled job an earlier run never saw finish, or
            ``"cache"``: the journal, no request). ``jobs``, ``circuits`` and ``shots`` count
            every job the batch used; ``reattached`` and ``cache_hits`` say how many of them
            were not submitted (so not paid) by this batch.

    Returns:
        dict: the keywords; ``shots``, ``qoro_failed_job_id``, ``plan_notes``,
        ``reattached``, ``cache_hits``, ``results`` and ``resources`` only when they apply.

    >>> batch_record("execute", ["tape"], [], [], None, None, [])
    {'batches': 1, 'executions': 1, 'jobs': 0, 'circuits': 0, 'qoro_job_ids': [], 'batch_len': 1}
    """
    info: dict[str, Any] = dict(_BATCH_KEYS[mode])
    for key in _TAPE_KEYS[mode]:
        info[key] = len(circuits)
    info |= {
        "jobs": len(job_ids) + bool(failed),  # submitted, including one that failed
        "circuits": sum(j.n_circuits for j in ran),
        "qoro_job_ids": list(job_ids),
    }
    shots = sum(j.total_shots for j in ran)
    if shots:
        info["shots"] = shots
    if failed:
        info["qoro_failed_job_id"] = failed
    for key, origin in (("reattached", "reattached"), ("cache_hits", "cache")):
        count = sum(o == origin for o in origins)
        if count:
            info[key] = count
    if notes:
        info["plan_notes"] = list(notes)
    info["batch_len"] = len(circuits)
    if results is not None:
        info["results"] = results
        info["resources"] = [c.specs["resources"] for c in circuits]
    return info
