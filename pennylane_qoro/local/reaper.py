"""The reaper: uploads that were never finalized end FAILED instead of PENDING forever.

A client that stops between ``job/init/`` (or a non-final ``add_circuits/`` chunk) and the
finalizing chunk leaves a PENDING job that will never run. While the application runs, a
daemon thread calls :meth:`Store.reap_uploads` every :func:`interval` seconds; a job idle for
the store's ``idle_upload_seconds`` (default 600 s, ``qoro-local serve --idle-upload-seconds``)
is FAILED with a reason. At start-up :meth:`Store.recover` does the same, so an upload cut off
by a crash is failed once its idle time has passed, counted from its last chunk.

Imports only the standard library and ``local.store``.
"""

from __future__ import annotations

import logging
import threading

from .store import Store

__all__ = ["Reaper", "interval"]

log = logging.getLogger(__name__)


def interval(idle_seconds: float) -> float:
    """Seconds between two sweeps: a quarter of the idle time, within [0.05, 60].

    >>> interval(600), interval(0.1)
    (60, 0.05)
    """
    return min(max(idle_seconds / 4, 0.05), 60)


class Reaper:
    """A daemon thread failing idle unfinalized uploads of ``store`` until :meth:`stop`."""

    def __init__(self, store: Store):
        self.store = store
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sweep, name="qoro-local-reaper",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _sweep(self) -> None:
        every = interval(self.store.idle_upload_seconds)
        while not self._stop.wait(every):
            try:
                reaped = self.store.reap_uploads()
            except Exception:  # a closed store at shutdown, or a transient error: try again
                if self._stop.is_set():
                    return
                log.exception("the upload reaper failed")
                continue
            for job_id in reaped:
                log.warning("job %s: upload never finalized; the job was FAILED", job_id)
