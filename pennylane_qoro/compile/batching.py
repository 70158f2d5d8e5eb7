"""A batch of preprocessed tapes -> a job plan: templates with parameter rows, or bound circuits.

The plan answers "what does each job carry, and where is each tape's data in the results":

* **Analytic tapes** (no shots) go into ONE EXPECTATION job on the template path: tapes with the
  same op structure share one template text and contribute one parameter row per broadcast
  element; the Pauli terms of all their measurements form the job's single observable group
  (qoro-api.md §2.8 (b): the template path allows one group).
* **Sampled tapes** go into ONE EXECUTE job: on the template path when they all have the same
  total shots (the job's ``shots``), else as bound circuits with ``shot_groups`` (§3.3).
* A second job appears only when the plan needs it: analytic and sampled tapes in one batch
  (two job types), or an observable group whose encoding would not fit the payload cap (the
  group is split into term chunks, one job each, all carrying the same rows).

Pure: no I/O, clock or device state. Plans are frozen dataclasses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from pennylane.measurements import Shots

from .observables import Recipe, recipe
from .qasm import (
    bind,
    count_parameters,
    parameter_names,
    parameter_rows,
    tape_structure,
    template_text,
)

#: Fraction of the payload cap an observables envelope may use (the rest is template + rows).
OBSERVABLES_SHARE = 0.5


@dataclass(frozen=True, eq=False)
class TemplateGroup:
    """One template text and its parameter rows (one row per circuit to run)."""

    qasm: str
    parameter_names: tuple[str, ...]
    labels: tuple[str, ...]
    values: np.ndarray  # float64, shape (len(labels), len(parameter_names))


@dataclass(frozen=True, eq=False)
class JobPlan:
    """What one Qoro job carries (converted 1:1 into a client ``JobSpec`` by the device)."""

    job_type: str  # "EXECUTE" | "EXPECTATION"
    templates: tuple[TemplateGroup, ...] = ()
    circuits: tuple[tuple[str, str], ...] = ()  # bound path: (label, qasm)
    shots: int | None = None
    shot_groups: tuple[tuple[int, int, int], ...] | None = None
    observables: tuple[str, ...] | None = None  # EXPECTATION: the single group of dense terms

    @property
    def n_circuits(self) -> int:
        """Circuits the service runs for this job (template rows or bound circuits)."""
        return len(self.circuits) + sum(len(t.labels) for t in self.templates)

    @property
    def total_shots(self) -> int:
        """Shots this job asks for, over all its circuits (0 for EXPECTATION)."""
        if self.shot_groups:
            return sum((e - s) * n for s, e, n in self.shot_groups)
        return (self.shots or 0) * self.n_circuits


@dataclass(frozen=True, eq=False)
class AnalyticSlot:
    """Where an analytic tape's values are: result labels (one per broadcast element)."""

    labels: tuple[str, ...]
    recipes: tuple[Recipe, ...]
    broadcast: bool


@dataclass(frozen=True, eq=False)
class SampledSlot:
    """Where a sampled tape's histograms are, and what to build from them."""

    labels: tuple[str, ...]
    measurements: tuple
    shots: Shots
    broadcast: bool


@dataclass(frozen=True, eq=False)
class BatchPlan:
    """The jobs of one batch and, per tape in batch order, where its results are."""

    wire_order: tuple
    jobs: tuple[JobPlan, ...]
    slots: tuple[AnalyticSlot | SampledSlot, ...]
    notes: tuple[str, ...] = field(default=())  # why there is more than one job, if so

    @property
    def identity(self) -> str:
        """The all-identity dense term for this wire order."""
        return "I" * len(self.wire_order)


def _labels(index: int, batch_size: int | None) -> tuple[str, ...]:
    if batch_size is None:
        return (str(index),)
    return tuple(f"{index}.{b}" for b in range(batch_size))


def _needed_wires(tape, wire_index: dict) -> set[int]:
    """Qubits the sampled measurements read; all of them if one measures every wire."""
    needed: set[int] = set()
    for mp in tape.measurements:
        if not len(mp.wires):
            return set(wire_index.values())
        needed.update(wire_index[w] for w in mp.wires)
    return needed


class _Grouper:
    """Collects tapes by op structure into template groups (insertion ordered)."""

    def __init__(self, n_qubits: int, wire_index: dict):
        self.n_qubits = n_qubits
        self.wire_index = wire_index
        self.groups: dict = {}  # structure -> [labels, rows, measured set]
        self.memo: dict = {}  # id(op) -> structure entry; the tapes keep the ops alive

    def add(self, tape, index: int, measured: set[int]) -> tuple[tuple[str, ...], int | None]:
        """Add a tape's rows; returns its row labels and batch size."""
        structure = tape_structure(tape.operations, self.wire_index, self.memo)
        rows, batch = parameter_rows(tape.operations, count_parameters(structure))
        labels = _labels(index, batch)
        entry = self.groups.setdefault(structure, [[], [], set()])
        entry[0].extend(labels)
        entry[1].append(rows)
        entry[2].update(measured)
        return labels, batch

    def templates(self) -> tuple[TemplateGroup, ...]:
        out = []
        for structure, (labels, rows, measured) in self.groups.items():
            text = template_text(structure, self.n_qubits, tuple(sorted(measured)))
            names = parameter_names(count_parameters(structure))
            out.append(TemplateGroup(text, names, tuple(labels), np.concatenate(rows)))
        return tuple(out)


