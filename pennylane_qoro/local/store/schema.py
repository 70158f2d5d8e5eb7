"""The SQLite schema of the local service's store, and opening a connection to it.

Owns the DDL (tables and indexes) and the connection settings (WAL journal, ``synchronous``,
busy timeout). Every statement is ``CREATE ... IF NOT EXISTS``, so opening a database written
by an earlier version of this schema is safe; there have been no incompatible changes, hence no
migration steps yet. A change that alters an existing table must add one here, run by
:func:`connect` before the store is used.

Tables:
  * ``tokens``: sha256 of each bearer token (never the token itself), its balance and usage;
  * ``revoked``: tokens revoked by ``qoro-local token revoke`` (their rows and ledger stay, so
    the jobs they ran keep their accounting);
  * ``transactions``: the credit ledger (``PURCHASE`` grants, ``USAGE`` debits, ``REFUND``s);
  * ``jobs``: one row per job (status, envelope, simulator options, cost, error, run time);
  * ``templates``: the template texts of template jobs (qoro-api.md §2.8 shape b);
  * ``circuits``: one row per circuit in submission order (bound text, or template index plus
    parameter values), its shots and cost, and its result once run (one JSON text per row);
  * ``artifacts``: named text blobs per job, for routes other than the circuit flow
    (e.g. characterization results);
  * ``idempotency``: per owner and ``Idempotency-Key``, a fingerprint of the request and the
    response it got (qoro-api.md §8 item 10).

Imports only the standard library.
"""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA", "connect"]

SCHEMA = """
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
CREATE TABLE IF NOT EXISTS revoked (
    hash TEXT PRIMARY KEY,
    revoked_at TEXT NOT NULL
) WITHOUT ROWID;
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


def connect(path: str | None) -> sqlite3.Connection:
    """Open (creating if needed) the store's database and make sure its tables exist.

    Args:
        path (str | None): database file; ``None`` keeps the database in memory.

    Returns:
        sqlite3.Connection: in autocommit mode (the store issues ``BEGIN IMMEDIATE`` itself)
        and usable from any thread (the store serializes access with one lock).
    """
    db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    # WAL + NORMAL: a commit is durable against a process kill (what restarts test); only
    # an OS crash may lose the last commits.
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=OFF")
    db.execute("PRAGMA busy_timeout=5000")
    db.executescript(SCHEMA)
    return db
