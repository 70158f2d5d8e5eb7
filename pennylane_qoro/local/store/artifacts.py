"""What a job holds besides its row: templates, circuits with their results, named blobs.

Owns the ``templates``, ``circuits`` and ``artifacts`` tables: inserting a chunk's templates
and its circuits in batches (naming the label that breaks uniqueness; ``store/uploads.py``
drives the batches and deletes the rows of a refused chunk), writing results, reading pages of
results, the circuits a claimed job still has to run, the cost of unrun circuits (for refunds),
and named text blobs for routes outside the circuit flow (e.g. characterization results).

Every function takes the open connection; the caller (:class:`~.facade.Store`) holds the lock
and the transaction. Imports only the standard library and ``store.records``/``errors``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from .errors import Invalid
from .records import CircuitRow, PendingCircuit

__all__ = [
    "circuit_params",
    "delete_job_rows",
    "drop_range",
    "drop_unpublished",
    "get_artifact",
    "insert_circuits",
    "insert_templates",
    "pending",
    "repeated_label",
    "results_page",
    "set_artifact",
    "template_count",
    "templates",
    "unrun",
    "write_results",
]

_NO_END = 2**63 - 1  # the largest index SQLite stores


def insert_templates(db: sqlite3.Connection, job_id: str,
                     templates: Sequence[tuple[str, tuple[str, ...]]], *, first: int) -> None:
    """Insert a chunk's templates, numbered from ``first`` (the job's template count)."""
    db.executemany(
        "INSERT INTO templates (job_id, idx, qasm, names) VALUES (?, ?, ?, ?)",
        [(job_id, first + i, text, json.dumps(names)) for i, (text, names)
         in enumerate(templates)],
    )


def template_count(db: sqlite3.Connection, job_id: str) -> int:
    """How many templates the job holds (the first index of the next chunk's)."""
    (n,) = db.execute("SELECT COUNT(*) FROM templates WHERE job_id = ?", (job_id,)).fetchone()
    return n


def circuit_params(job_id: str, circuits: Sequence[CircuitRow], *, first: int,
                   t_base: int) -> list[tuple]:
    """The ``circuits`` rows of a batch, at indices from ``first``; template indices local
    to the chunk are rebased by ``t_base``. Built before the store's lock is taken."""
    return [
        (job_id, first + i, c.label, c.qasm, None if c.template is None else t_base + c.template,
         None if c.params is None else json.dumps(c.params), c.shots, c.n_qubits, c.n_clbits,
         c.cost)
        for i, c in enumerate(circuits)
    ]


def insert_circuits(db: sqlite3.Connection, job_id: str, params: Sequence[tuple], *,
                    before: int) -> None:
    """Insert a batch built by :func:`circuit_params`.

    Raises:
        Invalid: a label of the batch is already stored by an earlier chunk (labels
            repeated within a chunk are refused before any row is written).
    """
    try:
        db.executemany(
            "INSERT INTO circuits (job_id, idx, label, qasm, template, params, shots, "
            "n_qubits, n_clbits, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            params,
        )
    except sqlite3.IntegrityError:
        dup = _stored_label(db, job_id, [p[2] for p in params], before=before)
        raise Invalid(f"duplicate circuit label {dup!r} in this job") from None


def repeated_label(circuits: Sequence[CircuitRow]) -> str | None:
    """The first label that repeats within a chunk, or ``None``."""
    seen: set[str] = set()
    for c in circuits:
        if c.label in seen:
            return c.label
        seen.add(c.label)
    return None


def _stored_label(db: sqlite3.Connection, job_id: str, labels: Sequence[str], *,
                  before: int) -> str:
    """Name the label that broke uniqueness against an earlier chunk (idx < before: rows of
    this chunk staged by earlier batches do not count)."""
    for label in labels:
        if db.execute(
            "SELECT 1 FROM circuits WHERE job_id = ? AND label = ? AND idx < ?",
            (job_id, label, before),
        ).fetchone():
            return label
    return "?"


def drop_range(db: sqlite3.Connection, job_id: str, start: int, end: int) -> None:
    """Delete the job's circuits with ``start <= idx < end`` (staged rows of a chunk that
    was refused after its rows were written)."""
    db.execute("DELETE FROM circuits WHERE job_id = ? AND idx >= ? AND idx < ?",
               (job_id, start, end))


def drop_unpublished(db: sqlite3.Connection) -> None:
    """Delete staged rows a stopped process left behind: circuits of unfinalized jobs at
    indices past the job's published count (start-up only; an index range per job)."""
    db.execute(
        "DELETE FROM circuits WHERE job_id IN (SELECT id FROM jobs WHERE finalized = 0) "
        "AND idx >= (SELECT n_circuits FROM jobs WHERE jobs.id = circuits.job_id)"
    )


def unrun(db: sqlite3.Connection, job_id: str) -> tuple[int, int]:
    """``(count, summed cost)`` of the job's circuits that have no result."""
    n, amount = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(cost), 0) FROM circuits "
        "WHERE job_id = ? AND result IS NULL",
        (job_id,),
    ).fetchone()
    return n, amount


