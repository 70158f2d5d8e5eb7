"""Large jobs in a child worker process that cancel, Ctrl+C and interpreter exit can kill.

A thread cannot be stopped inside a Maestro call: a cancelled 24-qubit circuit would keep the
process computing for seconds and, at interpreter exit, make nanobind print its "leaked"
lines. So the runner hands every job above its work threshold to this lane: one child process
(``python -m pennylane_qoro.local.worker_process``, started on the first large job and reused),
one job at a time, FIFO. The child runs the job with the same code as the in-process workers
(the claimed work carries the job's options: simulator settings, seeds, noise model, so a job
gives the same results in either place) and relays result batches and the job's end over a
``multiprocessing.connection`` (authkey); this side stores them. Cancelling the running job
kills the child at once (the store already says CANCELLED); the next large job starts a fresh
one. :meth:`ProcessLane.close` (the service's shutdown, hence interpreter exit) kills it too.
A child that dies on its own FAILS its job with a reason.

The child is a plain ``subprocess`` rather than a ``multiprocessing`` spawn: spawn re-imports
the user's ``__main__`` script in the child, which would re-run an unguarded script.

Imports the standard library and ``local.store`` only.
"""

from __future__ import annotations

import logging
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection, Listener
from pathlib import Path
from typing import Any

from .store import Store, Work

__all__ = ["CONNECT_TIMEOUT", "ProcessLane"]

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 60.0
"""Seconds a new worker process may take to import and connect back."""


class ProcessLane:
    """Runs claimed (RUNNING) jobs one at a time in a killable child process.

    Args:
        store (Store): where results and job ends are written.
        settings (dict): the child runner's keywords (``workers``, ``flush_every``,
            ``flush_seconds``).
        before_finish (Callable[[float], None]): called with the job's start time
            (``time.monotonic()``) right before its end is stored (the runner's hold).
    """

    def __init__(self, store: Store, settings: dict[str, Any],
                 before_finish: Callable[[float], None]):
        self.store = store
        self.settings = settings
        self.before_finish = before_finish
        self._queue: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen | None = None
        self._conn: Connection | None = None
        self._current: str | None = None
        self._queued: set[str] = set()  # submitted, not yet finished
        self._dropped: set[str] = set()  # of those, cancelled
        self._closing = False

    def submit(self, work: Work) -> None:
        """Queue a claimed job (its lane thread starts on the first call)."""
        with self._lock:
            if self._closing:
                return  # stays RUNNING in the store: resumed by the next start-up
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="qoro-local-process",
                                                daemon=True)
                self._thread.start()
            self._queued.add(work.job.id)
        self._queue.put(work)

    def kill(self, job_id: str) -> bool:
        """Stop ``job_id`` now: kill the child if it runs it, else skip it when its turn comes.

        Returns:
            bool: whether the job was running in the child.
        """
        with self._lock:
            if job_id not in self._queued:
                return False
            self._dropped.add(job_id)  # also covers a child still starting for it
            if self._current != job_id:
                return False
            self._kill_locked()
            return True

    def close(self, *, timeout: float = 2.0) -> None:
        """Kill the child (its job stays RUNNING and resumes at the next start-up)."""
        with self._lock:
            self._closing = True
            self._kill_locked()
            thread = self._thread
        self._queue.put(None)
        if thread is not None:
            thread.join(timeout)

    # ------------------------------------------------------------------ lane thread

    def _kill_locked(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.kill()
        if proc is not None:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - the kernel reaps it
                log.warning("worker process %s did not exit after SIGKILL", proc.pid)
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _serve(self) -> None:
        while (work := self._queue.get()) is not None:
            try:
                self._run(work)
            except Exception:  # never kill the lane
                log.exception("local service worker process lane failed")

    def _run(self, work: Work) -> None:
        job_id = work.job.id
        with self._lock:
            if self._closing or job_id in self._dropped:
                self._queued.discard(job_id)
                self._dropped.discard(job_id)
                return
            self._current = job_id
        try:
            conn = self._connection()
        except Exception as exc:
            with self._lock:
                self._current = None
                self._queued.discard(job_id)
                self._dropped.discard(job_id)
            self.store.finish(job_id, results=[], run_time=0.0,
                              error=f"the local service could not start its worker process: {exc}")
            return
        started = time.monotonic()
        try:
            with self._lock:
                if job_id in self._dropped:
                    return
            conn.send((work, self.settings))
            self._relay(conn, job_id, started)
        except (EOFError, OSError):  # the child died: killed here, or crashed
            with self._lock:
                closing = self._closing
                self._kill_locked()
            if not closing:  # FAILED unless cancelled (then finish changes nothing)
                self.store.finish(job_id, results=[], run_time=0.0,
                                  error="the simulation worker process stopped unexpectedly")
        finally:
            with self._lock:
                self._current = None
                self._queued.discard(job_id)
                self._dropped.discard(job_id)

    def _relay(self, conn: Connection, job_id: str, started: float) -> None:
        while True:
            kind, results, run_time, error = conn.recv()
            if kind == "save":
                if not self.store.save_results(job_id, results, run_time):
                    self.kill(job_id)  # cancelled or deleted meanwhile
                    return
            else:
                self.before_finish(started)
                self.store.finish(job_id, results=results, run_time=run_time, error=error)
                return

    def _connection(self) -> Connection:
        """The live child's connection, spawning a child if there is none."""
        with self._lock:
            if self._conn is not None and self._proc is not None and self._proc.poll() is None:
                return self._conn
            self._kill_locked()
        key = secrets.token_bytes(32)
        listener = Listener(authkey=key)
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "pennylane_qoro.local.worker_process"],
                stdin=subprocess.PIPE, close_fds=True, env=_child_env(),
                # its own session: a terminal's Ctrl+C reaches this process, which decides
                start_new_session=os.name == "posix",
            )
            assert proc.stdin is not None
            proc.stdin.write(f"{listener.address}\n{key.hex()}\n".encode())
            proc.stdin.close()
            conn = _accept(listener, proc)
        finally:
            listener.close()
        with self._lock:
            if self._closing:
                proc.kill()
                conn.close()
                raise RuntimeError("the service is shutting down")
            self._proc, self._conn = proc, conn
        return conn


def _child_env() -> dict[str, str]:
    """This environment, with the folder this package is imported from first on the path
    (the package may be imported from a source tree rather than installed)."""
    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": root if not path else os.pathsep.join((root, path))}


def _accept(listener: Listener, proc: subprocess.Popen) -> Connection:
    """``listener.accept()``, given up when the child exits or :data:`CONNECT_TIMEOUT` passes."""
    got: list[Connection | BaseException] = []
    thread = threading.Thread(target=lambda: got.append(_try_accept(listener)), daemon=True)
    thread.start()
    deadline = time.monotonic() + CONNECT_TIMEOUT
    while thread.is_alive():
        thread.join(0.05)
        if thread.is_alive() and (proc.poll() is not None or time.monotonic() > deadline):
            proc.kill()
            proc.wait()
            raise RuntimeError(f"the worker process exited with code {proc.returncode} "
                               "before connecting")
    result = got[0]
    if isinstance(result, BaseException):
        proc.kill()
        raise RuntimeError(f"the worker process could not connect: {result}")
    return result


def _try_accept(listener: Listener) -> Connection | BaseException:
    try:
        return listener.accept()
    except BaseException as exc:  # handed to the waiting thread
        return exc
