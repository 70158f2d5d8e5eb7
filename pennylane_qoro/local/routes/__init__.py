"""HTTP routes of the local service, one module per route group; ``app.create_app`` mounts them.

* ``catalogue``: ping, QPU systems, simulator clusters, vendor blueprint, credits (§2.1-2.6);
* ``jobs``: ``job/init/``, status, results, cancel, delete, execution options (§2.7-2.13);
* ``circuits``: ``add_circuits/`` (§2.8);
* ``submit``: ``job/submit/``, init and one finalizing chunk in one request (local extension);
* ``characterization``: ``submit_qubo/`` and ``validation_result/`` (§2.14-2.15), a router
  made per application by ``create_router``.

Each route validates one request, calls the store or the runner, and returns one response
model. This ``__init__`` imports nothing.
"""
