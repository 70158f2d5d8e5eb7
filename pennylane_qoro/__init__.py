"""PennyLane device plugin for the Qoro Quantum platform.

Public names: :class:`QoroDevice` (registered with PennyLane as ``qoro.maestro``),
:func:`characterize` (QUBO/HUBO characterization), :func:`estimate` (what a call would submit
and cost, with nothing submitted; :class:`Estimate`) and ``__version__``.

All are imported lazily, so ``python -m pennylane_qoro.local`` (the embedded service) starts
without paying for PennyLane's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .characterization import characterize
    from .device import QoroDevice
    from .dry_run import Estimate, estimate

__all__ = ["Estimate", "QoroDevice", "__version__", "characterize", "estimate"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        ".device": ["QoroDevice"],
        ".characterization": ["characterize"],
        ".dry_run": ["Estimate", "estimate"],
    },
)
