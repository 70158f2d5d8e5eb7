"""One serving process per database file: an exclusive lock file beside the database.

A service serving ``jobs.sqlite`` holds an exclusive, non-blocking OS lock on
``jobs.sqlite.lock`` (``fcntl.flock``; ``msvcrt.locking`` on Windows) for its whole life, and
writes its process id into it. A second service on the same file is refused with
:class:`DatabaseInUse`, one line naming the file and the process that serves it, BEFORE it
opens the store -- so its start-up recovery never re-queues jobs a live process is running.
The OS drops the lock when the holder exits, however it exits (``kill -9`` included): a
restart after a crash takes the lock at once, and a stale lock file is harmless (the file is
never deleted, which would let two processes lock two different files).

Imports the standard library only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["DatabaseInUse", "DatabaseLock", "lock_path"]

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class DatabaseInUse(RuntimeError):
    """Another live process serves this database (the message is one line, for the CLI)."""

    def __init__(self, db: Path, pid: str | None):
        who = f"process {pid}" if pid else "another process"
        super().__init__(f"database {db} is already served by {who} "
                         f"(lock file {lock_path(db)}); stop it or use another --db")
        self.db = db
        self.pid = pid


def lock_path(db: str | Path) -> Path:
    """The lock file of a database: ``<db>.lock`` beside it."""
    db = Path(db)
    return db.with_name(db.name + ".lock")


class DatabaseLock:
    """The exclusive serving lock of one database file, held until :meth:`release`.

    Args:
        db (str | Path): the database file (its directory is created if needed).

    Raises:
        DatabaseInUse: another live process (or another service in this one) holds it.

    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "jobs.sqlite"
    >>> lock = DatabaseLock(db)
    >>> DatabaseLock(db)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pennylane_qoro.local.db_lock.DatabaseInUse: database ... is already served by process ...
    >>> lock.release(); DatabaseLock(db).release()
    """

    def __init__(self, db: str | Path):
        self.path = lock_path(db)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        if not _try_lock(fd):
            try:
                pid = os.read(fd, 32).decode("ascii", "replace").strip() or None
            except OSError:  # Windows: the holder's locked byte cannot be read
                pid = None
            finally:
                os.close(fd)
            raise DatabaseInUse(Path(db), pid)
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd: int | None = fd

    def release(self) -> None:
        """Give the lock up (closing the descriptor drops it); idempotent."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
