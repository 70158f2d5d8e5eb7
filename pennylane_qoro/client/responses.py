"""Reading a service's answer: the JSON body, and the server's own words on an error (§1.7).

Imports the standard library, requests (the ``Response`` type) and ``client.errors``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from .errors import QoroHTTPError

__all__ = ["MESSAGE_LIMIT", "json_or_none", "server_message", "trim"]

MESSAGE_LIMIT = 500  # characters of a non-JSON error body kept in a message (§1.7)


def json_or_none(resp: requests.Response, method: str, endpoint: str, job_id: str | None) -> Any:
    """The parsed JSON body, or None for an empty (or 204) answer.

    Raises:
        QoroHTTPError: a non-empty body that is not JSON.
    """
    if not resp.content or resp.status_code == 204:
        return None
    try:
        return resp.json()
    except ValueError:
        raise QoroHTTPError(
            resp.status_code,
            f"expected a JSON body, got {trim(resp.text)!r}",
            method=method,
            path=endpoint,
            job_id=job_id,
        ) from None


def trim(text: str) -> str:
    """``text`` stripped and cut to :data:`MESSAGE_LIMIT` characters."""
    text = text.strip()
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT] + "..."


def server_message(resp: requests.Response) -> str:
    """The service's own words (§1.7): ``detail``/``error``/``message``, JSON, HTML or text."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        for key in ("detail", "error", "message"):
            value = body.get(key)
            if value:
                return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if body is not None:
        return trim(json.dumps(body, ensure_ascii=False))
    text = resp.text or ""
    if "<html" in text.lower():
        return f"HTML error page from {resp.url}; upstream may be down or timed out"
    return trim(text) or (resp.reason or "")