def plan_batch(
    tapes: Sequence,
    wire_order: Sequence,
    *,
    observables_budget: int | None = None,
    observables_size: Callable[[Sequence[str]], int] | None = None,
) -> BatchPlan:
    """Plan the fewest jobs that run a batch of preprocessed tapes.

    Args:
        tapes (Sequence[QuantumScript]): decomposed to the device gate set; sampled tapes have
            diagonal measurements only.
        wire_order (Sequence): device wire order; position i is qubit ``q[i]`` and character i
            of every Pauli term.
        observables_budget (int | None): largest encoded observables string one job may carry;
            ``None`` means unlimited.
        observables_size (Callable | None): encoded size of a group of dense terms (the client's
            ``@gzs`` codec); required with ``observables_budget``.

    Returns:
        BatchPlan: jobs and per-tape slots.

    Raises:
        DeviceError: a measurement cannot be computed analytically (from :func:`recipe`).
    """
    wire_order = tuple(wire_order)
    wire_index = {w: i for i, w in enumerate(wire_order)}
    n = len(wire_order)
    analytic, sampled = _Grouper(n, wire_index), _Grouper(n, wire_index)
    slots: list[AnalyticSlot | SampledSlot] = []
    terms: dict[str, None] = {}
    recipe_cache: dict = {}
    sampled_tapes = []
    for i, tape in enumerate(tapes):
        if tape.shots:
            labels, batch = sampled.add(tape, i, _needed_wires(tape, wire_index))
            sampled_tapes.append((tape, labels))
            slots.append(
                SampledSlot(labels, tuple(tape.measurements), tape.shots, batch is not None)
            )
            continue
        labels, batch = analytic.add(tape, i, set())
        broadcast = batch is not None
        recipes = tuple(_cached_recipe(mp, wire_order, recipe_cache) for mp in tape.measurements)
        for rec in recipes:
            terms.update(dict.fromkeys(rec.terms))
        slots.append(AnalyticSlot(labels, recipes, broadcast))

    jobs: list[JobPlan] = []
    notes: list[str] = []
    group = [t for t in terms if t != "I" * n]
    # Only identity terms (e.g. expval(I)) need no service call: their value is 1.
    if analytic.groups and group:
        chunks = _chunk_terms(group, observables_budget, observables_size)
        templates = analytic.templates()
        jobs.extend(JobPlan("EXPECTATION", templates, observables=tuple(c)) for c in chunks)
        if len(chunks) > 1:
            notes.append(
                f"{len(group)} Pauli terms do not fit one job's payload: split into "
                f"{len(chunks)} EXPECTATION jobs"
            )
    if sampled.groups:
        if analytic.groups:
            notes.append("batch mixes analytic and sampled tapes: one extra EXECUTE job")
        jobs.append(_sampling_job(sampled, sampled_tapes))
    return BatchPlan(wire_order, tuple(jobs), tuple(slots), tuple(notes))


def _cached_recipe(mp, wire_order: tuple, cache: dict) -> Recipe:
    """Recipes by measurement object id (gradient tapes share measurement objects), then by
    value (``MeasurementProcess`` hashes and compares by value)."""
    rec = cache.get(("id", id(mp)))
    if rec is None:
        rec = cache.get(mp)
        if rec is None:
            rec = cache[mp] = recipe(mp, wire_order)
        cache[("id", id(mp))] = rec
    return rec


def _sampling_job(sampled: _Grouper, sampled_tapes: list) -> JobPlan:
    """One EXECUTE job: templates if all tapes share total shots, else bound + shot_groups."""
    totals = {tape.shots.total_shots for tape, _ in sampled_tapes}
    templates = sampled.templates()
    if len(totals) == 1:
        return JobPlan("EXECUTE", templates, shots=totals.pop())
    shots_of = {}
    for tape, labels in sampled_tapes:
        shots_of.update(dict.fromkeys(labels, tape.shots.total_shots))
    circuits = []
    for tmpl in templates:
        for label, row in zip(tmpl.labels, tmpl.values, strict=True):
            circuits.append((label, bind(tmpl.qasm, tmpl.parameter_names, row.tolist())))
    # Order circuits by tape position so equal neighbouring shot counts merge into one range.
    circuits.sort(key=lambda c: [int(x) for x in c[0].split(".")])
    return JobPlan(
        "EXECUTE",
        circuits=tuple(circuits),
        shot_groups=shot_ranges([shots_of[label] for label, _ in circuits]),
    )


def shot_ranges(shots: Sequence[int]) -> tuple[tuple[int, int, int], ...]:
    """Per-circuit shots as ``[start, end, shots]`` ranges that tile ``[0, len)`` (§3.3).

    >>> shot_ranges([10, 10, 20, 10])
    ((0, 2, 10), (2, 3, 20), (3, 4, 10))
    """
    ranges: list[list[int]] = []
    for i, s in enumerate(shots):
        if ranges and ranges[-1][2] == s:
            ranges[-1][1] = i + 1
        else:
            ranges.append([i, i + 1, s])
    return tuple(tuple(r) for r in ranges)


def _chunk_terms(
    terms: list[str], budget: int | None, size: Callable[[Sequence[str]], int] | None
) -> list[list[str]]:
    """Split a term group into the fewest chunks whose encoding fits ``budget``."""
    if budget is None or size is None or not terms or size(terms) <= budget:
        return [terms]
    k = 2
    while True:
        step = -(-len(terms) // k)
        chunks = [terms[j : j + step] for j in range(0, len(terms), step)]
        if all(size(c) <= budget for c in chunks) or step == 1:
            return chunks
        k += 1
