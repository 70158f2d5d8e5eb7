"""Template jobs on persistent simulators: the runner's batched tasks (``local/walker.py``).

A template job whose rows differ only by numbers is not run circuit by circuit: its rows are
partitioned over the workers, each part walked on one persistent simulator (or run as whole
circuits where that is cheaper). :func:`batched_tasks` builds those tasks for a claimed job, or
says the job does not qualify; each task calls back into the runner's run (``run.run_batch``),
which records results and falls back to one circuit at a time on failure.

Imports numpy, the standard library and ``local`` modules only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .store import Work
from .submission import terms_for
from .template_program import compile_template
from .walker import (
    default_options,
    expectation_reader,
    partition,
    reference_row,
    sampling_reader,
    start_gates,
    use_whole,
)

__all__ = ["batched_tasks"]


def batched_tasks(run: Any, work: Work, *, workers: int,
                  encode: Callable[[dict[str, int], int], Any]
                  ) -> list[Callable[[], None]] | None:
    """Tasks running a template job's rows on persistent simulators, at most one per
    worker and template (``local/walker.py``); ``None`` when the job does not qualify
    (bound circuits, non-default simulator options, a seeded EXECUTE job, a template
    outside the fast path's grammar)."""
    job = run.job
    if not default_options(run.options):
        return None
    if job.job_type == "EXECUTE" and run.seed is not None:
        return None  # seeded samples stay simple_execute's, the same on both paths
    if any(item[3] is None for item in work.pending):
        return None
    by_template: dict[int, list[tuple]] = {}
    for item in work.pending:
        by_template.setdefault(item[3], []).append(item)
    tasks: list[Callable[[], None]] = []
    for index, items in by_template.items():
        made = _template_tasks(run, work.templates[index], items, workers, encode)
        if made is None:
            return None
        tasks += made
    return tasks


def _template_tasks(run: Any, template: tuple[str, tuple[str, ...]], items: list[tuple],
                    workers: int, encode: Callable[[dict[str, int], int], Any]
                    ) -> list[Callable[[], None]] | None:
    text, names = template
    program = compile_template(text, names)
    if program is None:
        return None
    job = run.job
    if job.job_type == "EXPECTATION":
        groups, ham_map = job.observables or [], job.circuit_ham_map
        terms = terms_for(items[0][0], groups, ham_map)
        if any(terms_for(item[0], groups, ham_map) != terms for item in items):
            return None
        reader = expectation_reader(terms, run.shared_config)
        extra = 3.0 * len(terms)  # reading one term costs about three gates
    else:
        if not program.measures:
            return None
        reader = sampling_reader(program, lambda r: items[r][5], run.shared_config,
                                 encode)
        extra = 1.0
    values = np.array([item[4] for item in items], dtype=np.float64)
    values = values.reshape(len(items), len(names))
    ref = reference_row(values)
    starts = start_gates(program, values, ref)
    whole = use_whole(job.job_type, program.n_qubits)
    parts = partition(starts, len(program.gates), extra, workers, whole)
    return [
        lambda part=part: run.run_batch(program, items, part, values, ref, starts, reader)
        for part in parts
    ]
