"""Test-only fault injection for the local service (style.md rule 13).

A :class:`FaultPlan` passed to ``create_app(..., faults=plan)`` (or ``serve(faults=plan)``)
makes the service misbehave on purpose, over real HTTP, so the client's retry and error
handling can be tested without patching ``requests`` or urllib3:

* ``when="before"``: the request never reaches its handler (nothing changes on the server);
* ``when="after"``: the handler runs (the job IS created / the chunk IS stored) and its
  response is then lost -- the case of qoro-api.md §1.6 where a retried POST duplicates work;
* ``action="status"``: answer ``status`` (default 502) with ``body`` (default a small JSON
  detail) and ``headers``, optionally ``Retry-After``; a 200 scripts an answer (a results
  page, a catalogue), :func:`status_script` a sequence of job states;
* ``action="drop"``: close the TCP connection without any response (the client sees a
  connection error);
* ``action="slow"``: answer normally but ``delay`` seconds late, past a client's timeout.
  With ``when="before"`` the request is held (body read first) and the handler runs only
  after the delay -- possibly after the client's re-send was handled; with ``when="after"``
  the handler runs at once and its response is held;
* ``action="edit"``: the handler runs and its JSON answer is sent with keys set or removed
  (e.g. an answer without a local extension, as the cloud gives it).

Several plans can be passed to ``create_app(faults=[...])``; each draws independently, so
plans of probability p1, p2, ... break about 1 - (1-p1)(1-p2)... of the requests.

Which requests are hit: ``methods`` (empty = all) and ``path`` (a regular expression searched
in the URL path, ``None`` = all); of those, the first ``skip`` pass untouched, then each is hit
with ``probability`` (drawn from a ``random.Random(seed)``) until ``times`` injections have
happened (``None`` = no limit). ``plan.injected`` counts the injections so far.

A :class:`FaultSwitch` (``create_app(faults=[switch])``) holds plans that tests inject and
reset while one service runs, and logs every request the service received
(:class:`Received`), for tests that count and read what reached the service.

Modules: :mod:`.plan` (the data and the hit decision), :mod:`.switch` (queues and the request
log), :mod:`.middleware` (the ASGI side). Nothing here runs unless a plan or a switch is
passed in at construction.

Must not import anything from the device, compile, results or client packages.
"""

from __future__ import annotations

from .middleware import FaultMiddleware
from .plan import FaultPlan, status_script
from .switch import FaultSwitch, Received

__all__ = ["FaultMiddleware", "FaultPlan", "FaultSwitch", "Received", "status_script"]
