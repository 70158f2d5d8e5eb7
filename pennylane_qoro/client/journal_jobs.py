"""The journaled jobs of one service, as a user sees them (``QoroDevice.jobs()``).

:class:`JournalJobs` lists the jobs a journal holds for a client's service (newest first),
finds one by id, fetches its results (from the journal when it stored them, else from the
service, waiting if the job is still running) and cancels it on the service. ``str()`` is a
table.

Imports the standard library and ``client`` modules only.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .journal import Journal, JournalEntry

if TYPE_CHECKING:
    from .jobs import QoroClient
    from .spec import JobResult

__all__ = ["JournalJobs"]


class JournalJobs:
    """The journal's jobs of ``client``'s service.

    Args:
        journal (Journal): the journal.
        client (QoroClient): the service's client (fetch and cancel go through it).
        limit (int): the newest rows listed.
    """

    def __init__(self, journal: Journal, client: QoroClient, *, limit: int = 100):
        self._journal = journal
        self._client = client
        self._limit = limit

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._journal.entries(self._client.url, limit=self._limit))

    def __len__(self) -> int:
        return len(self._journal.entries(self._client.url, limit=self._limit))

    def __repr__(self) -> str:
        return f"<JournalJobs journal={str(self._journal.path)!r} url={self._client.url!r}>"

    def get(self, job_id: str) -> JournalEntry:
        """The journal's row of a job of this service.

        Raises:
            KeyError: the journal has no such job for this service.
        """
        entry = self._journal.entry(job_id)
        if entry is None or entry.url != self._client.url.rstrip("/"):
            raise KeyError(f"job {job_id!r} is not in the journal {self._journal.path} for "
                           f"{self._client.url}")
        return entry

    def fetch(self, job_id: str, *, timeout: float | None = None) -> dict:
        """A journaled job's decoded results by label (stored ones, else from the service,
        waiting while it runs); the row is then marked ``fetched``.

        Raises:
            KeyError: the journal has no such job for this service.
            pennylane_qoro.client.errors.JobError: the job ended otherwise than COMPLETED.
        """
        entry = self.get(job_id)
        stored = self._journal.results(entry)
        if stored is not None:
            return stored
        self._client.wait(job_id, timeout=timeout)
        rows = self._client.results(job_id)
        self._journal.update(entry.row, state="fetched")
        return {row["label"]: row["results"] for row in rows}

    def result(self, job_id: str, *, timeout: float | None = None) -> JobResult:
        """:meth:`fetch` as a :class:`JobResult`."""
        from .spec import JobResult

        entry = self.get(job_id)
        results = self.fetch(job_id, timeout=timeout)
        return JobResult(job_id=job_id, results=results, run_time=float(entry.run_time or 0.0),
                         requests=0)

    def cancel(self, job_id: str) -> dict:
        """Cancel a journaled job on the service and mark its row ``cancelled``.

        Raises:
            KeyError: the journal has no such job for this service.
            pennylane_qoro.client.errors.ConflictError: the job is no longer cancellable.
        """
        entry = self.get(job_id)
        answer = self._client.cancel(job_id)
        self._journal.update(entry.row, state="cancelled")
        return answer

    def __str__(self) -> str:
        head = ("job id", "state", "type", "target", "circuits", "shots", "created")
        rows = [
            (e.job_id or "-", e.state + (" (cached)" if e.cached else ""), e.job_type, e.target,
             str(e.circuits), str(e.shots),
             time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created_at)))
            for e in self
        ]
        if not rows:
            return f"no journaled jobs for {self._client.url} in {self._journal.path}"
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in [head, *rows])
