"""Tapes -> OpenQASM 2.0 text: template text with named placeholders, and bound text.

This module owns the PennyLane-name -> QASM-token table (``QASM_GATES``) for the gates listed in
``qoro_maestro.toml`` (that file is the gate list; a unit test checks every listed gate has a
token here), the op-structure key that decides which tapes share one template, and placeholder
substitution (qoro-api.md §3.5).

Pure: no I/O, no clock, no device state. Imports numpy, PennyLane types and
``protocol.placeholders`` (the §3.5 matching rule, shared with the service) only; never the
client, the local service or the device.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from ..protocol.placeholders import format_value, placeholder_pattern

#: PennyLane operator name -> qelib1 token (qoro-api.md §3.6). Self-inverse gates also accept
#: their ``Adjoint(...)`` form (the TOML marks them "invertible").
QASM_GATES: dict[str, str] = {
    "Identity": "id",
    "PauliX": "x",
    "PauliY": "y",
    "PauliZ": "z",
    "Hadamard": "h",
    "S": "s",
    "Adjoint(S)": "sdg",
    "T": "t",
    "Adjoint(T)": "tdg",
    "SX": "sx",
    "Adjoint(SX)": "sxdg",
    "RX": "rx",
    "RY": "ry",
    "RZ": "rz",
    "PhaseShift": "u1",
    "U2": "u2",
    "U3": "u3",
    "CNOT": "cx",
    "CY": "cy",
    "CZ": "cz",
    "SWAP": "swap",
    "CH": "ch",
    "CRX": "crx",
    "CRY": "cry",
    "CRZ": "crz",
    "ControlledPhaseShift": "cu1",
    "Toffoli": "ccx",
    "CSWAP": "cswap",
}
for _name in (
    "PauliX",
    "PauliY",
    "PauliZ",
    "Hadamard",
    "CNOT",
    "CY",
    "CZ",
    "SWAP",
    "CH",
    "Toffoli",
    "CSWAP",
):
    QASM_GATES[f"Adjoint({_name})"] = QASM_GATES[_name]

#: Placeholder prefix. ``p_<k>`` is no QASM keyword, gate name, register (``q``/``c``) or ``pi``,
#: so the service's textual matching (qoro-api.md §3.5) cannot hit anything but our arguments.
PARAM_PREFIX = "p_"

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'

# A structure is the op sequence without values: ((token, n_params, qubit indices), ...).
Structure = tuple[tuple[str, int, tuple[int, ...]], ...]


def parameter_names(n_params: int) -> tuple[str, ...]:
    """The placeholder names ``p_0 .. p_{n-1}``.

    >>> parameter_names(3)
    ('p_0', 'p_1', 'p_2')
    """
    return _names(n_params)


@lru_cache(maxsize=64)
def _names(n_params: int) -> tuple[str, ...]:
    return tuple(f"{PARAM_PREFIX}{k}" for k in range(n_params))


def tape_structure(operations: Sequence, wire_index: dict, memo: dict | None = None) -> Structure:
    """The value-free structure of a decomposed op list, as a hashable key.

    Args:
        operations (Sequence[Operator]): operations already decomposed to ``QASM_GATES`` names.
        wire_index (dict): wire label -> qubit index ``q[i]``.
        memo (dict | None): ``id(op) -> entry`` cache, valid while the ops are alive. Gradient
            batches share most op objects between tapes (parameter-shift copies only the
            shifted op), and ``Controlled.wires`` is slow, so one memo per batch pays off.

    Returns:
        Structure: one ``(token, n_params, qubits)`` triple per operation.

    Raises:
        KeyError: an operation has no QASM token (preprocessing was skipped).
    """
    if memo is None:
        memo = {}
    out = []
    for op in operations:
        entry = memo.get(id(op))
        if entry is None:
            qubits = tuple(wire_index[w] for w in op.wires)
            entry = memo[id(op)] = (QASM_GATES[op.name], op.num_params, qubits)
        out.append(entry)
    return tuple(out)


@lru_cache(maxsize=256)
def template_text(structure: Structure, n_qubits: int, measured: tuple[int, ...]) -> str:
    """OpenQASM 2.0 template text with one placeholder per gate argument, in op order.

    Cached by structure, so tapes that differ only in parameter values reuse one text.

    Args:
        structure (Structure): from :func:`tape_structure`.
        n_qubits (int): size of ``qreg q`` and ``creg c``.
        measured (tuple[int]): qubits to measure (``measure q[i] -> c[i]``); empty for
            EXPECTATION jobs, whose measurements the service ignores (qoro-api.md §4.6).

    Returns:
        str: the template text.

    >>> print(template_text((("rx", 1, (0,)), ("cx", 0, (0, 1))), 2, (0, 1)), end="")
    OPENQASM 2.0;
    include "qelib1.inc";
    qreg q[2];
    creg c[2];
    rx(p_0) q[0];
    cx q[0],q[1];
    measure q[0] -> c[0];
    measure q[1] -> c[1];
    """
    lines = [HEADER, f"qreg q[{n_qubits}];\ncreg c[{n_qubits}];\n"]
    k = 0
    for token, n_params, qubits in structure:
        args = ""
        if n_params:
            args = "(" + ",".join(f"{PARAM_PREFIX}{k + i}" for i in range(n_params)) + ")"
            k += n_params
        lines.append(f"{token}{args} " + ",".join(f"q[{i}]" for i in qubits) + ";\n")
    lines.extend(f"measure q[{i}] -> c[{i}];\n" for i in measured)
    return "".join(lines)


def count_parameters(structure: Structure) -> int:
    """Number of placeholders a structure's template has."""
    return sum(n for _, n, _ in structure)


