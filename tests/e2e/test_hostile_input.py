"""Attacks on the real local service over raw HTTP (issue 17): each was a 500 or worse.

* unbounded integers in query parameters and body fields reaching SQLite or ``float()``;
* 100 000-deep JSON on every route that parses its body by hand;
* the test-only ``job/create_failed/`` open on a real service;
* a second ``qoro-local serve`` on a database a live process serves.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from local_api import NAMES, TEMPLATE, Api, qasm

from pennylane_qoro.local import LocalService, serve
from pennylane_qoro.local.db_lock import DatabaseInUse
from pennylane_qoro.protocol.text import compress_text

HUGE = "99999999999999999999"  # > 2**63: SQLite cannot store it


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    a = Api(service.url, service.token)
    a.session.headers["Connection"] = "close"  # a 500 would drop a kept-alive connection
    return a


@pytest.fixture(scope="module")
def done_job(api: Api) -> str:
    job_id = api.init()
    assert api.add(job_id, circuits={"a": qasm(1, "h q[0];\n")}).status_code == 200
    assert api.wait(job_id)["status"] == "COMPLETED"
    return job_id


def _raw(api: Api, path: str, body: str) -> requests.Response:
    return api.post(path, data=body, headers={"Content-Type": "application/json"})


class TestUnboundedIntegers:
    @pytest.mark.parametrize("query", [f"page={HUGE}", f"page_size={HUGE}"])
    def test_transactions_page(self, api: Api, query: str) -> None:
        """Test that a 20-digit page number is a 400 naming the parameter, not a 500."""
        r = api.get(f"credits/transactions/?{query}")
        assert r.status_code == 400, r.text
        assert query.split("=")[0] in r.json()["detail"]

    def test_results_offset(self, api: Api, done_job: str) -> None:
        """Test that resultsV2's 20-digit offset is a 400 naming ``offset``."""
        r = api.get(f"job/{done_job}/resultsV2/?limit=100&offset={HUGE}")
        assert r.status_code == 400, r.text
        assert "offset" in r.json()["detail"]

    @pytest.mark.parametrize("field,value", [
        ("shots", HUGE), ("shot_groups", f"[[0, 1, {HUGE}]]"),
        ("circuit_ham_map", f"[[0, {HUGE}]]"),
    ])
    def test_body_integers(self, api: Api, field: str, value: str) -> None:
        """Test that an integer body field beyond 64 bits is a 400 naming the field."""
        job_id = api.init()
        circuits = json.dumps({"a": compress_text(qasm(1, "h q[0];\n"))})
        body = f'{{"circuits": {circuits}, "finalized": "true", "{field}": {value}}}'
        r = _raw(api, f"job/{job_id}/add_circuits/", body)
        assert r.status_code == 400, r.text
        assert field in r.json()["detail"]
        assert api.status(job_id)["status"] == "PENDING"

    def test_template_value_10_pow_400(self, api: Api) -> None:
        """Test that a template value 10**400 (valid JSON) is a 400 naming the value."""
        job_id = api.init()
        row = f'{{"label": "r", "values": [0.5, 1, {10**400}]}}'
        body = (f'{{"circuit_template": {json.dumps(compress_text(TEMPLATE))}, '
                f'"parameter_names": {json.dumps(NAMES)}, "parameter_sets": [{row}], '
                f'"mode": "append", "finalized": "true"}}')
        r = _raw(api, f"job/{job_id}/add_circuits/", body)
        assert r.status_code == 400, r.text
        assert "parameter_sets.0.values.2" in r.json()["detail"]


