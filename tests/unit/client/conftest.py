"""Fixtures of the client's unit tests: the fake Qoro service and a client bound to it."""

from __future__ import annotations

import pytest
from fake_qoro import TOKEN, FakeQoro, ServerThread

from pennylane_qoro.client import QoroClient


@pytest.fixture(scope="session")
def _fake_server():
    app = FakeQoro()
    with ServerThread(app) as url:
        app.url = url
        yield app


@pytest.fixture
def fake(_fake_server) -> FakeQoro:
    """The running fake service, reset to a clean state for each test."""
    _fake_server.reset()
    return _fake_server


@pytest.fixture
def client(fake: FakeQoro):
    """A QoroClient on the fake service with fast polling and no progress display."""
    c = QoroClient(fake.url, api_key=TOKEN, progress=False, poll_interval=0.05, first_poll=0.005)
    yield c
    c.close()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No ambient QORO_* variables or .env files leak into client tests."""
    monkeypatch.delenv("QORO_API_KEY", raising=False)
    monkeypatch.delenv("QORO_API_URL", raising=False)
    monkeypatch.chdir(tmp_path)
