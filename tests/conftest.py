"""Fixtures shared by the whole suite (style.md rule 12).

* ``local_service`` (session): the real local service, configured the way ``url="local"``
  configures the embedded one (127.0.0.1, an ephemeral port, the embedded grant, the default
  routers), on a database file in a temporary directory so tests can read what it stored,
  with the test-only routes (``job/create_failed/``) mounted.
* ``service`` (module): that service as seen by a fresh user -- a token of its own with the
  documented default grant -- so each test module starts with no jobs, an untouched balance
  and its own active-job limit, as it did with a server of its own.
* ``client``: a :class:`~pennylane_qoro.client.QoroClient` for ``service``, polling fast.
* ``isolated_env``: no ``QORO_API_KEY`` / ``QORO_API_URL`` from the environment and no
  ``.env`` file from the working directory.
* ``no_key_in_logs``: every logger captured at DEBUG; the test fails if ``secret_key`` (by
  default the ``service`` token; directories with their own service override it) shows up in
  any log line.

The service modules are imported inside the fixtures, so collecting a pure unit test does not
load FastAPI or Maestro.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pennylane_qoro.client import QoroClient
    from pennylane_qoro.local import LocalService


def pytest_configure(config: pytest.Config) -> None:
    """Ctrl+C semantics whatever started the suite.

    A shell without job control starts background commands (``cmd &``, nohup, some CI
    runners) with SIGINT ignored; Python then installs no KeyboardInterrupt handler and every
    child inherits the ignored signal, so the Ctrl+C tests would wait forever. Installing
    Python's own handler restores both: handled signals are reset to default in children.
    """
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def local_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalService]:
    """The real local service for the session (``url, token = local_service``)."""
    from pennylane_qoro.local import serve
    from pennylane_qoro.local.service import EMBEDDED_GRANT

    db = tmp_path_factory.mktemp("qoro-local") / "jobs.sqlite"
    with serve(db=db, grant=EMBEDDED_GRANT, test_routes=True) as svc:
        yield svc


@pytest.fixture(scope="module")
def service(local_service: LocalService) -> LocalService:
    """The shared service with a fresh token (default grant) for one test module."""
    from pennylane_qoro.local.store import DEFAULT_GRANT

    return dataclasses.replace(local_service, token=local_service.create_token(grant=DEFAULT_GRANT))


@pytest.fixture
def client(service: LocalService) -> Iterator[QoroClient]:
    """A client of ``service``: fast polling, no progress display."""
    from pennylane_qoro.client import QoroClient

    with QoroClient(service.url, api_key=service.token, progress=False, poll_interval=0.05,
                    first_poll=0.005) as c:
        yield c


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path):  # type: ignore[no-untyped-def]
    """No ambient QORO_* variables, and a fresh working directory with no ``.env`` file."""
    from pennylane_qoro.client.config import ENV_API_KEY, ENV_API_URL

    monkeypatch.delenv(ENV_API_KEY, raising=False)
    monkeypatch.delenv(ENV_API_URL, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def secret_key(service: LocalService) -> str:
    """The key ``no_key_in_logs`` watches for (override it where another key is used)."""
    return service.token


@pytest.fixture
def no_key_in_logs(caplog: pytest.LogCaptureFixture, secret_key: str) -> Iterator[None]:
    """Capture every logger at DEBUG (urllib3's included); the key must never appear."""
    caplog.set_level(logging.DEBUG)
    yield
    assert secret_key not in caplog.text
    for record in caplog.records:
        assert secret_key not in record.getMessage()


_JOURNALS = itertools.count()


@pytest.fixture(autouse=True)
def journal_path(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory,
                 ) -> Iterator[Path]:
    """Every test's devices journal to a file of their own (``$PENNYLANE_QORO_JOURNAL``), never
    to the user's cache folder; subprocesses a test starts inherit it. The value is the path (the
    file exists once a device has run a job); the journal is closed after the test."""
    from pennylane_qoro.client.journal import open_journal
    from pennylane_qoro.client.journal_store import ENV_JOURNAL

    path = tmp_path_factory.getbasetemp() / "journals" / f"journal-{next(_JOURNALS)}.sqlite"
    monkeypatch.setenv(ENV_JOURNAL, str(path))
    yield path
    open_journal(path).close()