class TestDeepJson:
    DEPTH = 100_000

    @pytest.mark.parametrize("shape", ["array", "object"])
    @pytest.mark.parametrize("route", ["add_circuits", "execution_config", "submit_qubo",
                                       "init"])
    def test_deep_body_is_400(self, api: Api, route: str, shape: str) -> None:
        """Test that 100 000-deep JSON is a 400 on every route that takes a body."""
        if shape == "array":
            body = "[" * self.DEPTH + "]" * self.DEPTH
        else:
            body = '{"a":' * self.DEPTH + "1" + "}" * self.DEPTH
        path = {
            "add_circuits": lambda: f"job/{api.init()}/add_circuits/",
            "execution_config": lambda: f"job/{api.init()}/execution_config/",
            "submit_qubo": lambda: f"job/{api.init('VALIDATE', simulator_cluster=None)}"
                                   "/submit_qubo/",
            "init": lambda: "job/init/",
        }[route]()
        r = _raw(api, path, body)
        assert r.status_code == 400, r.text

    def test_moderately_deep_options_are_400(self, api: Api) -> None:
        """Test that options nested past the limit (but under the recursion limit) are 400."""
        body = '{"a":' * 500 + "1" + "}" * 500
        r = _raw(api, f"job/{api.init()}/execution_config/", body)
        assert r.status_code == 400 and "deeper than" in r.json()["detail"], r.text


@pytest.mark.parametrize("body", [b"\x00\x00\x01\x00\x00\x80", b'{"a": "\xff"}'],
                         ids=["utf32-guess", "latin1-byte"])
@pytest.mark.parametrize("route", ["add_circuits", "execution_config", "submit_qubo"])
def test_body_that_is_not_text_is_400(api: Api, route: str, body: bytes) -> None:
    """Test that bytes no UTF encoding decodes are a 400 saying so, and the job stays usable."""
    job_id = api.init("VALIDATE", simulator_cluster=None) if route == "submit_qubo" \
        else api.init()
    r = api.post(f"job/{job_id}/{route}/", data=body,
                 headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert "not UTF-8 JSON text" in r.json()["detail"]
    assert api.status(job_id)["status"] == "PENDING"


def test_create_failed_needs_the_test_flag(tmp_path: Path) -> None:
    """Test that job/create_failed/ is not served without the test flag."""
    with serve(db=tmp_path / "jobs.sqlite") as svc:
        r = Api(svc.url, svc.token).post("job/create_failed/", json={"tag": "t"})
        assert r.status_code in (404, 405), r.text  # 405: only DELETE job/{id}/ matches
    with serve(test_routes=True) as svc:
        r = Api(svc.url, svc.token).post("job/create_failed/", json={"tag": "t"})
        assert r.status_code == 201, r.text


class TestDatabaseLock:
    def test_second_serve_in_process_is_refused(self, tmp_path: Path) -> None:
        """Test that a second service on a served database is refused before recovery,
        leaving the first one's RUNNING job alone."""
        db = tmp_path / "jobs.sqlite"
        with serve(db=db, workers=1) as first:
            api = Api(first.url, first.token)
            job_id = api.init()
            long = qasm(20, "".join(f"h q[{k}];\ncx q[{k}],q[{k + 1}];\n" for k in range(19)))
            assert api.add(job_id, circuits={f"c{i}": long for i in range(40)}).status_code == 200
            while api.status(job_id)["status"] == "PENDING":
                time.sleep(0.01)
            refused = r"jobs\.sqlite is already served by process \d+"
            with pytest.raises(DatabaseInUse, match=refused), serve(db=db):
                pass
            assert api.status(job_id)["status"] in ("RUNNING", "COMPLETED")
            api.post(f"job/{job_id}/cancel/")
        with serve(db=db):  # the lock went with the first service
            pass

    def test_second_cli_serve_exits_with_one_line(self, tmp_path: Path) -> None:
        """Test that a second ``qoro-local serve`` on a served --db exits 1 with one line
        naming the file and the serving process, and no traceback."""
        db = tmp_path / "jobs.sqlite"
        cli = [sys.executable, "-m", "pennylane_qoro.local", "serve", "--db", str(db),
               "--port", "0"]
        first = subprocess.Popen(cli, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert first.stdout.readline().startswith("serving http://")
            second = subprocess.run(cli, capture_output=True, text=True, timeout=60)
        finally:
            first.kill()
            first.wait(timeout=30)
            first.stdout.close()
            first.stderr.close()
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in second.stderr, second.stderr
        assert str(db) in lines[0] and f"process {first.pid}" in lines[0]
        assert second.stdout == ""
