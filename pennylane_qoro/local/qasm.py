"""OpenQASM 2 handling for the local service: placeholders, registers, validation.

Owns:
  * template placeholder substitution exactly as qoro-api.md §3.5 describes it (escaped names,
    longest first, one alternation, ASCII-identifier boundaries, value written as ``str(float)``);
  * reading the declared register widths (``qreg``/``creg``, §3.4 "the qubit count is the sum of
    all ``qreg`` declarations", §4.5 "keys cover the whole classical register");
  * stripping ``measure`` statements for EXPECTATION circuits (§4.6);
  * validating a circuit with Maestro's own parser, so a 400 names the parser's message.

Imports Maestro and the standard library only.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import maestro

# §3.5 step 4: no ASCII identifier character immediately before or after a match.
_BOUNDARY_BEFORE = r"(?<![A-Za-z0-9_])"
_BOUNDARY_AFTER = r"(?![A-Za-z0-9_])"
NAME = r"[A-Za-z_][A-Za-z0-9_]*"
"""An OpenQASM 2 identifier (register, gate or parameter name), as a regex fragment."""
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_QREG = re.compile(rf"{_BOUNDARY_BEFORE}qreg\s+{NAME}\s*\[\s*(\d+)\s*\]")
_CREG = re.compile(rf"{_BOUNDARY_BEFORE}creg\s+{NAME}\s*\[\s*(\d+)\s*\]")
DECLARATION = re.compile(rf"(qreg|creg)\s+({NAME})\s*\[\s*(\d+)\s*\]")
"""One register declaration statement: groups kind, name and size (``fullmatch`` it)."""
_MEASURE = re.compile(rf"{_BOUNDARY_BEFORE}measure{_BOUNDARY_AFTER}[^;]*;")


class QasmError(ValueError):
    """A circuit or template cannot be used; the message names the circuit label."""


@dataclass(frozen=True)
class Registers:
    """Declared register widths of one circuit.

    Attributes:
        n_qubits (int): sum of all ``qreg`` sizes.
        n_clbits (int): sum of all ``creg`` sizes, in declaration order (the histogram width).
    """

    n_qubits: int
    n_clbits: int


def strip_comments(qasm: str) -> str:
    """Remove ``//`` and ``/* */`` comments.

    >>> strip_comments("x q[0]; // flip\\n")
    'x q[0]; \\n'
    """
    return _COMMENT.sub("", qasm)


def registers(qasm: str) -> Registers:
    """Read the declared quantum and classical register widths of a QASM 2 program.

    Args:
        qasm (str): OpenQASM 2.0 text.

    Returns:
        Registers: the summed ``qreg`` and ``creg`` sizes.

    >>> registers('qreg q[3];\\ncreg c[2];\\ncreg d[1];')
    Registers(n_qubits=3, n_clbits=3)
    """
    text = strip_comments(qasm)
    n_q = sum(int(m) for m in _QREG.findall(text))
    n_c = sum(int(m) for m in _CREG.findall(text))
    return Registers(n_qubits=n_q, n_clbits=n_c)


def strip_measurements(qasm: str) -> str:
    """Remove every ``measure`` statement (EXPECTATION jobs ignore them, qoro-api.md §4.6).

    >>> strip_measurements("h q[0];\\nmeasure q[0] -> c[0];\\n")
    'h q[0];\\n\\n'
    """
    return _MEASURE.sub("", strip_comments(qasm))


class Placeholders:
    """Placeholder substitution for one template (qoro-api.md §3.5).

    The pattern is compiled once per template and reused for every parameter row.

    Args:
        names (Sequence[str]): the ``parameter_names`` of the template, in wire order.

    >>> Placeholders(["w_1", "w_10"]).resolve("rx(w_10) q[0];\\nry(w_1) q[0];", [0.5, -1])
    'rx(-1.0) q[0];\\nry(0.5) q[0];'
    """

    def __init__(self, names: Sequence[str]):
        self.names = tuple(names)
        self._index = {name: i for i, name in enumerate(self.names)}
        if len(self._index) != len(self.names):
            dup = next(n for n in self.names if self.names.count(n) > 1)
            raise QasmError(f"parameter_names contains {dup!r} more than once")
        if any(name == "" for name in self.names):
            raise QasmError("parameter_names contains an empty name")
        ordered = sorted(self.names, key=len, reverse=True)  # step 2: w_10 before w_1
        alternation = "|".join(re.escape(name) for name in ordered)
        self._pattern = (
            re.compile(f"{_BOUNDARY_BEFORE}(?:{alternation}){_BOUNDARY_AFTER}")
            if self.names
            else None
        )

    def resolve(self, template: str, values: Sequence[float]) -> str:
        """Substitute one row of values into the template text.

        Args:
            template (str): template QASM text.
            values (Sequence[float]): one value per name; written as ``str(float(v))``.

        Returns:
            str: the bound QASM text.

        Raises:
            QasmError: the row has the wrong length.
        """
        if len(values) != len(self.names):
            raise QasmError(
                f"row has {len(values)} values but there are {len(self.names)} parameter_names"
            )
        if self._pattern is None:
            return template
        text = [str(float(v)) for v in values]
        return self._pattern.sub(lambda m: text[self._index[m.group(0)]], template)

    def occurrences(self, template: str) -> int:
        """How many placeholders the §3.5 substitution would replace in the template."""
        return 0 if self._pattern is None else len(self._pattern.findall(template))

    def occurs_in(self, template: str) -> bool:
        """Whether at least one placeholder occurs in the template (with §3.5 boundaries)."""
        return self._pattern is not None and self._pattern.search(template) is not None


_PARSER = threading.local()


def _parser() -> maestro.QasmToCirc:
    # One parser per thread: a parser object keeps its last error, so it is not shared.
    parser = getattr(_PARSER, "parser", None)
    if parser is None:
        parser = _PARSER.parser = maestro.QasmToCirc()
    return parser


def parse(qasm: str, *, label: str) -> maestro.circuits.QuantumCircuit:
    """Parse a QASM program with Maestro's parser.

    Args:
        qasm (str): OpenQASM 2.0 text.
        label (str): the circuit label, named in the error.

    Returns:
        maestro.circuits.QuantumCircuit: the parsed circuit.

    Raises:
        QasmError: Maestro cannot parse it; the message holds the label and the parser's reason.
    """
    parser = _parser()
    try:
        return parser.parse_and_translate(qasm)
    except (ValueError, RuntimeError) as exc:
        reason = parser.get_error_message() or str(exc)
        raise QasmError(f"circuit {label!r}: invalid QASM: {reason.strip()}") from None


def validate(qasm: str, *, label: str) -> Registers:
    """Check that a bound circuit parses and declares its registers.

    Args:
        qasm (str): OpenQASM 2.0 text.
        label (str): the circuit label, named in errors.

    Returns:
        Registers: the declared widths.

    Raises:
        QasmError: the text does not parse or declares no qubits.
    """
    regs = registers(qasm)
    if regs.n_qubits == 0:
        raise QasmError(f"circuit {label!r}: invalid QASM: no qreg declaration")
    parse(qasm, label=label)
    return regs
