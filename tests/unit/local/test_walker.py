"""Template rows on persistent simulators (``local/walker.py``) against Maestro's own path.

Every result of the walked (prefix-sharing) and whole-circuit paths is compared with
``maestro.simple_estimate`` / ``simple_execute`` on the substituted QASM text, which is what
the per-circuit path of the runner runs.
"""

from __future__ import annotations

import json

import maestro
import numpy as np
import pytest

from pennylane_qoro.local import walker
from pennylane_qoro.local.qasm import Placeholders, strip_measurements
from pennylane_qoro.local.runner import histogram
from pennylane_qoro.local.template_program import Program, compile_template
from pennylane_qoro.protocol.histogram import decode_histogram

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
ONE = ["x", "y", "z", "h", "s", "sdg", "t", "tdg", "sx", "sxdg", "id"]
ONE_ANGLE = ["rx", "ry", "rz", "u1", "p"]
TWO = ["cx", "cy", "cz", "swap", "ch"]
TWO_ANGLE = ["crx", "cry", "crz", "cu1", "cp"]


def random_template(n: int, depth: int, rng: np.random.Generator) -> tuple[str, list[str]]:
    """A template over every gate the fast path reads; 70% of the angles are placeholders."""
    names: list[str] = []

    def arg() -> str:
        if rng.random() < 0.7:
            names.append(f"p_{len(names)}")
            return names[-1]
        return repr(float(rng.uniform(-3, 3)))

    def qubits(k: int) -> str:
        return ",".join(f"q[{q}]" for q in rng.choice(n, k, replace=False))

    lines = [HEAD, f"qreg q[{n}];\ncreg c[{n}];\n"]
    for _ in range(depth):
        kind = rng.integers(7)
        if kind == 0:
            lines.append(f"{rng.choice(ONE)} {qubits(1)};\n")
        elif kind == 1:
            lines.append(f"{rng.choice(ONE_ANGLE)}({arg()}) {qubits(1)};\n")
        elif kind == 2:
            lines.append(f"{rng.choice(TWO)} {qubits(2)};\n")
        elif kind == 3:
            lines.append(f"{rng.choice(TWO_ANGLE)}({arg()}) {qubits(2)};\n")
        elif kind == 4:
            lines.append(f"u2({arg()},{arg()}) {qubits(1)};\n")
        elif kind == 5:
            lines.append(f"{rng.choice(['u3', 'u'])}({arg()},{arg()},{arg()}) {qubits(1)};\n")
        else:
            lines.append(f"{rng.choice(['ccx', 'cswap'])} {qubits(3)};\n")
    lines.append("measure q -> c;\n")
    return "".join(lines), names


def shift_rows(base: np.ndarray) -> np.ndarray:
    """Parameter-shift rows: base +- pi/2 in one column each (no unshifted row)."""
    rows = []
    for i in range(len(base)):
        for sign in (1, -1):
            row = base.copy()
            row[i] += sign * np.pi / 2
            rows.append(row)
    return np.array(rows).reshape(len(rows), len(base))


def reference_values(text: str, names: list[str], values: np.ndarray,
                     terms: list[str]) -> np.ndarray:
    ph = Placeholders(names)
    joined = ";".join(terms)
    return np.array([
        maestro.simple_estimate(strip_measurements(ph.resolve(text, row)), joined,
                                maestro.SimulatorConfig())["expectation_values"]
        for row in values
    ])


def walk_all(program: Program, values: np.ndarray, terms: list[str],
             workers: int = 2) -> dict[int, dict[str, float]]:
    ref = walker.reference_row(values)
    starts = walker.start_gates(program, values, ref)
    reader = walker.expectation_reader(terms, maestro.SimulatorConfig())
    out: dict[int, dict[str, float]] = {}
    for part in walker.partition(starts, len(program.gates), 5.0, workers, whole=False):
        assert part.kind == "walk"
        walker.run_rows(program, part.rows, values, ref, starts, reader.state,
                         lambda r, text, _s: out.__setitem__(r, json.loads(text)),
                         lambda: False)
    return out


