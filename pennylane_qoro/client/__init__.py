"""The Qoro REST client: configuration, transport, wire codecs and the job API.

Nothing here knows PennyLane: the device (``pennylane_qoro.device``) builds :class:`JobSpec`
objects and reads :class:`JobResult` objects; the local service imports only ``wire`` and
``errors``. This package imports the standard library, requests, numpy, python-dotenv and
(optionally) tqdm.
"""

from __future__ import annotations

from .config import (
    DEFAULT_URL,
    ApiKey,
    find_api_key,
    find_api_url,
    resolve_api_key,
    resolve_url,
)
from .errors import (
    AmbiguousSubmissionError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DeadlineExceededError,
    InsufficientCreditsError,
    JobCancelledError,
    JobError,
    JobFailedError,
    JobTimedOutError,
    NotFoundError,
    PayloadError,
    PayloadTooLargeError,
    PaymentRequiredError,
    QoroConnectionError,
    QoroError,
    QoroHTTPError,
    RateLimitedError,
    ServerError,
    ValidationError,
    WireDecodeError,
)
from .http import ClientStats
from .jobs import ACTIVE_STATUSES, TERMINAL_STATUSES, JobResult, JobSpec, QoroClient, Template
from .wire import MAX_PAYLOAD_BYTES

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
