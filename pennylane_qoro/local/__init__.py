"""The embedded Qoro-compatible service: the cloud's REST API, run on this machine by Maestro.

Public names:

* :func:`start` -- the process's embedded service (127.0.0.1, ephemeral port, daemon thread),
  returning a :class:`LocalService` (``url, token = start()``);
* :func:`serve` -- a new independent service for a ``with`` block (tests);
* :func:`create_token` -- mint a token in a database file;
* :func:`create_app` -- the FastAPI application, for embedding in another server;
* :class:`FaultPlan` -- test-only fault injection.

Command line: ``qoro-local serve`` / ``python -m pennylane_qoro.local serve`` and
``qoro-local token create --db PATH``.

Must not import anything from the device, compile, results or client packages other than the
shared codecs in ``client/wire.py`` and ``client/errors.py``.
"""

from __future__ import annotations

from .app import create_app
from .faults import FaultPlan
from .service import LocalService, create_token, serve, start

__all__ = ["FaultPlan", "LocalService", "create_app", "create_token", "serve", "start"]
