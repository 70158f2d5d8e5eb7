"""Job rows: creation under the per-owner limit, ownership, uploads, options, cancel, delete.

Owns the ``jobs`` table's life before and beside execution: inserting a job (refused with
:class:`RateLimited` while the owner already has ``max_active`` jobs PENDING or RUNNING;
uploads idle for ``idle_seconds`` do not count, so one token's flood cannot fill the worker
queue), reading a job only for its owner (another owner's job is :class:`NotFound`, on
purpose), the rules of finalizing an upload (the job's cost is debited once, or the job is
FAILED for credits; the chunk steps themselves are ``store/uploads.py``), replacing a
PENDING job's options, cancelling, deleting, and status moves for routes outside the circuit
flow. Execution (claim, results, recovery) is ``store/queue.py``.

Every function takes the open connection; the caller (:class:`~.facade.Store`) holds the lock
and the transaction. Imports the standard library, ``protocol.vocabulary`` and ``store``
modules only.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ...protocol.vocabulary import LOCAL_ACTIVE_STATUSES
from .artifacts import delete_job_rows
from .errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from .ledger import balance, format_amount, move_credits, refund_unrun
from .records import JOB_COLUMNS, Job, ago, dumps, job_from_row, now

__all__ = [
    "IDLE_UPLOAD_SECONDS",
    "cancel",
    "check_finalizable",
    "delete",
    "enforce_active_limit",
    "fail_for_credits",
    "finalize",
    "ids",
    "insert",
    "owned",
    "reap_uploads",
    "select",
    "set_options",
    "set_status",
    "status",
    "unaffordable",
]

IDLE_UPLOAD_SECONDS = 600
"""Default: an unfinalized upload untouched this long no longer counts against the limit."""
_ACTIVE_SQL = ", ".join(f"'{s}'" for s in LOCAL_ACTIVE_STATUSES)  # constants, not user input


def select(db: sqlite3.Connection, job_id: str) -> Job | None:
    """The job row, whoever owns it, or ``None``."""
    row = db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
    return None if row is None else job_from_row(row)


def owned(db: sqlite3.Connection, job_id: str, owner: str) -> Job:
    """The job row if it belongs to ``owner``.

    Raises:
        NotFound: no such job, or another owner's (indistinguishable on purpose).
    """
    job = select(db, job_id)
    if job is None or job.owner != owner:
        raise NotFound(job_id)
    return job


def insert(db: sqlite3.Connection, *, job_id: str, owner: str, job_type: str, tag: str | None,
           target: str | None, status: str, execution_configuration: dict | None,
           maestro_config: dict | None, device_config: dict | None, options: dict | None,
           error: str | None) -> None:
    """Insert a new job row."""
    stamp = now()
    db.execute(
        "INSERT INTO jobs (id, owner, job_type, tag, target, status, "
        "execution_configuration, maestro_config, device_config, options, error, "
        "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (job_id, owner, job_type, tag, target, status, dumps(execution_configuration),
         dumps(maestro_config), dumps(device_config), dumps(options or {}), error,
         stamp, stamp),
    )


def enforce_active_limit(db: sqlite3.Connection, owner: str, *, max_active: int,
                         retry_after: int, idle_seconds: float) -> None:
    """Refuse a new job while the owner has ``max_active`` active jobs.

    Raises:
        RateLimited: the owner is at the limit; carries ``retry_after`` seconds.
    """
    (active,) = db.execute(
        f"SELECT COUNT(*) FROM jobs WHERE owner = ? AND status IN ({_ACTIVE_SQL}) "
        "AND (finalized = 1 OR updated_at > ?)",
        (owner, ago(idle_seconds)),
    ).fetchone()
    if active >= max_active:
        raise RateLimited(
            f"Too many active jobs: {active} PENDING or RUNNING (limit "
            f"{max_active}); wait for some to finish",
            retry_after,
        )


def reap_uploads(db: sqlite3.Connection, *, idle_seconds: float) -> list[str]:
    """FAIL every PENDING job whose upload was not finalized and is idle ``idle_seconds``.

    Nothing was debited before finalizing, so nothing is refunded. Returns the failed ids.
    """
    stale = [job_id for (job_id,) in db.execute(
        "SELECT id FROM jobs WHERE status = 'PENDING' AND finalized = 0 AND updated_at <= ?",
        (ago(idle_seconds),),
    )]
    message = (f"the upload was never finalized: nothing arrived for {idle_seconds:g} s (the "
               "client stopped or lost its connection); submit the job again")
    stamp = now()
    for job_id in stale:
        db.execute(
            "UPDATE jobs SET status = 'FAILED', error = ?, updated_at = ? WHERE id = ?",
            (message, stamp, job_id),
        )
    return stale


def ids(db: sqlite3.Connection, owner: str) -> list[str]:
    """Every job id of an owner, oldest first."""
    return [
        job_id for (job_id,) in db.execute(
            "SELECT id FROM jobs WHERE owner = ? ORDER BY created_at, id", (owner,)
        )
    ]


def status(db: sqlite3.Connection, job_id: str, owner: str) -> tuple[str, float, str | None]:
    """``(status, run_time, error)`` of an owner's job.

    Raises:
        NotFound: no such job for this owner.
    """
    row = db.execute(
        "SELECT status, run_time, error FROM jobs WHERE id = ? AND owner = ?",
        (job_id, owner),
    ).fetchone()
    if row is None:
        raise NotFound(job_id)
    return row


def progress(db: sqlite3.Connection, job_id: str) -> tuple[int, int]:
    """``(circuits with a stored result, circuits)`` of a job (``(0, 0)`` if there is none)."""
    row = db.execute(
        "SELECT count(result), count(*) FROM circuits WHERE job_id = ?", (job_id,)
    ).fetchone()
    return int(row[0]), int(row[1])


def check_finalizable(total: int, ham_map: list[list[int]] | None) -> None:
    """Refuse to finalize an empty job or one whose ``circuit_ham_map`` reaches past it.

    Raises:
        Invalid: naming the problem.
    """
    if total == 0:
        raise Invalid("cannot finalize a job without circuits")
    for start, end in ham_map or ():
        if end > total:
            raise Invalid(
                f"circuit_ham_map range [{start}, {end}) is outside the job's "
                f"{total} circuits"
            )


def unaffordable(db: sqlite3.Connection, owner: str, cost: int) -> str | None:
    """The insufficient-credits message when ``cost`` exceeds the owner's balance, else None."""
    funds = balance(db, owner)
    if cost <= funds:
        return None
    return (f"insufficient credits: the job costs {format_amount(cost)} credits and "
            f"the balance is {format_amount(funds)}")


