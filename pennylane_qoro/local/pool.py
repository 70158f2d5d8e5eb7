"""Callables served by daemon worker threads, fairly: the runner's workers.

Two kinds of task: a task with no ``lane`` (a circuit of a job already running) runs first, in
submission order, so a started job finishes before new ones start; a task with a ``lane`` (a
job waiting to start, the lane being its owner) runs FIFO within its lane and round robin
between lanes, so one token's flood of jobs never keeps another token's jobs waiting behind
it.

Maestro releases the GIL while it simulates, so threads use every core. The threads are
daemons: a process may exit while a long circuit runs (the job is resumed or failed by
``Store.recover`` at the next start). A task that raises is logged and never kills its worker.

Imports only the standard library.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

__all__ = ["Pool"]

log = logging.getLogger(__name__)

Task = Callable[[], None]


class Pool:
    """Callables served by daemon worker threads: unlaned tasks first, then lanes in turn.

    Args:
        workers (int): number of threads.
    """

    def __init__(self, workers: int):
        self._ready = threading.Condition()
        self._now: deque[Task] = deque()
        self._lanes: OrderedDict[str, deque[Task]] = OrderedDict()
        self._stopping = False
        self._threads = [
            threading.Thread(target=self._serve, name=f"qoro-local-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, task: Task, *, lane: str | None = None) -> None:
        """Queue a task.

        Args:
            task (Callable[[], None]): the work.
            lane (str | None): ``None`` runs before every laned task (FIFO); a lane's tasks
                run FIFO, lanes take turns (one task each).
        """
        with self._ready:
            if lane is None:
                self._now.append(task)
            else:
                self._lanes.setdefault(lane, deque()).append(task)
            self._ready.notify()

    def _next(self) -> Task | None:
        with self._ready:
            while True:
                if self._now:
                    return self._now.popleft()
                if self._lanes:
                    lane, tasks = next(iter(self._lanes.items()))
                    task = tasks.popleft()
                    del self._lanes[lane]
                    if tasks:  # back of the line: the next lane goes first
                        self._lanes[lane] = tasks
                    return task
                if self._stopping:
                    return None
                self._ready.wait()

    def _serve(self) -> None:
        while (task := self._next()) is not None:
            try:
                task()
            except Exception:  # a task must never kill its worker
                log.exception("local service worker task failed")

    def shutdown(self, *, timeout: float = 5.0) -> None:
        """Stop the workers after the tasks already queued; wait up to ``timeout`` seconds."""
        with self._ready:
            self._stopping = True
            self._ready.notify_all()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