def parameter_rows(operations: Sequence, n_params: int) -> tuple[np.ndarray, int | None]:
    """Every numeric gate parameter of a tape, one row per broadcast element.

    Trainable or not, each parameter becomes a column, in the order of the placeholders of
    :func:`template_text`; broadcast parameters fill their column element-wise and scalars are
    repeated. Values keep full double precision. The batch size is read off the parameters
    themselves (cheaper than ``tape.batch_size``, which dispatches on every parameter).

    Args:
        operations (Sequence[Operator]): the tape's decomposed operations.
        n_params (int): total parameter count (``count_parameters``).

    Returns:
        tuple[np.ndarray, int | None]: float64 rows of shape ``(batch_size or 1, n_params)``,
        and the batch size (``None`` without broadcasting).

    Raises:
        ValueError: broadcast parameters of different lengths.
    """
    columns: list = []
    batch: int | None = None
    for op in operations:
        for p in op.data:
            if isinstance(p, float):
                columns.append(p)
                continue
            value = _to_float_array(p)
            if np.ndim(value):
                if batch is not None and len(value) != batch:
                    raise ValueError(f"broadcast sizes {batch} and {len(value)} differ in {op}")
                batch = len(value)
            columns.append(value)
    rows = np.empty((batch or 1, n_params), dtype=np.float64)
    for k, value in enumerate(columns):
        rows[:, k] = value
    return rows, batch


def _to_float_array(p) -> np.ndarray | float:
    """A scalar or 1-d parameter as float64 (plain floats, numpy, or unwrapped ML tensors)."""
    if isinstance(p, float | int):
        return float(p)
    while type(p).__name__ == "ArrayBox":  # autograd's tracing box, when the device reads
        p = p._value  # autograd parameters itself (convert_to_numpy=False); not imported
    try:
        arr = np.asarray(p, dtype=np.float64)
    except TypeError:  # torch / jax tensors that refuse __array__ with a dtype
        import pennylane.math as qmath

        arr = np.asarray(qmath.to_numpy(qmath.unwrap(p)), dtype=np.float64)
    return arr


def bind(template: str, names: Sequence[str], values: Sequence[float]) -> str:
    """Substitute values into a template the way the service does (qoro-api.md §3.5).

    Names are matched longest-first, never inside a longer identifier, and replaced by
    ``str(float(value))`` (Python's shortest round-trip repr, full double precision).

    >>> bind("rx(p_1) q[0];\\nry(p_10) q[0];\\n", [f"p_{i}" for i in range(11)], range(11))
    'rx(1.0) q[0];\\nry(10.0) q[0];\\n'
    """
    if not names:
        return template
    table = {n: format_value(v) for n, v in zip(names, values, strict=True)}
    return _pattern(tuple(names)).sub(lambda m: table[m.group(0)], template)


@lru_cache(maxsize=64)
def _pattern(names: tuple[str, ...]) -> re.Pattern:
    """The service's §3.5 pattern (``protocol.placeholders``), compiled once per name set."""
    return placeholder_pattern(names)
