"""The errors of a submission the local analysis refuses (each becomes a 400 naming its field).

:func:`located` turns the shared codecs' and options schema's
:class:`~pennylane_qoro.protocol.errors.WireFieldError` into the same field's
:class:`ProblemError`, so a 400 names what the protocol layer found.

Imports the standard library and ``protocol.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from ...protocol.errors import WireFieldError


class ProblemError(ValueError):
    """A submission is malformed; ``field`` names the offending field (400 body)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.detail = message
        super().__init__(f"{field}: {message}")


class ProblemTooLargeError(ProblemError):
    """The problem is beyond the local engine's size limits."""


@contextmanager
def located() -> Iterator[None]:
    """Re-raise a protocol :class:`WireFieldError` as the :class:`ProblemError` of its field."""
    try:
        yield
    except WireFieldError as exc:
        raise ProblemError(exc.field, exc.detail) from None
