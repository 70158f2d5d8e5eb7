"""Placeholder substitution (qoro-api.md §3.5), register widths and Maestro validation."""

from __future__ import annotations

import pytest

from pennylane_qoro.local.qasm import (
    Placeholders,
    QasmError,
    Registers,
    parse,
    registers,
    strip_measurements,
    validate,
)

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


class TestPlaceholders:
    def test_longest_name_first(self) -> None:
        """w_1 must not match inside w_10 (§3.5 step 2)."""
        p = Placeholders(["w_1", "w_10", "w_100"])
        assert p.resolve("a(w_1) b(w_10) c(w_100)", [1, 2, 3]) == "a(1.0) b(2.0) c(3.0)"

    def test_ascii_identifier_boundaries(self) -> None:
        p = Placeholders(["x"])
        # the gate ``x`` itself matches (documented hazard), ``cx`` and ``x_1`` do not
        assert p.resolve("cx q[0],q[1];\nx q[0];\nrz(x_1+x) q[0];", [0.5]) == (
            "cx q[0],q[1];\n0.5 q[0];\nrz(x_1+0.5) q[0];"
        )

    def test_non_ascii_neighbours_do_not_block_a_match(self) -> None:
        """§8 item 6: only ASCII identifier characters are boundaries."""
        assert Placeholders(["β"]).resolve("rx(αβ) q[0];", [0.25]) == "rx(α0.25) q[0];"

    def test_names_are_escaped(self) -> None:
        p = Placeholders(["theta[1]", "theta[10]", "a+b"])
        assert p.resolve("rx(theta[10]) rx(theta[1]) rx(a+b)", [1.5, -2, 3]) == (
            "rx(-2.0) rx(1.5) rx(3.0)"
        )

    @pytest.mark.parametrize("value, text", [
        (0.1, "0.1"), (1, "1.0"), (-0.5, "-0.5"), (1e-20, "1e-20"), (1e16, "1e+16"),
        (-0.0, "-0.0"), (1.2345678901234568e17, "1.2345678901234568e+17"),
    ])
    def test_value_is_str_of_float(self, value: float, text: str) -> None:
        assert Placeholders(["p"]).resolve("rz(p)", [value]) == f"rz({text})"

    def test_no_parentheses_are_added(self) -> None:
        assert Placeholders(["w_0"]).resolve("rx(-w_0) ry(2*w_0)", [-0.5]) == (
            "rx(--0.5) ry(2*-0.5)"
        )

    def test_row_length_is_checked(self) -> None:
        with pytest.raises(QasmError, match="1 values but there are 2"):
            Placeholders(["a", "b"]).resolve("rx(a)", [1.0])

    def test_duplicate_and_empty_names(self) -> None:
        with pytest.raises(QasmError, match="more than once"):
            Placeholders(["a", "a"])
        with pytest.raises(QasmError, match="empty"):
            Placeholders([""])

    def test_no_names(self) -> None:
        p = Placeholders([])
        assert p.resolve("x q[0];", []) == "x q[0];"
        assert not p.occurs_in("x q[0];")

    def test_occurs_in(self) -> None:
        assert Placeholders(["t0"]).occurs_in("rx(t0) q[0];")
        assert not Placeholders(["t0"]).occurs_in("rx(t01) q[0];")


class TestRegisters:
    def test_sums_declarations_and_ignores_comments(self) -> None:
        text = HEAD + "qreg q[3];\nqreg r[2];\ncreg c[4];\n// creg d[9];\n/* qreg z[7]; */\n"
        assert registers(text) == Registers(n_qubits=5, n_clbits=4)

    def test_strip_measurements(self) -> None:
        text = HEAD + "qreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\nmeasure q -> c;\n"
        stripped = strip_measurements(text)
        assert "measure" not in stripped and "h q[0];" in stripped


class TestValidation:
    def test_valid_circuit(self) -> None:
        assert validate(HEAD + "qreg q[2];\ncreg c[2];\ncx q[0],q[1];\n", label="a") == (
            Registers(2, 2)
        )

    @pytest.mark.parametrize("body, reason", [
        ("qreg q[1];\nfoo q[0];\n", "foo"),
        ("qreg q[1];\nrx(theta_0) q[0];\n", "theta_0"),
        ("qreg q[2];\nx q[5];\n", "out of range"),
        ("qreg q[1];\nrx(2**2) q[0];\n", "2**2"),
    ])
    def test_errors_name_label_and_parser_reason(self, body: str, reason: str) -> None:
        with pytest.raises(QasmError) as info:
            validate(HEAD + body, label="circ/7")
        assert "'circ/7'" in str(info.value) and reason in str(info.value)

    def test_no_qreg(self) -> None:
        with pytest.raises(QasmError, match="no qreg"):
            validate(HEAD, label="empty")

    def test_parse_accepts_resolved_template_forms(self) -> None:
        """The §3.5 substitutions that Qiskit accepts must parse here too."""
        text = HEAD + "qreg q[1];\nrx(--0.5) q[0];\nry(2*-0.5) q[0];\nrz(1e-20) q[0];\n" \
                      "rz(1e+16) q[0];\nrx(-0.0) q[0];\n"
        assert parse(text, label="x").num_qubits == 1
