"""Waiting for a job: adaptive status polling, a deadline, outages, Ctrl+C cancel (§5).

:func:`wait_for_job` polls ``status/`` until the job is terminal: the first check comes after
``first_poll`` seconds and the pause grows x1.5 up to ``poll_interval``, or, once the service
has advertised ``max_wait``, each poll long-polls on the service instead of sleeping here.
Terminal failures raise the typed errors of ``client.errors`` with the server's message; a
service that stops answering is polled on for ``outage_grace`` seconds (the job lives on the
service); Ctrl+C cancels the job (once, best effort) and re-raises. Jobs that run longer than
:data:`PROGRESS_AFTER` seconds get a tqdm display when tqdm is installed.

It reaches the service only through the callables it is given (``QoroClient.status`` and
``cancel``). It imports the standard library, ``protocol`` and ``client.errors``, and (lazily,
optionally) tqdm; never requests or PennyLane.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..protocol.vocabulary import ACTIVE_STATUSES
from .errors import (
    DeadlineExceededError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimedOutError,
    QoroConnectionError,
    ServerError,
)

__all__ = ["OUTAGE_GRACE", "PROGRESS_AFTER", "PollSchedule", "best_effort", "wait_for_job"]

log = logging.getLogger(__name__)

# While waiting, a service that stops answering status polls (a restart, a network blip) is
# polled again for this long before the failure is raised: the job lives on the service.
OUTAGE_GRACE = 60.0
PROGRESS_AFTER = 2.0  # seconds of waiting before a progress display appears
_GATEWAY_STATUSES = frozenset({502, 503, 504})  # a service restarting or briefly away
_FAILURES: dict[str, type[JobError]] = {
    "FAILED": JobFailedError,
    "CANCELLED": JobCancelledError,
    "INSUFFICIENT_CREDITS": InsufficientCreditsError,
    "TIMED_OUT": JobTimedOutError,
}


@dataclass(frozen=True)
class PollSchedule:
    """How one wait polls (the client's settings at the time of the call).

    Attributes:
        first_poll (float): the pause before the first status check, in seconds.
        poll_interval (float): the longest pause between status checks.
        outage_grace (float): how long unanswered polls are retried before failing.
        progress (bool): show a tqdm display for long waits (if tqdm is installed).
    """

    first_poll: float
    poll_interval: float
    outage_grace: float = OUTAGE_GRACE
    progress: bool = False


def wait_for_job(
    job_id: str,
    *,
    status: Callable[..., dict],
    cancel: Callable[[str], Any],
    long_wait: Callable[[float | None], float | None],
    on_poll: Callable[[], None],
    schedule: PollSchedule,
    timeout: float | None,
) -> dict:
    """Poll until the job is terminal; returns the COMPLETED status body.

    Args:
        job_id (str): the job.
        status (Callable[..., dict]): ``status(job_id, wait=seconds | None)``, the parsed
            ``status/`` body (``QoroClient.status``).
        cancel (Callable[[str], Any]): cancels the job on Ctrl+C (``QoroClient.cancel``).
        long_wait (Callable[[float | None], float | None]): seconds to long-poll for given
            the deadline, or None to sleep-and-poll; asked before every poll, since the
            service may advertise ``max_wait`` in any answer.
        on_poll (Callable[[], None]): called once per answered poll (the client counts them).
        schedule (PollSchedule): pauses, outage grace and progress display.
        timeout (float | None): the client-side deadline in seconds (None: no limit).

    Raises:
        ValueError: a negative ``timeout``.
        JobFailedError, JobCancelledError, InsufficientCreditsError, JobTimedOutError:
            the job ended otherwise than COMPLETED (with the server's message).
        DeadlineExceededError: ``timeout`` passed while the job was still active.
    """
    if timeout is not None and timeout < 0:
        raise ValueError("timeout must be >= 0")
    try:
        return _poll(job_id, status, long_wait, on_poll, schedule, timeout)
    except KeyboardInterrupt:
        log.warning("interrupted: cancelling Qoro job %s", job_id)
        best_effort(cancel, job_id)
        raise


def best_effort(call: Callable[[str], Any], job_id: str) -> bool:
    """Call ``call(job_id)``; log and swallow any failure (cleanup by design, §5.4).

    Returns:
        bool: whether the call succeeded.
    """
    try:
        call(job_id)
    except Exception as exc:  # best effort by design (§5.4)
        log.debug("best-effort %s(%s) failed: %s", call.__name__, job_id, exc)
        return False
    return True


def _poll(
    job_id: str,
    status: Callable[..., dict],
    long_wait: Callable[[float | None], float | None],
    on_poll: Callable[[], None],
    schedule: PollSchedule,
    timeout: float | None,
) -> dict:
    start = time.monotonic()
    deadline = None if timeout is None else start + timeout
    pause = min(schedule.first_poll, schedule.poll_interval)
    warned: set[str] = set()
    bar = _Progress(job_id, enabled=schedule.progress)
    outage = _Outage(job_id, schedule.outage_grace)
    retrying = False
    try:
        while True:
            wait = None if retrying else long_wait(deadline)
            if wait is None:
                _sleep_until(pause, deadline)
            try:
                body = status(job_id, wait=wait)
            except (QoroConnectionError, ServerError) as exc:
                if isinstance(exc, ServerError) and exc.status not in _GATEWAY_STATUSES:
                    raise
                if deadline is not None and time.monotonic() >= deadline:
                    raise
                outage.failed(exc)  # raises once the service stayed away too long
                pause = min(pause * 1.5, schedule.poll_interval)
                retrying = True
                continue
            retrying = False
            outage.answered()
            on_poll()
            state = body["status"].upper()
            if state == "COMPLETED":
                return body
            if state in _FAILURES:
                raise _FAILURES[state](job_id, state, _status_message(body))
            if state not in ACTIVE_STATUSES and state not in warned:
                warned.add(state)
                log.warning(
                    "job %s reports unknown status %r; treating it as still active",
                    job_id,
                    body["status"],
                )
            now = time.monotonic()
            bar.update(state, now - start)
            if deadline is not None and now >= deadline:
                raise DeadlineExceededError(
                    job_id,
                    state,
                    f"client deadline of {timeout:g} s passed; the job is still {state} "
                    "on the service",
                )
            pause = min(pause * 1.5, schedule.poll_interval)
    finally:
        bar.close()


class _Outage:
    """Tracks status polls the service did not answer while a job is awaited."""

    def __init__(self, job_id: str, grace: float):
        self._job_id = job_id
        self._grace = grace
        self._since: float | None = None

    def answered(self) -> None:
        self._since = None

    def failed(self, exc: QoroConnectionError | ServerError) -> None:
        """Note a failed poll; re-raise it once polls have failed for ``grace`` seconds."""
        now = time.monotonic()
        if self._since is None:
            self._since = now
            log.warning("job %s: status poll failed (%s); polling on", self._job_id, exc)
        if now - self._since >= self._grace:
            raise exc


def _sleep_until(pause: float, deadline: float | None) -> None:
    if deadline is not None:
        pause = min(pause, max(0.0, deadline - time.monotonic()))
    if pause > 0:
        time.sleep(pause)


def _status_message(body: Mapping[str, Any]) -> str:
    for key in ("error", "detail", "message"):
        value = body.get(key)
        if value:
            return str(value)
    return ""


class _Progress:
    """A tqdm display that appears after PROGRESS_AFTER seconds, if tqdm is importable."""

    def __init__(self, job_id: str, *, enabled: bool):
        self._job_id = job_id
        self._enabled = enabled
        self._bar: Any = None

    def update(self, state: str, elapsed: float) -> None:
        if not self._enabled or elapsed < PROGRESS_AFTER:
            return
        if self._bar is None:
            try:
                from tqdm.auto import tqdm  # optional dependency, imported only when needed
            except ImportError:
                self._enabled = False
                return
            self._bar = tqdm(
                desc=f"Qoro job {self._job_id.split('-')[0]}",
                bar_format="{desc}: {postfix} [{elapsed}]",
                leave=False,
            )
        self._bar.set_postfix_str(state, refresh=False)
        self._bar.update(0)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
