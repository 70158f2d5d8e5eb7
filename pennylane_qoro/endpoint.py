"""Where the plugin's callers run: url/key -> endpoint, and the embedded-service fallback.

Owns, for both the device and ``characterize``:

* the lookup of ``qoro-api.md`` §1.1-§1.2 on top of ``client/config.py`` (argument, ``.env``,
  environment), with ``"local"`` meaning the embedded service;
* the fallback "no URL and no key anywhere -> the embedded local service", announced by ONE
  warning per process (the device and ``characterize`` share its text and its slot),
  attributed to the user's line (the first frame outside PennyLane and this package),
  however deep the constructor chain is.

Imports the standard library, ``client.config``, ``client.errors`` and ``spelling`` at module
import; ``pennylane_qoro.local`` (an optional extra) only when the embedded service is the
answer. It never imports PennyLane
(``characterize`` works without it), ``requests``, the device, ``compile`` or ``results``.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .client.config import find_api_key, find_api_url, resolve_url
from .client.errors import ConfigurationError
from .spelling import did_you_mean

__all__ = [
    "FALLBACK_WARNING",
    "LOCAL_URL",
    "Endpoint",
    "LocalServiceUnavailable",
    "resolve_endpoint",
]

#: The ``url`` value (argument or ``QORO_API_URL``) that selects the embedded service.
LOCAL_URL = "local"

#: The one-time fallback warning, the same for the device and ``characterize``.
FALLBACK_WARNING = (
    "pennylane-qoro: no Qoro API key and no URL were given, so jobs run on the embedded local "
    "service (Qoro's Maestro simulator on this machine: free, offline). To use the Qoro "
    "cloud, set QORO_API_KEY (environment or .env) or pass api_key=...; pass url='local' to "
    "use the embedded service without this warning."
)

#: Whether the fallback warning was given in this process (a set, so tests can reset it).
_WARNED: set[str] = set()

#: ``warnings.warn(..., skip_file_prefixes=...)`` exists (Python >= 3.12).
_SKIP_FILE_PREFIXES = sys.version_info >= (3, 12)

_PACKAGE_DIR = os.path.dirname(__file__) + os.sep


class LocalServiceUnavailable(ImportError):
    """The embedded service was asked for, but the ``[local]`` extra is not installed."""


@dataclass(frozen=True)
class Endpoint:
    """What a client is built from.

    Attributes:
        url (str): the service base URL, validated (``client.config.resolve_url``).
        api_key (str | None): the key; ``None`` leaves it to the client's own lookup.
        local (bool): whether this is the embedded service of this process.
        app (Any): for the embedded service, its ASGI application, and
        loop (Any): the event loop serving it: the client reaches it through them, without
            a socket (``client/in_process.py``); ``None`` for any other service.
        pid (int | None): the process serving it (a forked child uses the socket instead).
    """

    url: str
    api_key: str | None
    local: bool = False
    app: Any = field(default=None, compare=False)
    loop: Any = field(default=None, compare=False)
    pid: int | None = field(default=None, compare=False)

    def __repr__(self) -> str:  # never the key
        return f"Endpoint(url={self.url!r}, local={self.local})"

    def client(self, **options: Any) -> Any:
        """A :class:`~pennylane_qoro.client.QoroClient` for this endpoint (``options`` are its
        keyword arguments); for the embedded service, one that reaches it in-process."""
        from .client import QoroClient  # loads requests and the transport on first use
        from .client.in_process import InProcessApp

        if self.app is not None and self.loop is not None and self.pid is not None:
            options["in_process"] = InProcessApp(self.app, self.loop, self.pid)
        return QoroClient(self.url, self.api_key, **options)


def resolve_endpoint(
    url: str | None,
    api_key: str | None,
    *,
    start_local: Callable[[], Endpoint] | None = None,
) -> Endpoint:
    """The endpoint for ``url``/``api_key``; starts the embedded service when that is the answer.

    The URL is looked up like the key (argument, ``.env``, environment: ``client/config.py``),
    so a local service's URL and token written together in ``.env`` go together. With no URL
    and no key anywhere, the answer is the embedded service and :data:`FALLBACK_WARNING` is
    shown once per process (whoever asks first: device or ``characterize``); ``url="local"``
    selects it silently.

    Args:
        url (str | None): the caller's ``url`` argument.
        api_key (str | None): the caller's ``api_key`` argument.
        start_local (Callable | None): returns the embedded service's endpoint; ``None``
            starts this process's (``pennylane_qoro.local.start()``). Tests pass their own.

    Returns:
        Endpoint: a validated URL (a malformed one fails now, not at the first job; a
        looked-up URL is named by its source) and the key to use.

    Raises:
        LocalServiceUnavailable: the embedded service is the answer but ``[local]`` is missing.
        pennylane_qoro.client.errors.ConfigurationError: a malformed or plain-http URL (a
            near miss of ``"local"`` such as ``"locl"`` says so), or a ``.env`` entry without
            a value.
    """
    looked_up = url is None
    if looked_up:
        url = find_api_url()
    if url is None and api_key is None and find_api_key() is None:
        _warn_once()
        url = LOCAL_URL
    if url == LOCAL_URL:
        return (start_local or _embedded)()
    if isinstance(url, str) and "://" not in url and did_you_mean(url, [LOCAL_URL]):
        where = "QORO_API_URL" if looked_up else "url"
        raise ConfigurationError(
            f"{where}={url!r} is neither 'local' nor an http(s):// URL."
            f"{did_you_mean(url, [LOCAL_URL])} ('local' is the embedded local service.)"
        )
    return Endpoint(resolve_url(None if looked_up else url), api_key)


def _embedded() -> Endpoint:
    """The embedded service of this process (started on first use, one per process)."""
    try:
        from .local import start
    except ImportError as exc:  # the [local] extra is not installed
        raise LocalServiceUnavailable(
            "url='local' needs the embedded service, the [local] extra: pip install '.[local]' "
            "in a clone of pennylane-qoro, or pip install 'pennylane-qoro[local] @ "
            "git+https://github.com/QoroQuantum/pennylane-qoro'"
        ) from exc
    service = start()
    return Endpoint(service.url, service.token, local=True, app=service.app, loop=service.loop,
                    pid=service.pid)


def _warn_once() -> None:
    if _WARNED:
        return
    _WARNED.add("fallback")
    warn_at_user_frame(FALLBACK_WARNING)


def _internal_prefixes() -> tuple[str, ...]:
    """Source folders whose frames a user-facing warning skips: this package, and PennyLane
    if it is loaded (if it is not, none of its frames can be on the stack)."""
    prefixes = [_PACKAGE_DIR]
    pennylane = sys.modules.get("pennylane")
    if getattr(pennylane, "__file__", None):
        prefixes.append(os.path.dirname(pennylane.__file__) + os.sep)
    return tuple(prefixes)


def warn_at_user_frame(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` attributed to the first frame outside PennyLane and this package.

    Python >= 3.12: ``skip_file_prefixes``. Before: the same frame, found by walking the stack
    and counted the way ``warnings`` counts ``stacklevel`` (importlib bootstrap frames are
    skipped by ``warnings`` itself, so they are not counted here either).
    """
    prefixes = _internal_prefixes()
    if _SKIP_FILE_PREFIXES:
        warnings.warn(message, category, skip_file_prefixes=prefixes)
        return
    warnings.warn(message, category, stacklevel=_user_stacklevel(prefixes))


def _user_stacklevel(prefixes: tuple[str, ...]) -> int:
    """The ``stacklevel`` that makes a ``warnings.warn`` call in the caller of this function
    point at the first frame outside ``prefixes`` (1 if there is none)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(prefixes):
        frame = frame.f_back
        while frame is not None and _is_bootstrap(frame.f_code.co_filename):
            frame = frame.f_back  # warnings skips these without counting them
        level += 1
    return level if frame is not None else 1


def _is_bootstrap(filename: str) -> bool:
    return "importlib" in filename and "_bootstrap" in filename
