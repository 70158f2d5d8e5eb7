"""The package version, looked up once.

Every place that names the version (``pennylane_qoro.__version__``, the client's
``User-Agent``, the local service's ping and CLI) imports :data:`__version__` from here.
Imports only the standard library.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("pennylane-qoro")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0.0.0+unknown"
