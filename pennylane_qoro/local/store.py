"""The local service's SQLite store: tokens, the credit ledger, jobs, circuits and results.

This module owns ALL SQL of the local service (style.md rule 10). Every statement is
parameterised. One ``sqlite3`` connection in WAL mode is shared by the HTTP handlers and the
runner's workers under one lock; each public method is one short transaction, so a request or a
batch of results costs one commit.

Tables:
  * ``tokens``: sha256 of each bearer token (never the token itself), its balance and usage;
  * ``transactions``: the credit ledger (``PURCHASE`` grants, ``USAGE`` debits, ``REFUND``s);
  * ``jobs``: one row per job (status, envelope, simulator options, cost, error, run time);
  * ``templates``: the template texts of template jobs (qoro-api.md §2.8 shape b);
  * ``circuits``: one row per circuit in submission order (bound text, or template index plus
    parameter values), its shots and cost, and its result once run (one JSON text per row);
  * ``artifacts``: named text blobs per job, for routes other than the circuit flow
    (e.g. characterization results);
  * ``idempotency``: per owner and ``Idempotency-Key``, a fingerprint of the request and the
    response it got (qoro-api.md §8 item 10). The key is looked up and recorded in the SAME
    transaction as the job creation or chunk append it guards, so a re-sent request -- even
    one racing the original -- is answered from the record and never applied twice.

Per-owner fairness: :meth:`Store.create_job` refuses a new job (:class:`RateLimited`) while the
owner already has ``max_active`` jobs PENDING or RUNNING (uploads idle for
:data:`IDLE_UPLOAD_SECONDS` do not count), so one token's flood cannot fill the worker queue.

Amounts are integers in hundredths of a credit and are written as decimal strings on the wire
(qoro-api.md §2.5).

Must not import anything from the device, compile, results or client packages.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

# A new token starts with 1000.00 credits (one PURCHASE transaction).
DEFAULT_GRANT = 100_000
# A job interrupted by this many restarts is failed instead of resumed again: a circuit that
# crashes the process must not crash it forever.
MAX_ATTEMPTS = 3
ACTIVE = ("PENDING", "RUNNING")
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
# Idempotency records older than this are purged at start-up (clients re-send within seconds).
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
# An unfinalized upload untouched for this long no longer counts against its owner's limit.
IDLE_UPLOAD_SECONDS = 600

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,
    balance INTEGER NOT NULL,
    total_used INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner TEXT NOT NULL,
    amount INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    transaction_type TEXT NOT NULL,
    description TEXT NOT NULL,
    job_id TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transactions_owner ON transactions (owner, id);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    job_type TEXT NOT NULL,
    tag TEXT,
    target TEXT,
    status TEXT NOT NULL,
    finalized INTEGER NOT NULL DEFAULT 0,
    n_circuits INTEGER NOT NULL DEFAULT 0,
    max_qubits INTEGER NOT NULL DEFAULT 0,
    execution_configuration TEXT,
    maestro_config TEXT,
    device_config TEXT,
    options TEXT NOT NULL DEFAULT '{}',
    observables TEXT,
    circuit_ham_map TEXT,
    cost INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    run_time REAL NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_status ON jobs (status);
CREATE TABLE IF NOT EXISTS templates (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    qasm TEXT NOT NULL,
    names TEXT NOT NULL,
    PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS circuits (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    label TEXT NOT NULL,
    qasm TEXT,
    template INTEGER,
    params TEXT,
    shots INTEGER,
    n_qubits INTEGER NOT NULL,
    n_clbits INTEGER NOT NULL,
    cost INTEGER NOT NULL,
    result TEXT,
    PRIMARY KEY (job_id, idx)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS circuits_label ON circuits (job_id, label);
CREATE TABLE IF NOT EXISTS artifacts (
    job_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (job_id, name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS jobs_owner_status ON jobs (owner, status);
CREATE TABLE IF NOT EXISTS idempotency (
    owner TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    job_id TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (owner, key)
) WITHOUT ROWID;
"""


class StoreError(Exception):
    """Base of the store's refusals; the app maps each subclass to one HTTP status."""


class NotFound(StoreError):
    """No such job for this owner (404)."""


class Forbidden(StoreError):
    """The job exists but belongs to another owner (403, only where qoro-api.md says so)."""


