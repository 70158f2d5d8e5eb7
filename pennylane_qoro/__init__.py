"""PennyLane device plugin for the Qoro Quantum platform."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pennylane-qoro")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

from .device import QoroDevice

__all__ = ["QoroDevice", "__version__"]
