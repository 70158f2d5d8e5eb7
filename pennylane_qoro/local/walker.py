"""Template rows on one persistent Maestro statevector per worker, sharing circuit prefixes.

The rows of a parameter-shift gradient differ from one reference row (the unshifted
parameters) in a single value each. Running each row as its own ``simple_estimate`` parses the
text and simulates every gate again. Here the template is a :class:`~.template_program.Program`
(read once), and

* a **walking** worker keeps one ``maestro.Simulator``, walks the reference row's gates, and
  at the first gate where a row departs from the reference saves the state, runs only that
  row's remaining gates, reads the row's values and restores the state (about half the gate
  work of a gradient batch);
* **whole-circuit** workers (EXPECTATION jobs of 12 qubits or more, on machines with more
  than ``MAX_WALKERS`` workers) build each row as a ``QuantumCircuit`` from the gate list,
  without text or parsing, and estimate it; Maestro releases the GIL there, while per-gate
  ``Simulator`` calls hold it, so they run beside the walkers (:func:`partition` gives the
  walkers the late-starting rows, where walking saves the most).

Every gate is applied exactly, in order: the results are those of the substituted circuit, up
to floating-point rounding order (the tests compare with ``simple_estimate`` to 1e-12).

Scope: templates :func:`~.template_program.compile_template` reads, with default statevector
options (no simulator type, method or noise option set, :func:`default_options`); EXECUTE
rows only without a ``seed``, so seeded runs keep ``simple_execute``'s exact samples on both
upload paths.

Imports Maestro, numpy, the standard library, ``protocol`` and ``local/template_program.py``.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import maestro
import numpy as np

from ..protocol.histogram import encode_histogram
from .template_program import Gate, Program

__all__ = [
    "MAX_WALKERS",
    "WHOLE_MIN_QUBITS",
    "WHOLE_OVERHEAD",
    "Part",
    "Reader",
    "default_options",
    "expectation_reader",
    "partition",
    "reference_row",
    "run_rows",
    "run_whole",
    "sampling_reader",
    "start_gates",
    "use_whole",
]

#: From this many qubits on, rows are shared between a walking worker and whole-circuit
#: workers (below, Python per-gate calls cost more than the simulation they save).
WHOLE_MIN_QUBITS = 12
# SimulatorConfig fields copied when a configuration is adjusted (_without_clustering).
_CONFIG_FIELDS = ("simulator_type", "simulation_type", "seed", "precision")
#: Whole-circuit rows cost about this much more per gate than walked ones (parse-free, but
#: Maestro's per-call analysis and simulator set-up; measured at n = 16).
WHOLE_OVERHEAD = 1.3
#: Walking workers per template. Two walkers beat one walker + one whole-circuit worker on
#: 2 cores (192 rows at 16 qubits: 0.56 vs 0.60 s; equal with a third process busy), so
#: whole-circuit workers only appear from the third worker on.
MAX_WALKERS = 2


def default_options(options: dict[str, Any]) -> bool:
    """Whether the job's simulator options leave Maestro's default statevector in place."""
    return all(k == "seed" or (k == "simulation_type" and v == 0) for k, v in options.items())


def _apply(sim: Any, gate: Gate, row: Sequence[float]) -> None:
    args = [row[c] if c >= 0 else v for v, c in zip(gate.literals, gate.columns, strict=True)]
    if gate.method == "u2":  # u2(phi, lambda) = U(pi/2, phi, lambda)
        sim.ApplyU(gate.qubits[0], math.pi / 2, args[0], args[1])
    elif gate.method == "u3":
        sim.ApplyU(gate.qubits[0], *args)
    else:
        getattr(sim, gate.method)(*gate.qubits, *args)


def reference_row(values: np.ndarray) -> np.ndarray:
    """Per column, the most common value: the unshifted parameters of a gradient batch.
    (Any row would give the same results; this one shares the most gates.)"""
    if values.shape[0] <= 2:  # no value repeats more than another: the first row will do
        return values[0].astype(np.float64, copy=True)
    ref = np.empty(values.shape[1])
    for k in range(values.shape[1]):
        uniq, counts = np.unique(values[:, k], return_counts=True)
        ref[k] = uniq[np.argmax(counts)]
    return ref


def start_gates(program: Program, values: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Per row, the first gate whose arguments differ from the reference row's."""
    n_gates = len(program.gates)
    if values.shape[1] == 0:
        return np.full(values.shape[0], n_gates)
    first = np.asarray(program.first_use)
    # -0.0 == 0.0 but writes differently: compare bit patterns, as the text would differ.
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    differs = bits != np.ascontiguousarray(ref, dtype=np.float64).view(np.int64)[None, :]
    gate_of = np.where(differs, first[None, :], n_gates)
    return gate_of.min(axis=1)


@dataclass(frozen=True)
class Part:
    """The rows one worker runs: ``"walk"`` (one simulator, reference prefix shared, rows sorted
    by start gate) or ``"whole"`` (each row a whole circuit on Maestro, which frees the GIL)."""

    kind: str
    rows: tuple[int, ...]


