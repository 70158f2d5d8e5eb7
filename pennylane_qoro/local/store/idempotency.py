"""``Idempotency-Key`` records: the answer a keyed POST got, replayed to its re-sends.

Owns the ``idempotency`` table (qoro-api.md §8 item 10): per owner and key, a fingerprint of
the request and the response it got. The key is looked up (:func:`recall`) and recorded
(:func:`record`) in the SAME transaction as the job creation or chunk append it guards, so a
re-sent request -- even one racing the original -- is answered from the record and never
applied twice. Records older than a time-to-live are purged at start-up (:func:`purge`).

Every function takes the open connection; the caller (:class:`~.facade.Store`) holds the lock
and the transaction. Imports only the standard library and ``store.records``/``errors``.
"""

from __future__ import annotations

import sqlite3

from .errors import KeyReused, Replayed
from .records import Job, Remember, ago, now

__all__ = ["IDEMPOTENCY_TTL_SECONDS", "purge", "recall", "record"]

IDEMPOTENCY_TTL_SECONDS = 24 * 3600
"""Default age after which records are purged at start-up (clients re-send within seconds)."""


def recall(db: sqlite3.Connection, remember: Remember) -> None:
    """Return quietly if the key is new; otherwise raise with the record.

    Raises:
        Replayed: the same request was applied before; carries its response.
        KeyReused: the key was used for a different request.
    """
    row = db.execute(
        "SELECT fingerprint, status, body FROM idempotency WHERE owner = ? AND key = ?",
        (remember.owner, remember.key),
    ).fetchone()
    if row is None:
        return
    if row[0] != remember.fingerprint:
        raise KeyReused(
            "Idempotency-Key was already used for a different request; use a new key"
        )
    raise Replayed(row[1], row[2])


def record(db: sqlite3.Connection, remember: Remember, job: Job) -> None:
    """Record the answer ``remember.respond`` builds from the job as this request leaves it."""
    status, body = remember.respond(job)
    db.execute(
        "INSERT INTO idempotency (owner, key, fingerprint, status, body, job_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (remember.owner, remember.key, remember.fingerprint, status, body, job.id, now()),
    )


def purge(db: sqlite3.Connection, *, older_than: float) -> None:
    """Delete records created more than ``older_than`` seconds ago."""
    db.execute("DELETE FROM idempotency WHERE created_at < ?", (ago(older_than),))
