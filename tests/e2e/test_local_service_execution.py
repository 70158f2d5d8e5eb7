"""Jobs run by the local service over real HTTP with real Maestro: sampled histograms, template
rows and expectation values (qoro-api.md §2.7-2.10, §3.5, §4).

The oracle for expectation values is PennyLane's ``default.qubit``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pennylane as qml
import pytest
from local_api import NAMES, TEMPLATE, Api, qasm

from pennylane_qoro.local import LocalService
from pennylane_qoro.protocol.histogram import decode_histogram
from pennylane_qoro.protocol.observables import encode_observables


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    """The protocol speaker for this module's user (``service`` is in tests/conftest.py)."""
    return Api(service.url, service.token)


class TestSampling:
    def test_x_on_qubit_0_is_key_01(self, api: Api) -> None:
        """qoro-api.md §4.5: c[0] is the rightmost key character."""
        assert api.run({"x0": qasm(2, "x q[0];\n")}, shots=100) == {"x0": {"01": 100}}

    def test_bell_and_ghz(self, api: Api) -> None:
        out = api.run({
            "bell": qasm(2, "h q[0];\ncx q[0],q[1];\n"),
            "ghz": qasm(3, "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\n"),
            "ghz_flip": qasm(3, "h q[0];\ncx q[0],q[1];\ncx q[1],q[2];\nx q[0];\n"),
        }, shots=2000)
        assert set(out["bell"]) == {"00", "11"} and sum(out["bell"].values()) == 2000
        assert set(out["ghz"]) == {"000", "111"}
        assert set(out["ghz_flip"]) == {"001", "110"}
        # 2000 fair coin flips: 5 sigma is +-112
        assert abs(out["ghz"]["000"] - 1000) < 112

    def test_keys_cover_the_whole_register(self, api: Api) -> None:
        """Unmeasured classical bits read 0 and keys are never narrowed (§4.5)."""
        out = api.run({
            "one_measured": qasm(4, "x q[0];\nx q[3];\nmeasure q[0] -> c[0];\n", measure=False),
            "none_measured": qasm(3, "x q[1];\n", measure=False),
            "to_c2": qasm(3, "x q[0];\nmeasure q[0] -> c[2];\n", measure=False),
        }, shots=10)
        assert out == {"one_measured": {"0001": 10}, "none_measured": {"000": 10},
                       "to_c2": {"100": 10}}

    def test_shots_null_means_1000(self, api: Api) -> None:
        out = api.run({"a": qasm(1, "h q[0];\n")}, shots=None)
        assert sum(out["a"].values()) == 1000

    def test_qh2_above_255_bits(self, api: Api) -> None:
        job_id = api.init(maestro_config={"simulation_type": 1})  # MPS
        r = api.add(job_id, circuits={"wide": qasm(300, "x q[0];\nx q[299];\n")}, shots=5)
        assert r.status_code == 200, r.text
        assert api.wait(job_id)["status"] == "COMPLETED"
        (row,) = next(api.pages(job_id))["results"]
        assert row["results"]["encoding"] == "qh2" and row["results"]["n_bits"] == 300
        assert decode_histogram(row["results"]) == {"1" + "0" * 298 + "1": 5}

    def test_seed_makes_sampling_reproducible(self, api: Api) -> None:
        circuits = {f"h{i}": qasm(6, "".join(f"h q[{k}];\n" for k in range(6)))
                    for i in range(4)}
        a = api.run(circuits, shots=500, maestro_config={"seed": 11})
        b = api.run(circuits, shots=500, maestro_config={"seed": 11})
        c = api.run(circuits, shots=500, maestro_config={"seed": 12})
        assert a == b
        assert a != c
        assert a["h0"] != a["h1"]  # each circuit has its own derived seed

    def test_legacy_execution_configuration(self, api: Api) -> None:
        job_id = api.init(execution_configuration={"bond_dimension": 8, "simulation_type": 1,
                                                   "truncation_threshold": 1e-8})
        assert api.add(job_id, circuits={"a": qasm(2, "x q[1];\n")}, shots=3).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        assert api.results(job_id) == {"a": {"10": 3}}
        got = api.get(f"job/{job_id}/execution_config/").json()
        assert got["execution_configuration"] == {"bond_dimension": 8, "simulation_type": 1,
                                                  "truncation_threshold": 1e-8}
        assert got["maestro_config"] is None and got["device_config"] is None

    def test_local_qpu_samples(self, api: Api) -> None:
        job_id = api.init(qpu_system_name="local_qpu")
        assert api.add(job_id, circuits={"a": qasm(2, "x q[0];\n")}, shots=7).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        assert api.results(job_id) == {"a": {"01": 7}}


ROWS = [("r0", [0.1, -0.5, 1.0]), ("r1", [1e-20, 2.0, -0.0]), ("r2", [3, 0.25, 1e16]),
        ("r3", [-1.25, 0.75, 0.5])]


def bind_by_hand(values: Sequence[float]) -> str:
    """The same circuit written directly (str(float) is Python's shortest repr, §3.5)."""
    t0, t1, t10 = (repr(float(v)) for v in values)
    return qasm(3, f"ry({t0}) q[0];\nrx(2*{t1}) q[1];\ncx q[0],q[2];\n"
                   f"rz(-{t10}) q[2];\nry({t1} + {t0}) q[2];\n")


