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
    "FINALIZE_WAIT_FIELD",
    "GZIP_ENCODING",
    "IDEMPOTENCY_HEADER",
    "INLINE_RESULTS_MAX",
    "JOB_STATUSES",
    "JOB_TYPES",
    "LOCAL_ACTIVE_STATUSES",
    "LOCAL_STATUSES",
    "MAX_PAYLOAD_BYTES",
    "MAX_QH2_BITS",
    "REQUEST_ENCODINGS",
    "SUBMIT_ENDPOINT",
    "SUBMIT_FIELD",
    "SUBMIT_MAX_CIRCUITS",
    "TERMINAL_STATUSES",
    "TEXT_GZIP_LEVEL",
    "WAIT_PARAM",
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

# -- local extensions: long polling and the answering finalize (§2.8, §2.9) ---------------------

WAIT_PARAM = "wait"
"""Query parameter of ``status/?wait=<s>`` and of a finalizing ``add_circuits/?wait=<s>``: hold
the answer up to that many seconds while the job is active (local extension)."""
FINALIZE_WAIT_FIELD = "max_finalize_wait"
"""``job/init/`` answer field (local extension): the longest ``add_circuits/?wait=`` honoured,
in seconds. A service that sends it answers a finalizing, waiting ``add_circuits/`` with the
job's ``status`` and ``run_time`` (``error`` when FAILED) and, for a COMPLETED job of at most
:data:`INLINE_RESULTS_MAX` circuits, its ``results`` rows inline (resultsV2 row shape). The
cloud sends neither the field nor the answers; clients that do not know them ignore them."""
SUBMIT_ENDPOINT = "job/submit/"
"""Local extension: ``POST job/submit/`` with ``{"init": <job/init/ body>, "chunk": <the job's
one add_circuits/ body, finalized "true", at most :data:`SUBMIT_MAX_CIRCUITS` circuits>}`` does
both in one request, all or nothing (a refused chunk, or a crash, leaves no job). It answers
200 with the finalizing ``add_circuits/`` answer (``job_id`` included) and, when the job has
already ended (small jobs run inside the request), its ``status``, ``run_time`` and results as
:data:`FINALIZE_WAIT_FIELD` describes; otherwise the client polls ``status/`` as usual. An
``Idempotency-Key`` covers the whole request."""
SUBMIT_MAX_CIRCUITS = 1000
"""Most circuits (bound circuits or template rows) one ``job/submit/`` carries: the service
stores them in one transaction. Bigger jobs take ``job/init/`` and ``add_circuits/``."""
SUBMIT_FIELD = "single_request_jobs"
"""``job/init/`` answer field (local extension): ``true`` when :data:`SUBMIT_ENDPOINT` exists."""
INLINE_RESULTS_MAX = 100
"""Most result rows a finalizing ``add_circuits/`` answer carries inline (one resultsV2 page)."""
PROGRESS_FIELD = "progress"
"""``status/`` answer field (local extension, on ``?wait=`` polls of a RUNNING job):
``{"done": <circuits whose results are stored>, "total": <circuits of the job>}``. The count
grows in the batches the service stores results in. The cloud never sends it; clients that do
not know it ignore it (§2.9 "other fields may be present")."""
