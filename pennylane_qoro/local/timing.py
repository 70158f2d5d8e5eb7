"""Cloud-like job timing on demand (local-only, off by default).

Local jobs end in milliseconds, so a client's polling schedule, progress display and deadline
never get exercised against the local service. :class:`Timing` keeps every finalized job
PENDING for ``pending`` seconds before a worker may claim it, and RUNNING for at least
``running`` seconds before its end is stored (results are computed at once; only the moment
they are published moves). ``qoro-local serve --hold-pending S --hold-running S`` and
``serve(timing=Timing(...))`` / ``start(timing=...)`` set it.

Imports only the standard library.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

__all__ = ["Timing"]


@dataclass(frozen=True)
class Timing:
    """How long jobs are held in PENDING and RUNNING (seconds, 0 = not held).

    >>> Timing(pending=0.2, running=0.2).active
    True
    >>> Timing(pending=-1)
    Traceback (most recent call last):
    ...
    ValueError: Timing.pending must be a finite number of seconds >= 0, not -1
    """

    pending: float = 0.0
    running: float = 0.0

    def __post_init__(self) -> None:
        for name in ("pending", "running"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"Timing.{name} must be a finite number of seconds >= 0, not {value!r}"
                )

    @property
    def active(self) -> bool:
        """Whether any hold is set."""
        return self.pending > 0 or self.running > 0

    def hold_running(self, started: float) -> None:
        """Sleep until ``running`` seconds have passed since ``started`` (``time.monotonic``)."""
        left = started + self.running - time.monotonic()
        if left > 0:
            time.sleep(left)
