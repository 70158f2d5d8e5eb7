"""Who the client says it is, and keeping its key secret (qoro-api.md §1.2, §1.3).

* :class:`BearerAuth` puts ``Authorization: Bearer <key>`` on each request, so the key is in
  no session attribute, repr or log line;
* :func:`user_agent` is the ``User-Agent`` of every request;
* :func:`redact_key` masks the key in any message built from server or transport text.

Imports the standard library, requests and ``client.config``; never PennyLane.
"""

from __future__ import annotations

import platform
import re

import requests

from .._version import __version__
from .config import ApiKey

__all__ = ["MIN_MASKED_KEY_LENGTH", "BearerAuth", "redact_key", "user_agent"]

MIN_MASKED_KEY_LENGTH = 8
"""Keys at least this long are masked wherever they occur in a message; shorter ones only
where they stand alone (see :func:`redact_key`)."""
_KEY_MASK = "<hidden>"
_TOKEN_CHAR = r"[A-Za-z0-9_\-]"  # the alphabet of API keys and url-safe tokens


def user_agent() -> str:
    """``pennylane-qoro/<ver> (python=<ver>) python-requests/<ver>`` (the §1.3 shape)."""
    return (
        f"pennylane-qoro/{__version__} (python={platform.python_version()}) "
        f"python-requests/{requests.__version__}"
    )


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <key>`` to each request; its repr hides the key.

    requests drops the header itself on a redirect to another host or from https to http.
    """

    def __init__(self, key: ApiKey):
        self._key = key

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self._key.reveal()}"
        return r

    def __repr__(self) -> str:
        return "BearerAuth(<hidden>)"


def redact_key(text: str, secret: str) -> str:
    """``text`` with every echo of ``secret`` (the API key) replaced by ``<hidden>``.

    The rule: a key of :data:`MIN_MASKED_KEY_LENGTH` (8) characters or more is masked wherever
    it occurs. A shorter key (only a test or a local token would be that short) is masked only
    where it stands alone, i.e. not inside a longer run of letters, digits, ``_`` or ``-``:
    an echo (``"token Bearer ab rejected"``, ``'"ab"'``) is masked, while a word that merely
    contains the key's characters is left alone, so a one-character key does not turn
    ``"Max retries"`` into ``"Ma<hidden> retries"``. Either way the key, as a token, never
    reaches a message.
    """
    if not secret or secret not in text:
        return text
    if len(secret) >= MIN_MASKED_KEY_LENGTH:
        return text.replace(secret, _KEY_MASK)
    alone = re.compile(rf"(?<!{_TOKEN_CHAR}){re.escape(secret)}(?!{_TOKEN_CHAR})")
    return alone.sub(_KEY_MASK, text)
