"""Where the client talks to and with which key: base URL and API key resolution.

This module owns the lookup order of ``qoro-api.md`` §1.1-§1.2, the same for the URL
(``QORO_API_URL``) and the key (``QORO_API_KEY``): the argument, then the nearest ``.env`` file
(python-dotenv's ``find_dotenv(usecwd=True)``: the working directory, then its parents), then the
environment. A ``.env`` file that names the variable at all shadows the environment, so a URL and
a key written together in one ``.env`` are used together (unless an argument overrides one). It
also owns the plain-http rule (``http://`` only for loopback hosts) and :class:`ApiKey`, the
wrapper that keeps the key out of reprs, logs and messages.

It imports the standard library, python-dotenv and ``client.errors`` only.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from dotenv import dotenv_values, find_dotenv

from .errors import ConfigurationError

__all__ = [
    "DEFAULT_URL",
    "ENV_API_KEY",
    "ENV_API_URL",
    "ApiKey",
    "find_api_key",
    "find_api_url",
    "is_loopback",
    "resolve_api_key",
    "resolve_url",
]

DEFAULT_URL = "https://app.qoroquantum.net/api"
ENV_API_URL = "QORO_API_URL"
ENV_API_KEY = "QORO_API_KEY"

_HOW_TO_SET_KEY = (
    "pass api_key=..., put QORO_API_KEY=<key> in a .env file in the working directory or one "
    "of its parents, or set the QORO_API_KEY environment variable"
)


class ApiKey:
    """An API key that never shows itself: ``repr``/``str`` print a mask, never the value.

    Only ``client/http.py`` calls :meth:`reveal`, to build the ``Authorization`` header.

    Args:
        value (str): the key.
        source (str): where it came from (``"argument"``, ``".env file <path>"``,
            ``"environment"``), for messages.
    """

    __slots__ = ("_source", "_value")

    def __init__(self, value: str, source: str = "argument"):
        self._value = value
        self._source = source

    @property
    def source(self) -> str:
        """Where the key was found (never the key itself)."""
        return self._source

    def reveal(self) -> str:
        """The key in clear, for the ``Authorization`` header only."""
        return self._value

    def __repr__(self) -> str:
        return f"ApiKey(<hidden>, source={self._source!r})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("ApiKey", self._value))


def resolve_url(url: str | None = None) -> str:
    """The service base URL: ``url``, else ``QORO_API_URL`` from ``.env``, else from the
    environment, else the Qoro cloud (§1.1; the key's lookup order, :func:`find_api_url`).

    A trailing slash is stripped. ``http://`` is refused unless the host is loopback
    (``127.0.0.0/8``, ``::1`` or ``localhost``), so a key never crosses a network in clear.

    Args:
        url (str | None): an explicit base URL, e.g. ``"https://app.qoroquantum.net/api"``.

    Returns:
        str: the normalised base URL, without a trailing slash.

    Raises:
        ConfigurationError: not an http(s) URL, no host, credentials in the URL, plain http
            to a non-loopback host, or a ``.env`` entry ``QORO_API_URL`` without a value.

    >>> resolve_url("http://127.0.0.1:8000/api/")
    'http://127.0.0.1:8000/api'
    """
    source = "url argument"
    if url is None:
        url, source = _find_url() or (None, "default")
    value = (url or DEFAULT_URL).strip().rstrip("/")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise ConfigurationError(f"malformed Qoro URL from {source}: {exc}") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigurationError(
            f"Qoro URL from {source} must be http(s)://host[:port]/path, got {_safe_url(value)!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"Qoro URL from {source} must not embed credentials; pass the key as api_key"
        )
    if parts.scheme == "http" and not is_loopback(host):
        raise ConfigurationError(
            f"refusing plain http:// to {host!r} (from {source}): the API key would travel "
            "unencrypted; use https://, or http:// only for 127.0.0.1/localhost/::1"
        )
    return value


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _safe_url(value: str) -> str:
    """The URL without any userinfo, for messages."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return "<malformed>"
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return parts._replace(netloc=netloc).geturl()


@dataclass(frozen=True)
class _DotenvHit:
    path: str
    present: bool
    value: str | None


def _dotenv_lookup(name: str = ENV_API_KEY) -> _DotenvHit | None:
    """``name`` in the nearest ``.env`` (cwd, then parents), or None if there is no file."""
    path = find_dotenv(usecwd=True)
    if not path:
        return None
    values = dotenv_values(path)
    return _DotenvHit(path, name in values, values.get(name))


def _find_url() -> tuple[str, str] | None:
    """``(url, source)`` of ``QORO_API_URL`` from ``.env`` or the environment, else None."""
    hit = _dotenv_lookup(ENV_API_URL)
    if hit is not None and hit.present:
        if not hit.value or not hit.value.strip():
            raise ConfigurationError(
                f"{ENV_API_URL} in {hit.path} has no value; the .env file takes precedence "
                "over the environment, so give it a value or remove the line"
            )
        return hit.value.strip(), f"{ENV_API_URL} in .env file {hit.path}"
    env = os.environ.get(ENV_API_URL)
    if env and env.strip():
        return env.strip(), f"${ENV_API_URL}"
    return None


def find_api_url() -> str | None:
    """``QORO_API_URL`` from ``.env`` or the environment, or None if neither has one (§1.1).

    The same lookup as :func:`find_api_key`: the nearest ``.env`` file wins over the
    environment (when it mentions ``QORO_API_URL`` at all, the environment is not consulted),
    so a local service's URL and token written together in ``.env`` are used together. The
    value is returned as written (``"local"`` means the embedded service to the device);
    :func:`resolve_url` validates it.

    Raises:
        ConfigurationError: the ``.env`` file has ``QORO_API_URL`` without a value.
    """
    found = _find_url()
    return found[0] if found else None


def find_api_key() -> ApiKey | None:
    """The API key from ``.env`` or the environment, or None if neither has one (§1.2).

    The ``.env`` file wins over the environment: when it mentions ``QORO_API_KEY`` at all,
    the environment is not consulted.

    Raises:
        ConfigurationError: the ``.env`` file has ``QORO_API_KEY`` without a value (a bare
            name or ``QORO_API_KEY=``); the reference client would fail or send an empty
            token here, so we say which file to fix.
    """
    hit = _dotenv_lookup()
    if hit is not None and hit.present:
        if not hit.value:
            raise ConfigurationError(
                f"{ENV_API_KEY} in {hit.path} has no value; the .env file takes precedence "
                "over the environment, so give it a value or remove the line"
            )
        return ApiKey(hit.value.strip(), source=f".env file {hit.path}")
    env = os.environ.get(ENV_API_KEY)
    if env and env.strip():
        return ApiKey(env.strip(), source="environment")
    return None


def resolve_api_key(api_key: str | ApiKey | None = None) -> ApiKey:
    """The API key: the argument, else ``.env``, else the environment (§1.2).

    Args:
        api_key (str | ApiKey | None): an explicit key.

    Returns:
        ApiKey: the key, wrapped so it never prints.

    Raises:
        ConfigurationError: no key anywhere (the message names all three ways), an empty
            argument, or a ``.env`` entry without a value.
    """
    if isinstance(api_key, ApiKey):
        return api_key
    if api_key is not None:
        if not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError(f"api_key must be a non-empty string; {_HOW_TO_SET_KEY}")
        return ApiKey(api_key.strip(), source="argument")
    found = find_api_key()
    if found is None:
        raise ConfigurationError(f"no Qoro API key found: {_HOW_TO_SET_KEY}")
    return found
