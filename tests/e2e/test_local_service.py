"""The local service over real HTTP with real Maestro: every endpoint of qoro-api.md §2.

Requests are sent with ``requests`` exactly as the protocol describes them (gzip+base64 circuits,
``@gzs`` observables, string ``finalized``); results are decoded with the shared codecs. The
oracle for expectation values is PennyLane's ``default.qubit``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pennylane as qml
import pytest
import requests

from pennylane_qoro.client.wire import (
    compress_text,
    decode_histogram,
    encode_observables,
)
from pennylane_qoro.local import LocalService, serve

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'


def qasm(n: int, body: str, *, measure: bool = True) -> str:
    """A full program on ``q[n]``/``c[n]``, measuring q[i] -> c[i] when asked."""
    text = f"{HEAD}qreg q[{n}];\ncreg c[{n}];\n{body}"
    if measure:
        text += "".join(f"measure q[{i}] -> c[{i}];\n" for i in range(n))
    return text


class Api:
    """A thin protocol speaker over ``requests`` (no project client involved)."""

    def __init__(self, url: str, token: str | None):
        self.url = url
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.session.get(f"{self.url}/{path}", timeout=60, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.session.post(f"{self.url}/{path}", timeout=60, **kw)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(f"{self.url}/{path}", timeout=60)

    def init(self, job_type: str = "EXECUTE", **fields: Any) -> str:
        body = {"tag": "default", "job_type": job_type, "use_packing": False, **fields}
        if "qpu_system_name" not in fields:
            body.setdefault("simulator_cluster", "qoro_maestro")
        r = self.post("job/init/", json=body)
        assert r.status_code == 201, r.text
        return r.json()["job_id"]

    def add(self, job_id: str, *, circuits: Mapping[str, str] | None = None,
            finalized: bool = True, **envelope: Any) -> requests.Response:
        body: dict[str, Any] = {}
        if circuits is not None:
            body["circuits"] = {label: compress_text(text) for label, text in circuits.items()}
        body.update(mode="append", finalized="true" if finalized else "false", **envelope)
        return self.post(f"job/{job_id}/add_circuits/", json=body)

    def add_template(self, job_id: str, template: str, names: Sequence[str],
                     rows: Sequence[tuple[str, Sequence[float]]], *, finalized: bool = True,
                     **envelope: Any) -> requests.Response:
        body = {
            "circuit_template": compress_text(template),
            "parameter_names": list(names),
            "parameter_sets": [{"label": lab, "values": list(v)} for lab, v in rows],
            "mode": "append", "finalized": "true" if finalized else "false", **envelope,
        }
        return self.post(f"job/{job_id}/add_circuits/", json=body)

    def status(self, job_id: str) -> dict:
        r = self.get(f"job/{job_id}/status/")
        assert r.status_code == 200, r.text
        return r.json()

    def wait(self, job_id: str, timeout: float = 120.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            body = self.status(job_id)
            if body["status"] not in ("PENDING", "RUNNING"):
                return body
            assert time.monotonic() < deadline, f"job {job_id} still {body['status']}"
            time.sleep(0.01)

    def pages(self, job_id: str, limit: int = 100) -> Iterator[dict]:
        offset = 0
        while True:
            r = self.get(f"job/{job_id}/resultsV2/?limit={limit}&offset={offset}")
            assert r.status_code == 200, r.text
            page = r.json()
            yield page
            if page["next"] is None:
                return
            offset += limit

    def results(self, job_id: str) -> dict[str, Any]:
        rows = [row for page in self.pages(job_id) for row in page["results"]]
        return {row["label"]: decode_histogram(row["results"]) for row in rows}

    def run(self, circuits: Mapping[str, str], **envelope: Any) -> dict[str, Any]:
        job_type = "EXPECTATION" if "observables" in envelope else "EXECUTE"
        init_fields = {k: envelope.pop(k) for k in ("maestro_config",) if k in envelope}
        job_id = self.init(job_type, **init_fields)
        r = self.add(job_id, circuits=circuits, **envelope)
        assert r.status_code == 200, r.text
        assert self.wait(job_id)["status"] == "COMPLETED"
        return self.results(job_id)


@pytest.fixture(scope="module")
def service() -> Iterator[LocalService]:
    with serve() as svc:
        yield svc


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    return Api(service.url, service.token)


# ------------------------------------------------------------------------------ catalogue


class TestCatalogue:
    def test_ping_names_the_service(self, api: Api) -> None:
        r = api.get("")
        assert r.status_code == 200
        assert r.url.endswith("/api/")
        body = r.json()
        assert body["service"] == "qoro-local"
        assert body["idempotency"] is True  # Idempotency-Key honoured (qoro-api.md §8 item 10)
        assert isinstance(body["version"], str)

    def test_qpu_entries_have_exactly_four_keys(self, api: Api) -> None:
        systems = api.get("qpusystem/").json()
        assert [s["name"] for s in systems] == ["local_qpu"]
        (system,) = systems
        assert system["supports_expval"] is False
        assert "access_level" in system
        for qpu in system["qpus"]:
            assert set(qpu) == {"nickname", "q_bits", "status", "system_kind"}

    def test_simulator_cluster(self, api: Api) -> None:
        assert api.get("simulatorcluster/").json() == [
            {"name": "qoro_maestro", "access_level": "PUBLIC", "minimum_tier": "FREE",
             "supports_expval": True}
        ]

    def test_credits_and_transactions(self, service: LocalService) -> None:
        fresh = Api(service.url, service.create_token(grant=50_000))
        credits = fresh.get("credits/").json()
        assert set(credits) == {"balance", "total_used", "created_at", "updated_at"}
        assert credits["balance"] == "500.00"
        page = fresh.get("credits/transactions/", params={"page": 1, "page_size": 20}).json()
        assert page["count"] == 1 and page["total_pages"] == 1
        assert page["next"] is None and page["previous"] is None
        (row,) = page["results"]
        assert row["transaction_type"] == "PURCHASE" and row["amount"] == "500.00"
        assert {"id", "amount", "balance_after", "transaction_type", "created_at",
                "description", "job_id"} <= set(row)

    def test_a_job_debits_the_documented_price(self, service: LocalService) -> None:
        fresh = Api(service.url, service.create_token(grant=10_000))
        circuits = {f"c{i}": qasm(1, "x q[0];\n") for i in range(3)}
        fresh.run(circuits, shots=2500)  # 3 circuits x (0.01 + 3 x 0.01)
        credits = fresh.get("credits/").json()
        assert (credits["balance"], credits["total_used"]) == ("99.88", "0.12")
        newest = fresh.get("credits/transactions/").json()["results"][0]
        assert newest["transaction_type"] == "USAGE" and newest["amount"] == "-0.12"

    def test_transactions_page_number_pagination(self, service: LocalService) -> None:
        fresh = Api(service.url, service.create_token())
        for _ in range(3):
            fresh.run({"a": qasm(1, "")}, shots=1)
        first = fresh.get("credits/transactions/", params={"page": 1, "page_size": 3}).json()
        second = fresh.get("credits/transactions/", params={"page": 2, "page_size": 3}).json()
        assert first["count"] == 4 and first["total_pages"] == 2
        assert first["next"] is not None and first["previous"] is None
        assert second["next"] is None and second["previous"] is not None
        assert len(first["results"]) == 3 and len(second["results"]) == 1
        assert second["results"][0]["transaction_type"] == "PURCHASE"
        assert fresh.get("credits/transactions/", params={"page": 3}).status_code == 404


# ------------------------------------------------------------------------------ sampling


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


# ------------------------------------------------------------------------------ templates

TEMPLATE = qasm(3, "ry(theta_0) q[0];\nrx(2*theta_1) q[1];\ncx q[0],q[2];\n"
                   "rz(-theta_10) q[2];\nry(theta_1 + theta_0) q[2];\n")
NAMES = ["theta_0", "theta_1", "theta_10"]
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


# ------------------------------------------------------------------------------ expectation

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


# ------------------------------------------------------------------------------ paging, chunks


class TestPagingAndChunks:
    def test_paging_over_250_circuits(self, api: Api) -> None:
        n = 8
        circuits = {
            f"n{i:03d}": qasm(n, "".join(f"x q[{k}];\n" for k in range(n) if i >> k & 1))
            for i in range(250)
        }
        job_id = api.init()
        assert api.add(job_id, circuits=circuits, shots=3).status_code == 200
        assert api.wait(job_id)["status"] == "COMPLETED"
        pages = list(api.pages(job_id))
        assert [len(p["results"]) for p in pages] == [100, 100, 50]
        assert all(p["count"] == 250 for p in pages)
        assert pages[0]["previous"] is None and pages[1]["previous"] is not None
        assert "offset=100" in pages[0]["next"] and pages[2]["next"] is None
        rows = [row for p in pages for row in p["results"]]
        assert [row["label"] for row in rows] == list(circuits)
        for i, row in enumerate(rows):
            assert decode_histogram(row["results"]) == {format(i, "08b"): 3}

    def test_exactly_limit_rows_per_page(self, api: Api) -> None:
        job_id = api.init()
        assert api.add(job_id, circuits={f"c{i}": qasm(1, "") for i in range(7)},
                       shots=1).status_code == 200
        api.wait(job_id)
        sizes = [len(p["results"]) for p in api.pages(job_id, limit=3)]
        assert sizes == [3, 3, 1]

    def test_chunks_concatenate_with_chunk_local_shot_groups(self, api: Api) -> None:
        job_id = api.init()
        first = {"a": qasm(1, "x q[0];\n"), "b": qasm(1, ""), "c": qasm(1, "x q[0];\n")}
        second = {"d": qasm(1, ""), "e": qasm(1, "x q[0];\n")}
        r1 = api.add(job_id, circuits=first, finalized=False,
                     shot_groups=[[0, 1, 100], [1, 3, 200]])
        assert r1.status_code == 200 and api.status(job_id)["status"] == "PENDING"
        r2 = api.add(job_id, circuits=second, shot_groups=[[0, 2, 300]])
        assert r2.status_code == 200
        assert r2.json()["total_circuits"] == 5
        assert api.wait(job_id)["status"] == "COMPLETED"
        assert api.results(job_id) == {"a": {"1": 100}, "b": {"0": 200}, "c": {"1": 200},
                                       "d": {"0": 300}, "e": {"1": 300}}

    def test_bodies_of_several_mib_are_accepted(self, api: Api) -> None:
        """seed/0.13 bodies overshoot 0.95 MiB (§3.2); a 3 MiB chunk must pass."""
        rng = np.random.default_rng(1)
        body = "".join(f"rz({rng.uniform():.17f}) q[0];\n" for _ in range(60_000))
        circuits = {f"big{i}": qasm(1, body + f"// {rng.bytes(600_000).hex()}\n")
                    for i in range(3)}
        job_id = api.init()
        r = api.add(job_id, circuits=circuits, shots=1)
        assert r.status_code == 200, r.text[:300]
        assert len(r.request.body) > 3 << 20
        assert api.wait(job_id)["status"] == "COMPLETED"


# ------------------------------------------------------------------------------ lifecycle


def slow_circuits(count: int) -> dict[str, str]:
    """Circuits of tens of milliseconds each, to catch a job while it runs."""
    n = 20
    body = "".join(f"h q[{k}];\n" for k in range(n)) + "".join(
        f"cx q[{k}],q[{k + 1}];\nrz(0.{k + 1}) q[{k + 1}];\n" for k in range(n - 1)) * 4
    return {f"s{i}": qasm(n, body) for i in range(count)}


class TestLifecycle:
    def test_cancel_running_job(self, service: LocalService) -> None:
        api = Api(service.url, service.create_token())
        job_id = api.init()
        assert api.add(job_id, circuits=slow_circuits(200), shots=10).status_code == 200
        while api.status(job_id)["status"] == "PENDING":
            time.sleep(0.005)
        r = api.post(f"job/{job_id}/cancel/")
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["status"] == "cancelled" and body["job_id"] == job_id
        assert 0 < body["circuits_cancelled"] <= 200
        time.sleep(0.3)  # a circuit in flight finishes; the job must stay CANCELLED
        assert api.status(job_id)["status"] == "CANCELLED"
        again = api.post(f"job/{job_id}/cancel/")
        assert again.status_code == 409
        assert again.json() == {"error": "Can only cancel a PENDING or RUNNING job"}
        assert api.get(f"job/{job_id}/resultsV2/?limit=100&offset=0").status_code == 409
        refund = api.get("credits/transactions/").json()["results"][0]
        assert refund["transaction_type"] == "REFUND" and refund["job_id"] == job_id
        # 10 shots: 0.02 per circuit; results not stored before the cancel are refunded
        assert refund["amount"] == f"{body['circuits_cancelled'] * 2 / 100:.2f}"

    def test_cancel_pending_upload_and_completed_job(self, api: Api) -> None:
        job_id = api.init()
        assert api.add(job_id, circuits={"a": qasm(1, "")}, finalized=False,
                       shots=1).status_code == 200
        r = api.post(f"job/{job_id}/cancel/")
        assert r.status_code == 200 and r.json()["circuits_cancelled"] == 1
        late = api.add(job_id, circuits={"b": qasm(1, "")}, shots=1)
        assert late.status_code == 409
        done = api.init()
        api.add(done, circuits={"a": qasm(1, "")}, shots=1)
        api.wait(done)
        assert api.post(f"job/{done}/cancel/").status_code == 409

    def test_delete_with_and_without_slash(self, api: Api) -> None:
        for suffix in ("", "/"):
            job_id = api.init()
            api.add(job_id, circuits={"a": qasm(1, "")}, shots=1)
            api.wait(job_id)
            r = api.delete(f"job/{job_id}{suffix}")
            assert r.status_code == 204 and r.content == b""
            assert api.get(f"job/{job_id}/status/").status_code == 404
            assert api.delete(f"job/{job_id}{suffix}").status_code == 404

    def test_delete_running_job(self, api: Api) -> None:
        job_id = api.init()
        api.add(job_id, circuits=slow_circuits(50), shots=10)
        assert api.delete(f"job/{job_id}").status_code == 204
        assert api.get(f"job/{job_id}/status/").status_code == 404

    def test_status_shape_and_failed_job(self, api: Api) -> None:
        job_id = api.init()
        st = api.status(job_id)
        assert st == {"status": "PENDING", "run_time": 0.0}
        assert api.get(f"job/{job_id}/resultsV2/?limit=100&offset=0").status_code == 400
        failed = api.post("job/create_failed/", json={"tag": "test"})
        assert failed.status_code == 201
        fid = failed.json()["job_id"]
        body = api.status(fid)
        assert body["status"] == "FAILED" and isinstance(body["run_time"], float)
        assert body["error"]
        res = api.get(f"job/{fid}/resultsV2/?limit=100&offset=0")
        assert res.status_code == 409 and "FAILED" in res.json()["detail"]

    def test_completed_run_time_is_a_positive_number(self, api: Api) -> None:
        job_id = api.init()
        api.add(job_id, circuits={"a": qasm(3, "h q[0];\n")}, shots=100)
        st = api.wait(job_id)
        assert st["status"] == "COMPLETED" and st["run_time"] > 0

    def test_execution_config_get_and_post(self, api: Api) -> None:
        job_id = api.init()
        missing = api.get(f"job/{job_id}/execution_config/")
        assert missing.status_code == 404
        assert missing.json() == {"detail": "No execution configuration exists for this job."}
        posted = api.post(f"job/{job_id}/execution_config/",
                          json={"bond_dimension": 16, "simulation_type": 1,
                                "api_meta": {"optimization_level": 2}})
        assert posted.status_code == 200, posted.text
        assert posted.json()["status"] == "ok" and posted.json()["job_id"] == job_id
        got = api.get(f"job/{job_id}/execution_config/").json()
        assert got["execution_configuration"]["bond_dimension"] == 16
        assert {"maestro_config", "device_config"} <= set(got)
        new = api.post(f"job/{job_id}/execution_config/",
                       json={"maestro_config": {"simulation_type": 1, "max_bond_dimension": 4}})
        assert new.status_code == 200
        assert api.get(f"job/{job_id}/execution_config/").json()["maestro_config"] == {
            "simulation_type": 1, "max_bond_dimension": 4}
        bad = api.post(f"job/{job_id}/execution_config/", json={"api_meta": {"invalid_key": 1}})
        assert bad.status_code == 400
        assert bad.json() == {"error": "Unknown api_meta key: 'invalid_key'"}
        api.add(job_id, circuits={"a": qasm(1, "")}, shots=1)
        api.wait(job_id)
        late = api.post(f"job/{job_id}/execution_config/", json={"bond_dimension": 2})
        assert late.status_code == 409
        assert late.json() == {"error": "Job is not in PENDING status"}


# ------------------------------------------------------------------------------ security


class TestIsolation:
    def test_every_job_endpoint_hides_other_users_jobs(self, service: LocalService) -> None:
        alice = Api(service.url, service.create_token())
        bob = Api(service.url, service.create_token())
        job_id = alice.init()
        done = alice.init()
        alice.add(done, circuits={"a": qasm(1, "")}, shots=1)
        alice.wait(done)
        checks = [
            bob.get(f"job/{job_id}/status/"),
            bob.get(f"job/{done}/resultsV2/?limit=100&offset=0"),
            bob.add(job_id, circuits={"x": qasm(1, "")}, shots=1),
            bob.get(f"job/{job_id}/execution_config/"),
            bob.post(f"job/{job_id}/execution_config/", json={"bond_dimension": 2}),
            bob.delete(f"job/{job_id}"),
            bob.delete(f"job/{done}/"),
        ]
        assert [r.status_code for r in checks] == [404] * len(checks)
        cancel = bob.post(f"job/{job_id}/cancel/")
        assert cancel.status_code == 403
        assert cancel.json() == {"detail": "You do not have permission to modify this job."}
        # nothing Bob did touched Alice's jobs
        assert alice.status(job_id)["status"] == "PENDING"
        assert alice.results(done) == {"a": {"0": 1}}

    @pytest.mark.parametrize("token", [None, "not-a-token", ""])
    def test_missing_or_unknown_token_is_401(self, service: LocalService,
                                             token: str | None) -> None:
        stranger = Api(service.url, token)
        owner = Api(service.url, service.token)
        job_id = owner.init()
        responses = [
            stranger.get(""), stranger.get("qpusystem/"), stranger.get("simulatorcluster/"),
            stranger.get("credits/"), stranger.get("credits/transactions/"),
            stranger.post("job/init/", json={"job_type": "EXECUTE"}),
            stranger.add(job_id, circuits={"a": qasm(1, "")}),
            stranger.get(f"job/{job_id}/status/"),
            stranger.get(f"job/{job_id}/resultsV2/?limit=100&offset=0"),
            stranger.post(f"job/{job_id}/cancel/"), stranger.delete(f"job/{job_id}"),
            stranger.get(f"job/{job_id}/execution_config/"),
            stranger.post(f"job/{job_id}/execution_config/", json={"bond_dimension": 2}),
            stranger.get("vendor-config-blueprint/"),
            stranger.post("job/create_failed/", json={"tag": "t"}),
        ]
        assert [r.status_code for r in responses] == [401] * len(responses)
        assert all("detail" in r.json() for r in responses)
        assert owner.status(job_id)["status"] == "PENDING"


# ------------------------------------------------------------------------------ limits


class TestLimits:
    def test_body_over_the_cap_is_413(self) -> None:
        with serve(max_body_bytes=1 << 20) as small:
            api = Api(small.url, small.token)
            job_id = api.init()
            big = {"x": qasm(1, "// " + "a" * (2 << 20) + "\n")}
            r = api.post(f"job/{job_id}/add_circuits/",
                         json={"circuits": {"x": "A" * (2 << 20)}, "mode": "append",
                               "finalized": "true", "shots": 1})
            assert r.status_code == 413
            assert "limit of 1048576 bytes" in r.json()["detail"]
            assert api.status(job_id)["status"] == "PENDING"
            assert len(big["x"]) > 1 << 20

    def test_too_many_qubits_for_statevector(self, api: Api) -> None:
        job_id = api.init()
        r = api.add(job_id, circuits={"wide": qasm(29, "h q[0];\n")}, shots=1)
        assert r.status_code == 400
        assert "29 qubits" in r.json()["detail"] and "at most 28" in r.json()["detail"]
        assert "'wide'" in r.json()["detail"]

    def test_mps_allows_wide_circuits(self, api: Api) -> None:
        ghz = "h q[0];\n" + "".join(f"cx q[{k}],q[{k + 1}];\n" for k in range(39))
        out = api.run({"ghz40": qasm(40, ghz)}, shots=200,
                      maestro_config={"simulation_type": 1, "max_bond_dimension": 4})
        assert set(out["ghz40"]) == {"0" * 40, "1" * 40}

    def test_switching_to_statevector_with_wide_circuits_is_refused(self, api: Api) -> None:
        job_id = api.init(maestro_config={"simulation_type": 1})
        api.add(job_id, circuits={"w": qasm(30, "")}, finalized=False, shots=1)
        r = api.post(f"job/{job_id}/execution_config/", json={"simulation_type": 0})
        assert r.status_code == 400 and "30 qubits" in r.json()["detail"]

    def test_malformed_qasm_names_label_and_reason(self, api: Api) -> None:
        job_id = api.init()
        r = api.add(job_id, circuits={"ok": qasm(1, "x q[0];\n"),
                                      "broken": qasm(1, "frobnicate q[0];\n")}, shots=1)
        assert r.status_code == 400
        detail = r.json()["detail"]
        assert "'broken'" in detail and "frobnicate" in detail
        assert api.status(job_id)["status"] == "PENDING"  # nothing was stored
        assert api.add(job_id, circuits={"ok": qasm(1, "")}, shots=1).status_code == 200

    def test_bad_base64_or_gzip(self, api: Api) -> None:
        job_id = api.init()
        r = api.post(f"job/{job_id}/add_circuits/", json={
            "circuits": {"a": "not base64!"}, "mode": "append", "finalized": "true"})
        assert r.status_code == 400 and "'a'" in r.json()["detail"]

    def test_parameter_row_length(self, api: Api) -> None:
        job_id = api.init()
        r = api.add_template(job_id, TEMPLATE, NAMES, [("short", [1.0, 2.0])], shots=1)
        assert r.status_code == 400
        assert "'short'" in r.json()["detail"] and "2 values" in r.json()["detail"]

    def test_unknown_placeholder_in_template(self, api: Api) -> None:
        job_id = api.init()
        r = api.add_template(job_id, TEMPLATE, ["theta_0", "theta_1"],
                             [("r", [1.0, 2.0])], shots=1)
        assert r.status_code == 400
        assert "theta_10" in r.json()["detail"]

    def test_non_finite_parameter_values(self, api: Api) -> None:
        job_id = api.init()
        template = compress_text(qasm(1, "rx(a) q[0];\n"))
        raw = json.dumps({"circuit_template": template, "parameter_names": ["a"],
                          "parameter_sets": [{"label": "r", "values": [float("nan")]}],
                          "mode": "append", "finalized": "true"})  # allow_nan: writes NaN
        assert "NaN" in raw
        r = api.post(f"job/{job_id}/add_circuits/", data=raw,
                     headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and "values" in r.json()["detail"]

    def test_adding_to_a_finalized_job_is_409(self, api: Api) -> None:
        job_id = api.init()
        api.add(job_id, circuits={"a": qasm(1, "")}, shots=1)
        r = api.add(job_id, circuits={"b": qasm(1, "")}, shots=1)
        assert r.status_code == 409 and "finalized" in r.json()["error"]

    def test_duplicate_labels(self, api: Api) -> None:
        job_id = api.init()
        api.add(job_id, circuits={"a": qasm(1, "")}, finalized=False, shots=1)
        r = api.add(job_id, circuits={"a": qasm(1, "x q[0];\n")}, shots=1)
        assert r.status_code == 400 and "'a'" in r.json()["detail"]
        text = compress_text(qasm(1, ""))
        raw = f'{{"circuits": {{"d": "{text}", "d": "{text}"}}, "mode": "append"}}'
        dup = api.post(f"job/{job_id}/add_circuits/", data=raw,
                       headers={"Content-Type": "application/json"})
        assert dup.status_code == 400 and "'d'" in dup.json()["detail"]

    @pytest.mark.parametrize("fields, needle", [
        ({"simulator_cluster": "gpu_cluster"}, "gpu_cluster"),
        ({"qpu_system_name": "ibm_fez"}, "ibm_fez"),
    ])
    def test_unknown_target(self, api: Api, fields: dict, needle: str) -> None:
        r = api.post("job/init/", json={"job_type": "EXECUTE", **fields})
        assert r.status_code == 400 and needle in r.json()["detail"]

    def test_expectation_on_the_sampling_only_qpu(self, api: Api) -> None:
        r = api.post("job/init/", json={"job_type": "EXPECTATION",
                                        "qpu_system_name": "local_qpu"})
        assert r.status_code == 400 and "supports_expval" in r.json()["detail"]

    @pytest.mark.parametrize("config, needle", [
        ({"maestro_config": {"bond": 3}}, "'bond'"),
        ({"maestro_config": {"max_bond_dimension": "8"}}, "'max_bond_dimension'"),
        ({"maestro_config": {"simulation_type": 42}}, "'simulation_type'"),
        ({"execution_configuration": {"bond_dimension": 1.5}}, "'bond_dimension'"),
        ({"execution_configuration": {"colour": "red"}}, "'colour'"),
    ])
    def test_simulator_options_are_checked(self, api: Api, config: dict, needle: str) -> None:
        r = api.post("job/init/", json={"job_type": "EXECUTE", **config})
        assert r.status_code == 400 and needle in r.json()["error"]

    def test_wrong_envelope_types(self, api: Api) -> None:
        job_id = api.init()
        for body, needle in [
            ({"finalized": True}, "finalized"),
            ({"shots": "1000"}, "shots"),
            ({"shots": 0}, "shots"),
            ({"mode": "replace"}, "mode"),
            ({"unexpected": 1}, "unexpected"),
        ]:
            full = {"circuits": {"a": compress_text(qasm(1, ""))}, "mode": "append",
                    "finalized": "false", **body}
            r = api.post(f"job/{job_id}/add_circuits/", json=full)
            assert r.status_code == 400 and needle in r.json()["detail"], (body, r.text)

    def test_observable_length_must_match_the_circuit(self, api: Api) -> None:
        job_id = api.init("EXPECTATION")
        r = api.add(job_id, circuits={"c": qasm(4, "")},
                    observables=encode_observables([["ZZ"]]))
        assert r.status_code == 400
        assert "4 qubits" in r.json()["detail"] and "length 2" in r.json()["detail"]

    def test_observables_only_in_expectation_jobs(self, api: Api) -> None:
        job_id = api.init()
        r = api.add(job_id, circuits={"c": qasm(1, "")}, observables=encode_observables([["Z"]]))
        assert r.status_code == 400 and "EXPECTATION" in r.json()["detail"]
        exp = api.init("EXPECTATION")
        assert api.add(exp, circuits={"c": qasm(1, "")}).status_code == 400

    def test_shot_groups_must_tile_the_chunk(self, api: Api) -> None:
        job_id = api.init()
        r = api.add(job_id, circuits={"a": qasm(1, ""), "b": qasm(1, "")},
                    shot_groups=[[0, 1, 10]])
        assert r.status_code == 400 and "shot_groups" in r.json()["detail"]

    def test_insufficient_credits_fail_the_job_clearly(self, service: LocalService) -> None:
        poor = Api(service.url, service.create_token(grant=5))
        job_id = poor.init()
        r = poor.add(job_id, circuits={f"c{i}": qasm(1, "") for i in range(3)}, shots=1000)
        assert r.status_code == 402
        assert "insufficient credits" in r.json()["detail"]
        st = poor.status(job_id)
        assert st["status"] == "FAILED" and "insufficient credits" in st["error"]
        assert poor.get("credits/").json()["balance"] == "0.05"


# ------------------------------------------------------------------------------ embedded


class TestEmbedded:
    def test_start_is_idempotent_and_cloud_shaped(self) -> None:
        from pennylane_qoro.local import start

        first = start()
        url, token = first
        assert start() is first
        assert url.startswith("http://127.0.0.1:") and url.endswith("/api")
        assert token not in repr(first) and token not in str(first)
        api = Api(url, token)
        assert api.run({"a": qasm(2, "x q[1];\n")}, shots=5) == {"a": {"10": 5}}

    def test_serve_gives_independent_services(self, service: LocalService) -> None:
        with serve() as other:
            assert other.url != service.url
            job_id = Api(other.url, other.token).init()
            assert Api(service.url, service.token).get(f"job/{job_id}/status/").status_code == 404
            assert Api(service.url, other.token).get("credits/").status_code == 401
