"""Fuzzing the local service's QASM handling (``local/qasm.py``): the validator (register
reading plus Maestro's own parser) and template placeholder substitution (qoro-api.md §3.5).

Inputs are valid programs and templates with bytes edited by a hypothesis-drawn script, and
token soups. The only acceptable failure is :class:`QasmError` (a 400 naming the circuit); no
other exception, no crash of the native parser, no hang.
"""

from __future__ import annotations

import math

from fuzzing import count, fuzz_settings, inputs, mutate, split
from hypothesis import given

from pennylane_qoro.local.qasm import Placeholders, QasmError, registers, strip_measurements
from pennylane_qoro.local.qasm import validate as validate_qasm

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
PROGRAMS = [
    f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n",
    f"{HEAD}qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n",
    f"{HEAD}qreg a[2];\nqreg b[1];\ncreg c[3];\nrx(pi/2) a[0];\nu3(0.1,0.2,0.3) b[0];\n"
    "barrier a,b;\nmeasure a[0] -> c[0];\nmeasure b[0] -> c[2];\n",
    f"{HEAD}// comment\nqreg q[3];\ncreg c[3];\n/* block */ccx q[0],q[1],q[2];\n"
    "swap q[0],q[2];\nreset q[1];\nmeasure q -> c;\n",
    f"{HEAD}gate g(t) x,y {{ rz(t) x; cx x,y; }}\nqreg q[2];\ncreg c[2];\ng(-1.5e-3) q[0],q[1];\n"
    "if(c==1) x q[0];\nmeasure q[1] -> c[1];\n",
    f"{HEAD}qreg q[4];\ncreg c[1];\ncreg d[2];\nry(2*pi/3) q[3];\ncu1(0.5) q[0],q[3];\n"
    "measure q[3] -> d[1];\n",
]
TOKENS = ["OPENQASM 2.0;", 'include "qelib1.inc";', "qreg", "creg", "q", "c", "[", "]", "0",
          "1", "2", "27", "4096", "99999999999999999999", ";", ",", "(", ")", "{", "}", "->",
          "measure", "barrier", "reset", "if", "==", "gate", "opaque", "x", "h", "cx", "rx",
          "u3", "pi", "/", "*", "-", "+", "^", "1e308", "nan", " ", "\n", "//", "/*", "*/",
          "\x00", "é", '"']


def _program(index: int, script: bytes, mode: int) -> str:
    if mode == 0:
        return mutate(PROGRAMS[index].encode(), script).decode("utf-8", errors="replace")
    if mode == 1:  # a valid header and registers, then a token soup
        soup = "".join(TOKENS[b % len(TOKENS)] + " " for b in script)
        return f"{HEAD}qreg q[2];\ncreg c[2];\n{soup}"
    return "".join(TOKENS[b % len(TOKENS)] for b in script)


@fuzz_settings()
@given(inputs(30))
def test_qasm_validator(data: bytes) -> None:
    count("QASM validator")
    index, mode, script = split(data, len(PROGRAMS), 3)
    text = _program(index, script, mode)
    regs = registers(text)
    assert regs.n_qubits >= 0 and regs.n_clbits >= 0
    assert isinstance(strip_measurements(text), str)
    try:
        checked = validate_qasm(text, label="fuzz")
    except QasmError as exc:
        assert "'fuzz'" in str(exc)
        return
    assert checked == regs and checked.n_qubits > 0


NAMES = ["theta_0", "theta_1", "w_1", "w_10", "a", "b.c", "x+y", "(", "[0]", "\\1", "$", "αβ",
         "pi", "q", "measure", "θ", " ", "a b", "0", "__", "\n"]
VALUES = [0.0, -0.0, 1.0, -2.5, 1e-300, 1e300, math.pi, float("nan"), float("inf"),
          -float("inf"), 10**20, True]
TEMPLATE = (f"{HEAD}qreg q[2];\ncreg c[2];\nrx(theta_0) q[0];\nry(theta_1*w_1) q[1];\n"
            "rz(w_10+a) q[0];\nu3(αβ,θ,pi) q[1];\nmeasure q -> c;\n")


@fuzz_settings()
@given(inputs(25))
def test_template_substitution(data: bytes) -> None:
    count("template substitution")
    # the first byte says how many names, the second how many values; then names, values,
    # and the rest edits the template
    n_names, n_values = data[0] % 7, data[1] % 8
    names = data[3 : 3 + n_names]
    values = data[3 + n_names : 3 + n_names + n_values]
    script = data[3 + n_names + n_values :]
    chosen = [NAMES[b % len(NAMES)] for b in names]
    if script[:1] == b"\x00":  # an edited name, e.g. with regex metacharacters or unicode
        chosen.append(mutate(b"theta_2", script[1:]).decode("utf-8", errors="replace"))
    row = [VALUES[b % len(VALUES)] for b in values]
    template = mutate(TEMPLATE.encode(), script).decode("utf-8", errors="replace")
    try:
        text = Placeholders(chosen).resolve(template, row)
    except QasmError:
        return
    assert isinstance(text, str) and len(row) == len(chosen)
    if len(set(chosen)) == len(chosen) and all(n.isascii() and n.isidentifier() for n in chosen):
        # §3.5: one pass, longest name first, ASCII-identifier boundaries: no placeholder is
        # left standing alone (the values' text -- digits, '.', 'e', 'inf', 'nan' -- adds none)
        assert not any(Placeholders([name]).occurs_in(text) for name in chosen), text
