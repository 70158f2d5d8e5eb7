"""The runner's side of the store: claiming jobs, storing results, recovery after a restart.

Owns the execution states of a job: a finalized PENDING job is claimed (RUNNING, one more
attempt) with the circuits it still has to run; results are stored in batches while it stays
RUNNING; it ends COMPLETED, or FAILED with its unrun circuits refunded. At start-up
:func:`recover` puts every RUNNING job (interrupted by the previous process) back to PENDING,
so it resumes where it stopped, unless it was already started ``max_attempts`` times: a circuit
that crashes the process must not crash it forever.

Every function takes the open connection; the caller (:class:`~.facade.Store`) holds the lock
and the transaction. Imports only the standard library and ``store`` modules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .artifacts import templates, write_results
from .jobs import select
from .ledger import refund_unrun
from .records import Job, now

__all__ = ["MAX_ATTEMPTS", "finish", "recover", "save_results", "start"]

MAX_ATTEMPTS = 3
"""Default: a job interrupted by this many restarts is failed instead of resumed again."""


def start(db: sqlite3.Connection,
          job_id: str) -> tuple[Job, dict[int, tuple[str, tuple[str, ...]]]] | None:
    """Move a finalized PENDING job to RUNNING (one more attempt); the job and its templates,
    or ``None`` when it is not runnable. Its circuits are read afterwards, a range at a time
    (:meth:`Store.claim`), so a huge job does not hold the store's lock while they load."""
    job = select(db, job_id)
    if job is None or job.status != "PENDING" or not job.finalized:
        return None
    db.execute(
        "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, updated_at = ? "
        "WHERE id = ?",
        (now(), job_id),
    )
    job = select(db, job_id)
    assert job is not None  # claimed in this transaction
    return job, templates(db, job_id)


def _running_owner(db: sqlite3.Connection, job_id: str) -> str | None:
    """The owner of a RUNNING job, or ``None`` if the job is gone or not RUNNING."""
    row = db.execute("SELECT status, owner FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return None if row is None or row[0] != "RUNNING" else row[1]


def save_results(db: sqlite3.Connection, job_id: str, results: Sequence[tuple[int, str]],
                 run_time: float) -> bool:
    """Store a batch of a RUNNING job's results; ``False`` (nothing written) otherwise."""
    if _running_owner(db, job_id) is None:
        return False
    write_results(db, job_id, results)
    db.execute(
        "UPDATE jobs SET run_time = run_time + ?, updated_at = ? WHERE id = ?",
        (run_time, now(), job_id),
    )
    return True


def finish(db: sqlite3.Connection, job_id: str, *, results: Sequence[tuple[int, str]],
           run_time: float, error: str | None) -> bool:
    """Store the last results and end a RUNNING job (see :meth:`Store.finish`)."""
    owner = _running_owner(db, job_id)
    if owner is None:
        return False
    write_results(db, job_id, results)
    status = "COMPLETED" if error is None else "FAILED"
    db.execute(
        "UPDATE jobs SET status = ?, error = ?, run_time = run_time + ?, "
        "updated_at = ? WHERE id = ?",
        (status, error, run_time, now(), job_id),
    )
    if error is not None:
        refund_unrun(db, job_id, owner, "job failed")
    return True


def recover(db: sqlite3.Connection, *, max_attempts: int) -> list[str]:
    """Re-queue interrupted jobs, fail those interrupted too often (see :meth:`Store.recover`).

    Returns:
        list[str]: ids of finalized PENDING jobs to queue, oldest first.
    """
    stamp = now()
    stuck = db.execute(
        "SELECT id, owner, attempts FROM jobs WHERE status = 'RUNNING'"
    ).fetchall()
    for job_id, owner, attempts in stuck:
        if attempts >= max_attempts:
            db.execute(
                "UPDATE jobs SET status = 'FAILED', error = ?, updated_at = ? WHERE id = ?",
                (f"the service stopped while running this job {attempts} times; "
                 "it was not restarted again", stamp, job_id),
            )
            refund_unrun(db, job_id, owner, "job failed")
        else:
            db.execute(
                "UPDATE jobs SET status = 'PENDING', updated_at = ? WHERE id = ?",
                (stamp, job_id),
            )
    return [
        job_id for (job_id,) in db.execute(
            "SELECT id FROM jobs WHERE status = 'PENDING' AND finalized = 1 "
            "ORDER BY created_at, id"
        )
    ]
