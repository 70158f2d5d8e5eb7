"""The local job journal: every job a device submits, under a content key, in one SQLite file.

:class:`Journal` is what ``QoroClient.run(spec, journal=...)`` writes to and reads from
(``client/journal_run.py`` holds that flow): a row per job, recorded before ``job/init/``, that
follows the job through ``uploading``, ``submitted`` and ``fetched`` (or ``failed`` /
``cancelled``), so that a process that never saw its job finish -- killed, a kernel that died,
a wait that lost the service -- leaves a row a later run can reattach to instead of paying for
the same job twice. With ``cache=True`` the decoded results of deterministic jobs are stored
too, and served with no request at all.

:func:`job_key` is the content key: sha256 over the service URL, the ``job/init/`` body
(target, job type, tag, ``maestro_config`` with the execution and noise configuration and the
seed) and the sha256 of every ``add_circuits`` body (circuits, parameter rows, shots,
observables), exactly as they would be sent. The API key is never part of it and never stored.

A journal that cannot be opened or written (a read-only cache folder, a corrupt file) warns
once and is switched off for the process: it saves credits, it never stops a run.

Imports the standard library and ``client`` modules only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import socket
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from . import journal_store as store
from .spec import JobSpec, UploadPlan

__all__ = ["Journal", "JournalEntry", "job_key", "open_journal"]

log = logging.getLogger(__name__)

KEY_VERSION = 1  # bump when what the key covers changes: old rows then simply never match
_T = TypeVar("_T")
_HOST = socket.gethostname()


def _new_process_token() -> str:
    return secrets.token_hex(8)


_PROCESS = _new_process_token()


def _reset_after_fork() -> None:  # a forked child is another process: its own token
    global _PROCESS
    _PROCESS = _new_process_token()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def job_key(url: str, plan: UploadPlan, *, seed_in_key: bool = True) -> str:
    """The content key of a job: equal keys mean the service would be asked the same thing.

    Args:
        url (str): the service's base URL.
        plan (UploadPlan): ``plan_job(spec)``: the init body and the add_circuits bodies.
        seed_in_key (bool): ``False`` drops ``maestro_config["seed"]`` (for jobs whose
            results the seed cannot change, e.g. noise-free expectation values).

    >>> from pennylane_qoro.client.spec import JobSpec, plan_job
    >>> spec = JobSpec(circuits=(("a", "qreg q[1];"),), shots=5, maestro_config={"seed": 1})
    >>> job_key("u", plan_job(spec)) == job_key("u", plan_job(spec))
    True
    >>> other = JobSpec(circuits=(("a", "qreg q[1];"),), shots=5, maestro_config={"seed": 2})
    >>> job_key("u", plan_job(spec), seed_in_key=False) == job_key(
    ...     "u", plan_job(other), seed_in_key=False)
    True
    """
    init = dict(plan.init)
    config = init.get("maestro_config")
    if not seed_in_key and isinstance(config, Mapping):
        config = {k: v for k, v in config.items() if k != "seed"}
        if config:
            init["maestro_config"] = config
        else:
            init.pop("maestro_config")  # {} and no config at all ask the same
    document = {
        "v": KEY_VERSION,
        "url": url.rstrip("/"),
        "init": init,
        "bodies": [hashlib.sha256(body).hexdigest() for body in plan.bodies],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class JournalEntry:
    """One journaled job.

    Attributes:
        job_id (str | None): the service's id (``None`` until ``job/init/`` answered).
        state (str): ``submitting``, ``uploading``, ``submitted``, ``fetched``, ``failed`` or
            ``cancelled`` (``journal_store.STATES``).
        job_type (str): ``EXECUTE`` or ``EXPECTATION``.
        target (str): the simulator cluster or QPU system.
        tag (str | None): the job's tag.
        circuits (int): circuits (rows) the job carries.
        shots (int): shots over all its circuits (0 for EXPECTATION).
        url (str): the service.
        key (str): the content key.
        created_at (float): when it was recorded (``time.time()``).
        updated_at (float): its last change.
        cached (bool): whether its decoded results are stored.
    """

    job_id: str | None
    state: str
    job_type: str
    target: str
    tag: str | None
    circuits: int
    shots: int
    url: str
    key: str
    created_at: float
    updated_at: float
    cached: bool
    row: int = -1
    run_time: float | None = None
    process: str = ""
    pid: int = 0
    host: str = ""


def _entry(row: Mapping[str, Any]) -> JournalEntry:
    return JournalEntry(
        job_id=row["job_id"], state=row["state"], job_type=row["job_type"],
        target=row["target"], tag=row["tag"], circuits=row["circuits"], shots=row["shots"],
        url=row["url"], key=row["key"], created_at=row["created_at"],
        updated_at=row["updated_at"], cached=row["results"] is not None, row=row["id"],
        run_time=row["run_time"], process=row["process"], pid=row["pid"], host=row["host"],
    )


def total_shots(spec: JobSpec) -> int:
    """Shots over all circuits of a spec (0 for EXPECTATION jobs)."""
    if spec.shot_groups:
        return sum((end - start) * shots for start, end, shots in spec.shot_groups)
    return (spec.shots or 0) * len(spec.labels)


class Journal:
    """The journal file of this user (or the one named), shared by every device of a process.

    Use :func:`open_journal` to get the process's one :class:`Journal` per file (so that jobs
    one device is waiting on are known to the others). Thread-safe; a forked child reopens
    the file.

    Args:
        path (str | os.PathLike | None): the SQLite file; ``None``:
            ``$PENNYLANE_QORO_JOURNAL``, else the user's cache folder
            (``journal_store.default_journal_path``).
    """

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else store.default_journal_path()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._lock = threading.RLock()
        self._waiting: set[int] = set()  # rows a thread of this process is waiting on
        self.disabled = False

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    # -- writing -----------------------------------------------------------------------------

    def record(self, key: str, url: str, spec: JobSpec, plan: UploadPlan) -> int:
        """Journal a job about to be created (state ``submitting``); its row id (-1 if the
        journal is off)."""
        init = plan.init
        stamp = time.time()
        row = {
            "key": key, "url": url.rstrip("/"), "job_id": None, "state": "submitting",
            "job_type": spec.job_type,
            "target": str(init.get("qpu_system_name") or init.get("simulator_cluster") or ""),
            "tag": spec.tag, "circuits": len(spec.labels), "shots": total_shots(spec),
            "process": _PROCESS, "pid": os.getpid(), "host": _HOST,
            "created_at": stamp, "updated_at": stamp,
        }
        return self._use(lambda db: store.insert(db, row), -1)

    def update(self, row: int, **fields: Any) -> None:
        """Change a row's ``state``, ``job_id``, ``run_time`` or ``results`` (JSON-encoded)."""
        if row < 0:
            return
        if "results" in fields and fields["results"] is not None:
            fields["results"] = json.dumps(fields["results"], allow_nan=True)
        self._use(lambda db: store.update(db, row, **fields), None)

    @contextmanager
    def waiting(self, row: int) -> Iterator[None]:
        """Mark a row as waited on by this process (no other call here reattaches to it)."""
        with self._lock:
            self._waiting.add(row)
        try:
            yield
        finally:
            with self._lock:
                self._waiting.discard(row)

    # -- reading -----------------------------------------------------------------------------

    def reattachable(self, key: str, *, deterministic: bool, limit: int = 3) -> list[JournalEntry]:
        """Unfinished jobs of this key worth a status check, newest first.

        A row qualifies when its job id is known, nobody has fetched it, no thread of this
        process is waiting on it and -- for jobs whose results are not a function of the
        request (unseeded sampling) -- the process that wrote it is gone, so a sample is
        never handed to two consumers.
        """
        rows = self._use(lambda db: store.select(
            db, "key = ? AND state IN ('uploading', 'submitted') AND job_id IS NOT NULL",
            (key,), limit=limit * 4), [])
        with self._lock:
            waiting = set(self._waiting)
        out = [
            _entry(r) for r in rows
            if r["id"] not in waiting and (deterministic or _writer_gone(r))
        ]
        return out[:limit]

    def cached(self, key: str) -> tuple[JournalEntry, dict[str, Any]] | None:
        """The newest fetched job of this key with stored results, and those results."""
        rows = self._use(lambda db: store.select(
            db, "key = ? AND state = 'fetched' AND results IS NOT NULL", (key,), limit=1), [])
        if not rows:
            return None
        try:
            results = json.loads(rows[0]["results"])
        except (TypeError, ValueError):
            return None  # a damaged row is a miss, not an error
        return _entry(rows[0]), results

    def entries(self, url: str | None = None, *, limit: int = 100) -> list[JournalEntry]:
        """Journaled jobs, newest first (of one service if ``url`` is given)."""
        if url is None:
            rows = self._use(lambda db: store.select(db, "1 = 1", (), limit=limit), [])
        else:
            rows = self._use(lambda db: store.select(db, "url = ?", (url.rstrip("/"),),
                                                     limit=limit), [])
        return [_entry(r) for r in rows]

    def entry(self, job_id: str) -> JournalEntry | None:
        """The newest row of a job id, or ``None``."""
        rows = self._use(lambda db: store.select(db, "job_id = ?", (job_id,), limit=1), [])
        return _entry(rows[0]) if rows else None

    def results(self, entry: JournalEntry) -> dict[str, Any] | None:
        """The stored results of a row, or ``None``."""
        rows = self._use(lambda db: store.select(db, "id = ?", (entry.row,), limit=1), [])
        if not rows or rows[0]["results"] is None:
            return None
        return json.loads(rows[0]["results"])

    def close(self) -> None:
        """Close the file (it reopens on next use)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- internals ---------------------------------------------------------------------------

    def _use(self, work: Callable[[sqlite3.Connection], _T], off: _T) -> _T:
        """Run ``work`` on the open file; on a journal failure warn once, switch off, and
        answer ``off`` (the run goes on without the journal)."""
        with self._lock:
            if self.disabled:
                return off
            try:
                if self._db is None or self._pid != os.getpid():
                    self._db = store.connect(self.path)
                    self._pid = os.getpid()
                return work(self._db)
            except (sqlite3.Error, OSError) as exc:
                self.disabled = True
                warnings.warn(
                    f"the job journal {self.path} cannot be used ({exc}); jobs run without "
                    "it (no reattach after a crash, no cache). Pass journal='<path>' to use "
                    "another file, or journal=False to silence this.",
                    RuntimeWarning, stacklevel=2,
                )
                return off


def _writer_gone(row: Mapping[str, Any]) -> bool:
    """Whether the process that wrote a row has ended (unknown on another host: assumed
    alive, so a sample is never shared by mistake)."""
    if row["process"] == _PROCESS:
        return True  # this process, and no thread of it is waiting on the row
    if row["host"] != _HOST:
        return False
    pid = int(row["pid"])
    if pid == os.getpid():
        return True  # the writer's pid now belongs to this process: the writer is gone
    if os.name != "posix":
        return True  # no signal-0 probe here; a row of a live process is merely not skipped
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: alive, another user's
        return False
    return False


_OPEN: dict[Path, Journal] = {}
_OPEN_LOCK = threading.Lock()


def open_journal(path: str | os.PathLike | None = None) -> Journal:
    """The process's :class:`Journal` for ``path`` (``None``: the default file), created on
    first use; nothing touches the disk until a job is recorded or looked up."""
    target = Path(path) if path is not None else store.default_journal_path()
    resolved = target.expanduser().absolute()
    with _OPEN_LOCK:
        journal = _OPEN.get(resolved)
        if journal is None:
            journal = _OPEN[resolved] = Journal(resolved)
        return journal


def labels_in(results: Mapping[str, Any], labels: Sequence[str]) -> bool:
    """Whether stored results cover every label of a spec."""
    return all(label in results for label in labels)
