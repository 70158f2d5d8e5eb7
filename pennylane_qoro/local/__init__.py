"""The embedded Qoro-compatible service: the cloud's REST API, run on this machine by Maestro.

Public names:

* :func:`start` -- the process's embedded service (127.0.0.1, ephemeral port, daemon thread),
  returning a :class:`LocalService` (``url, token = start()``);
* :func:`serve` -- a new independent service for a ``with`` block (tests);
* :func:`create_token` -- mint a token in a database file;
* :func:`create_app` -- the FastAPI application, for embedding in another server;
* :class:`FaultPlan` -- test-only fault injection;
* :class:`Timing` -- cloud-like PENDING/RUNNING holds (``serve(timing=...)``).

Command line: ``qoro-local serve`` / ``python -m pennylane_qoro.local serve`` and
``qoro-local token create --db PATH``.

Layout: ``service.py`` is the one composition root (store + runner + app + uvicorn);
``app.py`` composes ``routes/`` with ``deps.py``, ``handlers.py`` and ``middleware.py``;
``store/`` holds all SQL behind one ``Store``; ``runner.py`` executes jobs on Maestro
(``template_program.py`` and ``walker.py`` run template rows sharing prefixes);
``submission.py``, ``qasm.py`` and ``simulator_options.py`` validate what arrives;
``analysis/`` is the characterization engine.

Imports ``protocol`` from the rest of the package, never the client, device, compile or
results code.
"""

from __future__ import annotations

from .app import create_app
from .faults import FaultPlan
from .service import LocalService, create_token, serve, start
from .timing import Timing

__all__ = ["FaultPlan", "LocalService", "Timing", "create_app", "create_token", "serve", "start"]