def use_whole(job_type: str, n_qubits: int) -> bool:
    """Whether rows may run as whole circuits: EXPECTATION jobs from ``WHOLE_MIN_QUBITS``
    qubits on. (Sampling a whole circuit, ``QuantumCircuit.execute``, took 16 ms for 1000
    shots at 16 qubits where a walked state samples in 0.3 ms: sampled rows are walked.)"""
    return job_type == "EXPECTATION" and n_qubits >= WHOLE_MIN_QUBITS


def partition(starts: np.ndarray, n_gates: int, extra: float, workers: int,
              whole: bool) -> list[Part]:
    """Rows -> at most ``workers`` parts of similar work.

    Maestro's per-gate ``Simulator`` calls hold the GIL (about half of a walked row's time at
    16 qubits) while its whole-circuit calls release it, so walkers beyond ``MAX_WALKERS``
    would mostly queue for the GIL. With ``whole`` (see :func:`use_whole`) and more workers
    than that, the extra workers run the early-starting rows as whole circuits and the walkers
    keep the late-starting ones (short suffixes: walking saves the most). Costs are in gates:
    a walked row costs its suffix plus ``extra`` (read-out), a whole row ``WHOLE_OVERHEAD`` x
    (all gates + ``extra``). Walked rows are split over the walkers longest first, each to the
    least loaded one.
    """
    walk_cost = (n_gates - starts) + extra
    n_walk = min(workers, MAX_WALKERS) if whole else workers
    n_whole = workers - n_walk
    order = [int(r) for r in np.argsort(starts, kind="stable")]  # early starts first
    lo, hi = 0, len(order)
    if n_whole:
        whole_cost = WHOLE_OVERHEAD * (n_gates + extra)
        walk_load = whole_load = 0.0
        while lo < hi:  # the late end to the walkers, the early end to whole-circuit workers
            if walk_load / n_walk <= whole_load / n_whole:
                hi -= 1
                walk_load += float(walk_cost[order[hi]])
            else:
                whole_load += whole_cost
                lo += 1
    loads = [0.0] * n_walk
    groups: list[list[int]] = [[] for _ in range(n_walk)]
    for r in sorted(order[lo:], key=lambda r: -walk_cost[r]):
        w = min(range(n_walk), key=loads.__getitem__)
        groups[w].append(r)
        loads[w] += float(walk_cost[r])
    parts = [Part("walk", _by_start(g, starts)) for g in groups if g]
    for w in range(n_whole):
        rows = tuple(order[w:lo:n_whole])
        if rows:
            parts.append(Part("whole", rows))
    return parts


def _by_start(rows: Sequence[int], starts: np.ndarray) -> tuple[int, ...]:
    return tuple(sorted(rows, key=lambda r: (int(starts[r]), r)))


#: Widest simulator a thread keeps for its next walk (2**16 amplitudes: 1 MiB).
KEEP_QUBITS = 16

_kept = threading.local()


class _Simulator:
    """A Maestro statevector simulator of ``n`` qubits for one walk.

    Creating one costs about 0.15 ms, more than a small job's whole simulation, so each thread
    keeps its last one (up to :data:`KEEP_QUBITS` qubits) and the next walk of the same width
    starts from it, reset to ``|0...0>`` (``Reset``, microseconds).
    """

    _lock = threading.Lock()

    def __init__(self, n_qubits: int):
        self.n_qubits = n_qubits
        self._maestro = maestro.Maestro()
        with self._lock:
            self._id = self._maestro.create_simulator(
                maestro.SimulatorType.QCSim, maestro.SimulationType.Statevector
            )
        self.sim = self._maestro.get_simulator(self._id)
        # The runner already keeps one simulator per core busy; Maestro's own threads only
        # compete with them (measured at n = 16: 2 workers 0.97 s with, 1.09 s without this).
        self.sim.SetMultithreading(False)
        self.sim.AllocateQubits(n_qubits)
        self.sim.Initialize()

    @classmethod
    def acquire(cls, n_qubits: int) -> _Simulator:
        """This thread's kept simulator if it has ``n_qubits``, reset; else a new one."""
        kept = getattr(_kept, "simulator", None)
        if kept is not None and kept.n_qubits == n_qubits:
            _kept.simulator = None
            kept.sim.Reset()
            return kept
        return cls(n_qubits)

    def release(self) -> None:
        """Keep this simulator for the thread's next walk, or destroy it (too wide)."""
        if self.n_qubits > KEEP_QUBITS:
            self.close()
            return
        previous, _kept.simulator = getattr(_kept, "simulator", None), self
        if previous is not None:
            previous.close()

    def close(self) -> None:
        with self._lock:
            self._maestro.destroy_simulator(self._id)


