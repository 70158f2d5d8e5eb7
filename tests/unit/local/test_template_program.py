"""Reading a template once into a gate list (``local/template_program.py``): what the fast
path of template rows accepts, and what it leaves to the per-circuit path."""

from __future__ import annotations

import pytest

from pennylane_qoro.local.template_program import compile_template

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


class TestCompile:
    def test_reads_the_device_template_shape(self) -> None:
        text = (f"{HEAD}qreg q[2];\ncreg c[2];\nry(p_0) q[0];\ncx q[0],q[1];\nrz(p_1) q[1];\n"
                "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n")
        program = compile_template(text, ["p_0", "p_1"])
        assert program is not None
        assert [g.method for g in program.gates] == ["ApplyRy", "ApplyCX", "ApplyRz"]
        assert program.first_use == (0, 2)
        assert program.measures == ((0, 0), (1, 1))
        assert (program.n_qubits, program.n_clbits) == (2, 2)

    def test_comments_barriers_identities_and_literals(self) -> None:
        text = (f"{HEAD}// a comment\nqreg q[2];\ncreg c[2];\nid q[0];\nbarrier q[0],q[1];\n"
                "rx(-1.5e-3) q[1]; /* inline */ u2(p_0, .5) q[0];\nmeasure q -> c;\n")
        program = compile_template(text, ["p_0"])
        assert program is not None
        assert [g.method for g in program.gates] == ["ApplyRx", "u2"]
        assert program.gates[0].literals == (-1.5e-3,)
        assert program.gates[1].columns == (0, -1)

    @pytest.mark.parametrize("body", [
        "rx(2*p_0) q[0];\n",                  # an expression around a placeholder
        "rx(p_0) q[0];\nmeasure q[0] -> c[0];\nx q[1];\n",  # a gate after a measurement
        "h q;\n",                             # a whole-register operand
        "nosuchgate q[0];\n",
        "rx(p_0) q[0],q[1];\n",               # wrong arity
        "cx q[0],q[0];\n",                    # repeated qubit
        "rx(pi/2) q[0];\n",                   # a symbolic literal
        "measure q[0] -> c[0];\nmeasure q[1] -> c[0];\n",  # a clbit written twice
        "qreg r[1];\n",                       # a second quantum register
    ])
    def test_anything_else_is_left_to_the_per_circuit_path(self, body: str) -> None:
        text = f"{HEAD}qreg q[2];\ncreg c[2];\n{body}"
        assert compile_template(text, ["p_0"]) is None

    def test_a_placeholder_outside_an_argument_is_left_alone(self) -> None:
        # §3.5 substitution is textual: a name that also matches elsewhere changes the text.
        text = f"{HEAD}qreg q[2];\ncreg c[2];\nrx(q) q[0];\n"
        assert compile_template(text, ["q"]) is None


def test_a_template_is_compiled_once_and_kept() -> None:
    text = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nrx(a) q[0];\ncx q[0],q[1];\n'
    first = compile_template(text, ["a"])
    assert first is not None and compile_template(text, ("a",)) is first
    other = compile_template(text.replace("rx", "ry"), ["a"])
    assert other is not None and other is not first and other.gates != first.gates
