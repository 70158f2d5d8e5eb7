"""The local service's SQLite store: tokens, the credit ledger, jobs, circuits and results.

``from pennylane_qoro.local.store import Store`` is the import path of the one object the rest
of the service uses (:class:`~.facade.Store`); the row types, the refusals and the helpers
tests and tools need are exported beside it. The package owns ALL SQL of the local service
(style.md rule 10):

* ``schema``: the DDL and the connection settings;
* ``records``: row dataclasses (:class:`Job`, :class:`CircuitRow`, :class:`Work`,
  :class:`Remember`) and timestamps;
* ``errors``: the refusals, one HTTP status each;
* ``ledger``: hashed tokens, balances and the transaction ledger;
* ``jobs``: job rows, the per-owner active-job limit, uploads, options, cancel, delete;
* ``artifacts``: templates, circuits and their results, named blobs;
* ``queue``: claiming jobs for the runner, storing results, recovery after a restart;
* ``idempotency``: ``Idempotency-Key`` records;
* ``uploads``: appending a chunk in short batches, refused before its first row;
* ``facade``: :class:`Store`, one transaction per method over the modules above.

Must not import anything from the package but ``protocol`` (no client, device, compile or
results code).
"""

from __future__ import annotations

from .errors import (
    Conflict,
    Forbidden,
    InsufficientCredits,
    Invalid,
    KeyReused,
    NotFound,
    RateLimited,
    Replayed,
    StoreError,
)
from .facade import Store
from .idempotency import IDEMPOTENCY_TTL_SECONDS
from .jobs import IDLE_UPLOAD_SECONDS
from .ledger import DEFAULT_GRANT, format_amount, hash_token
from .queue import MAX_ATTEMPTS
from .records import CircuitRow, Job, Remember, Work
from .uploads import UPLOAD_BATCH, ChunkRows

__all__ = [
    "DEFAULT_GRANT",
    "IDEMPOTENCY_TTL_SECONDS",
    "IDLE_UPLOAD_SECONDS",
    "MAX_ATTEMPTS",
    "UPLOAD_BATCH",
    "ChunkRows",
    "CircuitRow",
    "Conflict",
    "Forbidden",
    "InsufficientCredits",
    "Invalid",
    "Job",
    "KeyReused",
    "NotFound",
    "RateLimited",
    "Remember",
    "Replayed",
    "Store",
    "StoreError",
    "Work",
    "format_amount",
    "hash_token",
]
