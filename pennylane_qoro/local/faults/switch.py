"""Fault plans swapped while one service runs, and a log of every request it received.

A :class:`FaultSwitch` passed to ``create_app(..., faults=[switch])`` lets one long-lived test
service play many scenarios: each test injects its plans, reads back what reached the
service, and resets. Per request the switch offers the request to, in order:

1. the fault queues of :meth:`FaultSwitch.inject`;
2. the answer queues of :meth:`FaultSwitch.script` (scripted answers yield to faults);
3. the default plans given at construction (kept by :meth:`FaultSwitch.reset`).

A queue applies its plans one after the other: only its first plan that is not used up
(``times``) is asked; if that plan matches but lets the request through (``skip``, a
probability draw), the queue passes it on. The first plan that hits is carried out.

Imports only the standard library and :mod:`.plan`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .plan import FaultPlan


@dataclass(frozen=True)
class Received:
    """One request as the service received it, before any fault or middleware.

    Attributes:
        method (str): the HTTP method.
        path (str): the URL path, e.g. ``"/api/job/<id>/status/"``.
        query (str): the raw query string.
        headers (dict[str, str]): header names lower-cased (as ASGI gives them).
        body (bytes): the body as sent (compressed if the client compressed it).
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def of(cls, scope: Mapping[str, Any], body: bytes) -> Received:
        """The record of an ASGI ``http`` scope and its whole body."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        return cls(scope["method"], scope["path"], scope["query_string"].decode("latin-1"),
                   headers, body)


class FaultSwitch:
    """Faults and scripted answers that tests change while the service runs.

    Args:
        *defaults (FaultPlan): plans applied to any request no injected or scripted plan
            takes (e.g. an ``"edit"`` that hides a local extension from every answer).

    >>> switch = FaultSwitch()
    >>> switch.inject(FaultPlan(status=503), FaultPlan(status=502))
    >>> [switch.pick("GET", "/api/").status for _ in range(2)], switch.pick("GET", "/api/")
    ([503, 502], None)
    """

    def __init__(self, *defaults: FaultPlan):
        self._lock = threading.Lock()
        self._defaults = [[plan] for plan in defaults]
        self._faults: list[list[FaultPlan]] = []
        self._answers: list[list[FaultPlan]] = []
        self._received: list[Received] = []

    def inject(self, *plans: FaultPlan) -> None:
        """Queue faults: the plans apply one after the other."""
        with self._lock:
            self._faults.append(list(plans))

    def script(self, *plans: FaultPlan) -> None:
        """Queue scripted answers (e.g. :func:`~.plan.status_script`); faults go first."""
        with self._lock:
            self._answers.append(list(plans))

    def reset(self) -> None:
        """Forget injected faults, scripted answers and received requests (not defaults)."""
        with self._lock:
            self._faults.clear()
            self._answers.clear()
            self._received.clear()

    @property
    def received(self) -> list[Received]:
        """Every request received since the last reset, in arrival order."""
        with self._lock:
            return list(self._received)

    def record(self, request: Received) -> None:
        """Log a request (the middleware calls this for each one)."""
        with self._lock:
            self._received.append(request)

    def pick(self, method: str, path: str) -> FaultPlan | None:
        """The plan that breaks this request (counted as injected), or None."""
        with self._lock:
            queues = [*self._faults, *self._answers, *self._defaults]
        return _first_hit(queues, method, path)


def _first_hit(queues: Iterable[list[FaultPlan]], method: str, path: str) -> FaultPlan | None:
    for queue in queues:
        head = next((plan for plan in queue if not plan.exhausted), None)
        if head is not None and head.hit(method, path):
            return head
    return None
