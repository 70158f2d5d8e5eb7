"""Timing helpers: warm-up, then the median of several repetitions."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], reps: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``reps`` runs, after ``warmup`` untimed runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict:
    """What the numbers were measured on."""
    import os
    import platform
    from importlib.metadata import version

    import maestro  # noqa: F401  (version below)
    import pennylane as qml

    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "pennylane": qml.__version__,
        "qoro-maestro": version("qoro-maestro"),
        "pennylane-qoro": version("pennylane-qoro"),
    }