class TestTemplates:
    def test_template_rows_equal_bound_circuits(self, api: Api) -> None:
        cfg = {"seed": 5}
        job_id = api.init(maestro_config=cfg)
        assert api.add_template(job_id, TEMPLATE, NAMES, ROWS, shots=300).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        templated = api.results(job_id)
        bound = api.run({lab: bind_by_hand(v) for lab, v in ROWS}, shots=300,
                        maestro_config=cfg)
        assert list(templated) == [lab for lab, _ in ROWS]
        assert templated == bound

    def test_template_expectation_matches_bound(self, api: Api) -> None:
        obs = encode_observables([["ZII", "IXI", "IIY", "ZZZ"]])
        job_id = api.init("EXPECTATION")
        r = api.add_template(job_id, TEMPLATE, NAMES, ROWS, observables=obs)
        assert r.status_code == 200, r.text
        assert api.wait(job_id)["status"] == "COMPLETED"
        templated = api.results(job_id)
        bound = api.run({lab: bind_by_hand(v) for lab, v in ROWS}, observables=obs)
        assert templated == bound

    def test_several_templates_and_chunks_in_one_job(self, api: Api) -> None:
        flip = qasm(2, "rx(a) q[0];\nrx(b) q[1];\n")
        job_id = api.init()
        assert api.add_template(job_id, flip, ["a", "b"], [("t0", [np.pi, 0.0])],
                                finalized=False, shots=10).status_code == 200
        assert api.add_template(job_id, flip, ["a", "b"], [("t1", [0.0, np.pi])],
                                finalized=False, shots=10).status_code == 200
        assert api.add_template(job_id, qasm(1, "x q[0];\n"), [], [("t2", [])],
                                shots=10).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        assert api.results(job_id) == {"t0": {"01": 10}, "t1": {"10": 10}, "t2": {"1": 10}}


GATES = ("h", "x", "s", "t", "rx", "ry", "rz", "cx", "cz", "swap", "crz")


def random_circuit(n: int, depth: int, rng: np.random.Generator) -> list[tuple]:
    ops = []
    for _ in range(depth):
        name = GATES[rng.integers(len(GATES))]
        two = name in ("cx", "cz", "swap", "crz")
        wires = tuple(int(w) for w in rng.choice(n, size=2 if two else 1, replace=False))
        param = float(rng.uniform(-np.pi, np.pi)) if name in ("rx", "ry", "rz", "crz") else None
        ops.append((name, param, wires))
    return ops


def to_qasm(n: int, ops: list[tuple], *, measure: bool) -> str:
    lines = []
    for name, param, wires in ops:
        args = f"({param!r})" if param is not None else ""
        lines.append(f"{name}{args} " + ",".join(f"q[{w}]" for w in wires) + ";\n")
    return qasm(n, "".join(lines), measure=measure)


PL_GATES = {"h": qml.Hadamard, "x": qml.PauliX, "s": qml.S, "t": qml.T, "rx": qml.RX,
            "ry": qml.RY, "rz": qml.RZ, "cx": qml.CNOT, "cz": qml.CZ, "swap": qml.SWAP,
            "crz": qml.CRZ}


def oracle(n: int, ops: list[tuple], terms: Sequence[str]) -> list[float]:
    """default.qubit expectation values; Pauli character i acts on wire i (§3.4)."""

    @qml.qnode(qml.device("default.qubit", wires=n))
    def circuit() -> list:
        for name, param, wires in ops:
            gate = PL_GATES[name]
            gate(param, wires=wires) if param is not None else gate(wires=wires)
        return [qml.expval(qml.pauli.string_to_pauli_word(t) if set(t) != {"I"}
                           else qml.Identity(0)) for t in terms]

    return [float(v) for v in circuit()]


class TestExpectation:
    def test_values_match_default_qubit(self, api: Api) -> None:
        rng = np.random.default_rng(7)
        n = 4
        terms = ["ZIII", "IXII", "IIYI", "IIIZ", "XXYZ", "ZZZZ", "YIXI", "IIII", "ZIII"]
        circuits = {f"c{i}": random_circuit(n, 25, rng) for i in range(5)}
        out = api.run({lab: to_qasm(n, ops, measure=True) for lab, ops in circuits.items()},
                      observables=encode_observables([terms]))
        for label, ops in circuits.items():
            unique = list(dict.fromkeys(terms))
            assert list(out[label]) == unique  # duplicates collapse, order kept
            expected = dict(zip(terms, oracle(n, ops, terms), strict=True))
            for term in unique:
                assert abs(out[label][term] - expected[term]) < 1e-8, (label, term)

    def test_measurements_are_ignored(self, api: Api) -> None:
        out = api.run({"plus": qasm(1, "h q[0];\n")},
                      observables=encode_observables([["X", "Z"]]))
        assert out["plus"]["X"] == pytest.approx(1.0, abs=1e-12)
        assert out["plus"]["Z"] == pytest.approx(0.0, abs=1e-12)

    def test_circuit_ham_map_is_job_global_across_chunks(self, api: Api) -> None:
        groups = [["ZI", "IZ"], ["XX"]]
        wire = encode_observables(groups)
        ham_map = [[0, 3], [3, 4]]
        job_id = api.init("EXPECTATION")
        first = {"a": qasm(2, "x q[0];\n"), "b": qasm(2, "x q[1];\n")}
        second = {"c": qasm(2, ""), "d": qasm(2, "h q[0];\nh q[1];\n")}
        assert api.add(job_id, circuits=first, finalized=False, observables=wire,
                       circuit_ham_map=ham_map).status_code == 200
        assert api.add(job_id, circuits=second, observables=wire,
                       circuit_ham_map=ham_map).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        out = api.results(job_id)
        assert out["a"] == {"ZI": -1.0, "IZ": 1.0}
        assert out["b"] == {"ZI": 1.0, "IZ": -1.0}
        assert out["c"] == {"ZI": 1.0, "IZ": 1.0}
        assert set(out["d"]) == {"XX"} and out["d"]["XX"] == pytest.approx(1.0)
