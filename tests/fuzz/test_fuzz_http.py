"""Fuzzing the body parsing of every JSON endpoint of the local service, in-process.

The real application (``create_app`` with the characterization routes) receives POST bodies
through its full middleware stack: valid bodies with bytes edited, valid bodies with one value
replaced by a hostile one (wrong types, huge numbers, NaN, nesting, unknown keys, removed
keys), and raw bytes; with and without an ``Idempotency-Key``. Every answer must be a success
or a 4xx with a JSON ``detail``/``error`` -- never a 5xx, an escaped exception or a hang.

The runner is stopped before fuzzing: finalized jobs stay queued instead of running fuzzed
circuits (execution is covered elsewhere; here the target is the parsing of what arrives).
Each example gets a fresh job, so deep validation runs on every example rather than stopping
at "job already finalized".
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fuzzing import Asgi, check_client_error, count, fuzz_settings, inputs, mutate, split
from hypothesis import given

from pennylane_qoro.local.app import create_app
from pennylane_qoro.local.routes.characterization import create_router
from pennylane_qoro.local.runner import Runner
from pennylane_qoro.local.store import Store
from pennylane_qoro.protocol.observables import encode_observables
from pennylane_qoro.protocol.qubo import encode_factored_qubo
from pennylane_qoro.protocol.text import compress_text

HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
ONE = compress_text(f"{HEAD}qreg q[1];\ncreg c[1];\nx q[0];\nmeasure q[0] -> c[0];\n")
TWO = compress_text(f"{HEAD}qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
TEMPLATE = compress_text(f"{HEAD}qreg q[2];\ncreg c[2];\nrx(t0) q[0];\nry(t1) q[1];\n"
                         "measure q -> c;\n")
OBS = encode_observables([["ZI", "IZ"], ["XX"]])
OBS1 = encode_observables([["ZZ", "XI"]])
HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1, 7, 2**63, 2**70, -(2**70), 1.5, 1e308, -0.0, float("nan"),
    float("inf"), "", "x", "true", "false", "append", "EXECUTE", "qoro_maestro", [], {},
    [0, 2, 5], [[0, 1, 5]], [[0, 1]], [[2, 1]], {"a": 1}, {"": None}, "A" * 300, "é\u0000",
    ONE, "@gzs2:" + ONE, [{"label": "r", "values": [1]}], [{"label": "r", "values": ["x"]}],
    {"simulation_type": 99}, {"max_bond_dimension": -3}, [[[[[[]]]]]], "1" * 5000, "0,1",
]

INIT = [
    {"tag": "default", "job_type": "EXECUTE", "use_packing": False,
     "simulator_cluster": "qoro_maestro"},
    {"job_type": "EXPECTATION", "maestro_config": {"simulation_type": 1,
                                                    "max_bond_dimension": 8}},
    {"job_type": "EXECUTE", "qpu_system_name": "local_qpu"},
    {"job_type": "VALIDATE", "tag": "x"},
    {"job_type": "EXECUTE", "execution_configuration": {
        "bond_dimension": 4, "simulation_type": 1, "seed": 3,
        "api_meta": {"optimization_level": 1, "layout_method": "sabre"}}},
]
CREATE_FAILED = [{"tag": "t", "job_type": "EXECUTE"}, {}, {"job_type": "EXPECTATION"}]
ADD = [  # (job type, body)
    ("EXECUTE", {"circuits": {"a": ONE, "b": TWO}, "mode": "append", "finalized": "true",
                 "shots": 10}),
    ("EXECUTE", {"circuits": {"a": ONE, "b": ONE, "c": TWO}, "mode": "append",
                 "finalized": "false", "shot_groups": [[0, 2, 5], [2, 3, 7]]}),
    ("EXECUTE", {"circuit_template": TEMPLATE, "parameter_names": ["t0", "t1"],
                 "parameter_sets": [{"label": "r0", "values": [0.5, 1]},
                                    {"label": "r1", "values": [-1.5, 2.0]}],
                 "mode": "append", "finalized": "true", "shots": 3}),
    ("EXPECTATION", {"circuits": {"a": TWO, "b": TWO}, "observables": OBS,
                     "circuit_ham_map": [[0, 1], [1, 2]], "mode": "append",
                     "finalized": "true"}),
    ("EXPECTATION", {"circuit_template": TEMPLATE, "parameter_names": ["t0", "t1"],
                     "parameter_sets": [{"label": "r0", "values": [0.1, 0.2]}],
                     "observables": OBS1, "mode": "append", "finalized": "true"}),
]
EXEC_CONFIG = [
    {"bond_dimension": 8}, {"maestro_config": {"simulation_type": 1}},
    {"truncation_threshold": 1e-8, "simulator_type": 1, "simulation_type": 0},
    {"api_meta": {"optimization_level": 2, "layout_method": "x"}}, {"seed": 5},
]
QUBO = [
    {"qubo": {"0": -1.0, "0,1": 2.0, "1": -1.0}, "target_states": ["01"]},
    {"qubo": {"0": 1.0, "1,2": -0.5}, "reference_states": ["010"]},
    {"qubo": {"0": -1.0}, "options": {"preset": "fast"}},
    {"qubo": encode_factored_qubo(np.array([[1.0], [0.5]]), [1.0], [0.0, -1.0])},
]


class Service:
    """The application in-process, one token, helpers to make fresh jobs."""

    def __init__(self) -> None:
        self.store = Store()
        runner = Runner(self.store, workers=1)
        runner.shutdown()  # finalized jobs stay queued: fuzzed circuits are never run
        self.token = self.store.create_token(grant=10**12)
        self.owner = self.store.owner_of(self.token)
        app = create_app(self.store, runner, max_active_jobs=None, test_routes=True,
                         extra_routers=[create_router(time_budget=0.0)])
        self.asgi = Asgi(app, self.token)
        self.config_job = self.job("EXECUTE")

    def job(self, job_type: str) -> str:
        target = None if job_type == "VALIDATE" else "qoro_maestro"
        return self.store.create_job(owner=self.owner, job_type=job_type, tag="fuzz",
                                     target=target)


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    svc = Service()
    yield svc
    svc.asgi.close()
    svc.store.close()


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _paths(item, (*prefix, i))
    return out


def _edit(body: Any, script: bytes) -> Any:
    """One JSON-level edit per three script bytes: replace, delete, rename or add a key."""
    body = json.loads(json.dumps(body))
    for k in range(0, len(script) - 2, 3):
        op, a, b = script[k] % 4, script[k + 1], script[k + 2]
        paths = _paths(body)
        path = paths[a % len(paths)]
        value = copy.deepcopy(HOSTILE[b % len(HOSTILE)])  # never alias the palette
        if not path:
            body = value if op == 0 else body
            continue
        parent = body
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        if op == 0:
            parent[last] = value
        elif op == 1 and isinstance(parent, dict):
            del parent[last]
        elif op == 2 and isinstance(parent, dict):
            parent[f"{last}{b % 3 or ''}x"] = parent.pop(last)
        elif isinstance(parent, dict):
            parent[str(value)[:20]] = value
        elif isinstance(parent, list):
            parent.append(value)
    return body


def _body(template: Any, script: bytes, mode: int) -> bytes:
    if mode == 0:
        return json.dumps(_edit(template, script)).encode()  # NaN/Infinity tokens included
    if mode == 1:
        return mutate(json.dumps(template).encode(), script)
    if mode == 2:  # a repeated key, which would silently drop a circuit if accepted
        text = json.dumps(template)
        return (text[:-1] + ', ' + text[1:]).encode() if len(text) > 2 else text.encode()
    return script


def _headers(mode: int, script: bytes) -> dict[str, str]:
    if mode & 4:
        return {"Idempotency-Key": script[:40].decode("latin-1") or "k"}
    return {}


def _post(service: Service, path: str, body: bytes, headers: dict[str, str],
          what: str) -> int:
    status, answer = service.asgi.request("POST", path, body, headers=headers)
    check_client_error(status, answer, what)
    if status < 300 and answer:
        json.loads(answer)
    return status


@fuzz_settings()
@given(inputs(15))
def test_init_body(service: Service, data: bytes) -> None:
    count("POST job/init/")
    index, mode, script = split(data, len(INIT), 8)
    _post(service, "/api/job/init/", _body(INIT[index], script, mode & 3),
          _headers(mode, script), "job/init/")


@fuzz_settings()
@given(inputs(15))
def test_create_failed_body(service: Service, data: bytes) -> None:
    count("POST job/create_failed/")
    index, mode, script = split(data, len(CREATE_FAILED), 4)
    _post(service, "/api/job/create_failed/", _body(CREATE_FAILED[index], script, mode), {},
          "job/create_failed/")


@fuzz_settings()
@given(inputs(15))
def test_add_circuits_body(service: Service, data: bytes) -> None:
    count("POST add_circuits/")
    index, mode, script = split(data, len(ADD), 16)
    job_type, template = ADD[index]
    job_id = service.job("EXPECTATION" if (mode & 8) == (job_type == "EXECUTE") * 8
                         else job_type)
    _post(service, f"/api/job/{job_id}/add_circuits/", _body(template, script, mode & 3),
          _headers(mode, script), "add_circuits/")


@fuzz_settings()
@given(inputs(15))
def test_execution_config_body(service: Service, data: bytes) -> None:
    count("POST execution_config/")
    index, mode, script = split(data, len(EXEC_CONFIG), 4)
    _post(service, f"/api/job/{service.config_job}/execution_config/",
          _body(EXEC_CONFIG[index], script, mode), {}, "execution_config/")


@fuzz_settings()
@given(inputs(15))
def test_submit_qubo_body(service: Service, data: bytes) -> None:
    # No repeated-key mode (2) here: this route reads JSON like json.loads (the last copy
    # wins, qoro-api.md §8 item 16), so those bodies are accepted and each one would cost a
    # full analysis of an unchanged problem.
    count("POST submit_qubo/")
    index, mode, script = split(data, len(QUBO), 3)
    mode = (0, 1, 3)[mode]
    job_id = service.job("VALIDATE")
    _post(service, f"/api/job/{job_id}/submit_qubo/", _body(QUBO[index], script, mode), {},
          "submit_qubo/")
