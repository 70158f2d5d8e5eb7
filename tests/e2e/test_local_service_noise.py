"""Noisy jobs on the local service over real HTTP (qoro-api.md §2.13 ``maestro_config`` noise
keys): EXECUTE, EXPECTATION and template rows under one model, reproducible seeds, the model
returned as stored, and a 400 naming the field for every malformed model or old-client field.

The oracle is PennyLane's ``default.mixed`` with the equivalent channels."""

from __future__ import annotations

import numpy as np
import pennylane as qml
import pytest
from local_api import Api, qasm

from pennylane_qoro.local import LocalService
from pennylane_qoro.protocol.observables import encode_observables

P = 0.1
DEPOL = [{"method": "set_all_depolarizing", "args": [2, P], "kwargs": {}}]
DM = {"simulation_type": 7}
# rx(0.8) q0; cx q0,q1  -- default.mixed twin with DepolarizingChannel(P) after each gate wire
BODY = "rx(0.8) q[0];\ncx q[0],q[1];\n"


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    return Api(service.url, service.token)


def _reference(theta: float = 0.8):
    dev = qml.device("default.mixed", wires=2)

    @qml.qnode(dev)
    def circuit():
        qml.RX(theta, 0)
        qml.DepolarizingChannel(P, wires=0)
        qml.CNOT([0, 1])
        qml.DepolarizingChannel(P, wires=0)
        qml.DepolarizingChannel(P, wires=1)
        return qml.probs(wires=[0, 1]), qml.expval(qml.Z(0) @ qml.Z(1)), qml.expval(qml.Z(1))

    return circuit()


def _run(api: Api, job_type: str, config: dict, **envelope):
    job = api.init(job_type, maestro_config=config)
    return job, api.add(job, circuits={"c": qasm(2, BODY, measure=job_type == "EXECUTE")},
                        **envelope)


def test_noisy_execute_matches_default_mixed(api: Api) -> None:
    shots = 20_000
    job, r = _run(api, "EXECUTE", DM | {"noise_model": DEPOL, "noise_seed": 5}, shots=shots)
    assert r.status_code == 200, r.text
    assert api.wait(job)["status"] == "COMPLETED"
    counts = api.results(job)["c"]
    probs, *_ = _reference()
    # cloud keys put c[0] rightmost: "ab" = (c1, c0) -> PennyLane index c0*2 + c1
    est = np.array([counts.get(k, 0) for k in ("00", "10", "01", "11")]) / shots
    se = np.sqrt(probs * (1 - probs) / shots)
    assert np.all(np.abs(est - probs) <= 5 * se)
    assert est[1] > 0.02  # '01' never happens without noise


def test_noise_seed_repeats_and_differs(api: Api) -> None:
    def counts(seed: int) -> dict:
        job, _ = _run(api, "EXECUTE", DM | {"noise_model": DEPOL, "noise_seed": seed},
                      shots=300)
        api.wait(job)
        return api.results(job)["c"]

    assert counts(7) == counts(7) != counts(8)


def test_noisy_expectation_is_exact_on_density_matrix(api: Api) -> None:
    job, r = _run(api, "EXPECTATION", DM | {"noise_model": DEPOL},
                  observables=encode_observables([["ZZ", "IZ"]]))
    assert r.status_code == 200, r.text
    assert api.wait(job)["status"] == "COMPLETED"
    row = next(api.pages(job))["results"][0]["results"]
    _, zz, z1 = _reference()
    assert row["ZZ"] == pytest.approx(float(zz), abs=1e-9)
    assert row["IZ"] == pytest.approx(float(z1), abs=1e-9)


