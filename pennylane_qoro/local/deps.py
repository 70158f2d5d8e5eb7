"""Request dependencies of the local service's routes, as ``Annotated`` aliases.

Routes declare what they need in their signature (style.md §5, FastAPI's full-stack
template): :data:`Owner` (the caller, authenticated by a bearer token looked up by its
sha256, else 401), :data:`StoreDep`, :data:`RunnerDep` and :data:`SettingsDep` (the
application's :class:`AppSettings`). :func:`remember` reads the ``Idempotency-Key`` header
of a keyed POST into a :class:`~.store.Remember`.

The dependencies are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in a
worker thread, a thread hop per request for a dictionary lookup.

Imports FastAPI, the standard library, ``protocol`` and ``local`` modules only.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from ..protocol.vocabulary import IDEMPOTENCY_HEADER
from .runner import Runner
from .store import Job, Remember, Store
from .submission import SubmissionError

__all__ = [
    "MAX_IDEMPOTENCY_KEY",
    "AppSettings",
    "Owner",
    "RunnerDep",
    "SettingsDep",
    "StoreDep",
    "get_runner",
    "get_settings",
    "get_store",
    "remember",
]

MAX_IDEMPOTENCY_KEY = 255
"""Longest ``Idempotency-Key`` accepted, in characters."""


@dataclass(frozen=True)
class AppSettings:
    """The per-application switches routes read (``create_app``'s keyword arguments).

    Attributes:
        idempotency (bool): honour ``Idempotency-Key`` and advertise it in the ping.
        max_active_jobs (int | None): per-token limit of PENDING/RUNNING jobs (None: none).
    """

    idempotency: bool
    max_active_jobs: int | None


def get_store(request: Request) -> Store:
    """The application's store."""
    return request.app.state.store


def get_runner(request: Request) -> Runner:
    """The application's runner."""
    return request.app.state.runner


def get_settings(request: Request) -> AppSettings:
    """The application's :class:`AppSettings`."""
    return request.app.state.settings


async def _owner(request: Request, authorization: Annotated[str | None, Header()] = None) -> str:
    """The caller's owner key (sha256 of the bearer token), or 401 (qoro-api.md §1.2)."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("Authentication credentials were not provided.")
    owner = get_store(request).owner_of(token.strip())
    if owner is None:
        raise _unauthorized("Invalid token.")
    return owner


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


async def _store(request: Request) -> Store:
    return get_store(request)


async def _runner(request: Request) -> Runner:
    return get_runner(request)


async def _settings(request: Request) -> AppSettings:
    return get_settings(request)


Owner = Annotated[str, Depends(_owner)]
StoreDep = Annotated[Store, Depends(_store)]
RunnerDep = Annotated[Runner, Depends(_runner)]
SettingsDep = Annotated[AppSettings, Depends(_settings)]


def remember(request: Request, owner: str, body: bytes, settings: AppSettings,
             respond: Callable[[Job], tuple[int, str]] | None) -> Remember | None:
    """The request's ``Idempotency-Key`` as a :class:`~.store.Remember`, or None.

    None when the header is absent or the application ignores it (``idempotency=False``).
    The fingerprint covers method, path and body, so the same key on another request is
    refused (qoro-api.md §8 item 10); ``respond`` builds the answer recorded for replays.

    Raises:
        SubmissionError: the key is empty, too long, or not printable ASCII (400).
    """
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None or not settings.idempotency:
        return None
    if not 0 < len(key) <= MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise SubmissionError(
            f"Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} printable ASCII characters"
        )
    digest = hashlib.sha256(f"{request.method} {request.url.path}\n".encode())
    digest.update(body)
    return Remember(owner=owner, key=key, fingerprint=digest.hexdigest(), respond=respond)
