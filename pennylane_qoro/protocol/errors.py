"""The errors of the wire protocol, raised by the client and the local service alike.

::

    QoroError                     base of every error of the package's client side
    ├── WireDecodeError           a payload from the wire is corrupt (QH1/QH2, @gzs, gzip)
    │   └── WireFieldError        one named field of a JSON payload is malformed (QUBOs)
    └── PayloadError              a request cannot be built within the protocol's limits
        └── BodyTooLargeError     a (decompressed) request body passed a size cap

The client-only errors (HTTP statuses, jobs, configuration) derive from :class:`QoroError` in
``pennylane_qoro.client.errors``, which re-exports these; that is the public import path.

Imports nothing but the standard library.
"""

from __future__ import annotations

__all__ = [
    "BodyTooLargeError",
    "PayloadError",
    "QoroError",
    "WireDecodeError",
    "WireFieldError",
]


class QoroError(Exception):
    """Base class of every error raised by the Qoro client."""


class PayloadError(QoroError, ValueError):
    """A request cannot be built within the protocol's limits (e.g. one circuit over the cap)."""


class BodyTooLargeError(PayloadError):
    """A request body (after decompression) is larger than the cap it must fit.

    Attributes:
        size (int | None): the body's size when known (a ``Content-Length``), else None.
        limit (int): the cap in bytes.
    """

    def __init__(self, size: int | None, limit: int):
        self.size = size
        self.limit = limit
        super().__init__(
            f"request body of {size} bytes exceeds the limit of {limit} bytes"
            if size is not None
            else f"request body exceeds the limit of {limit} bytes"
        )

    def __reduce__(self):
        return type(self), (self.size, self.limit)


class WireDecodeError(QoroError, ValueError):
    """A payload received from the wire is malformed; the message names the problem."""


class WireFieldError(WireDecodeError):
    """One field of a JSON payload is malformed; ``field`` names it (e.g. ``qubo.F``).

    ``detail`` is the message without the field, so a server can answer 400 with both.
    """

    def __init__(self, field: str, detail: str):
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")

    def __reduce__(self):
        return type(self), (self.field, self.detail)
