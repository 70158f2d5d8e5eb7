"""What a fault does and which requests it hits: :class:`FaultPlan` (test-only).

A plan is data plus one decision, :meth:`FaultPlan.hit`, made per request from the method and
the URL path; :mod:`.middleware` carries the plan out. :func:`status_script` builds the plans
that make ``status/`` polls answer a scripted sequence of job states.

Imports only the standard library.
"""

from __future__ import annotations

import random
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ACTIONS = ("status", "drop", "slow", "edit")
STATUS_PATH = r"/job/[^/]+/status/$"


@dataclass
class FaultPlan:
    """What to break, where and how often.

    Args:
        when: ``"before"`` the handler (no side effect) or ``"after"`` it (side effect done,
            response lost). Ignored by ``"edit"``, which always runs the handler.
        action: ``"status"`` (answer ``status`` with ``body``), ``"drop"`` (close the
            connection), ``"slow"`` (answer normally, ``delay`` seconds late) or ``"edit"``
            (the handler's JSON-object answer with ``update`` set and ``remove`` deleted).
        status (int): the HTTP status of ``action="status"`` (a 200 scripts an answer).
        delay (float): seconds of ``action="slow"``.
        times (int | None): how many requests to break; ``None`` = every matching request.
        probability (float): chance that a matching request is broken.
        methods (frozenset[str]): HTTP methods to consider; empty = all.
        path (str | None): regular expression searched in the path; ``None`` = all paths.
        retry_after (float | None): add a ``Retry-After`` header to ``action="status"``.
        seed (int | None): seed of the probability draws.
        body: the answer of ``action="status"``: a str is sent as text (HTML if it holds a
            ``<``), anything else as JSON; ``None`` = ``{"detail": "injected fault: HTTP n"}``.
        headers (Mapping[str, str]): more headers of ``action="status"`` (``Location`` ...).
        echo_auth (bool): ``action="status"`` answers ``{"detail": "token <Authorization
            header> rejected"}``, like a careless gateway that echoes credentials.
        update (Mapping[str, Any]): keys ``action="edit"`` sets in the answer.
        remove (Sequence[str]): keys ``action="edit"`` deletes from the answer.
        skip (int): matching requests let through untouched before the first injection.

    >>> plan = FaultPlan(status=502, times=2, methods=frozenset({"GET"}))
    >>> plan.injected
    0
    >>> [plan.hit("GET", "/api/credits/") for _ in range(3)], plan.injected
    ([True, True, False], 2)
    >>> FaultPlan(skip=1).hit("POST", "/api/job/init/")
    False
    """

    when: Literal["before", "after"] = "before"
    action: Literal["status", "drop", "slow", "edit"] = "status"
    status: int = 502
    delay: float = 0.0
    times: int | None = 1
    probability: float = 1.0
    methods: frozenset[str] = frozenset()
    path: str | None = None
    retry_after: float | None = None
    seed: int | None = None
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    echo_auth: bool = False
    update: Mapping[str, Any] = field(default_factory=dict)
    remove: Sequence[str] = ()
    skip: int = 0
    injected: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', got {self.when!r}")
        if self.action not in ACTIONS:
            raise ValueError(f"action must be one of {ACTIONS}, got {self.action!r}")
        if self.delay < 0:
            raise ValueError(f"delay must be >= 0, got {self.delay}")
        if not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.probability}")
        if self.skip < 0:
            raise ValueError(f"skip must be >= 0, got {self.skip}")
        self._pattern = None if self.path is None else re.compile(self.path)
        self._methods = frozenset(m.upper() for m in self.methods)
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._skipped = 0

    @property
    def exhausted(self) -> bool:
        """Whether the plan has made its ``times`` injections (it never hits again)."""
        return self.times is not None and self.injected >= self.times

    def matches(self, method: str, path: str) -> bool:
        """Whether the request is one this plan considers (method and path filters only)."""
        if self._methods and method.upper() not in self._methods:
            return False
        return self._pattern is None or self._pattern.search(path) is not None

    def hit(self, method: str, path: str) -> bool:
        """Decide (and count) whether this request is broken."""
        if not self.matches(method, path):
            return False
        with self._lock:
            if self.exhausted:
                return False
            if self._skipped < self.skip:
                self._skipped += 1
                return False
            if self.probability < 1.0 and self._random.random() >= self.probability:
                return False
            self.injected += 1
            return True


def status_script(statuses: Sequence[str], fields: Mapping[str, Any] | None = None, *,
                  path: str = STATUS_PATH) -> list[FaultPlan]:
    """Answers for ``GET job/{id}/status/``: each status once, in order, the last for good.

    The local service runs a job in milliseconds and knows only its own states; a script
    lets a test walk a client through any sequence (``SCHEDULED``, ``PAUSED``, an unknown
    state, a terminal failure with its message) while the job itself runs for real. Pass
    the plans to :meth:`FaultSwitch.script <.switch.FaultSwitch.script>` (answers yield to
    injected faults) or to ``create_app(faults=...)``.

    Args:
        statuses (Sequence[str]): the ``status`` of each answer.
        fields (Mapping[str, Any] | None): other keys of every answer (``run_time``, ``error``).
        path (str): regular expression of the polled paths.

    Returns:
        list[FaultPlan]: one plan per status, to apply one after the other.

    >>> [(p.body["status"], p.times) for p in status_script(["RUNNING", "COMPLETED"])]
    [('RUNNING', 1), ('COMPLETED', None)]
    """
    if not statuses:
        raise ValueError("a status script needs at least one status")
    extra = dict(fields or {})
    last = len(statuses) - 1
    return [
        FaultPlan(status=200, body={"status": status, **extra}, times=None if i == last else 1,
                  methods=frozenset({"GET"}), path=path)
        for i, status in enumerate(statuses)
    ]
