"""The running service fails an upload never finalized after its idle time (``reaper.py``)."""

from __future__ import annotations

import requests
from local_api import Api, qasm

from pennylane_qoro.local import serve

IDLE = 0.3


def test_the_running_service_reaps_over_http() -> None:
    with serve(idle_upload_seconds=IDLE) as svc:
        api = Api(svc.url, svc.token)
        job_id = api.init()
        r = api.add(job_id, circuits={"a": qasm(1, "x q[0];\n")}, finalized=False)
        assert r.status_code == 200
        done = api.run({"b": qasm(1, "x q[0];\n")})  # finalized jobs are not touched
        body = api.wait(job_id, timeout=30)
        assert body["status"] == "FAILED" and "never finalized" in body["error"]
        late = requests.post(f"{svc.url}/job/{job_id}/add_circuits/", timeout=10,
                             headers={"Authorization": f"Bearer {svc.token}"},
                             json={"circuits": {}, "mode": "append", "finalized": "true"})
        assert late.status_code == 409
    assert done == {"b": {"1": 1000}}
