"""Lazy public names (PEP 562), so importing a package does not import what it re-exports.

Used by the top-level package (the device pulls in PennyLane) and by ``client`` (the job API
pulls in ``requests``). Imports the standard library only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, namespace: dict[str, Any],
                 modules: Mapping[str, Iterable[str]]) -> tuple[Callable[[str], Any],
                                                                Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, loading each name on first use.

    Args:
        package (str): the package's ``__name__`` (relative module names resolve against it).
        namespace (dict): the package's ``globals()``; a loaded name is cached there.
        modules (Mapping[str, Iterable[str]]): relative module name -> the names it provides.

    Returns:
        tuple: ``(__getattr__, __dir__)`` for the package module.

    >>> ns = {}
    >>> getattr_, dir_ = lazy_exports("json", ns, {".decoder": ["JSONDecodeError"]})
    >>> getattr_("JSONDecodeError").__name__, "JSONDecodeError" in ns
    ('JSONDecodeError', True)
    """
    where = {name: module for module, names in modules.items() for name in names}

    def __getattr__(name: str) -> Any:
        if name in where:
            value = getattr(import_module(where[name], package), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__
