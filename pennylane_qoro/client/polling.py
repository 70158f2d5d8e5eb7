"""Waiting for a job: adaptive status polling, a deadline, outages, Ctrl+C cancel (§5).

:func:`wait_for_job` polls ``status/`` until the job is terminal: the first check comes after
``first_poll`` seconds and the pause grows x1.5 up to ``poll_interval``, or, once the service
has advertised ``max_wait``, each poll long-polls on the service instead of sleeping here.
Terminal failures raise the typed errors of ``client.errors`` with the server's message; a
service that stops answering is polled on for ``outage_grace`` seconds (the job lives on the
service); Ctrl+C cancels the job (once, best effort) and re-raises. Jobs that run longer than
:data:`PROGRESS_AFTER` seconds get a tqdm display when tqdm is installed (:func:`progress_line`:
job id, status, rows done when the service reports them, a clock that ticks between polls).

It reaches the service only through the callables it is given (``QoroClient.status`` and
``cancel``). It imports the standard library, ``protocol`` and ``client.errors``, and (lazily,
optionally) tqdm; never requests or PennyLane.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..protocol.vocabulary import ACTIVE_STATUSES, PROGRESS_FIELD
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

__all__ = [
    "OUTAGE_GRACE",
    "PROGRESS_AFTER",
    "PollSchedule",
    "best_effort",
    "completed",
    "progress_line",
    "wait_for_job",
]

log = logging.getLogger(__name__)

# While waiting, a service that stops answering status polls (a restart, a network blip) is
# polled again for this long before the failure is raised: the job lives on the service.
OUTAGE_GRACE = 60.0
PROGRESS_AFTER = 2.0  # seconds of waiting before a progress display appears
TICK = 1.0  # seconds between refreshes of the display's clock while a poll is out
REQUEST_FLOOR = 1.0  # seconds a poll may take even at the deadline (so it can be answered)
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


def completed(job_id: str, body: Mapping[str, Any]) -> bool:
    """Whether a status answer (a ``status/`` body, or the answering finalize's) says the job
    COMPLETED; False while it is active or unknown.

    Raises:
        JobFailedError, JobCancelledError, InsufficientCreditsError, JobTimedOutError:
            the job ended otherwise than COMPLETED (with the server's message).
    """
    state = str(body["status"]).upper()
    if state in _FAILURES:
        raise _FAILURES[state](job_id, state, _status_message(body))
    return state == "COMPLETED"


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
    bar = _Progress(job_id, enabled=schedule.progress, started=start)
    outage = _Outage(job_id, schedule.outage_grace)
    retrying = False
    try:
        while True:
            wait = None if retrying else long_wait(deadline)
            if wait is None:
                _sleep_until(pause, deadline)
            try:
                # The deadline bounds the request too (a dripping answer cannot outlast it),
                # with a floor so that a poll at the deadline can still be answered.
                end = None if deadline is None else max(deadline,
                                                        time.monotonic() + REQUEST_FLOOR)
                body = status(job_id, wait=wait, deadline=end)
            except (QoroConnectionError, ServerError) as exc:
                if isinstance(exc, ServerError) and exc.status not in _GATEWAY_STATUSES:
                    raise
                if deadline is not None and time.monotonic() >= deadline:
                    raise DeadlineExceededError(
                        job_id, "UNKNOWN",
                        f"client deadline of {timeout:g} s passed while polling: {exc}",
                    ) from None
                outage.failed(exc)  # raises once the service stayed away too long
                pause = min(pause * 1.5, schedule.poll_interval)
                retrying = True
                continue
            retrying = False
            outage.answered()
            on_poll()
            bar.update(str(body["status"]).upper(), time.monotonic(), body.get(PROGRESS_FIELD))
            if completed(job_id, body):
                return body
            state = body["status"].upper()
            if state not in ACTIVE_STATUSES and state not in warned:
                warned.add(state)
                log.warning(
                    "job %s reports unknown status %r; treating it as still active",
                    job_id,
                    body["status"],
                )
            now = time.monotonic()
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


def progress_line(job_id: str, state: str, elapsed: float,
                  progress: Mapping[str, Any] | None = None) -> str:
    """The progress display's text: short job id, status, rows done (when the service reports
    them, ``protocol.vocabulary.PROGRESS_FIELD``) and the time waited so far.

    >>> progress_line("b6fd7639-0000", "RUNNING", 7.2, {"done": 12, "total": 40})
    'Qoro job b6fd7639: RUNNING, 12/40 rows, 0:07'
    >>> progress_line("b6fd7639-0000", "PENDING", 3725)
    'Qoro job b6fd7639: PENDING, 1:02:05'
    """
    parts = [state]
    try:
        done, total = int(progress["done"]), int(progress["total"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        pass  # no (or a malformed) progress field: the line shows what is known
    else:
        parts.append(f"{done}/{total} rows")
    minutes, seconds = divmod(int(elapsed), 60)
    hours, minutes = divmod(minutes, 60)
    clock = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    parts.append(clock)
    return f"Qoro job {job_id.split('-')[0]}: {', '.join(parts)}"


class _Progress:
    """A tqdm line that appears after PROGRESS_AFTER seconds of waiting (if tqdm is
    importable), ticks every :data:`TICK` seconds between polls, and stays on screen with
    the job's final status."""

    def __init__(self, job_id: str, *, enabled: bool, started: float):
        self._job_id = job_id
        self._enabled = enabled
        self._started = started
        self._state = ""
        self._progress: Mapping[str, Any] | None = None
        self._bar: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def update(self, state: str, now: float, progress: Mapping[str, Any] | None = None) -> None:
        """Note a poll's answer; show (or refresh) the line once the wait is long enough."""
        with self._lock:
            self._state, self._progress = state, progress
            if not self._enabled:
                return
            if self._bar is None:
                if now - self._started < PROGRESS_AFTER:
                    return
                try:
                    from tqdm.auto import tqdm  # optional dependency, imported only when needed
                except ImportError:
                    self._enabled = False
                    return
                self._bar = tqdm(bar_format="{desc}", leave=True)
                self._ticker = threading.Thread(target=self._tick, daemon=True,
                                                name=f"qoro-progress-{self._job_id[:8]}")
                self._ticker.start()
            self._render(now)

    def close(self) -> None:
        """Stop ticking; leave the last line (final status, total time) on screen."""
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        with self._lock:
            if self._bar is not None:
                self._render(time.monotonic())
                self._bar.close()
                self._bar = None

    def _render(self, now: float) -> None:  # with self._lock held
        line = progress_line(self._job_id, self._state, now - self._started, self._progress)
        self._bar.set_description_str(line, refresh=True)

    def _tick(self) -> None:
        while not self._stop.wait(TICK):
            with self._lock:
                if self._bar is not None:
                    self._render(time.monotonic())
