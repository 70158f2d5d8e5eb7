"""Retry policy as data (qoro-api.md §1.6): which verbs and statuses are re-sent, and how.

GET and DELETE are re-sent on connection and read errors and on :data:`RETRY_STATUSES`
(502/503/504), with exponential backoff and ``Retry-After`` honoured up to
:data:`MAX_RETRY_AFTER`; a POST is re-sent only under an ``Idempotency-Key`` to a service that
advertises idempotency (see ``client/http.py``); every other POST is never re-sent.

Imports the standard library, requests/urllib3 and ``client.errors``; never PennyLane.
"""

from __future__ import annotations

import email.utils
import time

import requests
from urllib3.util.retry import Retry

from .errors import QoroConnectionError, QoroError, QoroHTTPError

__all__ = [
    "MAX_RETRY_AFTER",
    "RETRY_METHODS",
    "RETRY_STATUSES",
    "resendable",
    "retry_after",
    "retry_count",
    "retry_policy",
]

RETRY_STATUSES = frozenset({502, 503, 504})
"""Statuses the GET/DELETE adapter retries (plus 413/429/503 with ``Retry-After``)."""
RETRY_METHODS = frozenset({"GET", "DELETE"})
MAX_RETRY_AFTER = 30.0
"""Longest ``Retry-After`` the adapter sleeps for; a longer one surfaces as the error."""


def retry_policy(
    total: int, backoff: float, methods: frozenset[str] = RETRY_METHODS
) -> Retry:
    """The urllib3 ``Retry`` of a retrying adapter (§1.6).

    Args:
        total (int): re-sends on connection errors, read errors and :data:`RETRY_STATUSES`.
        backoff (float): urllib3 ``backoff_factor`` (sleeps 0, 2b, 4b, ... between retries).
        methods (frozenset[str]): the verbs re-sent (GET/DELETE; POST only when keyed).
    """
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        backoff_factor=backoff,
        status_forcelist=sorted(RETRY_STATUSES),
        allowed_methods=methods,
        respect_retry_after_header=True,
        retry_after_max=MAX_RETRY_AFTER,
        raise_on_status=False,  # hand back the last 5xx so it maps to ServerError with a message
        raise_on_redirect=False,
    )


def resendable(exc: QoroError) -> bool:
    """A keyed POST failure worth re-sending: no answer, a gateway error or a rate limit."""
    if isinstance(exc, QoroConnectionError):
        return True
    return isinstance(exc, QoroHTTPError) and (
        exc.status in RETRY_STATUSES or exc.status == 429
    )


def retry_count(resp: requests.Response) -> int:
    """How many times urllib3 re-sent the request that got ``resp``."""
    retries = getattr(resp.raw, "retries", None)
    history = getattr(retries, "history", ()) or ()
    return len(history)


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
