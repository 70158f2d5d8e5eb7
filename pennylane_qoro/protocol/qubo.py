"""Characterization QUBO payloads (characterization.md §1.4, §1.5), both directions.

* the legacy comma-key dict: :func:`encode_legacy_qubo`, :func:`decode_legacy_qubo`,
  :func:`decode_legacy_key`;
* the ``factored_v1`` envelope of Q = F diag(signs) F^T + diag(d): :func:`encode_factored_qubo`,
  :func:`decode_factored_qubo`;
* :func:`decode_json_number`, the rule every JSON coefficient (and numeric option) obeys.

Which encoding to send is the characterization helper's choice, not this module's.

Imports the standard library, numpy and ``protocol.errors`` only.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping
from typing import Any

import numpy as np

from .errors import WireDecodeError, WireFieldError

__all__ = [
    "FACTORED_FORMAT",
    "decode_factored_qubo",
    "decode_json_number",
    "decode_legacy_key",
    "decode_legacy_qubo",
    "encode_factored_qubo",
    "encode_legacy_qubo",
]

FACTORED_FORMAT = "factored_v1"
"""The ``_format`` marker of the factored QUBO envelope (characterization.md §1.5)."""

_FACTORED_KEYS = frozenset({"_format", "n", "k", "F", "signs", "diag"})
_LEGACY_KEY = re.compile(r"[0-9]+(?:,[0-9]+)*")  # ASCII digits: \d would accept other scripts
_HEX = re.compile(r"[0-9a-fA-F]*")


def encode_legacy_qubo(terms: Mapping[tuple[int, ...], float]) -> dict[str, float]:
    """The legacy comma-key dict (characterization.md §1.4), keys in ascending tuple order.

    Each key is its ascending wire indices joined by ``,`` (a linear term is ``"i"``); the
    value is the whole coefficient of that monomial. The empty tuple (a constant) is written as
    the seed's ``""`` key; the current client never sends one (§1.3).

    Args:
        terms (Mapping[tuple[int, ...], float]): ``{strictly ascending non-negative index tuple:
            finite coefficient}``; any degree (a key of three or more indices makes a HUBO).

    Returns:
        dict[str, float]: the wire dict.

    Raises:
        ValueError: a key that is not a strictly ascending tuple of non-negative ints, or a
            coefficient that is not a finite real number.

    >>> encode_legacy_qubo({(0, 1): 2.0, (0,): -1.0})
    {'0': -1.0, '0,1': 2.0}
    """
    bad = next((key for key in terms if not _ascending_indices(key)), None)
    if bad is not None:
        raise ValueError(
            f"QUBO term {bad!r}: a key must be a strictly ascending tuple of non-negative ints"
        )
    items = sorted(terms.items())
    coefs = np.array([float(c) for _, c in items], dtype=np.float64)
    if not np.all(np.isfinite(coefs)):
        key, value = items[int(np.flatnonzero(~np.isfinite(coefs))[0])]
        raise ValueError(f"QUBO term {key!r}: coefficient {value!r} is not finite")
    return dict(zip((",".join(map(str, k)) for k, _ in items), coefs.tolist(), strict=True))


def _ascending_indices(key: Any) -> bool:
    """A strictly ascending tuple of non-negative ints (the empty tuple included)."""
    if type(key) is not tuple:
        return False
    if not all(type(i) is int or isinstance(i, np.integer) for i in key):
        return False  # bool is a subclass of int, hence the exact type test
    return not key or (key[0] >= 0 and all(map(operator.lt, key, key[1:])))


def decode_legacy_key(key: str) -> tuple[int, ...]:
    """The monomial of one comma key: ascending, repeats collapsed (x_i^2 = x_i, §1.4).

    ``"i"`` and ``"i,i"`` both mean the linear term, a key may list its indices in any order,
    and the seed's empty key ``""`` is the constant (the empty tuple).

    Raises:
        WireDecodeError: the key is not a string of comma-joined non-negative (ASCII) integers.

    >>> decode_legacy_key("3,1,3")
    (1, 3)
    """
    idx = _legacy_indices(key)
    if idx is None:
        raise WireDecodeError(
            f"malformed QUBO key {key!r}: expected comma-joined non-negative indices"
        )
    return idx


def _legacy_indices(key: Any) -> tuple[int, ...] | None:
    if not isinstance(key, str):
        return None
    if key == "":
        return ()
    if not _LEGACY_KEY.fullmatch(key):
        return None
    return tuple(sorted({int(p) for p in key.split(",")}))


def decode_legacy_qubo(
    qubo: Mapping[str, Any], *, name: str = "qubo"
) -> dict[tuple[int, ...], float]:
    """Read a legacy comma-key dict (characterization.md §1.4) into ``{index tuple: coef}``.

    Keys are read by :func:`decode_legacy_key`; keys naming the same monomial (``"0,1"`` and
    ``"1,0"``, or ``"0"`` and ``"0,0"``) add up, as the server does. Values must be JSON
    numbers (not booleans) and finite. The constant, if the seed's ``""`` key is present, is
    the entry of the empty tuple.

    Args:
        qubo (Mapping[str, Any]): the decoded JSON object.
        name (str): the payload's field name, used to locate errors (``qubo['0,x']``).

    Returns:
        dict[tuple[int, ...], float]: ascending index tuples to summed coefficients.

    Raises:
        WireFieldError: a :class:`WireDecodeError` whose ``field`` is the bad entry
            (``f"{name}[{key!r}]"``) or ``name`` when the payload is not an object.

    >>> decode_legacy_qubo({"1,0": 2.0, "0,0": -1.0, "0": 0.5})
    {(0, 1): 2.0, (0,): -0.5}
    """
    if not isinstance(qubo, Mapping):
        raise WireFieldError(name, "must be a JSON object of comma-joined index keys")
    terms: dict[tuple[int, ...], float] = {}
    for key, value in qubo.items():
        where = f"{name}[{key!r}]"
        if not isinstance(key, str):
            raise WireFieldError(where, "keys must be strings of comma-joined indices")
        coef = decode_json_number(value, name=where)
        idx = _legacy_indices(key)
        if idx is None:
            raise WireFieldError(where, "malformed key: expected comma-joined non-negative indices")
        terms[idx] = terms.get(idx, 0.0) + coef
    return terms


def decode_json_number(value: Any, *, name: str) -> float:
    """A coefficient read from JSON: an int or float (never a bool), finite, as a float.

    The rule of every QUBO coefficient (§1.4); the local service applies it to the numeric
    options too.

    Raises:
        WireFieldError: a :class:`WireDecodeError` whose ``field`` is ``name``.

    >>> decode_json_number(2, name="qubo['0']")
    2.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WireFieldError(name, f"coefficient must be a number, got {type(value).__name__}")
    v = float(value)
    if not np.isfinite(v):
        raise WireFieldError(name, f"coefficient must be finite, got {value!r}")
    return v


