"""The store's refusals; the app maps each one to one HTTP status (``local/handlers.py``).

::

    StoreError
    ├── NotFound              no such job for this owner (404)
    ├── Forbidden             another owner's job, where the cloud says 403 (cancel/)
    ├── Conflict              the job's state does not allow the request (409)
    │   └── KeyReused         an Idempotency-Key already used for another request (409)
    ├── Invalid               the request contradicts what the job holds (400)
    ├── InsufficientCredits   the job costs more than the balance (402)
    ├── RateLimited           too many active jobs (429 with Retry-After)
    └── Replayed              an Idempotency-Key's recorded answer, to be sent again

Imports only the standard library.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "Forbidden",
    "InsufficientCredits",
    "Invalid",
    "KeyReused",
    "NotFound",
    "RateLimited",
    "Replayed",
    "StoreError",
]


class StoreError(Exception):
    """Base of the store's refusals; the app maps each subclass to one HTTP status."""


class NotFound(StoreError):
    """No such job for this owner (404)."""


class Forbidden(StoreError):
    """The job exists but belongs to another owner (403, only where qoro-api.md says so)."""


class Conflict(StoreError):
    """The job is not in a state that allows the request (409)."""


class Invalid(StoreError):
    """The request contradicts what the job already holds (400)."""


class InsufficientCredits(StoreError):
    """The job costs more than the balance (402); the job is FAILED with the same message."""


class RateLimited(StoreError):
    """The owner has too many active jobs (429 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class KeyReused(Conflict):
    """An ``Idempotency-Key`` already used for a different request (409)."""


class Replayed(StoreError):
    """The request was already applied under its ``Idempotency-Key``: answer the record."""

    def __init__(self, status: int, body: str):
        super().__init__(f"replayed response {status}")
        self.status = status
        self.body = body