class TestRowsAndParts:
    def test_default_options_only(self) -> None:
        assert walker.default_options({})
        assert walker.default_options({"seed": 3, "simulation_type": 0})
        assert not walker.default_options({"simulation_type": 1})
        assert not walker.default_options({"max_bond_dimension": 4})

    def test_starts_are_the_first_use_of_the_shifted_column(self) -> None:
        text = f"{HEAD}qreg q[1];\nrx(a) q[0];\nry(b) q[0];\nrz(a) q[0];\n"
        program = compile_template(text, ["a", "b"])
        assert program is not None
        values = np.array([[0.1, 0.2], [0.1, 0.2], [0.3, 0.2], [0.1, 0.9], [-0.0, 0.2]])
        values[4, 0] = 0.0  # the reference row's value, bit for bit
        ref = walker.reference_row(values)
        assert list(ref) == [0.1, 0.2]
        assert list(walker.start_gates(program, values, ref)) == [3, 3, 0, 1, 0]

    def test_negative_zero_is_a_different_value(self) -> None:
        text = f"{HEAD}qreg q[1];\nrx(a) q[0];\n"
        program = compile_template(text, ["a"])
        assert program is not None
        values = np.array([[0.0], [0.0], [-0.0]])
        starts = walker.start_gates(program, values, walker.reference_row(values))
        assert list(starts) == [1, 1, 0]

    def test_sampled_rows_are_always_walked(self) -> None:
        assert not walker.use_whole("EXECUTE", 20)
        assert walker.use_whole("EXPECTATION", walker.WHOLE_MIN_QUBITS)
        assert not walker.use_whole("EXPECTATION", walker.WHOLE_MIN_QUBITS - 1)

    @pytest.mark.parametrize("workers, n_qubits", [(1, 16), (2, 4), (2, 16), (3, 16), (4, 16),
                                                   (4, 8)])
    def test_parts_cover_every_row_once(self, workers: int, n_qubits: int) -> None:
        starts = np.random.default_rng(0).integers(0, 50, 40)
        whole = walker.use_whole("EXPECTATION", n_qubits)
        parts = walker.partition(starts, 50, 10.0, workers, whole)
        rows = sorted(r for p in parts for r in p.rows)
        assert rows == list(range(40))
        assert len(parts) <= workers
        for part in parts:
            if part.kind == "walk":
                assert [starts[r] for r in part.rows] == sorted(starts[r] for r in part.rows)
        kinds = [p.kind for p in parts]
        if workers <= walker.MAX_WALKERS or not whole:
            assert set(kinds) == {"walk"} and len(parts) == min(workers, 40)
        else:  # the walkers take the late starts, whole-circuit workers the early ones
            assert kinds.count("walk") == walker.MAX_WALKERS
            assert kinds.count("whole") == workers - walker.MAX_WALKERS
            walked = [r for p in parts if p.kind == "walk" for r in p.rows]
            whole_rows = [r for p in parts if p.kind == "whole" for r in p.rows]
            assert min(starts[r] for r in walked) >= max(starts[r] for r in whole_rows)


