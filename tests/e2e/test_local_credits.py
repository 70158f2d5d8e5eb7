"""End to end: the local service's credit ledger, as the client sees it.

The embedded service (``pennylane_qoro.local.start()``) is a free simulator on the user's
machine, so its token is granted enough credits that no local run ends in HTTP 402; services
from ``serve()`` / ``create_token`` / ``qoro-local token create`` keep the documented 1000.00, and
a balance that cannot pay answers 402, which the client raises as ``PaymentRequiredError``.
Real HTTP to the real local service, real Maestro.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from pennylane_qoro.client import JobSpec, QoroClient
from pennylane_qoro.client.errors import PaymentRequiredError, QoroHTTPError
from pennylane_qoro.local import create_token, serve, start

BELL = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n' \
    "measure q -> c;\n"


def _balance(client: QoroClient) -> Decimal:
    return Decimal(client.credits()["balance"])


def test_embedded_service_token_never_runs_out_locally():
    """Test the embedded service's token starts with 10**9 credits (minus what other tests of
    this process spent): a long local training run cannot hit 402."""
    url, token = start()
    client = QoroClient(url, token, progress=False)
    try:
        assert _balance(client) > Decimal(10**9) - Decimal(10**6)
        before = _balance(client)
        client.run(JobSpec(circuits=(("bell", BELL),), shots=100))
        assert Decimal(0) < before - _balance(client) < Decimal(10)  # the ledger still counts
    finally:
        client.close()


def test_other_tokens_keep_the_documented_grant(tmp_path):
    """Test serve() and create_token (qoro-local token create) still grant 1000.00."""
    with serve(workers=1) as service:
        client = QoroClient(service.url, service.token, progress=False)
        assert client.credits()["balance"] == "1000.00"
        client.close()
    db = tmp_path / "jobs.sqlite"
    token = create_token(db)
    with serve(db=db, workers=1) as service:
        client = QoroClient(service.url, token, progress=False)
        assert client.credits()["balance"] == "1000.00"
        client.close()


def test_402_is_a_payment_required_error():
    """Test a job the balance cannot pay: HTTP 402 from the service, raised as the typed
    PaymentRequiredError (a QoroHTTPError) with the service's message."""
    with serve(workers=1, grant=5) as service:
        client = QoroClient(service.url, service.token, progress=False)
        spec = JobSpec(circuits=tuple((f"c{i}", BELL) for i in range(3)), shots=1000)
        with pytest.raises(PaymentRequiredError, match="insufficient credits") as info:
            client.run(spec)
        assert isinstance(info.value, QoroHTTPError) and info.value.status == 402
        assert service.token not in str(info.value)
        client.close()
