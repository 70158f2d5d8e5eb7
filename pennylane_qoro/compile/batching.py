"""A batch of preprocessed tapes -> a job plan: templates with parameter rows, or bound circuits.

The plan answers "what does each job carry, and where is each tape's data in the results":

* **Analytic tapes** (no shots) go into ONE EXPECTATION job on the template path: tapes with the
  same op structure share one template text and contribute one parameter row per broadcast
  element; the Pauli terms of all their measurements form the job's single observable group
  (qoro-api.md §2.8 (b): the template path allows one group).
* **Sampled tapes** go into ONE EXECUTE job: on the template path when they all have the same
  total shots (the job's ``shots``), else as bound circuits with ``shot_groups`` (§3.3).
* **Device derivatives** (``derivatives=True``): each tape with trainable parameters also
  contributes its parameter-shift rows (``gradients.shift_plan``) to the SAME template and job,
  labelled ``"<tape>s<shift>"`` (``"<tape>s<shift>.<element>"`` when broadcast); the slot keeps
  the plan that recombines them.
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

from .gradients import ShiftPlan, shift_plan
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
    shift: ShiftPlan | None = None  # device derivatives: how to recombine ``shift_labels``
    shift_labels: tuple[str, ...] = ()  # shift-major, then broadcast element


@dataclass(frozen=True, eq=False)
class SampledSlot:
    """Where a sampled tape's histograms are, and what to build from them."""

    labels: tuple[str, ...]
    measurements: tuple
    shots: Shots
    broadcast: bool
    shift: ShiftPlan | None = None  # device derivatives: how to recombine ``shift_labels``
    shift_labels: tuple[str, ...] = ()  # shift-major, then broadcast element


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


def _shift_labels(index: int, n_shifts: int, batch_size: int | None) -> tuple[str, ...]:
    if batch_size is None:
        return tuple(f"{index}s{j}" for j in range(n_shifts))
    return tuple(f"{index}s{j}.{b}" for j in range(n_shifts) for b in range(batch_size))


def _tape_index(label: str) -> int:
    """The tape position a row label starts with (``"3"``, ``"3.1"``, ``"3s4.1"`` -> 3)."""
    end = 0
    while end < len(label) and label[end].isdigit():
        end += 1
    return int(label[:end])


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

    def add(
        self, tape, index: int, measured: set[int], derivatives: bool = False
    ) -> tuple[tuple[str, ...], int | None, ShiftPlan | None, tuple[str, ...]]:
        """Add a tape's rows (and, with ``derivatives``, its parameter-shift rows).

        Returns:
            tuple: forward row labels, batch size, shift plan (``None`` without
            ``derivatives``) and shifted row labels.
        """
        structure = tape_structure(tape.operations, self.wire_index, self.memo)
        n_columns = count_parameters(structure)
        rows, batch = parameter_rows(tape.operations, n_columns)
        labels = _labels(index, batch)
        entry = self.groups.setdefault(structure, [[], [], set()])
        entry[0].extend(labels)
        entry[1].append(rows)
        entry[2].update(measured)
        shift, shift_labels = None, ()
        if derivatives:
            shift = shift_plan(tape, n_columns)
            if shift.n_shifts:
                shift_labels = _shift_labels(index, shift.n_shifts, batch)
                entry[0].extend(shift_labels)
                entry[1].append(shift.rows(rows))
        return labels, batch, shift, shift_labels

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
    derivatives: bool = False,
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
        derivatives (bool): also plan every tape's parameter-shift rows (device derivatives,
            with respect to ``tape.trainable_params``) in the same jobs.

    Returns:
        BatchPlan: jobs and per-tape slots.

    Raises:
        DeviceError: a measurement cannot be computed analytically (from :func:`recipe`), or
            (with ``derivatives``) a trainable parameter has no parameter-shift rule.
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
            labels, batch, shift, shift_labels = sampled.add(
                tape, i, _needed_wires(tape, wire_index), derivatives
            )
            sampled_tapes.append((tape, labels + shift_labels))
            slots.append(
                SampledSlot(
                    labels,
                    tuple(tape.measurements),
                    tape.shots,
                    batch is not None,
                    shift,
                    shift_labels,
                )
            )
            continue
        labels, batch, shift, shift_labels = analytic.add(tape, i, set(), derivatives)
        broadcast = batch is not None
        recipes = tuple(_cached_recipe(mp, wire_order, recipe_cache) for mp in tape.measurements)
        for rec in recipes:
            terms.update(dict.fromkeys(rec.terms))
        slots.append(AnalyticSlot(labels, recipes, broadcast, shift, shift_labels))

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
    # Order circuits by tape position so equal neighbouring shot counts merge into one range
    # (a stable sort: each tape's forward and shifted rows keep their order).
    circuits.sort(key=lambda c: _tape_index(c[0]))
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
