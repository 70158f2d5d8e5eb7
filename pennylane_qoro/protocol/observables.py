"""``@gzs`` observables (qoro-api.md §3.4): groups of dense Pauli terms, both directions.

A group of dense terms (character i acts on qubit i) travels as ``@gzs<n>:`` followed by the
gzip+base64 text (``protocol.text``) of its ``;``-joined sparse terms (``ZIIZ`` -> ``Z0Z3``,
all-I -> ``I``); groups are joined by ``|``. :func:`encode_observables` and
:func:`decode_observables` are the pair, :func:`validate_pauli_terms` the shared check.

Imports the standard library, numpy and ``protocol`` only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .errors import PayloadError, WireDecodeError
from .text import compress_text, decompress_text
from .vocabulary import MAX_QH2_BITS

__all__ = [
    "MAX_DENSE_CHARS",
    "MAX_OBSERVABLE_QUBITS",
    "decode_observables",
    "encode_group",
    "encode_observables",
    "validate_pauli_terms",
]

_PAULI = frozenset("IXYZ")
_SPARSE_TERM = re.compile(r"(?:[IXYZ][0-9]+)+")  # ASCII digits: \d would accept other scripts
_SPARSE_PAIR = re.compile(r"([IXYZ])([0-9]+)")
_GZS_HEAD = re.compile(r"@gzs([0-9]+):")
MAX_OBSERVABLE_QUBITS = MAX_QH2_BITS
"""Widest observable group ``decode_observables`` accepts."""
MAX_DENSE_CHARS = 64 << 20
"""Largest total size of the dense terms ``decode_observables`` builds (a hostile ``@gzs`` of
a few bytes could otherwise ask for gigabytes)."""


def validate_pauli_terms(terms: Sequence[str]) -> int:
    """Check dense Pauli terms (character i acts on qubit i) and return their common length.

    Args:
        terms (Sequence[str]): non-empty strings over ``IXYZ``, all of one length.

    Returns:
        int: the common length (the qubit count of the group).

    Raises:
        PayloadError: (a ``ValueError``) naming the first bad term.

    >>> validate_pauli_terms(["ZZI", "IXY"])
    3
    """
    if isinstance(terms, str) or not len(terms):
        raise PayloadError("a Pauli group needs at least one term (a sequence of strings)")
    n = len(terms[0]) if isinstance(terms[0], str) else 0
    for pos, term in enumerate(terms):
        if not isinstance(term, str) or not term or not _PAULI.issuperset(term):
            raise PayloadError(f"Pauli term {pos} {term!r} is not a non-empty string over IXYZ")
        if len(term) != n:
            raise PayloadError(
                f"Pauli term {pos} {term!r} has length {len(term)}, the group's terms have {n}"
            )
    return n


def _sparse_group(terms: Sequence[str], n: int) -> bytes:
    """Dense terms -> ``;``-joined sparse terms (``ZIIZ`` -> ``Z0Z3``, all-I -> ``I``)."""
    m = len(terms)
    grid = np.frombuffer("".join(terms).encode("ascii"), dtype=np.uint8).reshape(m, n)
    mask = grid != ord("I")
    rows, cols = np.nonzero(mask)  # row-major: ascending qubit index within each term
    digits = [str(i).encode("ascii") for i in range(n)]
    ndig = np.array([len(d) for d in digits], dtype=np.int64)
    table = np.zeros((n, int(ndig.max())), dtype=np.uint8)
    for i, d in enumerate(digits):
        table[i, : len(d)] = np.frombuffer(d, dtype=np.uint8)
    tok_len = 1 + ndig[cols]
    per_row = np.bincount(rows, weights=tok_len, minlength=m).astype(np.int64)  # exact < 2**53
    empty = per_row == 0
    row_len = np.where(empty, 1, per_row)
    row_start = np.concatenate([[0], np.cumsum(row_len + 1)[:-1]])
    out = np.full(int(row_start[-1] + row_len[-1]), ord(";"), dtype=np.uint8)
    out[row_start[empty]] = ord("I")
    tok_excl = np.cumsum(tok_len) - tok_len
    row_excl = np.concatenate([[0], np.cumsum(per_row)[:-1]])
    tok_start = row_start[rows] + tok_excl - row_excl[rows]
    out[tok_start] = grid[rows, cols]
    for j in range(table.shape[1]):
        sel = ndig[cols] > j
        out[tok_start[sel] + 1 + j] = table[cols[sel], j]
    return out.tobytes()


def encode_observables(groups: Sequence[Sequence[str]]) -> str:
    """Encode groups of dense Pauli terms as the ``observables`` wire string (§3.4).

    Args:
        groups (Sequence[Sequence[str]]): one sequence of dense terms per ``|`` group.

    Returns:
        str: ``"@gzs<n>:<b64>|@gzs<m>:<b64>..."``.

    Raises:
        PayloadError: no groups, or a bad term (see :func:`validate_pauli_terms`).

    >>> decode_observables(encode_observables([["ZZII", "IZIZ", "IIII"], ["XI", "IY"]]))
    [['ZZII', 'IZIZ', 'IIII'], ['XI', 'IY']]
    """
    if isinstance(groups, str) or not len(groups):
        raise PayloadError("observables need at least one group of Pauli terms")
    encoded = []
    for g, terms in enumerate(groups):
        try:
            if isinstance(terms, str) or not all(isinstance(t, str) for t in terms):
                validate_pauli_terms(terms)  # raises, naming the bad term
            encoded.append(encode_group(tuple(terms)))
        except PayloadError as exc:
            raise PayloadError(f"observable group {g}: {exc}") from None
    return "|".join(encoded)


@lru_cache(maxsize=64)
def encode_group(terms: tuple[str, ...]) -> str:
    """One group as ``@gzs<n>:<b64>``, remembered per group (the device sizes a group when it
    plans a batch and the client encodes it again for the request; repeated calls of one
    circuit structure send the same groups).

    Raises:
        PayloadError: a bad term (see :func:`validate_pauli_terms`).

    >>> encode_group(("ZI", "IZ")) == encode_observables([["ZI", "IZ"]])
    True
    """
    n = validate_pauli_terms(terms)
    return f"@gzs{n}:{compress_text(_sparse_group(list(terms), n).decode('ascii'))}"


def decode_observables(wire: str) -> list[list[str]]:
    """Decode an ``observables`` wire string into dense terms per group (§3.4).

    Args:
        wire (str): ``"@gzs<n>:<b64>|..."``.

    Returns:
        list[list[str]]: dense terms (character i = qubit i) per group, in wire order.

    Raises:
        WireDecodeError: a missing ``@gzs<n>:`` head, bad base64/gzip, a malformed sparse term,
            a qubit index >= n, a qubit named twice in one term, a group wider than
            :data:`MAX_OBSERVABLE_QUBITS`, or dense terms over :data:`MAX_DENSE_CHARS` in all.
    """
    if not isinstance(wire, str) or not wire:
        raise WireDecodeError("observables must be a non-empty string")
    groups = []
    size = 0
    for g, part in enumerate(wire.split("|")):
        head = _GZS_HEAD.match(part)
        if head is None:
            raise WireDecodeError(f"observable group {g} does not start with '@gzs<n>:'")
        digits = head.group(1)
        n = int(digits) if len(digits) <= 8 else MAX_OBSERVABLE_QUBITS + 1
        if n == 0:
            raise WireDecodeError(f"observable group {g} declares 0 qubits")
        if n > MAX_OBSERVABLE_QUBITS:
            raise WireDecodeError(
                f"observable group {g} declares {digits[:12]} qubits; the limit is "
                f"{MAX_OBSERVABLE_QUBITS}"
            )
        terms = decompress_text(part[head.end() :], max_bytes=MAX_DENSE_CHARS).split(";")
        size += n * len(terms)
        if size > MAX_DENSE_CHARS:
            raise WireDecodeError(
                f"observables expand to more than {MAX_DENSE_CHARS} characters of dense terms"
            )
        groups.append([_dense_term(t, n, g) for t in terms])
    return groups


def _dense_term(sparse: str, n: int, group: int) -> str:
    if sparse == "I":
        return "I" * n
    if not _SPARSE_TERM.fullmatch(sparse):
        raise WireDecodeError(f"observable group {group}: malformed sparse term {sparse[:80]!r}")
    dense = ["I"] * n
    seen = set()
    for letter, index in _SPARSE_PAIR.findall(sparse):
        q = int(index) if len(index) <= 8 else n  # longer digit runs are out of range anyway
        if q >= n:
            raise WireDecodeError(
                f"observable group {group}: term {sparse[:80]!r} names qubit {index[:12]} >= {n}"
            )
        if q in seen:
            raise WireDecodeError(
                f"observable group {group}: term {sparse[:80]!r} names qubit {q} twice"
            )
        seen.add(q)
        dense[q] = letter
    return "".join(dense)
