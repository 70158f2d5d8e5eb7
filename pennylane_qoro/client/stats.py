"""The counters a client keeps (requests, retries, bytes, polls, jobs), thread-safe.

The device tracker and the benchmarks read them. Imports the standard library only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from threading import Lock

__all__ = ["ClientStats"]


@dataclass
class ClientStats:
    """Counters a client keeps; the device tracker and the benchmarks read them.

    Attributes:
        requests (int): HTTP requests issued (each adapter retry is counted in ``retries``).
        retries (int): attempts the retrying adapters re-sent (GET, DELETE, keyed POSTs).
        bytes_sent (int): request body bytes handed to the transport.
        polls (int): ``status/`` requests made while waiting for jobs.
        jobs (int): jobs created (``job/init/`` answered with a job id).
    """

    requests: int = 0
    retries: int = 0
    bytes_sent: int = 0
    polls: int = 0
    jobs: int = 0
    _lock: Lock = field(default_factory=Lock, repr=False, compare=False)

    def add(self, **counts: int) -> None:
        """Add to several counters atomically."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def __getstate__(self) -> dict[str, int]:  # copy/pickle without the lock
        return self.snapshot()

    def __setstate__(self, state: dict[str, int]) -> None:
        self.__init__(**state)

    def snapshot(self) -> dict[str, int]:
        """The counters as a plain dict."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "bytes_sent": self.bytes_sent,
                "polls": self.polls,
                "jobs": self.jobs,
            }
