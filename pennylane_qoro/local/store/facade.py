"""The local service's job store: ONE :class:`Store` object in front of the ``store`` modules.

The store package owns ALL SQL of the local service (style.md rule 10); every statement is
parameterised. This class owns the connection and its lock: one ``sqlite3`` connection in WAL
mode is shared by the HTTP handlers and the runner's workers, each public method is one short
transaction (so a request or a batch of results costs one commit), and every commit wakes the
long-polling status requests (:meth:`Store.wait_status`). The SQL itself lives in the modules
it belongs to: ``schema`` (DDL), ``ledger`` (tokens and credits), ``jobs`` (job rows),
``artifacts`` (templates, circuits, results, named blobs), ``queue`` (claim, results,
recovery) and ``idempotency`` (``Idempotency-Key`` records); a method that spans several of
them (e.g. an idempotent chunk append) composes them inside its one transaction.

Tunables are constructor keywords, not module globals: ``max_attempts`` (restarts before an
interrupted job is failed), ``idempotency_ttl`` (age of the records purged at start-up) and
``idle_upload_seconds`` (an unfinalized upload untouched this long stops counting against its
owner's active-job limit) and ``upload_batch`` (rows per staging transaction of a chunk).

Imports only the standard library, ``protocol`` and the ``store`` modules.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# The store's modules by name (absolute, so no reader mistakes them for the package itself).
import pennylane_qoro.local.store.artifacts as artifacts
import pennylane_qoro.local.store.idempotency as idempotency
import pennylane_qoro.local.store.jobs as jobs
import pennylane_qoro.local.store.ledger as ledger
import pennylane_qoro.local.store.queue as queue

from ...protocol.vocabulary import LOCAL_ACTIVE_STATUSES
from .records import CircuitRow, Job, Remember, Work
from .schema import connect
from .uploads import UPLOAD_BATCH, ChunkRows, Uploads

__all__ = ["Store"]


class Store:
    """The job store. Thread-safe; every public method is one transaction.

    Args:
        path (str | Path | None): database file, created if missing; ``None`` keeps the
            database in memory (the embedded service's default).
        max_attempts (int): a job interrupted by this many restarts is failed by
            :meth:`recover` instead of resumed again.
        idempotency_ttl (float): ``Idempotency-Key`` records older than this many seconds
            are purged by :meth:`recover`.
        idle_upload_seconds (float): an unfinalized upload untouched this long no longer
            counts against its owner's ``max_active`` (:meth:`create_job`) and is FAILED by
            :meth:`reap_uploads` (default 600 s).
        upload_batch (int): circuits inserted per transaction by :meth:`append_chunk`.

    >>> from pennylane_qoro.local.store import Store, hash_token
    >>> store = Store()
    >>> token = store.create_token()
    >>> store.owner_of(token) == hash_token(token)
    True
    """

    def __init__(self, path: str | Path | None = None, *,
                 max_attempts: int = queue.MAX_ATTEMPTS,
                 idempotency_ttl: float = idempotency.IDEMPOTENCY_TTL_SECONDS,
                 idle_upload_seconds: float = jobs.IDLE_UPLOAD_SECONDS,
                 upload_batch: int = UPLOAD_BATCH):
        self.path = None if path is None else str(path)
        if self.path is not None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.max_attempts = max_attempts
        self.idempotency_ttl = idempotency_ttl
        self.idle_upload_seconds = idle_upload_seconds
        self._lock = threading.RLock()
        # Notified after every commit: long-polling status requests wait on it (wait_status).
        self._changed = threading.Condition(self._lock)
        with self._lock:
            self._db = connect(self.path)
        self._owners: set[str] = set()
        self._uploads = Uploads(self._tx, batch=upload_batch)

    def close(self) -> None:
        """Close the connection (further calls fail)."""
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._changed.notify_all()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """The connection for reads (autocommit), under the lock."""
        with self._lock:
            yield self._db

    # ------------------------------------------------------------------ tokens and credits

    def create_token(self, *, grant: int = ledger.DEFAULT_GRANT) -> str:
        """Create a bearer token with an initial grant.

        Args:
            grant (int): starting balance in hundredths of a credit (a PURCHASE transaction).

        Returns:
            str: the new token. Only its sha256 is stored.
        """
        token = ledger.new_token()
        owner = ledger.hash_token(token)
        with self._tx() as db:
            ledger.open_account(db, owner, grant=grant)
        if self.path is None:  # see owner_of
            self._owners.add(owner)
        return token

    def owner_of(self, token: str) -> str | None:
        """The owner key (token hash) of a known, unrevoked token, else ``None``."""
        owner = ledger.hash_token(token)
        if owner in self._owners:
            return owner
        # Tokens may be created or revoked by another process (``qoro-local token ...``): a
        # file database is asked every time; only an in-memory one (no other process) caches.
        with self._reading() as db:
            known = ledger.exists(db, owner)
        if known:
            if self.path is None:
                self._owners.add(owner)
            return owner
        return None

    def tokens(self) -> list[dict[str, str | bool]]:
        """Every token by hash, oldest first: balance, usage, creation time, revoked."""
        with self._reading() as db:
            return ledger.accounts(db)

    def revoke(self, owner: str) -> None:
        """Refuse the token with this hash from now on (its jobs and ledger stay)."""
        with self._tx() as db:
            ledger.revoke(db, owner)
        self._owners.discard(owner)

    def credits(self, owner: str) -> dict[str, str]:
        """The ``credits/`` body (qoro-api.md §2.5)."""
        with self._reading() as db:
            return ledger.credits(db, owner)

    def transactions(self, owner: str, *, page: int, page_size: int) -> tuple[int, list[dict]]:
        """One page of the ledger, newest first (qoro-api.md §2.6).

        Returns:
            tuple[int, list[dict]]: the total count and the page's rows.
        """
        with self._reading() as db:
            return ledger.transactions(db, owner, page=page, page_size=page_size)

    # ------------------------------------------------------------------ idempotency

    def recall(self, remember: Remember) -> None:
        """Answer from the record if this key was already used (a cheap pre-check).

        Raises:
            Replayed: the same request was applied before; carries its response.
            KeyReused: the key was used for a different request.
        """
        with self._reading() as db:
            idempotency.recall(db, remember)

    # ------------------------------------------------------------------ jobs

    def create_job(self, *, owner: str, job_type: str, tag: str | None, target: str | None,
                   execution_configuration: dict | None = None,
                   maestro_config: dict | None = None, device_config: dict | None = None,
                   options: dict | None = None, status: str = "PENDING",
                   error: str | None = None, remember: Remember | None = None,
                   max_active: int | None = None, retry_after: int = 1) -> str:
        """Insert a new job and return its id (a uuid4 string, qoro-api.md §1.1).

        Args:
            remember (Remember | None): the request's ``Idempotency-Key``; checked and
                recorded in this transaction.
            max_active (int | None): refuse the job while the owner has this many active jobs.
            retry_after (int): seconds suggested to a refused caller.

        Raises:
            Replayed: the key was already used for this request (no new job).
            KeyReused: the key was used for another request.
            RateLimited: the owner is at ``max_active``.
        """
        job_id = str(uuid.uuid4())
        with self._tx() as db:
            if remember is not None:
                idempotency.recall(db, remember)
            if max_active is not None:
                jobs.enforce_active_limit(db, owner, max_active=max_active,
                                          retry_after=retry_after,
                                          idle_seconds=self.idle_upload_seconds)
            jobs.insert(db, job_id=job_id, owner=owner, job_type=job_type, tag=tag,
                        target=target, status=status,
                        execution_configuration=execution_configuration,
                        maestro_config=maestro_config, device_config=device_config,
                        options=options, error=error)
            if remember is not None:
                idempotency.record(db, remember, jobs.owned(db, job_id, owner))
        return job_id

    def submit_job(self, *, owner: str, job: dict[str, Any], chunk: ChunkRows,
                   remember: Remember | None = None, max_active: int | None = None,
                   retry_after: int = 1) -> Job:
        """Create a job (``job`` holds :meth:`create_job`'s fields) with its only, finalizing
        chunk, all in one transaction (``job/submit/``): refused or interrupted, it leaves
        nothing. Raises what :meth:`create_job` and :meth:`append_chunk` raise, except that
        a 402 leaves no FAILED job behind."""
        job_id = str(uuid.uuid4())

        def create(db: sqlite3.Connection) -> None:
            if max_active is not None:
                jobs.enforce_active_limit(db, owner, max_active=max_active,
                                          retry_after=retry_after,
                                          idle_seconds=self.idle_upload_seconds)
            jobs.insert(db, job_id=job_id, owner=owner, status="PENDING", error=None, **job)

        return self._uploads.submit(job_id, owner, chunk, remember, create)

    def job_ids(self, owner: str) -> list[str]:
        """Every job id of an owner, oldest first (for audits and tests)."""
        with self._reading() as db:
            return jobs.ids(db, owner)

    def get_job(self, job_id: str, owner: str) -> Job:
        """The job row, if it belongs to ``owner``.

        Raises:
            NotFound: no such job, or another owner's (indistinguishable on purpose).
        """
        with self._reading() as db:
            return jobs.owned(db, job_id, owner)

    def peek(self, job_id: str) -> Job | None:
        """The job row whoever owns it, or ``None`` (the runner's look before a claim)."""
        with self._reading() as db:
            return jobs.select(db, job_id)

    def status(self, job_id: str, owner: str) -> tuple[str, float, str | None]:
        """``(status, run_time, error)``; the cheap query behind ``status/`` polling."""
        with self._reading() as db:
            return jobs.status(db, job_id, owner)

    def progress(self, job_id: str) -> tuple[int, int]:
        """``(circuits with a stored result, circuits)``: the ``status/`` progress extension."""
        with self._reading() as db:
            return jobs.progress(db, job_id)

    def wait_status(self, job_id: str, owner: str, timeout: float) -> tuple[str, float, str | None]:
        """:meth:`status`, after waiting up to ``timeout`` seconds for an active job to end.

        The wait ends as soon as a commit leaves the job outside PENDING/RUNNING (each commit
        wakes the waiters, which re-read the status), so a long-polling client hears about the
        end of its job at once instead of at its next polling tick.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                row = self.status(job_id, owner)
                remaining = deadline - time.monotonic()
                if row[0] not in LOCAL_ACTIVE_STATUSES or remaining <= 0:
                    return row
                self._changed.wait(remaining)

    def append_chunk(self, job_id: str, owner: str, *, circuits: Sequence[CircuitRow],
                     templates: Sequence[tuple[str, tuple[str, ...]]],
                     observables: list[list[str]] | None,
                     circuit_ham_map: list[list[int]] | None, max_qubits: int,
                     finalize: bool, remember: Remember | None = None) -> Job:
        """Append one ``add_circuits`` chunk to a job (``store/uploads.py``).

        Every refusal -- credits included -- is decided before a row is written; the rows are
        then inserted ``upload_batch`` at a time, each batch its own short transaction, and
        published (count, cost, debit, idempotency record) in one more, so other requests
        never wait for the whole chunk.

        Args:
            job_id (str): the job.
            owner (str): the caller's owner key.
            circuits (Sequence[CircuitRow]): the chunk's circuits in order; template rows carry
                a template index local to ``templates``, rebased here to the job's numbering.
            templates (Sequence[tuple[str, tuple[str, ...]]]): the chunk's templates
                (text, parameter names).
            observables (list[list[str]] | None): decoded observable groups; every chunk must
                carry the same (qoro-api.md §8 item 2).
            circuit_ham_map (list[list[int]] | None): job-global ranges (§3.4); every chunk
                must carry the same.
            max_qubits (int): the widest circuit of this chunk.
            finalize (bool): the chunk's ``finalized`` was ``"true"``.
            remember (Remember | None): the request's ``Idempotency-Key``; checked before
                anything else and recorded in this transaction (with the 402 of a job that
                fails for credits, too).

        Returns:
            Job: the job after the append.

        Raises:
            NotFound: no such job for this owner.
            Conflict: the job is finalized already, or no longer PENDING.
            Invalid: a duplicate label, envelope differing from earlier chunks, a map range
                outside the job, or finalizing an empty job.
            InsufficientCredits: the job with this chunk costs more than the balance; the job
                is FAILED (committed, none of the chunk's rows stored) before this is raised.
            Replayed: the key was already used for this request (nothing appended).
            KeyReused: the key was used for another request.
        """
        chunk = ChunkRows(circuits=circuits, templates=templates, observables=observables,
                          circuit_ham_map=circuit_ham_map, max_qubits=max_qubits,
                          finalize=finalize)
        return self._uploads.append(job_id, owner, chunk, remember)

    def set_options(self, job_id: str, owner: str, *, options: dict[str, Any],
                    execution_configuration: dict | None, maestro_config: dict | None) -> Job:
        """Replace a PENDING job's simulator options (``POST execution_config/``, §2.13).

        Raises:
            NotFound: no such job for this owner.
            Conflict: the job is not PENDING (the cloud's message, §2.13).
        """
        with self._tx() as db:
            return jobs.set_options(db, job_id, owner, options=options,
                                    execution_configuration=execution_configuration,
                                    maestro_config=maestro_config)

    def cancel(self, job_id: str, owner: str) -> int:
        """Cancel a PENDING or RUNNING job; returns how many circuits will not run.

        Raises:
            NotFound: no such job.
            Forbidden: the job belongs to another owner (qoro-api.md §2.11 answers 403).
            Conflict: the job is not PENDING or RUNNING.
        """
        with self._tx() as db:
            return jobs.cancel(db, job_id, owner)

    def delete(self, job_id: str, owner: str) -> str:
        """Delete a job with its circuits, templates and artifacts; returns its last status.

        A PENDING or RUNNING job is cancelled (and refunded) first. The ledger keeps its rows.
        The job row goes in one transaction; its circuits then ``upload_batch`` at a time, so
        deleting a huge job does not stall other requests (a chunk still being stored drops
        its own rows when it finds the job gone).

        Raises:
            NotFound: no such job for this owner.
        """
        with self._tx() as db:
            job = jobs.delete(db, job_id, owner)
        self._uploads.drop(job_id, 0, job.n_circuits)
        return job.status

    def results_page(self, job_id: str, owner: str, *, offset: int,
                     limit: int) -> tuple[Job, list[tuple[str, str | None]]]:
        """The job and one page of ``(label, result JSON)`` rows in submission order.

        Raises:
            NotFound: no such job for this owner.
        """
        with self._reading() as db:
            job = jobs.owned(db, job_id, owner)
            if job.status != "COMPLETED":
                return job, []
            return job, artifacts.results_page(db, job_id, offset=offset, limit=limit)

    # ------------------------------------------------------------------ runner side

    def claim(self, job_id: str) -> Work | None:
        """Move a finalized PENDING job to RUNNING and load what is left to run.

        The move is one transaction; the circuits are then read ``upload_batch`` indices at a
        time, each read its own short hold of the lock, so starting a 700 000-circuit job does
        not stall other requests. Nothing else writes a RUNNING job's circuits meanwhile.

        Returns:
            Work | None: ``None`` when the job is gone, cancelled or not runnable.
        """
        with self._tx() as db:
            started = queue.start(db, job_id)
        if started is None:
            return None
        job, found = started
        todo = []
        step = self._uploads.batch
        for first in range(0, job.n_circuits, step):  # the lock is free between ranges
            with self._reading() as db:
                todo += artifacts.pending(db, job_id, start=first, end=first + step)
        return Work(job=job, templates=found, pending=todo, done=job.n_circuits - len(todo))

    def save_results(self, job_id: str, results: Sequence[tuple[int, str]],
                     run_time: float) -> bool:
        """Store a batch of circuit results of a RUNNING job (one transaction).

        Args:
            job_id (str): the job.
            results (Sequence[tuple[int, str]]): ``(circuit index, result JSON)`` pairs.
            run_time (float): execution seconds to add to the job's ``run_time``.

        Returns:
            bool: ``False`` when the job is no longer RUNNING (cancelled or deleted); nothing
            is written then.
        """
        with self._tx() as db:
            return queue.save_results(db, job_id, results, run_time)

    def finish(self, job_id: str, *, results: Sequence[tuple[int, str]], run_time: float,
               error: str | None = None) -> bool:
        """Store the last results and end a RUNNING job: COMPLETED, or FAILED with ``error``.

        A FAILED job is refunded for its circuits that did not run.

        Returns:
            bool: ``False`` when the job was no longer RUNNING (nothing written).
        """
        with self._tx() as db:
            return queue.finish(db, job_id, results=results, run_time=run_time, error=error)

    def recover(self) -> list[str]:
        """At start-up: re-queue interrupted jobs, fail those interrupted too often.

        A RUNNING job goes back to PENDING (its stored results are kept, so it resumes where
        it stopped) unless it was already started ``max_attempts`` times, in which case it
        is FAILED with a reason and refunded. No job stays RUNNING. Uploads never finalized and
        idle ``idle_upload_seconds`` (cut off by the previous process's end) are FAILED
        (:meth:`reap_uploads`). ``Idempotency-Key`` records older than ``idempotency_ttl``
        are purged.

        Returns:
            list[str]: ids of finalized PENDING jobs to queue, oldest first.
        """
        with self._tx() as db:
            idempotency.purge(db, older_than=self.idempotency_ttl)
            resumed = queue.recover(db, max_attempts=self.max_attempts)
            jobs.reap_uploads(db, idle_seconds=self.idle_upload_seconds)
            artifacts.drop_unpublished(db)  # rows of a chunk cut off while staging
            return resumed

    def reap_uploads(self) -> list[str]:
        """FAIL (with a reason) every PENDING job whose upload was never finalized and has
        been idle ``idle_upload_seconds``; returns their ids. The service calls this
        periodically (``reaper.py``) and :meth:`recover` at start-up, so an upload cut off
        by a crash does not stay PENDING forever.
        """
        with self._tx() as db:
            return jobs.reap_uploads(db, idle_seconds=self.idle_upload_seconds)

    # ------------------------------------------------------------------ other routes

    def set_status(self, job_id: str, *, status: str, expect: Sequence[str],
                   error: str | None = None, run_time: float | None = None) -> bool:
        """Move a job between statuses if it is currently in one of ``expect``.

        For routes outside the circuit flow (e.g. characterization, §2.14).

        Returns:
            bool: whether the job was in an expected status and was updated.
        """
        with self._tx() as db:
            return jobs.set_status(db, job_id, status=status, expect=expect, error=error,
                                   run_time=run_time)

    def set_artifact(self, job_id: str, name: str, value: str) -> None:
        """Store (or replace) a named text blob for a job."""
        with self._tx() as db:
            artifacts.set_artifact(db, job_id, name, value)

    def get_artifact(self, job_id: str, name: str) -> str | None:
        """A named text blob of a job, or ``None``."""
        with self._reading() as db:
            return artifacts.get_artifact(db, job_id, name)
