"""Every exception the Qoro client raises, in one tree.

::

    QoroError                         base of everything below
    ├── ConfigurationError            bad url / missing API key / refused plain http
    ├── QoroConnectionError           transport failed (DNS, refused, reset, read timeout)
    │   └── AmbiguousSubmissionError  a state-changing POST may or may not have happened
    ├── WireDecodeError               a payload from the wire is corrupt (QH1/QH2, @gzs, gzip)
    │   ├── WireFieldError            one named field of a JSON payload is malformed (QUBOs)
    │   └── ResponseTooLargeError     a response body passed the client's max_response_bytes
    ├── PayloadError                  a request cannot be built within the protocol's limits
    │   └── BodyTooLargeError         a (decompressed) request body passed a size cap
    ├── QoroHTTPError                 the service answered >= 400
    │   ├── ValidationError           400 / 422
    │   ├── AuthenticationError       401 / 403
    │   ├── PaymentRequiredError      402 (the balance cannot pay for the job)
    │   ├── NotFoundError             404
    │   ├── ConflictError             409
    │   ├── PayloadTooLargeError      413
    │   ├── RateLimitedError          429
    │   └── ServerError               5xx
    └── JobError                      a job reached a terminal state other than COMPLETED
        ├── JobFailedError            FAILED (and unknown terminal states)
        ├── JobCancelledError         CANCELLED
        ├── InsufficientCreditsError  INSUFFICIENT_CREDITS
        ├── JobTimedOutError          TIMED_OUT (server-side deadline)
        └── DeadlineExceededError     the client's own wait deadline passed

Messages carry the HTTP method and path, the job id when known and the server's own message,
so a user can look the job up later. They never carry the API key: the key is only ever placed
in the ``Authorization`` header by ``client/http.py``.

:class:`QoroError`, :class:`WireDecodeError`, :class:`WireFieldError`, :class:`PayloadError`
and :class:`BodyTooLargeError` are defined in ``pennylane_qoro.protocol.errors`` (the local
service raises them too) and re-exported here: this module is their public import path.

This module imports the standard library and ``protocol.errors`` only.
"""

from __future__ import annotations

from ..protocol.errors import (
    BodyTooLargeError,
    PayloadError,
    QoroError,
    WireDecodeError,
    WireFieldError,
)

__all__ = [
    "AmbiguousSubmissionError",
    "AuthenticationError",
    "BodyTooLargeError",
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
    "ResponseTooLargeError",
    "ServerError",
    "ValidationError",
    "WireDecodeError",
    "WireFieldError",
    "http_error_class",
]


class ResponseTooLargeError(WireDecodeError):
    """A response body is larger than the client accepts (``max_response_bytes``)."""


class ConfigurationError(QoroError, ValueError):
    """The client cannot be configured as asked (missing key, bad URL, plain http off-host)."""



class QoroConnectionError(QoroError, ConnectionError):
    """The HTTP exchange failed below the HTTP layer (refused, reset, timed out)."""

    def __init__(
        self, message: str, *, method: str = "", path: str = "", job_id: str | None = None
    ):
        self.method = method
        self.path = path
        self.job_id = job_id
        where = f"{method} {path}".strip()
        super().__init__(f"{where}: {message}" if where else message)


class AmbiguousSubmissionError(QoroConnectionError):
    """A state-changing request was sent but its outcome is unknown.

    The job named by ``job_id`` (when known) may hold none, some or all of the circuits; the
    message says which state it may be in so the user can inspect or delete it.
    """


class QoroHTTPError(QoroError):
    """The service answered with an HTTP status >= 400."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        method: str = "",
        path: str = "",
        job_id: str | None = None,
        retry_after: float | None = None,
    ):
        self.status = status
        self.server_message = message
        self.method = method
        self.path = path
        self.job_id = job_id
        self.retry_after = retry_after
        parts = [f"HTTP {status}"]
        if method or path:
            parts.append(f"on {method} {path}".rstrip())
        if job_id:
            parts.append(f"(job {job_id})")
        super().__init__(" ".join(parts) + (f": {message}" if message else ""))


class ValidationError(QoroHTTPError):
    """400 / 422: the service rejected the request's content."""


class AuthenticationError(QoroHTTPError):
    """401 / 403: the API key is missing, wrong, deactivated, or lacks access."""


class PaymentRequiredError(QoroHTTPError):
    """402: the account's balance cannot pay for the job (the local service also marks the
    job FAILED with the same message). Top up the credits, or run on the local service."""


class NotFoundError(QoroHTTPError):
    """404: no such job (or not one of yours), or no such resource."""


class ConflictError(QoroHTTPError):
    """409: the job is not in a state that allows the request."""


class PayloadTooLargeError(QoroHTTPError):
    """413: the request body is over the service's limit."""


class RateLimitedError(QoroHTTPError):
    """429: too many requests or queued jobs; ``retry_after`` says when to come back."""


class ServerError(QoroHTTPError):
    """5xx: the service failed."""


class JobError(QoroError):
    """A job ended in a state other than COMPLETED."""

    def __init__(self, job_id: str, status: str, message: str = ""):
        self.job_id = job_id
        self.status = status
        self.server_message = message
        text = f"Qoro job {job_id} ended {status}"
        super().__init__(f"{text}: {message}" if message else text)


class JobFailedError(JobError):
    """The job FAILED on the service."""


class JobCancelledError(JobError):
    """The job was CANCELLED."""


class InsufficientCreditsError(JobError):
    """The job stopped because the account ran out of credits."""


class JobTimedOutError(JobError):
    """The service's own execution deadline passed (TIMED_OUT)."""


class DeadlineExceededError(JobError):
    """The client's wait deadline passed while the job was still active on the service
    (``status`` is the last one seen). ``cancelled`` says whether the client then cancelled
    the job (``QoroClient.run`` does; ``QoroClient.wait`` alone leaves it running)."""

    def __init__(self, job_id: str, status: str, message: str = "", *, cancelled: bool = False):
        super().__init__(job_id, status, message)
        self.cancelled = cancelled
        text = f"Qoro job {job_id} did not finish in time (last status {status})"
        self.args = (f"{text}: {message}" if message else text,)


_BY_STATUS: dict[int, type[QoroHTTPError]] = {
    400: ValidationError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    422: ValidationError,
    429: RateLimitedError,
}


def http_error_class(status: int) -> type[QoroHTTPError]:
    """The exception type for an HTTP status >= 400."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, QoroHTTPError)