class TestAgainstMaestro:
    def test_walked_rows_equal_simple_estimate(self) -> None:
        rng = np.random.default_rng(11)
        for _ in range(12):
            n = int(rng.integers(3, 6))
            text, names = random_template(n, 30, rng)
            program = compile_template(text, names)
            assert program is not None, text
            values = shift_rows(rng.uniform(-3, 3, len(names)))
            terms = ["".join(rng.choice(list("IXYZ"), n)) for _ in range(5)]
            got = walk_all(program, values, terms)
            want = reference_values(text, names, values, terms)
            assert sorted(got) == list(range(len(values)))
            for r, row in got.items():
                np.testing.assert_allclose([row[t] for t in terms], want[r], atol=1e-12)

    def test_a_kept_simulator_starts_from_zero_and_a_stopped_walk_is_not_kept(self) -> None:
        text = f"{HEAD}qreg q[3];\nrx(a) q[0];\nry(b) q[2];\ncx q[0],q[1];\n"
        program = compile_template(text, ["a", "b"])
        assert program is not None
        terms = ["ZII", "IZI", "IIZ", "XIY"]
        for values in (np.array([[2.1, 0.4]]), np.array([[0.3, -1.2], [0.3, 0.5]])):
            got = walk_all(program, values, terms, workers=1)  # the first leaves its state
            want = reference_values(text, ["a", "b"], values, terms)
            for r, row in got.items():
                np.testing.assert_allclose([row[t] for t in terms], want[r], atol=1e-12)
        kept = walker._kept.simulator
        assert kept is not None and kept.n_qubits == 3
        assert walker._Simulator.acquire(3) is kept  # reused, not made again
        kept.release()
        reader = walker.expectation_reader(["ZII"], maestro.SimulatorConfig())
        values = np.array([[0.1, 0.2], [0.5, 0.2]])
        ref = walker.reference_row(values)
        walker.run_rows(program, [1, 0], values, ref, walker.start_gates(program, values, ref),
                        reader.state, lambda *_: None, lambda: True)
        assert walker._kept.simulator is None  # the stopped walk's simulator was destroyed

    def test_whole_rows_equal_simple_estimate(self) -> None:
        rng = np.random.default_rng(5)
        for _ in range(8):
            n = int(rng.integers(3, 6))
            text, names = random_template(n, 25, rng)
            program = compile_template(text, names)
            assert program is not None
            values = rng.uniform(-3, 3, (3, len(names)))
            terms = ["".join(rng.choice(list("IXYZ"), n)) for _ in range(5)]
            reader = walker.expectation_reader(terms, maestro.SimulatorConfig())
            got: dict[int, dict[str, float]] = {}
            walker.run_whole(program, range(3), values, reader,
                              lambda r, text, _s, got=got: got.__setitem__(r, json.loads(text)),
                              lambda: False)
            want = reference_values(text, names, values, terms)
            for r in range(3):
                np.testing.assert_allclose([got[r][t] for t in terms], want[r], atol=1e-12)

    def test_an_idle_last_qubit_keeps_the_circuit_width(self) -> None:
        text = f"{HEAD}qreg q[3];\ncreg c[3];\nx q[0];\n"
        program = compile_template(text, [])
        assert program is not None
        reader = walker.expectation_reader(["ZII", "IIZ"], maestro.SimulatorConfig())
        got: list[dict] = []
        walker.run_whole(program, [0], np.zeros((1, 0)), reader,
                          lambda _r, text, _s: got.append(json.loads(text)), lambda: False)
        assert got == [{"ZII": -1.0, "IIZ": 1.0}]

    def test_a_stop_request_ends_the_walk(self) -> None:
        text = f"{HEAD}qreg q[1];\nrx(a) q[0];\n"
        program = compile_template(text, ["a"])
        assert program is not None
        values = np.array([[0.1], [0.2], [0.3]])
        ref = walker.reference_row(values)
        starts = walker.start_gates(program, values, ref)
        seen: list[int] = []
        reader = walker.expectation_reader(["Z"], maestro.SimulatorConfig())
        walker.run_rows(program, [0, 1, 2], values, ref, starts, reader.state,
                         lambda r, _t, _s: seen.append(r), lambda: len(seen) >= 2)
        assert seen == [0, 1]


class TestSampling:
    TEXT = (f"{HEAD}qreg q[3];\ncreg c[3];\nx q[0];\nry(p_0) q[2];\n"
            "measure q[0] -> c[0];\nmeasure q[2] -> c[1];\n")

    def histograms(self, kind: str) -> dict[int, dict[str, int]]:
        program = compile_template(self.TEXT, ["p_0"])
        assert program is not None
        values = np.array([[np.pi], [0.0]])
        ref = walker.reference_row(values)
        starts = walker.start_gates(program, values, ref)
        reader = walker.sampling_reader(program, lambda _r: 50, maestro.SimulatorConfig(),
                                         histogram)
        out: dict[int, dict[str, int]] = {}

        def emit(r: int, text: str, _s: float) -> None:
            out[r] = decode_histogram(json.loads(text))

        if kind == "walk":  # run_rows takes rows sorted by start gate, as partition gives them
            rows = sorted([0, 1], key=lambda r: (int(starts[r]), r))
            walker.run_rows(program, rows, values, ref, starts, reader.state, emit,
                             lambda: False)
        else:
            walker.run_whole(program, [0, 1], values, reader, emit, lambda: False)
        return out

    @pytest.mark.parametrize("kind", ["walk", "whole"])
    def test_clbits_in_the_clouds_order(self, kind: str) -> None:
        # c[0] <- q[0] = 1; c[1] <- q[2] = 1 after ry(pi), 0 after ry(0); c[2] never written.
        assert self.histograms(kind) == {0: {"011": 50}, 1: {"001": 50}}

    def test_same_as_simple_execute(self) -> None:
        bound = Placeholders(["p_0"]).resolve(self.TEXT, [np.pi])
        counts = maestro.simple_execute(bound, maestro.SimulatorConfig(), shots=50)["counts"]
        assert decode_histogram(histogram(counts, 3)) == self.histograms("walk")[0]
