"""Tokens and credits (``store/ledger.py``): hashed tokens, debits once, refunds, amounts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from store_helpers import append, new_job, rows

from pennylane_qoro.local.store import InsufficientCredits, Store, format_amount, hash_token


class TestTokens:
    def test_only_the_hash_is_stored(self, tmp_path: Path) -> None:
        store = Store(tmp_path / "db.sqlite")
        token = store.create_token()
        store.close()
        raw = (tmp_path / "db.sqlite").read_bytes() + (
            (tmp_path / "db.sqlite-wal").read_bytes()
            if (tmp_path / "db.sqlite-wal").exists() else b"")
        assert token.encode() not in raw
        db = sqlite3.connect(tmp_path / "db.sqlite")
        assert db.execute("SELECT hash FROM tokens").fetchall() == [(hash_token(token),)]

    def test_unknown_token(self, store: Store) -> None:
        assert store.owner_of("nope") is None

    def test_token_made_by_another_connection_is_found(self, tmp_path: Path) -> None:
        a, b = Store(tmp_path / "db.sqlite"), Store(tmp_path / "db.sqlite")
        token = b.create_token()
        assert a.owner_of(token) == hash_token(token)

    def test_amount_format(self) -> None:
        assert [format_amount(v) for v in (0, 1, 10, 123456, -7)] == [
            "0.00", "0.01", "0.10", "1234.56", "-0.07"]


class TestLedger:
    def test_finalize_debits_once(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(2), finalize=False)
        append(store, job_id, owner, rows(3, start=2))
        assert store.credits(owner)["balance"] == "9.90"
        assert store.credits(owner)["total_used"] == "0.10"
        count, page = store.transactions(owner, page=1, page_size=10)
        assert count == 2 and page[0]["transaction_type"] == "USAGE"
        assert page[0]["amount"] == "-0.10" and page[0]["balance_after"] == "9.90"

    def test_insufficient_credits_fail_the_job(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        with pytest.raises(InsufficientCredits, match=r"costs 10\.02 credits"):
            append(store, job_id, owner, rows(501))
        assert store.status(job_id, owner)[0] == "FAILED"
        assert "insufficient credits" in store.status(job_id, owner)[2]
        assert store.credits(owner)["balance"] == "10.00"  # never negative, nothing debited

    def test_cancel_refunds_unrun_circuits(self, store: Store, owner: str) -> None:
        job_id = new_job(store, owner)
        append(store, job_id, owner, rows(4))
        work = store.claim(job_id)
        assert work is not None and len(work.pending) == 4
        assert store.save_results(job_id, [(0, "{}")], 0.1)
        assert store.cancel(job_id, owner) == 3
        assert store.credits(owner)["balance"] == "9.98"  # 4 debited, 3 refunded
        assert not store.save_results(job_id, [(1, "{}")], 0.1)  # no writes after cancel
        assert not store.finish(job_id, results=[], run_time=0.0)
        assert store.status(job_id, owner)[0] == "CANCELLED"
