"""Hypothesis profiles of the fuzz suite.

* ``ci`` (the default): 10 000 examples per target -- every decoder, the QASM validator,
  template substitution and each JSON endpoint -- with the whole suite under ~90 s on 2 cores.
* ``long``: 200 000 examples per target, for a soak run before a release::

      HYPOTHESIS_PROFILE=long pytest tests/fuzz

* ``dev``: 300 examples per target, for a quick local check.

The profile is applied per test (``fuzz_settings`` in ``tests/fuzz/fuzzing.py``), never loaded
globally, so the other hypothesis tests of the suite keep their own settings. Deadlines are
off (shared CI machines); hangs are caught by the per-request timeout of the ASGI driver.

Every test of this directory is marked ``slow`` (``python -m pytest -m "not slow"`` skips the
fuzz suite; CI's plain ``python -m pytest`` runs it).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_HERE = Path(__file__).resolve().parent

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large,
                              HealthCheck.filter_too_much],
    "print_blob": True,
    "database": None,  # CI starts clean; print_blob gives the reproducer
}

settings.register_profile("ci", max_examples=10_000, **_COMMON)
settings.register_profile("long", max_examples=200_000, **_COMMON)
settings.register_profile("dev", max_examples=300, **_COMMON)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the fuzz targets ``slow`` (the hook sees the whole session: filter by path)."""
    for item in items:
        if _HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    """Print how many examples each fuzz target ran (the report quotes these numbers)."""
    from fuzzing import EXAMPLES, PROFILE, STATUSES

    if EXAMPLES:
        terminalreporter.section(f"fuzz examples per target (profile {PROFILE})")
        for target, n in sorted(EXAMPLES.items()):
            terminalreporter.write_line(f"{target:32s} {n:>8d}")
    if STATUSES:
        terminalreporter.section("fuzzed HTTP answers per endpoint and status class")
        for (what, klass), n in sorted(STATUSES.items()):
            terminalreporter.write_line(f"{what:32s} {klass}xx {n:>8d}")
