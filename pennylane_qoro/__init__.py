"""PennyLane device plugin for the Qoro Quantum platform.

Public names: :class:`QoroDevice` (registered with PennyLane as ``qoro.maestro``),
:func:`characterize` (QUBO/HUBO characterization) and ``__version__``.

Both are imported lazily, so ``python -m pennylane_qoro.local`` (the embedded service) starts
without paying for PennyLane's import.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from .characterization import characterize
    from .device import QoroDevice

_LAZY = {"QoroDevice": ".device", "characterize": ".characterization"}

__all__ = ["QoroDevice", "__version__", "characterize"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
