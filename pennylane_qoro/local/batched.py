"""Template rows on one persistent Maestro statevector per worker, sharing circuit prefixes.

A template job's rows (qoro-api.md §2.8 (b), §3.5) are one circuit with different numbers in
it, and the rows of a parameter-shift gradient differ from one reference row (the unshifted
parameters) in a single value each. Running each row as its own ``simple_estimate`` parses the
text and simulates every gate again. Here the template is read ONCE into a gate list, and

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

Scope (anything else returns ``None`` from :func:`compile_template`, and the runner uses the
per-circuit path):
  * one ``qreg``, at most one ``creg``; ``barrier`` and ``id`` are no-ops;
  * qelib1 gates of ``_FIXED``/``_ANGLE``/``u2``/``u3``/``u`` on ``q[i]`` operands, whose
    arguments are numbers or exactly one placeholder name (no expressions);
  * ``measure`` only after the last gate (terminal), per qubit or whole register;
  * default statevector options (no simulator type, method or noise option set); EXECUTE
    rows only without a ``seed``, so seeded runs keep ``simple_execute``'s exact samples on
    both upload paths.

Must not import anything from the device, compile, results or client packages other than the
shared codecs in ``client/wire.py``.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import maestro
import numpy as np

from ..client.wire import encode_histogram
from .qasm import Placeholders, strip_comments

# qelib1 token -> Simulator method, for gates without arguments.
_FIXED = {
    "x": "ApplyX", "y": "ApplyY", "z": "ApplyZ", "h": "ApplyH", "s": "ApplyS",
    "sdg": "ApplySDG", "t": "ApplyT", "tdg": "ApplyTDG", "sx": "ApplySX", "sxdg": "ApplySXDG",
    "cx": "ApplyCX", "CX": "ApplyCX", "cy": "ApplyCY", "cz": "ApplyCZ", "swap": "ApplySwap",
    "ch": "ApplyCH", "ccx": "ApplyCCX", "cswap": "ApplyCSwap",
}
# Gates with one angle.
_ANGLE = {
    "rx": "ApplyRx", "ry": "ApplyRy", "rz": "ApplyRz", "u1": "ApplyP", "p": "ApplyP",
    "crx": "ApplyCRx", "cry": "ApplyCRy", "crz": "ApplyCRz", "cu1": "ApplyCP", "cp": "ApplyCP",
}
# Simulator method -> the QuantumCircuit method of the same gate and argument order.
_CIRCUIT_METHOD = {
    "ApplyX": "x", "ApplyY": "y", "ApplyZ": "z", "ApplyH": "h", "ApplyS": "s",
    "ApplySDG": "sdg", "ApplyT": "t", "ApplyTDG": "tdg", "ApplySX": "sx", "ApplySXDG": "sxdg",
    "ApplyCX": "cx", "ApplyCY": "cy", "ApplyCZ": "cz", "ApplySwap": "swap", "ApplyCH": "ch",
    "ApplyCCX": "ccx", "ApplyCSwap": "cswap", "ApplyRx": "rx", "ApplyRy": "ry",
    "ApplyRz": "rz", "ApplyP": "p", "ApplyCRx": "crx", "ApplyCRy": "cry", "ApplyCRz": "crz",
    "ApplyCP": "cp",
}
_QUBITS = {
    **dict.fromkeys(("x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "id"), 1),
    **dict.fromkeys(("rx", "ry", "rz", "u1", "p", "u2", "u3", "u", "U"), 1),
    **dict.fromkeys(("cx", "CX", "cy", "cz", "swap", "ch", "crx", "cry", "crz", "cu1", "cp"), 2),
    "ccx": 3, "cswap": 3,
}
_ARGS = {**dict.fromkeys(_ANGLE, 1), "u2": 2, "u3": 3, "u": 3, "U": 3}

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_REG = re.compile(rf"(qreg|creg)\s+({_NAME})\s*\[\s*(\d+)\s*\]")
_MEASURE_ONE = re.compile(rf"measure\s+({_NAME})\s*\[\s*(\d+)\s*\]\s*->\s*({_NAME})\s*"
                          rf"\[\s*(\d+)\s*\]")
_MEASURE_ALL = re.compile(rf"measure\s+({_NAME})\s*->\s*({_NAME})")
_GATE = re.compile(rf"({_NAME})\s*(?:\(([^()]*)\))?\s+(.+)")
_OPERAND = re.compile(rf"({_NAME})\s*\[\s*(\d+)\s*\]")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

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


@dataclass(frozen=True)
class Gate:
    """One gate: the Simulator method, its qubits, and per argument a number or a column."""

    method: str
    qubits: tuple[int, ...]
    literals: tuple[float, ...]  # argument values; ignored where ``columns`` names a column
    columns: tuple[int, ...]  # per argument: the parameter column, or -1 for a literal


@dataclass(frozen=True)
class Program:
    """A template read once: gates in order, terminal measurements, parameter first uses."""

    n_qubits: int
    n_clbits: int
    gates: tuple[Gate, ...]
    measures: tuple[tuple[int, int], ...]  # (qubit, clbit), in clbit order
    first_use: tuple[int, ...]  # per parameter column: index of the first gate using it

    def circuit(self, row: Sequence[float], *, measure: bool = True) -> Any:
        """The circuit of one row as a ``maestro.circuits.QuantumCircuit`` (with its terminal
        measurements if ``measure``); the same gates :func:`_apply` applies to a simulator."""
        qc = maestro.circuits.QuantumCircuit()
        touched = {q for gate in self.gates for q in gate.qubits}
        if measure:
            touched.update(q for q, _ in self.measures)
        if self.n_qubits - 1 not in touched:
            qc.p(self.n_qubits - 1, 0.0)  # a circuit is as wide as its highest qubit: exact no-op
        for gate in self.gates:
            args = [row[c] if c >= 0 else v for v, c in zip(gate.literals, gate.columns,
                                                            strict=True)]
            if gate.method == "u2":
                qc.u(gate.qubits[0], math.pi / 2, args[0], args[1])
            elif gate.method == "u3":
                qc.u(gate.qubits[0], *args)
            else:
                getattr(qc, _CIRCUIT_METHOD[gate.method])(*gate.qubits, *args)
        if measure and self.measures:
            qc.measure(list(self.measures))
        return qc


def default_options(options: dict[str, Any]) -> bool:
    """Whether the job's simulator options leave Maestro's default statevector in place."""
    return all(k == "seed" or (k == "simulation_type" and v == 0) for k, v in options.items())


def compile_template(text: str, names: Sequence[str]) -> Program | None:
    """Read a template into a :class:`Program`, or ``None`` if it is outside this module's scope.

    A placeholder counts only where it is a whole gate argument; if the §3.5 substitution
    would touch the text anywhere else (an expression, a register name), the template is
    left to the per-circuit path.
    """
    placeholders = Placeholders(names)
    column = {name: k for k, name in enumerate(placeholders.names)}
    statements = [s.strip() for s in strip_comments(text).split(";")]
    state: dict[str, Any] = {"qreg": None, "creg": None, "gates": [], "measures": []}
    used = 0
    for stmt in statements:
        if not stmt or stmt.startswith(("OPENQASM", "include", "barrier")):
            continue
        gate = _statement(stmt, state, column)
        if gate is False:
            return None
        if isinstance(gate, Gate):
            used += sum(c >= 0 for c in gate.columns)
            state["gates"].append(gate)
    if state["qreg"] is None or used != _occurrences(placeholders, text):
        return None
    n_qubits = state["qreg"][1]
    n_clbits = state["creg"][1] if state["creg"] else 0
    first = [len(state["gates"])] * len(column)
    for g, gate in enumerate(state["gates"]):
        for c in gate.columns:
            if c >= 0:
                first[c] = min(first[c], g)
    measures = tuple(sorted(state["measures"], key=lambda m: m[1]))
    if any(q >= n_qubits for q, _ in measures) or any(c >= n_clbits for _, c in measures):
        return None
    if len({c for _, c in measures}) != len(measures):
        return None  # a clbit written twice: leave the semantics to Maestro
    return Program(n_qubits, n_clbits, tuple(state["gates"]), measures, tuple(first))


def _occurrences(placeholders: Placeholders, text: str) -> int:
    pattern = placeholders._pattern  # the service's own §3.5 pattern
    return 0 if pattern is None else len(pattern.findall(text))


def _statement(stmt: str, state: dict, column: dict[str, int]) -> Gate | bool | None:
    """Record a declaration or measurement (``None``), return a gate, or ``False`` (give up)."""
    if stmt.startswith(("qreg", "creg")):
        m = _REG.fullmatch(stmt)
        if m is None or state[m.group(1)] is not None:
            return False
        state[m.group(1)] = (m.group(2), int(m.group(3)))
        return None
    if stmt.startswith("measure"):
        return _measure(stmt, state)
    if state["measures"] or state["qreg"] is None:
        return False  # a gate after a measurement, or before the register
    m = _GATE.fullmatch(stmt)
    if m is None:
        return False
    name, args_text, operands = m.group(1), m.group(2), m.group(3)
    if name not in _QUBITS:
        return False
    qubits = _operands(operands, state["qreg"])
    if qubits is None or len(qubits) != _QUBITS[name] or len(set(qubits)) != len(qubits):
        return False
    args = [] if args_text is None else [a.strip() for a in args_text.split(",")]
    if len(args) != _ARGS.get(name, 0):
        return False
    literals, columns = [], []
    for arg in args:
        if arg in column:
            literals.append(0.0)
            columns.append(column[arg])
        elif _NUMBER.fullmatch(arg):
            literals.append(float(arg))
            columns.append(-1)
        else:
            return False
    if name == "id":
        return None
    return Gate(_method(name), qubits, tuple(literals), tuple(columns))


def _method(name: str) -> str:
    if name in _FIXED:
        return _FIXED[name]
    if name in _ANGLE:
        return _ANGLE[name]
    return "u2" if name == "u2" else "u3"  # handled by _apply


def _operands(text: str, qreg: tuple[str, int]) -> tuple[int, ...] | None:
    out = []
    for part in text.split(","):
        m = _OPERAND.fullmatch(part.strip())
        if m is None or m.group(1) != qreg[0] or int(m.group(2)) >= qreg[1]:
            return None
        out.append(int(m.group(2)))
    return tuple(out)


def _measure(stmt: str, state: dict) -> bool | None:
    qreg, creg = state["qreg"], state["creg"]
    if qreg is None or creg is None:
        return False
    m = _MEASURE_ONE.fullmatch(stmt)
    if m is not None:
        if m.group(1) != qreg[0] or m.group(3) != creg[0]:
            return False
        state["measures"].append((int(m.group(2)), int(m.group(4))))
        return None
    m = _MEASURE_ALL.fullmatch(stmt)
    if m is None or m.group(1) != qreg[0] or m.group(2) != creg[0] or qreg[1] != creg[1]:
        return False
    state["measures"].extend((k, k) for k in range(qreg[1]))
    return None


# ----------------------------------------------------------------------------- execution


def _apply(sim: Any, gate: Gate, row: Sequence[float]) -> None:
    args = [row[c] if c >= 0 else v for v, c in zip(gate.literals, gate.columns, strict=True)]
    if gate.method == "u2":  # u2(phi, lambda) = U(pi/2, phi, lambda)
        sim.ApplyU(gate.qubits[0], math.pi / 2, args[0], args[1])
    elif gate.method == "u3":
        sim.ApplyU(gate.qubits[0], *args)
    else:
        getattr(sim, gate.method)(*gate.qubits, *args)


def reference_row(values: np.ndarray) -> np.ndarray:
    """Per column, the most common value: the unshifted parameters of a gradient batch."""
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


class _Simulator:
    """A Maestro statevector simulator of ``n`` qubits, destroyed on close."""

    _lock = threading.Lock()

    def __init__(self, n_qubits: int):
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
    holder = _Simulator(program.n_qubits)
    sim = holder.sim
    gates = program.gates
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
    finally:
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