class Conflict(StoreError):
    """The job is not in a state that allows the request (409)."""


class Invalid(StoreError):
    """The request contradicts what the job already holds (400)."""


class InsufficientCredits(StoreError):
    """The job costs more than the balance (402); the job is FAILED with the same message."""


class RateLimited(StoreError):
    """The owner has too many active jobs (429 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class KeyReused(Conflict):
    """An ``Idempotency-Key`` already used for a different request (409)."""


class Replayed(StoreError):
    """The request was already applied under its ``Idempotency-Key``: answer the record."""

    def __init__(self, status: int, body: str):
        super().__init__(f"replayed response {status}")
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Remember:
    """An ``Idempotency-Key`` to honour for one request.

    Attributes:
        owner (str): the caller's owner key (keys are per owner).
        key (str): the header's value.
        fingerprint (str): digest of method, path and body; a different request under the
            same key is refused.
        respond (Callable[[Job], tuple[int, str]]): builds the (status, JSON body) answered to
            this request from the job as the transaction leaves it; recorded for replays.
    """

    owner: str
    key: str
    fingerprint: str
    respond: Callable[[Job], tuple[int, str]]


def hash_token(token: str) -> str:
    """The stored form of a bearer token: its sha256, hex-encoded."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def format_amount(hundredths: int) -> str:
    """Write an amount in hundredths of a credit as the wire's decimal string.

    >>> format_amount(100000), format_amount(-5), format_amount(0)
    ('1000.00', '-0.05', '0.00')
    """
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Job:
    """One job row (without its circuits)."""

    id: str
    owner: str
    job_type: str
    tag: str | None
    target: str | None
    status: str
    finalized: bool
    n_circuits: int
    max_qubits: int
    execution_configuration: dict[str, Any] | None
    maestro_config: dict[str, Any] | None
    device_config: dict[str, Any] | None
    options: dict[str, Any]
    observables: list[list[str]] | None
    circuit_ham_map: list[list[int]] | None
    cost: int
    error: str | None
    run_time: float
    attempts: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class CircuitRow:
    """One circuit to store: bound text, or a template index plus its parameter values."""

    label: str
    n_qubits: int
    n_clbits: int
    cost: int
    qasm: str | None = None
    template: int | None = None
    params: tuple[float, ...] | None = None
    shots: int | None = None


@dataclass(frozen=True)
class Work:
    """What the runner needs to run (or resume) a claimed job."""

    job: Job
    templates: dict[int, tuple[str, tuple[str, ...]]]
    # (idx, label, qasm, template, params, shots, n_qubits, n_clbits) of circuits not yet run
    pending: list[tuple[int, str, str | None, int | None, tuple[float, ...] | None, int | None,
                        int, int]]
    done: int


_JOB_COLUMNS = (
    "id, owner, job_type, tag, target, status, finalized, n_circuits, max_qubits, "
    "execution_configuration, maestro_config, device_config, options, observables, "
    "circuit_ham_map, cost, error, run_time, attempts, created_at, updated_at"
)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


def _job(row: sqlite3.Row | tuple) -> Job:
    (id_, owner, job_type, tag, target, status, finalized, n_circuits, max_qubits, ec, mc, dc,
     options, observables, ham_map, cost, error, run_time, attempts, created, updated) = row
    return Job(
        id=id_, owner=owner, job_type=job_type, tag=tag, target=target, status=status,
        finalized=bool(finalized), n_circuits=n_circuits, max_qubits=max_qubits,
        execution_configuration=_loads(ec), maestro_config=_loads(mc), device_config=_loads(dc),
        options=json.loads(options), observables=_loads(observables),
        circuit_ham_map=_loads(ham_map), cost=cost, error=error, run_time=run_time,
        attempts=attempts, created_at=created, updated_at=updated,
    )


