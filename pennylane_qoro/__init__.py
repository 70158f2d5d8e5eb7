"""PennyLane device plugin for the Qoro Quantum platform.

Public names: :class:`QoroDevice` (registered with PennyLane as ``qoro.maestro``),
:func:`characterize` (QUBO/HUBO characterization) and ``__version__``.

Both are imported lazily, so ``python -m pennylane_qoro.local`` (the embedded service) starts
without paying for PennyLane's import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

if TYPE_CHECKING:
    from .characterization import characterize
    from .device import QoroDevice

__all__ = ["QoroDevice", "__version__", "characterize"]

__getattr__, __dir__ = lazy_exports(
    __name__, globals(), {".device": ["QoroDevice"], ".characterization": ["characterize"]}
)
