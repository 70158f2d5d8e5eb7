"""The protocol's named facts: job types, statuses, header names, limits and gzip levels.

Each value the client and the local service must agree on is written here once
(``qoro-api.md`` section in each comment); codecs and both sides import it from here.

Imports nothing but the standard library.
"""

from __future__ import annotations

__all__ = [
    "ACTIVE_STATUSES",
    "BODY_GZIP_LEVEL",
    "BODY_GZIP_MIN_BYTES",
    "CONTENT_ENCODING_HEADER",
    "GZIP_ENCODING",
    "IDEMPOTENCY_HEADER",
    "JOB_STATUSES",
    "JOB_TYPES",
    "LOCAL_ACTIVE_STATUSES",
    "LOCAL_STATUSES",
    "MAX_PAYLOAD_BYTES",
    "MAX_QH2_BITS",
    "REQUEST_ENCODINGS",
    "TERMINAL_STATUSES",
    "TEXT_GZIP_LEVEL",
]

# -- jobs (§2.7, §5.1) --------------------------------------------------------------------------

JOB_TYPES = ("EXECUTE", "EXPECTATION")
"""The ``job_type`` values of circuit jobs (characterization's ``VALIDATE`` is its own)."""

ACTIVE_STATUSES = frozenset({"PENDING", "SCHEDULED", "RUNNING", "PAUSED"})
"""§5.1: statuses of a job that may still change."""
TERMINAL_STATUSES = frozenset(
    {"COMPLETED", "FAILED", "CANCELLED", "INSUFFICIENT_CREDITS", "TIMED_OUT"}
)
"""§5.1: statuses a job never leaves."""
JOB_STATUSES = ACTIVE_STATUSES | TERMINAL_STATUSES
"""§5.1: all nine statuses."""

LOCAL_ACTIVE_STATUSES = ("PENDING", "RUNNING")
"""The active statuses the local service uses (it never schedules or pauses a job)."""
LOCAL_STATUSES = (*LOCAL_ACTIVE_STATUSES, "COMPLETED", "FAILED", "CANCELLED")
"""Every status the local service gives a job, in lifecycle order."""

# -- headers and request bodies (§1.3, §1.4, §1.6, §3.2) ---------------------------------------

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""Header naming one logical POST; a service that advertises it applies the POST once (§1.6).
HTTP header names are case-insensitive; ASGI servers see it lower-cased."""
CONTENT_ENCODING_HEADER = "Content-Encoding"

MAX_PAYLOAD_BYTES = 996_147
"""Per-request body cap: 0.95 MiB, integer form (§3.2)."""

GZIP_ENCODING = "gzip"
"""The ``Content-Encoding`` value of a gzip-compressed request body."""
REQUEST_ENCODINGS = (GZIP_ENCODING,)
"""Request-body encodings the local service accepts and advertises in its ``job/init/``
answer (``request_encodings``, a local extension; the cloud advertises none)."""
BODY_GZIP_LEVEL = 6
"""Level of request-body gzip: zlib's speed/size balance (a 370 kB gradient upload -> 8 kB)."""
BODY_GZIP_MIN_BYTES = 4096
"""Smaller request bodies gain nothing from gzip and are sent plain."""

# -- codecs (§3.1, §4.4) ------------------------------------------------------------------------

TEXT_GZIP_LEVEL = 9
"""The reference client's level for gzip+base64 text (§3.1): with mtime 0 it reproduces that
client's bytes exactly. Not :data:`BODY_GZIP_LEVEL`: the two answer different needs."""

MAX_QH2_BITS = 1 << 20
"""Largest histogram width a QH2 blob may declare (§4.4, the client's limit)."""
