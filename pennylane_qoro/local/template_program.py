"""A circuit template read once into a gate list: the input of the walker (``walker.py``).

A template job's rows (qoro-api.md §2.8 (b), §3.5) are one circuit with different numbers in
it. :func:`compile_template` reads the template text ONCE into a :class:`Program`: its gates in
order (each argument a number or a parameter column), its terminal measurements, and the first
gate that uses each parameter; :meth:`Program.circuit` builds one row as a Maestro
``QuantumCircuit`` without text or parsing.

Scope (anything else returns ``None`` from :func:`compile_template`, and the runner uses the
per-circuit path):
  * one ``qreg``, at most one ``creg``; ``barrier`` and ``id`` are no-ops;
  * qelib1 gates of ``_FIXED``/``_ANGLE``/``u2``/``u3``/``u`` on ``q[i]`` operands, whose
    arguments are numbers or exactly one placeholder name (no expressions);
  * ``measure`` only after the last gate (terminal), per qubit or whole register.

Imports Maestro, the standard library and ``local/qasm.py`` only.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import maestro

from .qasm import DECLARATION, NAME, Placeholders, strip_comments

__all__ = ["Gate", "Program", "compile_template"]

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

_MEASURE_ONE = re.compile(rf"measure\s+({NAME})\s*\[\s*(\d+)\s*\]\s*->\s*({NAME})\s*"
                          rf"\[\s*(\d+)\s*\]")
_MEASURE_ALL = re.compile(rf"measure\s+({NAME})\s*->\s*({NAME})")
_GATE = re.compile(rf"({NAME})\s*(?:\(([^()]*)\))?\s+(.+)")
_OPERAND = re.compile(rf"({NAME})\s*\[\s*(\d+)\s*\]")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


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



def compile_template(text: str, names: Sequence[str]) -> Program | None:
    """Read a template into a :class:`Program`, or ``None`` if it is outside this module's scope.

    A placeholder counts only where it is a whole gate argument; if the §3.5 substitution
    would touch the text anywhere else (an expression, a register name), the template is
    left to the per-circuit path. Programs are immutable, so the last :data:`KEPT_PROGRAMS`
    are kept: a training loop or a kernel matrix sends the same template job after job.
    """
    return _compile(text, tuple(names))


KEPT_PROGRAMS = 32
"""Compiled templates kept for reuse (least recently used first out)."""


@functools.lru_cache(maxsize=KEPT_PROGRAMS)
def _compile(text: str, names: tuple[str, ...]) -> Program | None:
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
    if state["qreg"] is None or used != placeholders.occurrences(text):
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


def _statement(stmt: str, state: dict, column: dict[str, int]) -> Gate | bool | None:
    """Record a declaration or measurement (``None``), return a gate, or ``False`` (give up)."""
    if stmt.startswith(("qreg", "creg")):
        m = DECLARATION.fullmatch(stmt)
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

