"""The embedded service (``start``) and independent ones (``serve``), ``local/service.py``."""

from __future__ import annotations

from local_api import Api, qasm

from pennylane_qoro.local import LocalService, serve


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