def encode_factored_qubo(F: Any, signs: Any, diag: Any) -> dict[str, Any]:
    """The ``factored_v1`` envelope of Q = F diag(signs) F^T + diag(d) (characterization.md §1.5).

    ``F`` and ``d`` travel as raw little-endian float64 bytes in lowercase hex, ``F`` row-major
    (element F[i][j] at byte 8 (i k + j)); the spec leaves byte order to the platform, this
    encoder writes ``<f8`` explicitly. Choosing the factors (eigendecomposition, truncation) is
    the caller's business; this function only checks and writes them.

    Args:
        F (array-like): the n x k factor matrix, 0 <= k <= n (shape (n, 0) or empty for k = 0).
        signs (array-like): k values, each exactly 1.0 or -1.0.
        diag (array-like): the length-n diagonal vector d, n >= 1.

    Returns:
        dict[str, Any]: ``{"_format": "factored_v1", "n", "k", "F", "signs", "diag"}``.

    Raises:
        ValueError: shapes that disagree, k > n, a sign other than +-1, or non-finite values.

    >>> env = encode_factored_qubo([[-0.5, 0.5], [0.5, 0.5]], [-1.0, 1.0], [1.0, 2.0])
    >>> env["k"], env["diag"]
    (2, '000000000000f03f0000000000000040')
    """
    d = np.asarray(diag, dtype=np.float64)
    if d.ndim != 1 or d.size == 0:
        raise ValueError(f"factored_v1 diag must be a non-empty vector, got shape {d.shape}")
    n = d.size
    f = np.asarray(F, dtype=np.float64)
    if f.size == 0:
        f = f.reshape(n, 0)
    if f.ndim != 2 or f.shape[0] != n or f.shape[1] > n:
        raise ValueError(f"factored_v1 F must have shape (n={n}, k <= n), got {f.shape}")
    k = f.shape[1]
    s = np.asarray(signs, dtype=np.float64).reshape(-1)
    if s.size != k or not np.all(np.abs(s) == 1.0):
        raise ValueError(f"factored_v1 signs must be {k} values of 1.0 or -1.0")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(d))):
        raise ValueError("factored_v1 F and diag must be finite")
    return {
        "_format": FACTORED_FORMAT,
        "n": int(n),
        "k": int(k),
        "F": np.ascontiguousarray(f, dtype="<f8").tobytes().hex(),
        "signs": s.tolist(),
        "diag": np.ascontiguousarray(d, dtype="<f8").tobytes().hex(),
    }


