"""The journal's SQLite file: where it lives, its one table, and every statement run on it.

* :func:`default_journal_path`: ``$PENNYLANE_QORO_JOURNAL``, else the user's cache folder
  (``$XDG_CACHE_HOME`` or the platform's: ``~/.cache`` on Linux, ``~/Library/Caches`` on
  macOS, ``%LOCALAPPDATA%`` on Windows) ``/pennylane-qoro/journal.sqlite``;
* :func:`connect`: WAL mode and a busy timeout, so several processes (two scripts, one
  journal) read and write one file safely; every write is one short ``BEGIN IMMEDIATE``
  transaction;
* the ``jobs`` table: one row per journaled job. It holds the content key, the service URL,
  the job id, its state, what the job carried (type, target, circuits, shots), who wrote it
  (a per-process token, pid and host) and, for cached jobs, the decoded results. Never an API
  key or a request header.

Imports the standard library only.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_JOURNAL",
    "RETENTION_SECONDS",
    "STATES",
    "connect",
    "default_journal_path",
    "insert",
    "select",
    "transaction",
    "update",
]

ENV_JOURNAL = "PENNYLANE_QORO_JOURNAL"
"""Environment variable naming the journal file (overrides the cache folder)."""

RETENTION_SECONDS = 30 * 86400.0
"""Rows untouched this long are removed when a process first opens the journal."""

STATES = ("submitting", "submitted", "fetched", "failed", "cancelled")
"""``submitting``: recorded before ``job/init/`` (``job_id`` set once init answers);
``submitted``: every circuit uploaded, nobody has seen the job finish; ``fetched``: its results
were read; ``failed`` / ``cancelled``: it ended otherwise, or its submission failed."""

BUSY_TIMEOUT = 30.0  # seconds a statement waits for another process's write lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    url TEXT NOT NULL,
    job_id TEXT,
    state TEXT NOT NULL,
    job_type TEXT NOT NULL,
    target TEXT NOT NULL,
    tag TEXT,
    circuits INTEGER NOT NULL,
    shots INTEGER NOT NULL,
    process TEXT NOT NULL,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    run_time REAL,
    results TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (key, state);
CREATE INDEX IF NOT EXISTS jobs_by_job_id ON jobs (job_id);
"""

_COLUMNS = ("key", "url", "job_id", "state", "job_type", "target", "tag", "circuits", "shots",
            "process", "pid", "host", "created_at", "updated_at", "run_time", "results")


def default_journal_path(environ: Mapping[str, str] = os.environ,
                         platform: str = sys.platform) -> Path:
    """Where the journal lives unless the device's ``journal=`` names a file.

    >>> default_journal_path({"XDG_CACHE_HOME": "/c"}, "linux").as_posix()
    '/c/pennylane-qoro/journal.sqlite'
    >>> default_journal_path({"PENNYLANE_QORO_JOURNAL": "/tmp/j.sqlite"}).as_posix()
    '/tmp/j.sqlite'
    """
    if environ.get(ENV_JOURNAL):
        return Path(environ[ENV_JOURNAL]).expanduser()
    if environ.get("XDG_CACHE_HOME"):
        base = Path(environ["XDG_CACHE_HOME"])
    elif platform == "win32":
        base = Path(environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path.home() / ".cache"
    return base / "pennylane-qoro" / "journal.sqlite"


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) the journal at ``path``: WAL, busy timeout, the schema, and
    rows older than :data:`RETENTION_SECONDS` removed.

    The folder is created private to the user (0700) and the file 0600: job ids are not
    secrets, but they are nobody else's business.

    Raises:
        sqlite3.Error, OSError: the file cannot be created or is not a journal.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None,
                         check_same_thread=False)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: a crashed process loses nothing
        with transaction(db):
            for statement in _statements():  # executescript would commit on its own
                db.execute(statement)
            db.execute("DELETE FROM jobs WHERE updated_at < ?",
                       (time.time() - RETENTION_SECONDS,))
    except BaseException:
        db.close()
        raise
    return db


def _statements() -> list[str]:
    return [s.strip() for s in _SCHEMA.split(";") if s.strip()]


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error): one writer at a time across
    processes, waiting up to the busy timeout for the lock."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def insert(db: sqlite3.Connection, row: Mapping[str, Any]) -> int:
    """Insert one journal row; returns its id."""
    with transaction(db):
        cur = db.execute(
            f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
            tuple(row.get(c) for c in _COLUMNS),
        )
        return int(cur.lastrowid or 0)


def update(db: sqlite3.Connection, row_id: int, **fields: Any) -> None:
    """Set some columns of one row (and its ``updated_at``)."""
    unknown = set(fields) - set(_COLUMNS)
    if unknown:
        raise ValueError(f"unknown journal columns {sorted(unknown)}")
    fields["updated_at"] = time.time()
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with transaction(db):
        db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*fields.values(), row_id))


def select(db: sqlite3.Connection, where: str, params: tuple, *,
           limit: int | None = None) -> list[dict[str, Any]]:
    """Rows matching ``where`` (a fixed SQL condition with ``?`` parameters), newest first."""
    sql = f"SELECT id, {', '.join(_COLUMNS)} FROM jobs WHERE {where} ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    cur = db.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
