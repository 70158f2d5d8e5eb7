"""Fixtures for the device end-to-end tests: one embedded Qoro service per session.

The device reaches it over real HTTP through the real client, and Maestro runs the circuits;
``default.qubit`` is the oracle.
"""

from __future__ import annotations

import pennylane as qml
import pytest


@pytest.fixture(scope="session")
def qoro_service():
    """The embedded local service, started the way ``url="local"`` starts it."""
    from pennylane_qoro.local import start

    return start()


@pytest.fixture
def make_device(qoro_service):
    """Factory: ``make_device(wires, **options)`` -> a ``qoro.maestro`` device on the service."""

    def _make(wires, **options):
        return qml.device(
            "qoro.maestro", wires=wires, url=qoro_service.url, api_key=qoro_service.token, **options
        )

    return _make