def run_rows(
    program: Program,
    rows: Sequence[int],
    values: np.ndarray,
    ref: np.ndarray,
    starts: np.ndarray,
    read: Callable[[Any, int], str],
    emit: Callable[[int, str, float], None],
    stopped: Callable[[], bool],
) -> None:
    """Run ``rows`` (sorted by start gate) on one simulator, walking the reference row.

    Args:
        program: the template.
        rows: row positions to run, sorted by ``starts``.
        values: all rows' parameter values, shape (rows, columns).
        ref: the reference row.
        starts: per row, the first gate that differs from the reference.
        read: ``read(sim, row)`` -> the row's result text, from the final state.
        emit: ``emit(row, text, seconds)`` records a result.
        stopped: polled between rows; ``True`` ends the walk (cancel, delete, failure).
    """
    holder = _Simulator.acquire(program.n_qubits)
    sim = holder.sim
    gates = program.gates
    walked = False
    try:
        at = 0  # reference gates applied so far
        saved = -1  # the position the saved state belongs to
        for r in rows:
            if stopped():
                return
            began = time.perf_counter()
            g = int(starts[r])
            while at < g:
                _apply(sim, gates[at], ref)
                at += 1
            if g == len(gates):  # the row IS the reference: read the walked state
                emit(r, read(sim, r), time.perf_counter() - began)
                continue
            if saved != at:
                sim.SaveState()
                saved = at
            row = values[r]
            for gate in gates[g:]:
                _apply(sim, gate, row)
            text = read(sim, r)
            sim.RestoreState()
            emit(r, text, time.perf_counter() - began)
        walked = True
    finally:
        if walked:  # kept for the thread's next walk; a stopped or failed one is not
            holder.release()
        else:
            holder.close()


def run_whole(
    program: Program,
    rows: Sequence[int],
    values: np.ndarray,
    reader: Reader,
    emit: Callable[[int, str, float], None],
    stopped: Callable[[], bool],
) -> None:
    """Run each of ``rows`` as a whole circuit built from the program (no QASM text, no
    parse); ``reader.circuit(circuit, row)`` simulates it and returns the result text."""
    for r in rows:
        if stopped():
            return
        began = time.perf_counter()
        qc = program.circuit(values[r], measure=reader.measure)
        emit(r, reader.circuit(qc, r), time.perf_counter() - began)


@dataclass(frozen=True)
class Reader:
    """How a row's result text is made: from a walked simulator state (``state``) or from a
    whole circuit (``circuit``)."""

    state: Callable[[Any, int], str]
    circuit: Callable[[Any, int], str]
    measure: bool  # whole circuits carry their measurements (sampling) or not (§4.6)


def expectation_reader(terms: Sequence[str], config: Any) -> Reader:
    """The job's Pauli terms, as the per-circuit path writes them (§4.6).

    ``config`` must be a default statevector configuration (see :func:`default_options`);
    whole circuits are estimated with Maestro's observable clustering off: it found one
    cluster for a 31-term gradient workload and cost a third of the row (9.5 vs 6.3 ms at
    16 qubits), with bit-identical values.
    """
    terms = list(terms)
    joined = ";".join(terms)
    config = _without_clustering(config)

    def text(values: Sequence[float]) -> str:
        return json.dumps(dict(zip(terms, (float(v) for v in values), strict=True)))

    return Reader(
        state=lambda sim, _r: text(sim.ExpectationValues(terms)),
        circuit=lambda qc, _r: text(qc.estimate(joined, config)["expectation_values"]),
        measure=False,
    )


def _without_clustering(config: Any) -> Any:
    fields = {name: getattr(config, name) for name in _CONFIG_FIELDS if hasattr(config, name)}
    fields["enable_observable_clustering"] = False
    return maestro.SimulatorConfig(**fields)


def sampling_reader(program: Program, shots: Callable[[int], int], config: Any,
                    histogram: Callable[[dict[str, int], int], dict]) -> Reader:
    """Histograms over the whole classical register (unmeasured bits 0), in the cloud's bit
    order (c[0] least significant), as QH envelopes.

    A walked state is sampled without collapse, from a fresh random seed per row (these rows
    never carry a job ``seed``); a whole circuit is run by Maestro, whose counts ``histogram``
    (the runner's converter) turns into an envelope.
    """
    qubits = [q for q, _ in program.measures]
    clbits = [c for _, c in program.measures]
    direct = clbits == list(range(len(clbits)))

    def state(sim: Any, row: int) -> str:
        sim.set_seed(secrets.randbits(63))
        counts = sim.SampleCounts(qubits, shots(row))
        if direct:
            indices = list(counts)
        else:
            indices = [sum(((o >> i) & 1) << c for i, c in enumerate(clbits)) for o in counts]
        envelope = encode_histogram(indices, list(counts.values()), program.n_clbits)
        return json.dumps(envelope, separators=(",", ":"))

    def circuit(qc: Any, row: int) -> str:
        counts = qc.execute(config, shots=shots(row))["counts"]
        return json.dumps(histogram(counts, program.n_clbits), separators=(",", ":"))

    return Reader(state=state, circuit=circuit, measure=True)
