"""A FIFO of callables served by daemon worker threads: the runner's workers.

Maestro releases the GIL while it simulates, so threads use every core. The threads are
daemons: a process may exit while a long circuit runs (the job is resumed or failed by
``Store.recover`` at the next start). A task that raises is logged and never kills its worker.

Imports only the standard library.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

__all__ = ["Pool"]

log = logging.getLogger(__name__)


class Pool:
    """A FIFO of callables served by daemon worker threads.

    Args:
        workers (int): number of threads.
    """

    def __init__(self, workers: int):
        self._queue: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._serve, name=f"qoro-local-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, task: Callable[[], None]) -> None:
        """Queue a task (run in submission order as workers free up)."""
        self._queue.put(task)

    def _serve(self) -> None:
        while (task := self._queue.get()) is not None:
            try:
                task()
            except Exception:  # a task must never kill its worker
                log.exception("local service worker task failed")

    def shutdown(self, *, timeout: float = 5.0) -> None:
        """Stop the workers after the tasks already queued; wait up to ``timeout`` seconds."""
        for _ in self._threads:
            self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
