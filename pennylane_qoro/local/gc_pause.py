"""Keep the cyclic garbage collector from freezing the service while a large body is handled.

Parsing, validating and storing a 700 000-row ``add_circuits/`` body allocates millions of
objects. CPython runs a full (generation 2) collection each time the tracked heap grows by a
quarter, and one full collection walks every object of the process with the interpreter lock
held: measured on such an upload, a dozen collections of 0.1-1 s each, during which the event
loop answers no request at all (every token's ``status/`` polls stall). Nothing in that work
creates reference cycles -- its objects are freed by reference counting -- so the collector is
paused while at least one large body is being handled, and resumed (if it was on) when the last
one ends. Freeing such a body is done in slices for the same reason (:func:`release`).

Imports only the standard library.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator, MutableSequence
from contextlib import contextmanager
from typing import Any, TypeVar

__all__ = ["RELEASE_SLICE", "handled", "paused_gc", "release"]

T = TypeVar("T")

RELEASE_SLICE = 2000
"""Items freed per step by :func:`release` (each step a short, interruptible C call)."""

_lock = threading.Lock()
_holders = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection while the block runs (nests across threads; restores the
    collector's previous state when the last block ends).

    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    """
    global _holders, _was_enabled
    with _lock:
        if _holders == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0 and _was_enabled:
                gc.enable()


def handled(size: int, work: Callable[[list[Any]], T], *, threshold: int) -> T:
    """``work(held)`` for a body of ``size`` bytes. Over ``threshold`` it runs with the
    collector paused, and the large containers ``work`` appends to ``held`` are freed in
    slices afterwards (the routes that take large bodies share this)."""
    held: list[Any] = []
    if size <= threshold:
        return work(held)
    with paused_gc():
        try:
            return work(held)
        finally:
            release(*held)


def release(*containers: MutableSequence | dict | None) -> None:
    """Empty large lists and dicts a slice at a time.

    Dropping the last reference to a 700 000-item list frees every item in one C call (about
    a second with the interpreter lock held); deleting slices lets other threads run between
    steps.

    >>> rows = list(range(5000))
    >>> release(rows, None)
    >>> rows
    []
    """
    for container in containers:
        if isinstance(container, dict):
            while container:
                keys = [key for key, _ in zip(container, range(RELEASE_SLICE), strict=False)]
                for key in keys:
                    del container[key]
        elif container is not None:
            while container:
                del container[-RELEASE_SLICE:]
