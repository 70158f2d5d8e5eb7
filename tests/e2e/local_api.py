"""A thin speaker of the Qoro protocol over ``requests``, for the local-service e2e tests.

No project client is involved: requests are sent exactly as qoro-api.md describes them
(gzip+base64 circuits, ``@gzs`` observables, string ``finalized``) and results are decoded with
the shared codecs. Imported by name (``from local_api import Api, qasm``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import requests

from pennylane_qoro.protocol.histogram import decode_histogram
from pennylane_qoro.protocol.text import compress_text

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


# A template whose names overlap (theta_1 / theta_10) and appear inside expressions.
TEMPLATE = qasm(3, "ry(theta_0) q[0];\nrx(2*theta_1) q[1];\ncx q[0],q[2];\n"
                   "rz(-theta_10) q[2];\nry(theta_1 + theta_0) q[2];\n")
NAMES = ["theta_0", "theta_1", "theta_10"]
