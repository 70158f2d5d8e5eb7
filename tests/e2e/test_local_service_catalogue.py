"""The local service's catalogue routes over real HTTP: ping, targets, credits (§2.1-2.6)."""

from __future__ import annotations

import pytest
from local_api import Api, qasm

from pennylane_qoro.local import LocalService


@pytest.fixture(scope="module")
def api(service: LocalService) -> Api:
    """The protocol speaker for this module's user (``service`` is in tests/conftest.py)."""
    return Api(service.url, service.token)


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
