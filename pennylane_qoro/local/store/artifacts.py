"""What a job holds besides its row: templates, circuits with their results, named blobs.

Owns the ``templates``, ``circuits`` and ``artifacts`` tables: inserting a chunk's templates
and circuits (naming the label that breaks uniqueness), writing results, reading pages of
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
    "count",
    "delete_job_rows",
    "get_artifact",
    "insert_chunk",
    "pending",
    "results_page",
    "set_artifact",
    "templates",
    "unrun",
    "write_results",
]


def insert_chunk(db: sqlite3.Connection, job_id: str, *, circuits: Sequence[CircuitRow],
                 templates: Sequence[tuple[str, tuple[str, ...]]], before: int) -> None:
    """Insert one chunk's templates and circuits after the job's ``before`` circuits.

    Template rows carry an index local to ``templates``; it is rebased here to the job's
    numbering.

    Raises:
        Invalid: a label repeats (within the chunk, or against an earlier chunk).
    """
    (t_base,) = db.execute(
        "SELECT COUNT(*) FROM templates WHERE job_id = ?", (job_id,)
    ).fetchone()
    db.executemany(
        "INSERT INTO templates (job_id, idx, qasm, names) VALUES (?, ?, ?, ?)",
        [(job_id, t_base + i, text, json.dumps(names)) for i, (text, names)
         in enumerate(templates)],
    )
    try:
        db.executemany(
            "INSERT INTO circuits (job_id, idx, label, qasm, template, params, shots, "
            "n_qubits, n_clbits, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (job_id, before + i, c.label, c.qasm,
                 None if c.template is None else t_base + c.template,
                 None if c.params is None else json.dumps(c.params), c.shots,
                 c.n_qubits, c.n_clbits, c.cost)
                for i, c in enumerate(circuits)
            ],
        )
    except sqlite3.IntegrityError:
        dup = _duplicate_label(db, job_id, circuits, before=before)
        raise Invalid(f"duplicate circuit label {dup!r} in this job") from None


def _duplicate_label(db: sqlite3.Connection, job_id: str, circuits: Sequence[CircuitRow],
                     *, before: int) -> str:
    """Name the label that broke uniqueness (within the chunk, or against earlier ones)."""
    seen: set[str] = set()
    for c in circuits:
        if c.label in seen:
            return c.label
        seen.add(c.label)
    for c in circuits:
        # rows of this chunk inserted before the failure are still in the transaction:
        # only a label stored by an earlier chunk (idx < before) is the duplicate
        if db.execute(
            "SELECT 1 FROM circuits WHERE job_id = ? AND label = ? AND idx < ?",
            (job_id, c.label, before),
        ).fetchone():
            return c.label
    return "?"


def count(db: sqlite3.Connection, job_id: str) -> int:
    """How many circuits the job holds."""
    (n,) = db.execute("SELECT COUNT(*) FROM circuits WHERE job_id = ?", (job_id,)).fetchone()
    return n


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


def pending(db: sqlite3.Connection, job_id: str) -> list[PendingCircuit]:
    """The job's circuits without a result, in submission order."""
    return [
        (idx, label, qasm, template,
         None if params is None else tuple(json.loads(params)), shots, nq, nc)
        for idx, label, qasm, template, params, shots, nq, nc in db.execute(
            "SELECT idx, label, qasm, template, params, shots, n_qubits, n_clbits "
            "FROM circuits WHERE job_id = ? AND result IS NULL ORDER BY idx",
            (job_id,),
        )
    ]


def delete_job_rows(db: sqlite3.Connection, job_id: str) -> None:
    """Delete the job's circuits, templates and named blobs."""
    for table in ("circuits", "templates", "artifacts"):
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
