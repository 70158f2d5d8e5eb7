"""Bounds on what a request may carry: integers, parameter values and JSON nesting.

One place for the limits every route shares, so no hostile number or nesting reaches SQLite,
``float()`` or the recursion limit as a 500:

* :data:`SqlInt`, :data:`Number`: pydantic field types. ``SqlInt`` is a strict integer that
  fits SQLite's signed 64-bit ``INTEGER`` (shots, ranges); ``Number`` a strict number that
  converts to a float (template parameter values: ``10**400`` is valid JSON but no angle).
  Out of range is a validation error naming the field (400).
* :func:`query_int`: the same bound on an integer query parameter (``?page=``, ``?offset=``).
* :func:`parse_json`: THE JSON parser of request bodies read by hand (``add_circuits/``,
  ``execution_config/``, ``submit_qubo/``): invalid JSON, nesting over :data:`MAX_JSON_DEPTH`
  and non-finite constants raise :class:`JsonBodyError` (a ``ValueError``, 400) instead of
  ``RecursionError``. Bodies FastAPI parses (``job/init/``) are refused by FastAPI itself.
  Size abuse is bounded before parsing by the body cap (``middleware.BodyLimit``) and by
  Python's integer-digit limit (an error here too).

Imports pydantic, FastAPI and the standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Query
from pydantic import AfterValidator, Field, StrictFloat, StrictInt

__all__ = [
    "MAX_JSON_DEPTH",
    "SQL_INT_MAX",
    "SQL_INT_MIN",
    "JsonBodyError",
    "Number",
    "SqlInt",
    "parse_json",
    "query_int",
]

SQL_INT_MAX = 2**63 - 1
"""Largest integer SQLite stores (signed 64-bit ``INTEGER``)."""
SQL_INT_MIN = -(2**63)
"""Smallest integer SQLite stores."""
MAX_JSON_DEPTH = 64
"""Deepest nesting of arrays and objects accepted in a request body (the protocol's deepest
field is 4 levels down; 64 leaves room for free-form option dictionaries)."""


def _finite_float(value: float) -> float:
    try:
        float(value)
    except OverflowError:
        raise ValueError("integer too large to be a number (the largest is about 1.8e308)") \
            from None
    return value


SqlInt = Annotated[StrictInt, Field(ge=SQL_INT_MIN, le=SQL_INT_MAX)]
"""A strict integer SQLite can store."""
Number = Annotated[StrictFloat | StrictInt, AfterValidator(_finite_float)]
"""A strict JSON number that converts to a float (an integer may be too large to)."""


def query_int(*, ge: int) -> Any:
    """An integer query parameter in ``[ge, SQL_INT_MAX]``: ``Annotated[int, query_int(ge=0)]``.

    Over the bound is a 400 naming the parameter (``query.offset: Input should be ...``).
    """
    return Query(ge=ge, le=SQL_INT_MAX)


class JsonBodyError(ValueError):
    """A request body that is not acceptable JSON (400); the message says why."""


def _reject_constant(name: str) -> float:
    raise JsonBodyError(f"{name} is not valid JSON (non-finite numbers are refused)")


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON (at most MAX_JSON_DEPTH + 1), iteratively."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = node.values()
        elif not isinstance(node, list):
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        stack.extend((child, depth + 1) for child in node
                     if isinstance(child, dict | list))
    return deepest


def parse_json(body: bytes | str, *,
               object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None,
               check_depth: bool = True, finite: bool = True) -> Any:
    """Parse a request body, refusing abuse with :class:`JsonBodyError`.

    Nesting deeper than the interpreter's recursion limit is always refused (the parser's
    ``RecursionError``); ``check_depth`` also walks the parsed value (linear in its containers,
    ~2 s for a 700 000-row upload, so a route whose model fixes every field's shape -- deeper
    nesting fails validation -- passes ``False``, and ``finite=False`` so that the model, which
    refuses NaN and infinities, names the field that carried one).

    Args:
        body (bytes | str): the raw body.
        object_pairs_hook: passed to :func:`json.loads` (e.g. to refuse repeated keys); a
            ``ValueError`` it raises propagates unchanged.
        check_depth (bool): refuse nesting deeper than :data:`MAX_JSON_DEPTH`.
        finite (bool): refuse ``NaN``, ``Infinity`` and ``-Infinity``.

    Returns:
        Any: the parsed value.

    Raises:
        JsonBodyError: not JSON, not text, ``NaN``/``Infinity``, an integer of over 4300 digits, or
            nesting deeper than :data:`MAX_JSON_DEPTH`.

    >>> parse_json(b'{"a": [1, 2]}')
    {'a': [1, 2]}
    >>> parse_json(b"[" * 100000 + b"]" * 100000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pennylane_qoro.local.bounds.JsonBodyError: request body nests ... deeper than 64 levels
    """
    try:
        value = json.loads(body, object_pairs_hook=object_pairs_hook,
                           parse_constant=_reject_constant if finite else None)
    except RecursionError:
        value, too_deep = None, True
    except JsonBodyError:
        raise
    except UnicodeDecodeError as exc:  # json.loads guesses UTF-8/16/32 from the first bytes
        raise JsonBodyError(f"request body is not UTF-8 JSON text: {exc.reason} at byte "
                            f"{exc.start}") from None
    except ValueError as exc:
        if type(exc) is not json.JSONDecodeError and object_pairs_hook is not None \
                and "digits" not in str(exc):
            raise  # the hook's own refusal
        raise JsonBodyError(f"request body is not valid JSON: {exc}") from None
    else:
        too_deep = check_depth and _depth(value) > MAX_JSON_DEPTH
    if too_deep:
        raise JsonBodyError(
            f"request body nests arrays/objects deeper than {MAX_JSON_DEPTH} levels"
        )
    return value