def write_results(db: sqlite3.Connection, job_id: str,
                  results: Sequence[tuple[int, str]]) -> None:
    """Store ``(circuit index, result JSON)`` pairs."""
    db.executemany(
        "UPDATE circuits SET result = ? WHERE job_id = ? AND idx = ?",
        [(text, job_id, idx) for idx, text in results],
    )


def results_page(db: sqlite3.Connection, job_id: str, *, offset: int,
                 limit: int) -> list[tuple[str, str | None]]:
    """One page of ``(label, result JSON)`` rows in submission order."""
    return db.execute(
        "SELECT label, result FROM circuits WHERE job_id = ? AND idx >= ? "
        "ORDER BY idx LIMIT ?",
        (job_id, offset, limit),
    ).fetchall()


def templates(db: sqlite3.Connection, job_id: str) -> dict[int, tuple[str, tuple[str, ...]]]:
    """The job's templates: index -> (text, parameter names)."""
    return {
        idx: (text, tuple(json.loads(names)))
        for idx, text, names in db.execute(
            "SELECT idx, qasm, names FROM templates WHERE job_id = ?", (job_id,)
        )
    }


def pending(db: sqlite3.Connection, job_id: str, *, start: int = 0,
            end: int | None = None) -> list[PendingCircuit]:
    """The job's circuits without a result, in submission order (``start <= idx < end``)."""
    return [
        (idx, label, qasm, template,
         None if params is None else tuple(json.loads(params)), shots, nq, nc)
        for idx, label, qasm, template, params, shots, nq, nc in db.execute(
            "SELECT idx, label, qasm, template, params, shots, n_qubits, n_clbits "
            "FROM circuits WHERE job_id = ? AND idx >= ? AND idx < ? AND result IS NULL "
            "ORDER BY idx",
            (job_id, start, _NO_END if end is None else end),
        )
    ]


def delete_job_rows(db: sqlite3.Connection, job_id: str, *, circuits: bool = True) -> None:
    """Delete the job's templates, named blobs and (``circuits``) circuits."""
    for table in ("circuits", "templates", "artifacts") if circuits else ("templates",
                                                                           "artifacts"):
        db.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))


def set_artifact(db: sqlite3.Connection, job_id: str, name: str, value: str) -> None:
    """Store (or replace) a named text blob for a job."""
    db.execute(
        "INSERT INTO artifacts (job_id, name, value) VALUES (?, ?, ?) "
        "ON CONFLICT (job_id, name) DO UPDATE SET value = excluded.value",
        (job_id, name, value),
    )


def get_artifact(db: sqlite3.Connection, job_id: str, name: str) -> str | None:
    """A named text blob of a job, or ``None``."""
    row = db.execute(
        "SELECT value FROM artifacts WHERE job_id = ? AND name = ?", (job_id, name)
    ).fetchone()
    return None if row is None else row[0]
