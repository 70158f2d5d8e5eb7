"""The embedded service (``start``) and independent ones (``serve``), ``local/service.py``."""

from __future__ import annotations

import pytest
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


class TestInProcess:
    """A device on the embedded service reaches it without a socket (``client/in_process.py``),
    and gets what a device reaching the same service over HTTP gets."""

    def test_device_requests_skip_the_socket_and_equal_the_wire(self) -> None:
        import numpy as np
        import pennylane as qml

        from pennylane_qoro.local import service as service_module
        from pennylane_qoro.local import start

        embedded = start()
        served = service_module._EMBEDDED.stack.server.server_state  # uvicorn's counters
        x = np.array([0.3, 1.1, -0.4])

        def values(dev):
            @qml.qnode(dev, diff_method="parameter-shift")
            def circuit(x):
                qml.RX(x[0], 0)
                qml.RY(x[1], 1)
                qml.CNOT([0, 1])
                qml.RZ(x[2], 1)
                return qml.expval(qml.PauliZ(1) @ qml.PauliX(0)), qml.probs(wires=[0, 1])

            return circuit(x), qml.jacobian(lambda v: circuit(v)[0])(qml.numpy.array(x))

        direct = qml.device("qoro.maestro", wires=2, url="local")
        before = served.total_requests
        direct_values = values(direct)
        assert direct.client.stats.requests >= 2
        assert served.total_requests == before  # none of them went through uvicorn

        wire = qml.device("qoro.maestro", wires=2, url=embedded.url, api_key=embedded.token)
        wire_values = values(wire)
        assert served.total_requests - before == wire.client.stats.requests
        for a, b in zip(direct_values[0], wire_values[0], strict=True):
            assert np.allclose(a, b, atol=1e-12)
        assert np.allclose(direct_values[1], wire_values[1], atol=1e-12)

    def test_a_forked_child_reaches_the_parents_service_over_its_socket(self) -> None:
        import multiprocessing

        import numpy as np
        import pennylane as qml

        if "fork" not in multiprocessing.get_all_start_methods():
            pytest.skip("this platform cannot fork")
        dev = qml.device("qoro.maestro", wires=2, url="local")

        @qml.qnode(dev)
        def circuit(x):
            qml.RX(x, 0)
            qml.CNOT([0, 1])
            return qml.expval(qml.PauliZ(1))

        here = circuit(0.7)  # the client exists before the fork
        with multiprocessing.get_context("fork").Pool(2) as pool:
            there = pool.map(_call_in_child, [0.7, 1.3])
        assert np.isclose(there[0], here, atol=1e-12)
        assert np.isclose(there[1], np.cos(1.3), atol=1e-12)


_CHILD_DEVICE: list = []


def _call_in_child(x: float) -> float:
    """A QNode call in a forked pool worker, on a device made there (``url="local"``)."""
    import pennylane as qml

    if not _CHILD_DEVICE:
        _CHILD_DEVICE.append(qml.device("qoro.maestro", wires=2, url="local"))

    @qml.qnode(_CHILD_DEVICE[0])
    def circuit(v):
        qml.RX(v, 0)
        qml.CNOT([0, 1])
        return qml.expval(qml.PauliZ(1))

    return float(circuit(x))