class Store:
    """The job store. Thread-safe; every public method is one transaction.

    Args:
        path (str | Path | None): database file, created if missing; ``None`` keeps the
            database in memory (the embedded service's default).

    >>> store = Store()
    >>> token = store.create_token()
    >>> store.owner_of(token) == hash_token(token)
    True
    """

    def __init__(self, path: str | Path | None = None):
        self.path = None if path is None else str(path)
        if self.path is not None:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        # Notified after every commit: long-polling status requests wait on it (wait_status).
        self._changed = threading.Condition(self._lock)
        self._db = sqlite3.connect(
            self.path or ":memory:", check_same_thread=False, isolation_level=None
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit is durable against a process kill (what restarts test); only
        # an OS crash may lose the last commits.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=OFF")
        self._db.execute("PRAGMA busy_timeout=5000")
        with self._lock:
            self._db.executescript(_SCHEMA)
        self._owners: set[str] = set()

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

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # ------------------------------------------------------------------ tokens and credits

    def create_token(self, *, grant: int = DEFAULT_GRANT) -> str:
        """Create a bearer token with an initial grant.

        Args:
            grant (int): starting balance in hundredths of a credit (a PURCHASE transaction).

        Returns:
            str: the new token. Only its sha256 is stored.
        """
        token = secrets.token_urlsafe(32)
        owner = hash_token(token)
        now = _now()
        with self._tx() as db:
            db.execute(
                "INSERT INTO tokens (hash, balance, total_used, created_at, updated_at) "
                "VALUES (?, ?, 0, ?, ?)",
                (owner, grant, now, now),
            )
            db.execute(
                "INSERT INTO transactions (owner, amount, balance_after, transaction_type, "
                "description, job_id, created_at) VALUES (?, ?, ?, 'PURCHASE', ?, NULL, ?)",
                (owner, grant, grant, "Credit addition", now),
            )
        self._owners.add(owner)
        return token

    def owner_of(self, token: str) -> str | None:
        """The owner key (token hash) of a known token, else ``None``."""
        owner = hash_token(token)
        if owner in self._owners:
            return owner
        # Tokens may be created by another process (``qoro-local token create``): look it up.
        if self._read("SELECT 1 FROM tokens WHERE hash = ?", (owner,)):
            self._owners.add(owner)
            return owner
        return None

    def credits(self, owner: str) -> dict[str, str]:
        """The ``credits/`` body (qoro-api.md §2.5)."""
        balance, used, created, updated = self._read(
            "SELECT balance, total_used, created_at, updated_at FROM tokens WHERE hash = ?",
            (owner,),
        )[0]
        return {
            "balance": format_amount(balance),
            "total_used": format_amount(used),
            "created_at": created,
            "updated_at": updated,
        }

    def transactions(self, owner: str, *, page: int, page_size: int) -> tuple[int, list[dict]]:
        """One page of the ledger, newest first (qoro-api.md §2.6).

        Returns:
            tuple[int, list[dict]]: the total count and the page's rows.
        """
        with self._lock:
            (count,) = self._db.execute(
                "SELECT COUNT(*) FROM transactions WHERE owner = ?", (owner,)
            ).fetchone()
            rows = self._db.execute(
                "SELECT id, amount, balance_after, transaction_type, description, job_id, "
                "created_at FROM transactions WHERE owner = ? ORDER BY id DESC LIMIT ? OFFSET ?",
                (owner, page_size, (page - 1) * page_size),
            ).fetchall()
        return count, [
            {
                "id": id_, "amount": format_amount(amount),
                "balance_after": format_amount(after), "transaction_type": kind,
                "description": text, "job_id": job_id, "created_at": created,
            }
            for id_, amount, after, kind, text, job_id, created in rows
        ]

    def _move_credits(self, db: sqlite3.Connection, owner: str, amount: int, *, kind: str,
                      description: str, job_id: str | None) -> None:
        """Add ``amount`` (negative for a debit) to a balance and record it in the ledger."""
        now = _now()
        db.execute(
            "UPDATE tokens SET balance = balance + ?, total_used = total_used - ?, "
            "updated_at = ? WHERE hash = ?",
            (amount, amount if kind in ("USAGE", "REFUND") else 0, now, owner),
        )
        (after,) = db.execute("SELECT balance FROM tokens WHERE hash = ?", (owner,)).fetchone()
        db.execute(
            "INSERT INTO transactions (owner, amount, balance_after, transaction_type, "
            "description, job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (owner, amount, after, kind, description, job_id, now),
        )

    def _refund_unrun(self, db: sqlite3.Connection, job_id: str, owner: str, why: str) -> int:
        """Refund the cost of a finalized job's circuits that have no result; returns the count."""
        n, amount = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(cost), 0) FROM circuits "
            "WHERE job_id = ? AND result IS NULL",
            (job_id,),
        ).fetchone()
        if amount:
            self._move_credits(db, owner, amount, kind="REFUND",
                               description=f"Refund for {n} circuits not run ({why})",
                               job_id=job_id)
        return n

    # ------------------------------------------------------------------ idempotency

    def recall(self, remember: Remember) -> None:
        """Answer from the record if this key was already used (a cheap pre-check).

        Raises:
            Replayed: the same request was applied before; carries its response.
            KeyReused: the key was used for a different request.
        """
        with self._lock:
            self._recall(self._db, remember)

    @staticmethod
    def _recall(db: sqlite3.Connection, remember: Remember) -> None:
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

    @staticmethod
    def _remember(db: sqlite3.Connection, remember: Remember, job: Job) -> None:
        status, body = remember.respond(job)
        db.execute(
            "INSERT INTO idempotency (owner, key, fingerprint, status, body, job_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (remember.owner, remember.key, remember.fingerprint, status, body, job.id, _now()),
        )

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
        now = _now()
        with self._tx() as db:
            if remember is not None:
                self._recall(db, remember)
            if max_active is not None:
                active = self._active_jobs(db, owner)
                if active >= max_active:
                    raise RateLimited(
                        f"Too many active jobs: {active} PENDING or RUNNING (limit "
                        f"{max_active}); wait for some to finish",
                        retry_after,
                    )
            db.execute(
                "INSERT INTO jobs (id, owner, job_type, tag, target, status, "
                "execution_configuration, maestro_config, device_config, options, error, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, owner, job_type, tag, target, status, _dumps(execution_configuration),
                 _dumps(maestro_config), _dumps(device_config), _dumps(options or {}), error,
                 now, now),
            )
            if remember is not None:
                self._remember(db, remember, self._owned(db, job_id, owner))
        return job_id

    @staticmethod
    def _active_jobs(db: sqlite3.Connection, owner: str) -> int:
        idle = (datetime.now(timezone.utc) - timedelta(seconds=IDLE_UPLOAD_SECONDS)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        (n,) = db.execute(
            "SELECT COUNT(*) FROM jobs WHERE owner = ? AND status IN ('PENDING', 'RUNNING') "
            "AND (finalized = 1 OR updated_at > ?)",
            (owner, idle),
        ).fetchone()
        return n

    def job_ids(self, owner: str) -> list[str]:
        """Every job id of an owner, oldest first (for audits and tests)."""
        return [
            job_id for (job_id,) in self._read(
                "SELECT id FROM jobs WHERE owner = ? ORDER BY created_at, id", (owner,)
            )
        ]

    def _owned(self, db: sqlite3.Connection, job_id: str, owner: str) -> Job:
        row = db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None or row[1] != owner:
            raise NotFound(job_id)
        return _job(row)

    def get_job(self, job_id: str, owner: str) -> Job:
        """The job row, if it belongs to ``owner``.

        Raises:
            NotFound: no such job, or another owner's (indistinguishable on purpose).
        """
        with self._lock:
            return self._owned(self._db, job_id, owner)

    def status(self, job_id: str, owner: str) -> tuple[str, float, str | None]:
        """``(status, run_time, error)``; the cheap query behind ``status/`` polling."""
        rows = self._read(
            "SELECT status, run_time, error FROM jobs WHERE id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFound(job_id)
        return rows[0]

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
                if row[0] not in ACTIVE or remaining <= 0:
                    return row
                self._changed.wait(remaining)

    def append_chunk(self, job_id: str, owner: str, *, circuits: Sequence[CircuitRow],
                     templates: Sequence[tuple[str, tuple[str, ...]]],
                     observables: list[list[str]] | None,
                     circuit_ham_map: list[list[int]] | None, max_qubits: int,
                     finalize: bool, remember: Remember | None = None) -> Job:
        """Append one ``add_circuits`` chunk to a job, in one transaction.

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
            InsufficientCredits: finalizing a job that costs more than the balance; the job is
                FAILED (committed) before this is raised.
            Replayed: the key was already used for this request (nothing appended).
            KeyReused: the key was used for another request.
        """
        failed: str | None = None
        with self._tx() as db:
            if remember is not None:
                self._recall(db, remember)
            job = self._owned(db, job_id, owner)
            if job.finalized:
                raise Conflict("Job is already finalized; no more circuits can be added")
            if job.status != "PENDING":
                raise Conflict("Job is not in PENDING status")
            if job.n_circuits and job.observables != observables:
                raise Invalid("observables differ from those sent with earlier chunks")
            if job.n_circuits and job.circuit_ham_map != circuit_ham_map:
                raise Invalid("circuit_ham_map differs from the one sent with earlier chunks")
            (t_base,) = db.execute(
                "SELECT COUNT(*) FROM templates WHERE job_id = ?", (job_id,)
            ).fetchone()
            db.executemany(
                "INSERT INTO templates (job_id, idx, qasm, names) VALUES (?, ?, ?, ?)",
                [(job_id, t_base + i, text, json.dumps(names)) for i, (text, names)
                 in enumerate(templates)],
            )
            base = job.n_circuits
            try:
                db.executemany(
                    "INSERT INTO circuits (job_id, idx, label, qasm, template, params, shots, "
                    "n_qubits, n_clbits, cost) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (job_id, base + i, c.label, c.qasm,
                         None if c.template is None else t_base + c.template,
                         None if c.params is None else json.dumps(c.params), c.shots,
                         c.n_qubits, c.n_clbits, c.cost)
                        for i, c in enumerate(circuits)
                    ],
                )
            except sqlite3.IntegrityError:
                dup = self._duplicate_label(db, job_id, circuits, before=job.n_circuits)
                raise Invalid(f"duplicate circuit label {dup!r} in this job") from None
            total = base + len(circuits)
            chunk_cost = sum(c.cost for c in circuits)
            db.execute(
                "UPDATE jobs SET n_circuits = ?, max_qubits = MAX(max_qubits, ?), "
                "cost = cost + ?, observables = ?, circuit_ham_map = ?, updated_at = ? "
                "WHERE id = ?",
                (total, max_qubits, chunk_cost, _dumps(observables), _dumps(circuit_ham_map),
                 _now(), job_id),
            )
            if finalize:
                failed = self._finalize(db, job, total, job.cost + chunk_cost, circuit_ham_map)
            job = self._owned(db, job_id, owner)
            if remember is not None:
                self._remember(db, remember, job)
        if failed:
            raise InsufficientCredits(failed)
        return job

    @staticmethod
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

    def _finalize(self, db: sqlite3.Connection, job: Job, total: int, cost: int,
                  ham_map: list[list[int]] | None) -> str | None:
        """Close the upload, debit the job's cost; returns a failure message or ``None``."""
        if total == 0:
            raise Invalid("cannot finalize a job without circuits")
        for start, end in ham_map or ():
            if end > total:
                raise Invalid(
                    f"circuit_ham_map range [{start}, {end}) is outside the job's "
                    f"{total} circuits"
                )
        (balance,) = db.execute(
            "SELECT balance FROM tokens WHERE hash = ?", (job.owner,)
        ).fetchone()
        now = _now()
        if cost > balance:
            message = (
                f"insufficient credits: the job costs {format_amount(cost)} credits and the "
                f"balance is {format_amount(balance)}"
            )
            db.execute(
                "UPDATE jobs SET finalized = 1, status = 'FAILED', error = ?, updated_at = ? "
                "WHERE id = ?",
                (message, now, job.id),
            )
            return message
        if cost:
            self._move_credits(db, job.owner, -cost, kind="USAGE",
                               description=f"{job.job_type} job, {total} circuits",
                               job_id=job.id)
        db.execute(
            "UPDATE jobs SET finalized = 1, updated_at = ? WHERE id = ?", (now, job.id)
        )
        return None

    def set_options(self, job_id: str, owner: str, *, options: dict[str, Any],
                    execution_configuration: dict | None, maestro_config: dict | None) -> Job:
        """Replace a PENDING job's simulator options (``POST execution_config/``, §2.13).

        Raises:
            NotFound: no such job for this owner.
            Conflict: the job is not PENDING (the cloud's message, §2.13).
        """
        with self._tx() as db:
            job = self._owned(db, job_id, owner)
            if job.status != "PENDING":
                raise Conflict("Job is not in PENDING status")
            db.execute(
                "UPDATE jobs SET options = ?, execution_configuration = ?, maestro_config = ?, "
                "updated_at = ? WHERE id = ?",
                (_dumps(options), _dumps(execution_configuration), _dumps(maestro_config),
                 _now(), job_id),
            )
            return self._owned(db, job_id, owner)

    def cancel(self, job_id: str, owner: str) -> int:
        """Cancel a PENDING or RUNNING job; returns how many circuits will not run.

        Raises:
            NotFound: no such job.
            Forbidden: the job belongs to another owner (qoro-api.md §2.11 answers 403).
            Conflict: the job is not PENDING or RUNNING.
        """
        with self._tx() as db:
            row = db.execute(
                "SELECT owner, status, finalized FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise NotFound(job_id)
            if row[0] != owner:
                raise Forbidden(job_id)
            if row[1] not in ACTIVE:
                raise Conflict("Can only cancel a PENDING or RUNNING job")
            db.execute(
                "UPDATE jobs SET status = 'CANCELLED', error = ?, updated_at = ? WHERE id = ?",
                ("cancelled by the user", _now(), job_id),
            )
            if row[2]:
                return self._refund_unrun(db, job_id, owner, "job cancelled")
            (n,) = db.execute(
                "SELECT COUNT(*) FROM circuits WHERE job_id = ?", (job_id,)
            ).fetchone()
            return n

    def delete(self, job_id: str, owner: str) -> str:
        """Delete a job with its circuits, templates and artifacts; returns its last status.

        A PENDING or RUNNING job is cancelled (and refunded) first. The ledger keeps its rows.

        Raises:
            NotFound: no such job for this owner.
        """
        with self._tx() as db:
            job = self._owned(db, job_id, owner)
            if job.status in ACTIVE and job.finalized:
                self._refund_unrun(db, job_id, owner, "job deleted")
            for table in ("circuits", "templates", "artifacts"):
                db.execute(f"DELETE FROM {table} WHERE job_id = ?", (job_id,))
            db.execute("DELETE FROM jobs WHERE id = ?", (job_id,))
            return job.status

    def results_page(self, job_id: str, owner: str, *, offset: int,
                     limit: int) -> tuple[Job, list[tuple[str, str | None]]]:
        """The job and one page of ``(label, result JSON)`` rows in submission order.

        Raises:
            NotFound: no such job for this owner.
        """
        with self._lock:
            job = self._owned(self._db, job_id, owner)
            if job.status != "COMPLETED":
                return job, []
            rows = self._db.execute(
                "SELECT label, result FROM circuits WHERE job_id = ? AND idx >= ? "
                "ORDER BY idx LIMIT ?",
                (job_id, offset, limit),
            ).fetchall()
        return job, rows

    # ------------------------------------------------------------------ runner side

    def claim(self, job_id: str) -> Work | None:
        """Move a finalized PENDING job to RUNNING and load what is left to run.

        Returns:
            Work | None: ``None`` when the job is gone, cancelled or not runnable.
        """
        with self._tx() as db:
            row = db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?",
                             (job_id,)).fetchone()
            if row is None:
                return None
            job = _job(row)
            if job.status != "PENDING" or not job.finalized:
                return None
            db.execute(
                "UPDATE jobs SET status = 'RUNNING', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ?",
                (_now(), job_id),
            )
            templates = {
                idx: (text, tuple(json.loads(names)))
                for idx, text, names in db.execute(
                    "SELECT idx, qasm, names FROM templates WHERE job_id = ?", (job_id,)
                )
            }
            pending = [
                (idx, label, qasm, template,
                 None if params is None else tuple(json.loads(params)), shots, nq, nc)
                for idx, label, qasm, template, params, shots, nq, nc in db.execute(
                    "SELECT idx, label, qasm, template, params, shots, n_qubits, n_clbits "
                    "FROM circuits WHERE job_id = ? AND result IS NULL ORDER BY idx",
                    (job_id,),
                )
            ]
            job = _job(db.execute(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ?",
                                  (job_id,)).fetchone())
        return Work(job=job, templates=templates, pending=pending,
                    done=job.n_circuits - len(pending))

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
            row = db.execute("SELECT status FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None or row[0] != "RUNNING":
                return False
            db.executemany(
                "UPDATE circuits SET result = ? WHERE job_id = ? AND idx = ?",
                [(text, job_id, idx) for idx, text in results],
            )
            db.execute(
                "UPDATE jobs SET run_time = run_time + ?, updated_at = ? WHERE id = ?",
                (run_time, _now(), job_id),
            )
        return True

    def finish(self, job_id: str, *, results: Sequence[tuple[int, str]], run_time: float,
               error: str | None = None) -> bool:
        """Store the last results and end a RUNNING job: COMPLETED, or FAILED with ``error``.

        A FAILED job is refunded for its circuits that did not run.

        Returns:
            bool: ``False`` when the job was no longer RUNNING (nothing written).
        """
        with self._tx() as db:
            row = db.execute(
                "SELECT status, owner FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None or row[0] != "RUNNING":
                return False
            db.executemany(
                "UPDATE circuits SET result = ? WHERE job_id = ? AND idx = ?",
                [(text, job_id, idx) for idx, text in results],
            )
            status = "COMPLETED" if error is None else "FAILED"
            db.execute(
                "UPDATE jobs SET status = ?, error = ?, run_time = run_time + ?, "
                "updated_at = ? WHERE id = ?",
                (status, error, run_time, _now(), job_id),
            )
            if error is not None:
                self._refund_unrun(db, job_id, row[1], "job failed")
        return True

    def recover(self) -> list[str]:
        """At start-up: re-queue interrupted jobs, fail those interrupted too often.

        A RUNNING job goes back to PENDING (its stored results are kept, so it resumes where
        it stopped) unless it was already started :data:`MAX_ATTEMPTS` times, in which case it
        is FAILED with a reason and refunded. No job stays RUNNING.

        Returns:
            list[str]: ids of finalized PENDING jobs to queue, oldest first.
        """
        with self._tx() as db:
            now = _now()
            expired = datetime.now(timezone.utc) - timedelta(seconds=IDEMPOTENCY_TTL_SECONDS)
            db.execute("DELETE FROM idempotency WHERE created_at < ?",
                       (expired.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),))
            stuck = db.execute(
                "SELECT id, owner, attempts FROM jobs WHERE status = 'RUNNING'"
            ).fetchall()
            for job_id, owner, attempts in stuck:
                if attempts >= MAX_ATTEMPTS:
                    db.execute(
                        "UPDATE jobs SET status = 'FAILED', error = ?, updated_at = ? "
                        "WHERE id = ?",
                        (f"the service stopped while running this job {attempts} times; "
                         "it was not restarted again", now, job_id),
                    )
                    self._refund_unrun(db, job_id, owner, "job failed")
                else:
                    db.execute(
                        "UPDATE jobs SET status = 'PENDING', updated_at = ? WHERE id = ?",
                        (now, job_id),
                    )
            return [
                job_id for (job_id,) in db.execute(
                    "SELECT id FROM jobs WHERE status = 'PENDING' AND finalized = 1 "
                    "ORDER BY created_at, id"
                )
            ]

    # ------------------------------------------------------------------ other routes

    def set_status(self, job_id: str, *, status: str, expect: Sequence[str],
                   error: str | None = None, run_time: float | None = None) -> bool:
        """Move a job between statuses if it is currently in one of ``expect``.

        For routes outside the circuit flow (e.g. characterization, §2.14).

        Returns:
            bool: whether the job was in an expected status and was updated.
        """
        placeholders = ", ".join("?" for _ in expect)
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE jobs SET status = ?, error = ?, run_time = COALESCE(?, run_time), "
                f"updated_at = ? WHERE id = ? AND status IN ({placeholders})",
                (status, error, run_time, _now(), job_id, *expect),
            )
            return cur.rowcount == 1

    def set_artifact(self, job_id: str, name: str, value: str) -> None:
        """Store (or replace) a named text blob for a job."""
        with self._tx() as db:
            db.execute(
                "INSERT INTO artifacts (job_id, name, value) VALUES (?, ?, ?) "
                "ON CONFLICT (job_id, name) DO UPDATE SET value = excluded.value",
                (job_id, name, value),
            )

    def get_artifact(self, job_id: str, name: str) -> str | None:
        """A named text blob of a job, or ``None``."""
        rows = self._read(
            "SELECT value FROM artifacts WHERE job_id = ? AND name = ?", (job_id, name)
        )
        return rows[0][0] if rows else None