def decode_factored_qubo(envelope: Mapping[str, Any], *, name: str = "qubo") -> np.ndarray:
    """The symmetric matrix Q = F diag(signs) F^T + diag(d) of a ``factored_v1`` envelope.

    Strict (§1.5): exactly the six keys, integer ``n >= 1`` and ``0 <= k <= n``, ``signs`` a
    list of k values each 1 or -1, ``F`` and ``diag`` hex strings of exactly 16 n k and 16 n
    characters holding finite little-endian float64. The caller bounds ``n`` before calling
    when it must (Q takes 8 n^2 bytes). A truncated (lossy) envelope looks the same (§1.5).

    Args:
        envelope (Mapping[str, Any]): the decoded JSON object.
        name (str): the payload's field name, used to locate errors (``qubo.F``).

    Returns:
        np.ndarray: the (n, n) float64 matrix, symmetrised against round-off.

    Raises:
        WireFieldError: a :class:`WireDecodeError` whose ``field`` is the bad member
            (``f"{name}.F"``, ...) or ``name`` for unknown or missing keys.

    >>> decode_factored_qubo(encode_factored_qubo([[1.0], [1.0]], [1.0], [0.0, 0.0])).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """
    if not isinstance(envelope, Mapping):
        raise WireFieldError(name, "must be a JSON object")
    if envelope.get("_format") != FACTORED_FORMAT:
        raise WireFieldError(f"{name}._format", f"unknown format {envelope.get('_format')!r}")
    extra = set(envelope) - _FACTORED_KEYS
    if extra:
        raise WireFieldError(name, f"unknown factored_v1 keys: {sorted(extra, key=str)}")
    missing = _FACTORED_KEYS - set(envelope)
    if missing:
        raise WireFieldError(name, f"factored_v1 is missing {sorted(missing)}")
    n, k = envelope["n"], envelope["k"]
    for member, v in (("n", n), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise WireFieldError(f"{name}.{member}", "must be an integer")
    if n < 1:
        raise WireFieldError(f"{name}.n", "must be >= 1")
    if not 0 <= k <= n:
        raise WireFieldError(f"{name}.k", f"must be in [0, n={n}], got {k}")
    signs = envelope["signs"]
    if not isinstance(signs, list) or len(signs) != k:
        raise WireFieldError(f"{name}.signs", f"must be a list of k={k} values")
    if any(
        isinstance(s, bool) or not isinstance(s, (int, float)) or s not in (1, -1) for s in signs
    ):
        raise WireFieldError(f"{name}.signs", "every sign must be 1.0 or -1.0")
    F = _hex_float64(envelope["F"], n * k, f"{name}.F").reshape(n, k)
    d = _hex_float64(envelope["diag"], n, f"{name}.diag")
    Q = (F * np.asarray(signs, dtype=np.float64)) @ F.T
    Q = 0.5 * (Q + Q.T)
    Q[np.diag_indices(n)] += d
    return Q


def _hex_float64(text: Any, count: int, where: str) -> np.ndarray:
    """``count`` little-endian float64 from exactly 16 ``count`` hex digits, all finite."""
    if not isinstance(text, str):
        raise WireFieldError(where, "must be a hex string")
    if len(text) != 16 * count:
        raise WireFieldError(where, f"hex length {len(text)} != 16 * {count}")
    if not _HEX.fullmatch(text):  # bytes.fromhex would skip whitespace and shift the layout
        raise WireFieldError(where, "is not valid hex")
    arr = np.frombuffer(bytes.fromhex(text), dtype="<f8").astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise WireFieldError(where, "contains non-finite values")
    return arr