def test_template_rows_run_under_the_model(api: Api) -> None:
    job = api.init("EXPECTATION", maestro_config=DM | {"noise_model": DEPOL})
    template = qasm(2, "rx(theta_0) q[0];\ncx q[0],q[1];\n", measure=False)
    rows = [("a", [0.8]), ("b", [0.2]), ("c", [2.0])]
    r = api.add_template(job, template, ["theta_0"], rows,
                         observables=encode_observables([["ZZ", "IZ"]]))
    assert r.status_code == 200, r.text
    assert api.wait(job)["status"] == "COMPLETED"
    got = {row["label"]: row["results"] for page in api.pages(job) for row in page["results"]}
    for label, (theta,) in rows:
        _, zz, z1 = _reference(theta)
        assert got[label]["ZZ"] == pytest.approx(float(zz), abs=1e-9)
        assert got[label]["IZ"] == pytest.approx(float(z1), abs=1e-9)


def test_execution_config_returns_the_model_as_stored(api: Api) -> None:
    kraus = [[[{"__complex__": [0.0, 1.0]}, 0.0], [0.0, {"__complex__": [0.0, -1.0]}]]]
    kraus_call = {"method": "set_kraus_channel", "args": [[1], kraus], "kwargs": {}}
    config = DM | {"noise_model": [*DEPOL, kraus_call],
                   "noise_seed": 3, "noise_realizations": 1}
    job, r = _run(api, "EXECUTE", config, shots=100)
    assert r.status_code == 200, r.text
    assert api.wait(job)["status"] == "COMPLETED"
    got = api.get(f"job/{job}/execution_config/").json()
    assert got["maestro_config"] == config


@pytest.mark.parametrize(("config", "words"), [
    ({"noise_model": [{"method": "set_sparkles", "args": [0], "kwargs": {}}]},
     ["maestro_config['noise_model'][0]", "unknown noise setter 'set_sparkles'"]),
    ({"noise_model": [{"method": "set_depolarizing", "args": [0], "kwargs": {}}]},
     ["maestro_config['noise_model'][0] set_depolarizing", "missing p"]),
    ({"noise_model": [{"method": "set_depolarizing", "args": [0, 2.0], "kwargs": {}}]},
     ["noise_model'][0] set_depolarizing: p", "[0, 1]"]),
    ({"noise_model": [{"method": "set_thermal_relaxation", "args": [0, 1e-8, 1e-5, 5e-5]}]},
     ["noise_model'][0] set_thermal_relaxation", "T2 <= 2*T1"]),
    ({"noise_model": [{"method": "set_kraus_channel", "args": [[0], [[[1, 0], [0, 1]]]]}]},
     ["set_kraus_channel", "density-matrix"]),
    ({"noise_model": DEPOL, "noise_seed": "x"}, ["maestro_config['noise_seed']"]),
    ({"noise_model": DEPOL, "noise_realizations": 0}, ["maestro_config['noise_realizations']"]),
])
def test_malformed_models_answer_400_naming_the_field(api: Api, config, words) -> None:
    body = {"tag": "default", "job_type": "EXECUTE", "simulator_cluster": "qoro_maestro",
            "maestro_config": config}
    r = api.post("job/init/", json=body)
    assert r.status_code == 400, r.text
    for word in words:
        assert word in r.text


def test_model_wider_than_the_circuit_is_refused(api: Api) -> None:
    job = api.init("EXECUTE", maestro_config=DM | {"noise_model": [
        {"method": "set_depolarizing", "args": [4, 0.1], "kwargs": {}}]})
    r = api.add(job, circuits={"c": qasm(2, BODY)}, shots=10)
    assert r.status_code == 400
    assert "noise_model" in r.text and "5 qubits" in r.text and "'c'" in r.text


@pytest.mark.parametrize(("field", "words"), [
    ({"noisy_device": "ibm_fake_fez"}, ["noisy_device", "named fake devices"]),
    ({"noise_realizations": 4}, ["noise_realizations", "noisy_device"]),
    ({"noise_scaling_factor": 0.5}, ["noise_scaling_factor", "maestro_config['noise_model']"]),
])
def test_old_client_noise_fields_get_a_defined_400(api: Api, field, words) -> None:
    body = {"tag": "default", "job_type": "EXECUTE", "simulator_cluster": "qoro_maestro",
            "execution_configuration": field}
    r = api.post("job/init/", json=body)
    assert r.status_code == 400, r.text
    for word in words:
        assert word in r.text

