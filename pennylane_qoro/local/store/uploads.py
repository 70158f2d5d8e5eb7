"""Appending an ``add_circuits`` chunk without holding the store's lock for the whole insert.

One token's 700 000-row chunk takes seconds to insert; under the store's one lock every other
request (every token's ``status/`` poll) would wait that long. So :class:`Uploads` appends a
chunk in three steps, each its own short transaction:

1. **check**: everything that can refuse the chunk is decided before any row is written --
   the job's state, the envelope against earlier chunks, the finalize rules, labels repeated
   within the chunk, and the credits: a chunk that takes the job's cost past the owner's
   balance FAILS the job (402) and nothing is stored;
2. **stage**: the circuits are inserted in batches of ``batch`` rows, one transaction each, at
   indices at or past the job's published count (``jobs.n_circuits``). No reader looks there:
   results, claims and refunds only concern finalized jobs, cancel counts published rows. The
   rows of a batch are built before the lock is taken, so the lock is held for the insert only
   and other requests get it between batches;
3. **publish**: the job is read again (still PENDING, unfinalized, same count, else 409 / 404),
   the templates are inserted, the count and cost updated, and a finalizing chunk debits the
   job (the balance read again, atomically) -- with the ``Idempotency-Key`` record, in one
   transaction.

A refusal in step 2 (a label stored by an earlier chunk) or 3 (the job was cancelled, deleted
or reaped meanwhile) deletes the staged rows, in batches. One chunk per job is appended at a
time (a per-job slot: a second chunk of the same job waits, and a re-sent copy then gets the
recorded answer); other jobs never wait on it. Rows a stopped process left staged are deleted
by :meth:`Store.recover` (``artifacts.drop_unpublished``).

Imports only the standard library and ``store`` modules.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

import pennylane_qoro.local.store.idempotency as idempotency

from .artifacts import (
    circuit_params,
    drop_range,
    insert_circuits,
    insert_templates,
    repeated_label,
    template_count,
)
from .errors import Conflict, InsufficientCredits, Invalid
from .jobs import check_finalizable, fail_for_credits, finalize, owned, unaffordable
from .records import CircuitRow, Job, Remember, dumps, now

__all__ = ["UPLOAD_BATCH", "ChunkRows", "Uploads"]

UPLOAD_BATCH = 1000
"""Default rows inserted per transaction (a few milliseconds of holding the store's lock)."""

Transaction = Callable[[], AbstractContextManager[sqlite3.Connection]]


@dataclass(frozen=True)
class ChunkRows:
    """One ``add_circuits`` chunk as the store receives it (see :meth:`Store.append_chunk`)."""

    circuits: Sequence[CircuitRow]
    templates: Sequence[tuple[str, tuple[str, ...]]]
    observables: list[list[str]] | None
    circuit_ham_map: list[list[int]] | None
    max_qubits: int
    finalize: bool


class Uploads:
    """The three-step chunk append (module docstring) over the store's transactions.

    Args:
        tx (Callable[[], AbstractContextManager[sqlite3.Connection]]): the store's write
            transaction (takes its lock).
        batch (int): rows per staging transaction.
    """

    def __init__(self, tx: Transaction, *, batch: int = UPLOAD_BATCH):
        if batch < 1:
            raise ValueError(f"batch must be at least 1, got {batch}")
        self._tx = tx
        self.batch = batch
        self._free = threading.Condition()
        self._busy: set[str] = set()

    def append(self, job_id: str, owner: str, chunk: ChunkRows,
               remember: Remember | None) -> Job:
        """Check, stage and publish ``chunk``; raises what :meth:`Store.append_chunk` lists."""
        # Linear in the chunk's rows: computed before the store's lock is taken.
        dup = repeated_label(chunk.circuits)
        if dup is not None:
            raise Invalid(f"duplicate circuit label {dup!r} in this job")
        cost = sum(c.cost for c in chunk.circuits)
        with self._slot(job_id):
            with self._tx() as db:
                if remember is not None:
                    idempotency.recall(db, remember)
                before, t_base, failed = _check(db, job_id, owner, chunk, cost)
                if failed is not None and remember is not None:
                    idempotency.record(db, remember, owned(db, job_id, owner))
            if failed is not None:
                raise InsufficientCredits(failed)
            end = before + len(chunk.circuits)
            try:
                self._stage(job_id, chunk.circuits, before=before, t_base=t_base)
                with self._tx() as db:
                    job, failed = _publish(db, job_id, owner, chunk, cost, before=before,
                                           t_base=t_base)
                    if remember is not None:
                        idempotency.record(db, remember, job)
            except BaseException:
                self.drop(job_id, before, end)
                raise
        if failed is not None:
            raise InsufficientCredits(failed)
        return job

    def submit(self, job_id: str, owner: str, chunk: ChunkRows, remember: Remember | None,
               create: Callable[[sqlite3.Connection], None]) -> Job:
        """``job/submit/``: ``create`` the job and append its only chunk in ONE transaction,
        so a refusal (402 included) or a crash at any point leaves no job at all. The caller
        bounds the chunk (``SUBMIT_MAX_CIRCUITS`` rows: one staging batch's hold of the lock)."""
        dup = repeated_label(chunk.circuits)
        if dup is not None:
            raise Invalid(f"duplicate circuit label {dup!r} in this job")
        cost = sum(c.cost for c in chunk.circuits)
        with self._tx() as db:
            if remember is not None:
                idempotency.recall(db, remember)
            create(db)
            before, t_base, failed = _check(db, job_id, owner, chunk, cost)
            if failed is None:
                insert_circuits(db, job_id, circuit_params(job_id, chunk.circuits, first=before,
                                                           t_base=t_base), before=before)
                job, failed = _publish(db, job_id, owner, chunk, cost, before=before,
                                       t_base=t_base)
            if failed is not None:
                raise InsufficientCredits(failed)  # rolled back: not even a FAILED job
            if remember is not None:
                idempotency.record(db, remember, job)
        return job

    @contextmanager
    def _slot(self, job_id: str) -> Iterator[None]:
        """One chunk of ``job_id`` at a time (other jobs never wait here)."""
        with self._free:
            while job_id in self._busy:
                self._free.wait()
            self._busy.add(job_id)
        try:
            yield
        finally:
            with self._free:
                self._busy.discard(job_id)
                self._free.notify_all()

    def _stage(self, job_id: str, circuits: Sequence[CircuitRow], *, before: int,
               t_base: int) -> None:
        for start in range(0, len(circuits), self.batch):
            params = circuit_params(job_id, circuits[start:start + self.batch],
                                    first=before + start, t_base=t_base)
            with self._tx() as db:
                insert_circuits(db, job_id, params, before=before)

    def drop(self, job_id: str, start: int, end: int) -> None:
        """Delete the job's circuits ``start <= idx < end``, a batch per transaction."""
        for first in range(start, end, self.batch):
            with self._tx() as db:
                drop_range(db, job_id, first, min(end, first + self.batch))


def _check(db: sqlite3.Connection, job_id: str, owner: str, chunk: ChunkRows,
           cost: int) -> tuple[int, int, str | None]:
    """Step 1: refuse the chunk, or return ``(published count, template count, None)``;
    ``(.., .., message)`` when the job was FAILED for credits (committed by the caller)."""
    job = owned(db, job_id, owner)
    _check_open(job)
    if job.n_circuits and job.observables != chunk.observables:
        raise Invalid("observables differ from those sent with earlier chunks")
    if job.n_circuits and job.circuit_ham_map != chunk.circuit_ham_map:
        raise Invalid("circuit_ham_map differs from the one sent with earlier chunks")
    if chunk.finalize:
        check_finalizable(job.n_circuits + len(chunk.circuits), chunk.circuit_ham_map)
    message = unaffordable(db, owner, job.cost + cost)
    if message is not None:
        fail_for_credits(db, job_id, message, finalize=chunk.finalize)
    return job.n_circuits, template_count(db, job_id), message


def _check_open(job: Job) -> None:
    if job.finalized:
        raise Conflict("Job is already finalized; no more circuits can be added")
    if job.status != "PENDING":
        raise Conflict("Job is not in PENDING status")


def _publish(db: sqlite3.Connection, job_id: str, owner: str, chunk: ChunkRows,
             chunk_cost: int, *, before: int, t_base: int) -> tuple[Job, str | None]:
    """Step 3: make the staged rows the job's; returns the job and a credits failure."""
    job = owned(db, job_id, owner)  # NotFound: deleted while the rows were staged
    _check_open(job)  # cancelled or reaped meanwhile
    if job.n_circuits != before:  # pragma: no cover - the per-job slot rules it out
        raise Conflict("the job changed while this chunk was stored; send it again")
    insert_templates(db, job_id, chunk.templates, first=t_base)
    total = before + len(chunk.circuits)
    db.execute(
        "UPDATE jobs SET n_circuits = ?, max_qubits = MAX(max_qubits, ?), "
        "cost = cost + ?, observables = ?, circuit_ham_map = ?, updated_at = ? "
        "WHERE id = ?",
        (total, chunk.max_qubits, chunk_cost, dumps(chunk.observables),
         dumps(chunk.circuit_ham_map), now(), job_id),
    )
    failed = None
    if chunk.finalize:
        failed = finalize(db, job, total, job.cost + chunk_cost, chunk.circuit_ham_map)
    return owned(db, job_id, owner), failed