def fail_for_credits(db: sqlite3.Connection, job_id: str, message: str, *,
                     finalize: bool) -> None:
    """FAIL a job that cannot be paid for (the 402 of ``add_circuits``); nothing is debited."""
    db.execute(
        "UPDATE jobs SET finalized = MAX(finalized, ?), status = 'FAILED', error = ?, "
        "updated_at = ? WHERE id = ?",
        (int(finalize), message, now(), job_id),
    )


def finalize(db: sqlite3.Connection, job: Job, total: int, cost: int,
             ham_map: list[list[int]] | None) -> str | None:
    """Close the upload, debit the job's cost; returns a failure message or ``None``.

    The balance is read again here, in the publishing transaction: another job of the same
    owner may have been paid for since the chunk was checked.
    """
    check_finalizable(total, ham_map)
    message = unaffordable(db, job.owner, cost)
    if message is not None:
        fail_for_credits(db, job.id, message, finalize=True)
        return message
    if cost:
        move_credits(db, job.owner, -cost, kind="USAGE",
                     description=f"{job.job_type} job, {total} circuits", job_id=job.id)
    db.execute("UPDATE jobs SET finalized = 1, updated_at = ? WHERE id = ?", (now(), job.id))
    return None


def set_options(db: sqlite3.Connection, job_id: str, owner: str, *, options: dict[str, Any],
                execution_configuration: dict | None, maestro_config: dict | None) -> Job:
    """Replace a PENDING job's simulator options (see :meth:`Store.set_options`)."""
    job = owned(db, job_id, owner)
    if job.status != "PENDING":
        raise Conflict("Job is not in PENDING status")
    db.execute(
        "UPDATE jobs SET options = ?, execution_configuration = ?, maestro_config = ?, "
        "updated_at = ? WHERE id = ?",
        (dumps(options), dumps(execution_configuration), dumps(maestro_config), now(),
         job_id),
    )
    return owned(db, job_id, owner)


def cancel(db: sqlite3.Connection, job_id: str, owner: str) -> int:
    """Cancel an active job (see :meth:`Store.cancel`); returns how many circuits won't run."""
    row = db.execute(
        "SELECT owner, status, finalized, n_circuits FROM jobs WHERE id = ?", (job_id,)
    ).fetchone()
    if row is None:
        raise NotFound(job_id)
    if row[0] != owner:
        raise Forbidden(job_id)
    if row[1] not in LOCAL_ACTIVE_STATUSES:
        raise Conflict("Can only cancel a PENDING or RUNNING job")
    db.execute(
        "UPDATE jobs SET status = 'CANCELLED', error = ?, updated_at = ? WHERE id = ?",
        ("cancelled by the user", now(), job_id),
    )
    if row[2]:
        return refund_unrun(db, job_id, owner, "job cancelled")
    return row[3]  # the published circuits (rows of a chunk still staging do not count)


def delete(db: sqlite3.Connection, job_id: str, owner: str) -> Job:
    """Delete a job and what it holds but its circuits (see :meth:`Store.delete`, which
    deletes those in batches); returns the job as it was."""
    job = owned(db, job_id, owner)
    if job.status in LOCAL_ACTIVE_STATUSES and job.finalized:
        refund_unrun(db, job_id, owner, "job deleted")
    delete_job_rows(db, job_id, circuits=False)
    db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
    return job


def set_status(db: sqlite3.Connection, job_id: str, *, status: str, expect: Sequence[str],
               error: str | None = None, run_time: float | None = None) -> bool:
    """Move a job to ``status`` if it is in one of ``expect``; whether it moved."""
    placeholders = ", ".join("?" for _ in expect)
    cur = db.execute(
        f"UPDATE jobs SET status = ?, error = ?, run_time = COALESCE(?, run_time), "
        f"updated_at = ? WHERE id = ? AND status IN ({placeholders})",
        (status, error, run_time, now(), job_id, *expect),
    )
    return cur.rowcount == 1
