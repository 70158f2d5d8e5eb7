"""The child side of ``process_lane.py``: ``python -m pennylane_qoro.local.worker_process``.

Reads the lane's address and authkey (two lines) from stdin, connects back, then runs the
claimed jobs it receives, one at a time, with the in-process runner's own code: a
:class:`~.runner.Runner` whose store is a relay that sends each result batch and the job's end
back over the connection. The parent owns the database; this process never opens it.

SIGINT is ignored: Ctrl+C in a terminal reaches the whole process group, and it is the parent
that decides (it cancels the job, then kills this process). When the parent goes away (the
connection closes), this process exits at once, Maestro threads included.

Imports the standard library and ``local.runner`` only.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Client, Connection

__all__ = ["Relay", "main"]


class Relay:
    """The child runner's stand-in for the store: forwards what the runner would write."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.lock = threading.Lock()

    def _send(self, message: tuple) -> None:
        try:
            with self.lock:
                self.conn.send(message)
        except OSError:  # the parent is gone: nobody wants the rest
            os._exit(0)

    def save_results(self, job_id: str, results: Sequence[tuple[int, str]],
                     run_time: float) -> bool:
        self._send(("save", list(results), run_time, None))
        return True  # a cancelled job's process is killed by the parent

    def finish(self, job_id: str, *, results: Sequence[tuple[int, str]], run_time: float,
               error: str | None = None) -> bool:
        self._send(("finish", list(results), run_time, error))
        return True


def _serve(conn: Connection) -> None:
    """Start each job received (the parent sends one at a time); return when it goes away."""
    from .runner import Runner  # after connecting: the parent's accept is not held up

    relay = Relay(conn)
    runner: Runner | None = None
    while True:
        try:
            work, settings = conn.recv()
        except (EOFError, OSError):
            return
        if runner is None:
            runner = Runner(relay, process_threshold=None, **settings)  # type: ignore[arg-type]
        threading.Thread(target=runner.execute, args=(work,), daemon=True).start()


def main() -> None:
    """Entry point: connect to the lane named on stdin and serve it until it goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        address = sys.stdin.readline().strip()
        key = bytes.fromhex(sys.stdin.readline().strip())
        conn = Client(address, authkey=key)
    except (OSError, ValueError, EOFError):  # the parent gave up (or went away) meanwhile
        os._exit(1)
    _serve(conn)
    os._exit(0)  # no interpreter teardown while Maestro threads may still run


if __name__ == "__main__":
    main()
