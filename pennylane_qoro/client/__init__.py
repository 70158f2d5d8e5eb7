"""The Qoro REST client: configuration, transport and the job API.

Nothing here knows PennyLane: the device (``pennylane_qoro.device``) builds :class:`JobSpec`
objects and reads :class:`JobResult` objects. The wire formats live in
``pennylane_qoro.protocol``, which the local service shares; the local service never imports
this package. This package imports the standard library, requests, numpy, python-dotenv,
``protocol`` and (optionally) tqdm.

The public names below are loaded lazily (PEP 562), so ``import pennylane_qoro.client.config``
or ``pennylane_qoro.client.errors`` does not load ``requests`` and the transport.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_MODULES = {
    "..protocol.vocabulary": ("ACTIVE_STATUSES", "MAX_PAYLOAD_BYTES", "TERMINAL_STATUSES"),
    ".config": (
        "DEFAULT_URL",
        "ApiKey",
        "find_api_key",
        "find_api_url",
        "resolve_api_key",
        "resolve_url",
    ),
    ".errors": (
        "AmbiguousSubmissionError",
        "AuthenticationError",
        "ConfigurationError",
        "ConflictError",
        "DeadlineExceededError",
        "InsufficientCreditsError",
        "JobCancelledError",
        "JobError",
        "JobFailedError",
        "JobTimedOutError",
        "NotFoundError",
        "PayloadError",
        "PayloadTooLargeError",
        "PaymentRequiredError",
        "QoroConnectionError",
        "QoroError",
        "QoroHTTPError",
        "RateLimitedError",
        "ServerError",
        "ValidationError",
        "WireDecodeError",
    ),
    ".jobs": ("QoroClient",),
    ".spec": ("JobResult", "JobSpec", "Template"),
    ".stats": ("ClientStats",),
}
_LAZY = {name: module for module, names in _MODULES.items() for name in names}

__all__ = [
    "ACTIVE_STATUSES",
    "DEFAULT_URL",
    "MAX_PAYLOAD_BYTES",
    "TERMINAL_STATUSES",
    "AmbiguousSubmissionError",
    "ApiKey",
    "AuthenticationError",
    "ClientStats",
    "ConfigurationError",
    "ConflictError",
    "DeadlineExceededError",
    "InsufficientCreditsError",
    "JobCancelledError",
    "JobError",
    "JobFailedError",
    "JobResult",
    "JobSpec",
    "JobTimedOutError",
    "NotFoundError",
    "PayloadError",
    "PayloadTooLargeError",
    "PaymentRequiredError",
    "QoroClient",
    "QoroConnectionError",
    "QoroError",
    "QoroHTTPError",
    "RateLimitedError",
    "ServerError",
    "Template",
    "ValidationError",
    "WireDecodeError",
    "find_api_key",
    "find_api_url",
    "resolve_api_key",
    "resolve_url",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
