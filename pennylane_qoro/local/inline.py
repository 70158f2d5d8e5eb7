"""Small jobs on the local path: run them inside the finalizing request, answer them at once.

Two local extensions of ``add_circuits/`` (qoro-api.md §2.8) live here:

* **inline runs**: a job whose whole work is below :data:`INLINE_WORK` runs in the finalizing
  request itself (``Runner.run_here``), skipping the hand-off to the worker pool. The work of a
  circuit is estimated in amplitude-updates, ``2**n_qubits * (statements + terms) + shots``,
  plus a fixed :data:`CIRCUIT_OVERHEAD` per bound circuit or per template (Maestro's per-call
  setup, ~0.35 ms). Measured on Maestro 0.3.8, one unit costs 2-3 ns, so the budget is about
  3 ms of simulation: a few small circuits, an 8-qubit expval of 256 terms, one 12-qubit
  circuit of a hundred gates. Anything bigger, or a job uploaded in several chunks, goes to
  the pool.
* **the answering finalize**: :func:`finalize_answer` adds ``status``, ``run_time`` (``error``
  when FAILED) and, for a COMPLETED job of at most :data:`INLINE_RESULTS_MAX` circuits, its
  ``results`` rows (the resultsV2 row shape, from the stored JSON text) to the usual answer.

Imports the standard library, ``protocol`` and ``local`` modules only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..protocol.vocabulary import INLINE_RESULTS_MAX
from .models import AddCircuitsResponse
from .store import Store
from .submission import Chunk, terms_for

__all__ = ["CIRCUIT_OVERHEAD", "INLINE_WORK", "finalize_answer", "result_rows_json",
           "runs_inline", "work_estimate"]

INLINE_WORK = 1 << 20
"""Largest estimated work (amplitude-update units) of a job run in its own request."""
CIRCUIT_OVERHEAD = 1 << 17
"""Fixed work units charged per bound circuit or template (Maestro's per-call setup)."""


def work_estimate(chunk: Chunk) -> int:
    """The estimated simulation work of the circuits of ``chunk`` (see the module docstring).

    >>> from pennylane_qoro.local.store import CircuitRow
    >>> row = CircuitRow(label="a", n_qubits=2, n_clbits=2, cost=1, qasm="h q[0];cx q[0],q[1];")
    >>> work_estimate(Chunk([row], [], None, None, 2, True))  # overhead + 2 statements * 4
    131080
    """
    statements = [text.count(";") for text, _names in chunk.templates]
    total = CIRCUIT_OVERHEAD * len(chunk.templates)
    for index, row in enumerate(chunk.circuits):
        if row.qasm is not None:
            n = row.qasm.count(";")
            total += CIRCUIT_OVERHEAD
        else:
            n = statements[row.template or 0]
        if chunk.observables:
            n += len(terms_for(index, chunk.observables, chunk.circuit_ham_map))
        total += (n << row.n_qubits) + (row.shots or 0)
    return total


def runs_inline(chunk: Chunk, total_circuits: int) -> bool:
    """Whether the finalizing ``chunk`` carries the whole job and its work is small enough to
    run inside the request (:data:`INLINE_WORK`)."""
    return (chunk.finalize and len(chunk.circuits) == total_circuits
            and work_estimate(chunk) <= INLINE_WORK)


def result_rows_json(rows: Sequence[tuple[str, str | None]]) -> str:
    """Stored ``(label, result JSON)`` rows as the text of a resultsV2 ``results`` array.

    >>> result_rows_json([("a", '{"ZI": 1.0}'), ("b", None)])
    '[{"label":"a","results":{"ZI": 1.0}},{"label":"b","results":null}]'
    """
    return "[" + ",".join(f'{{"label":{json.dumps(label)},"results":{result or "null"}}}'
                          for label, result in rows) + "]"


def finalize_answer(answer: AddCircuitsResponse, store: Store, owner: str,
                    status: tuple[str, float, str | None]) -> str:
    """The answer of a finalizing, waiting ``add_circuits/``: ``answer``'s fields plus the
    job's ``status`` and ``run_time``, ``error`` when FAILED, and ``results`` inline when the
    job COMPLETED with at most :data:`INLINE_RESULTS_MAX` circuits."""
    state, run_time, error = status
    body = answer.model_dump(exclude_none=True)
    body["status"], body["run_time"] = state, run_time
    if state == "FAILED":
        body["error"] = error
    text = json.dumps(body)
    if state != "COMPLETED" or answer.total_circuits > INLINE_RESULTS_MAX:
        return text
    job, rows = store.results_page(answer.job_id, owner, offset=0, limit=INLINE_RESULTS_MAX)
    if job.status != "COMPLETED" or len(rows) != answer.total_circuits:
        return text  # deleted meanwhile: the client falls back to paging
    return text[:-1] + ',"results":' + result_rows_json(rows) + "}"
