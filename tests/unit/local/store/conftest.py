"""Fixtures of the store tests: a store on a fresh file, an owner with 10.00 credits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pennylane_qoro.local.store import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "jobs.sqlite")
    yield s
    s.close()


@pytest.fixture
def owner(store: Store) -> str:
    return store.owner_of(store.create_token(grant=1_000))
