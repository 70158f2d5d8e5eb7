"""What the local service refuses, over real HTTP: the body cap, qubit limits, malformed QASM,
templates, envelopes, targets, simulator options and credits (400/402/409/413)."""

from __future__ import annotations

import json

import pytest
from local_api import NAMES, TEMPLATE, Api, qasm

from pennylane_qoro.local import LocalService, serve
from pennylane_qoro.protocol.observables import encode_observables
from pennylane_qoro.protocol.text import compress_text


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    """The protocol speaker for this module's user (``service`` is in tests/conftest.py)."""
    return Api(service.url, service.token)


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
