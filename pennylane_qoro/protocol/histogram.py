"""QH1 / QH2 histogram envelopes (qoro-api.md §4.3, §4.4), both directions.

:func:`encode_histogram` / :func:`encode_counts` write an envelope
``{"encoding": "qh1"|"qh2", "n_bits": n, "payload": "<base64>"}`` (QH1 up to 255 bits, QH2 up
to :data:`MAX_QH2_BITS`); :func:`decode_histogram_arrays` (the fast path) and
:func:`decode_histogram` (the reference client's reading of a result row) read one back,
strictly: every corruption is a :class:`WireDecodeError`.

The hot loops (varints in ``_varint.py``, run-length flags, key formatting) are vectorised with
numpy; widths up to 64 bits use ``uint64`` arrays, wider histograms use Python integers.

Imports the standard library, numpy and ``protocol`` only.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from ._varint import Reader, uleb_scalar, uleb_u64, uleb_wide
from .errors import WireDecodeError
from .vocabulary import MAX_QH2_BITS

__all__ = [
    "MAX_QH2_BITS",
    "decode_histogram",
    "decode_histogram_arrays",
    "encode_counts",
    "encode_histogram",
]

_MAGIC = {b"QH1": "qh1", b"QH2": "qh2"}


def _normalise_histogram(
    indices: Iterable[int] | np.ndarray, counts: Iterable[int] | np.ndarray, n_bits: int
) -> tuple[np.ndarray | list[int], np.ndarray | list[int]]:
    """Sorted unique indices and their summed counts; uint64 arrays up to 64 bits."""
    if isinstance(n_bits, bool) or not isinstance(n_bits, (int, np.integer)) or n_bits < 0:
        raise ValueError(f"n_bits must be a non-negative int, got {n_bits!r}")
    if n_bits > MAX_QH2_BITS:
        raise ValueError(f"n_bits={n_bits} exceeds the QH2 limit of {MAX_QH2_BITS}")
    idx_list = list(indices) if not isinstance(indices, np.ndarray) else indices
    cnt_list = list(counts) if not isinstance(counts, np.ndarray) else counts
    if len(idx_list) != len(cnt_list):
        raise ValueError(f"{len(idx_list)} indices but {len(cnt_list)} counts")
    if n_bits <= 64:
        idx = _as_u64(idx_list, "index")
        cnt = _as_u64(cnt_list, "count")
        if idx.size and n_bits < 64 and int(idx.max()) >> n_bits:
            raise ValueError(f"an index is >= 2**{n_bits}")
        if cnt.size and int(cnt.min()) == 0:
            raise ValueError("counts must be > 0 (QH1/QH2 cannot represent zero counts)")
        order = np.argsort(idx, kind="stable")
        idx, cnt = idx[order], cnt[order]
        if idx.size > 1 and np.any(idx[1:] == idx[:-1]):  # duplicates are summed
            uniq, first = np.unique(idx, return_index=True)
            cnt = np.add.reduceat(cnt, first)
            idx = uniq
        return idx, cnt
    merged: dict[int, int] = {}
    for i, c in zip(idx_list, cnt_list, strict=True):
        i, c = _as_int(i, "index"), _as_int(c, "count")
        if i >> n_bits:
            raise ValueError(f"index {i} is >= 2**{n_bits}")
        if c <= 0:
            raise ValueError("counts must be > 0 (QH1/QH2 cannot represent zero counts)")
        merged[i] = merged.get(i, 0) + c
    keys = sorted(merged)
    return keys, [merged[k] for k in keys]


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{what} must be non-negative, got {value}")
    return int(value)


def _as_u64(values: Any, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if (
        arr.dtype.kind == "f"
        and not isinstance(values, np.ndarray)
        and all(isinstance(v, (int, np.integer)) for v in values)
    ):
        # numpy reads a list mixing ints below and above 2**63 as float64, losing bits:
        # check the Python ints one by one instead.
        arr = np.asarray(values, dtype=object)
    if arr.size == 0:
        return np.empty(0, dtype=np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"{what}s must be one-dimensional")
    if arr.dtype == object:
        ints = [_as_int(v, what) for v in arr]
        if any(v >> 64 for v in ints):
            raise ValueError(f"an {what} does not fit 64 bits")
        return np.array(ints, dtype=np.uint64)
    if arr.dtype.kind == "u":
        return arr.astype(np.uint64)
    if arr.dtype.kind != "i":
        raise ValueError(f"{what}s must be integers, got dtype {arr.dtype}")
    if int(arr.min()) < 0:
        raise ValueError(f"{what}s must be non-negative")
    return arr.astype(np.uint64)


def _rle_flags(flags: np.ndarray) -> bytes:
    """RLE block (§4.4 field 8): num_runs, first_val byte, run lengths."""
    if flags.size == 0:
        return b"\x00"
    change = np.flatnonzero(flags[1:] != flags[:-1]) + 1
    bounds = np.concatenate([[0], change, [flags.size]])
    runs = np.diff(bounds).astype(np.uint64)
    return uleb_scalar(runs.size) + bytes([1 if flags[0] else 0]) + uleb_u64(runs).tobytes()


def _qh_blob(idx: np.ndarray | list[int], cnt: np.ndarray | list[int], n_bits: int) -> bytes:
    wide = n_bits > 64
    if wide:
        gaps_list = [idx[0]] + [b - a for a, b in itertools.pairwise(idx)] if idx else []
        gaps = uleb_wide(gaps_list).tobytes()
        cnt_arr = np.array(cnt, dtype=object)
        flags = np.array([c == 1 for c in cnt], dtype=bool)
        extras_list = [c - 2 for c in cnt if c != 1]
        extras = (
            uleb_u64(np.array(extras_list, dtype=np.uint64)).tobytes()
            if all(e < (1 << 64) for e in extras_list)
            else uleb_wide(extras_list).tobytes()
        )
        total = sum(int(c) for c in cnt_arr)
    else:
        gap_arr = np.diff(idx, prepend=np.uint64(0)) if idx.size else idx
        gaps = uleb_u64(gap_arr).tobytes()
        flags = cnt == 1
        extras_list = cnt[~flags] - np.uint64(2)
        extras = uleb_u64(extras_list).tobytes()
        total = _exact_sum(cnt)
    unique = len(idx)
    rle = _rle_flags(flags)
    magic = b"QH1" if n_bits <= 255 else b"QH2"
    width = bytes([n_bits]) if n_bits <= 255 else uleb_scalar(n_bits)
    return b"".join(
        [
            magic,
            width,
            uleb_scalar(unique),
            uleb_scalar(total),
            uleb_scalar(unique),
            gaps,
            uleb_scalar(len(rle)),
            rle,
            uleb_scalar(len(extras_list)),
            extras,
        ]
    )


def encode_histogram(
    indices: Iterable[int] | np.ndarray, counts: Iterable[int] | np.ndarray, n_bits: int
) -> dict[str, Any]:
    """Encode a histogram as a QH1 (``n_bits <= 255``) or QH2 envelope (§4.4).

    Args:
        indices (array-like[int]): outcome integers in Qiskit convention (index = Σ c[k]·2^k),
            any order; duplicates are summed. Python ints (or an object array) above 64 bits.
        counts (array-like[int]): the count of each outcome, all > 0.
        n_bits (int): the classical register width (0 to 2**20).

    Returns:
        dict: ``{"encoding": "qh1"|"qh2", "n_bits": n_bits, "payload": "<base64>"}``.

    Raises:
        ValueError: on a negative, out-of-range or non-integer index, or a count <= 0.

    >>> encode_histogram([0, 2, 3], [1, 1, 3], 2)["payload"]
    'UUgxAgMFAwACAQQCAQIBAQE='
    """
    idx, cnt = _normalise_histogram(indices, counts, n_bits)
    blob = _qh_blob(idx, cnt, int(n_bits))
    return {
        "encoding": "qh1" if n_bits <= 255 else "qh2",
        "n_bits": int(n_bits),
        "payload": base64.b64encode(blob).decode("ascii"),
    }


def encode_counts(counts: Mapping[str, int], n_bits: int) -> dict[str, Any]:
    """Encode ``{bitstring: count}`` (Qiskit order, ``c[0]`` rightmost) as a QH envelope.

    Args:
        counts (Mapping[str, int]): keys are ``n_bits``-character strings of ``0``/``1``.
        n_bits (int): the register width.

    Returns:
        dict: the QH1/QH2 envelope, see :func:`encode_histogram`.

    Raises:
        ValueError: a key of the wrong length or with characters other than ``0``/``1``.

    >>> encode_counts({"00": 1, "10": 1, "11": 3}, 2)["payload"]
    'UUgxAgMFAwACAQQCAQIBAQE='
    """
    indices = []
    for key in counts:
        if not isinstance(key, str) or len(key) != n_bits or key.strip("01"):
            raise ValueError(f"histogram key {key!r} is not a {n_bits}-bit binary string")
        indices.append(int(key, 2) if key else 0)
    if n_bits <= 64:
        idx: Any = np.array(indices, dtype=np.uint64)
    else:
        idx = indices
    return encode_histogram(idx, list(counts.values()), n_bits)


def _b64_blob(payload: Any) -> bytes:
    if not isinstance(payload, str):
        raise WireDecodeError(f"histogram payload must be a base64 string, got {type(payload)}")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireDecodeError(f"histogram payload is not valid base64: {exc}") from None


def _read_qh_blob(
    blob: bytes, *, encoding: str | None, n_bits: Any
) -> tuple[int, np.ndarray | list[int], np.ndarray | list[int]]:
    """Parse a QH1/QH2 blob strictly; return ``(n_bits, indices, counts)`` in index order."""
    r = Reader(blob)
    magic = r.raw(3, "magic")
    if magic not in _MAGIC:
        raise WireDecodeError(f"bad magic {magic!r}: expected b'QH1' or b'QH2'")
    version = _MAGIC[magic]
    if encoding is not None and encoding != version:
        raise WireDecodeError(f"version mismatch: envelope says {encoding!r}, blob is {version!r}")
    if version == "qh1":
        width = r.raw(1, "width")[0]
    else:
        width = r.scalar("width", max_bits=21)
        if width > MAX_QH2_BITS:
            raise WireDecodeError(f"QH2 width {width} exceeds the limit of {MAX_QH2_BITS} bits")
    if n_bits is not None and (isinstance(n_bits, bool) or n_bits != width):
        raise WireDecodeError(f"n_bits mismatch: envelope says {n_bits!r}, blob declares {width}")
    unique = r.scalar("unique")
    total = r.scalar("total_shots")
    num_gaps = r.scalar("num_gaps")
    if num_gaps != unique:
        raise WireDecodeError(f"unique mismatch: num_gaps={num_gaps} but unique={unique}")
    # A gap may be as wide as the register, rounded up to 64-bit limbs (§4.4 checks).
    gaps = r.varints(num_gaps, "gap", max_bits=max(64, -(-width // 64) * 64))
    flags = _read_rle(r, num_gaps)
    n_extras = r.scalar("extras_len")
    n_false = num_gaps - int(np.count_nonzero(flags))
    if n_extras != n_false:
        raise WireDecodeError(
            f"extras mismatch: extras_len={n_extras} but {n_false} outcomes have count != 1"
        )
    extras = r.varints(n_extras, "extra count", max_bits=62)
    if r.remaining():
        raise WireDecodeError(f"{r.remaining()} trailing bytes after the extras block")
    counts = np.ones(num_gaps, dtype=np.uint64)
    counts[~flags] = extras + np.uint64(2)
    indices = _indices_from_gaps(gaps, width)
    shots = _exact_sum(counts)
    if shots != total:
        raise WireDecodeError(f"corrupt stream: shot sum mismatch ({shots} != total {total})")
    return width, indices, counts


def _exact_sum(counts: np.ndarray) -> int:
    """Sum of uint64 counts without silent wrap-around."""
    if not counts.size:
        return 0
    if int(counts.max()) < (1 << 63) // counts.size:
        return int(counts.sum(dtype=np.uint64))
    return sum(int(c) for c in counts)


def _read_rle(r: Reader, num_gaps: int) -> np.ndarray:
    """RLE block of the ``count == 1`` flags; must be exactly ``rb_len`` bytes (§4.4)."""
    rb_len = r.scalar("rb_len")
    if rb_len > r.remaining():
        raise WireDecodeError(f"rb_len={rb_len} overruns the buffer ({r.remaining()} bytes left)")
    start = r.pos
    if rb_len == 0:
        runs = np.empty(0, dtype=np.uint64)
        first = False
    else:
        num_runs = r.scalar("num_runs")
        first = bool(r.raw(1, "first_val")[0]) if num_runs else False
        runs = r.varints(num_runs, "run length")
        assert isinstance(runs, np.ndarray)
    if r.pos - start != rb_len:
        raise WireDecodeError(
            f"rb_len mismatch: header says {rb_len} bytes, RLE block has {r.pos - start}"
        )
    run_sum = int(runs.sum(dtype=np.uint64)) if runs.size else 0
    if run_sum != num_gaps or (runs.size and int(runs.max()) > num_gaps):
        raise WireDecodeError(f"run-sum mismatch: runs cover {run_sum} outcomes, not {num_gaps}")
    values = (np.arange(runs.size) % 2 == 0) == first
    return np.repeat(values, runs.astype(np.int64))


def _indices_from_gaps(gaps: np.ndarray | list[int], width: int) -> np.ndarray | list[int]:
    """Cumulative gaps -> strictly increasing indices below ``2**width``."""
    if width <= 64:
        assert isinstance(gaps, np.ndarray)
        if gaps.size == 0:
            return gaps
        indices = np.cumsum(gaps, dtype=np.uint64)
        # A zero gap (duplicate outcome) or a uint64 wrap-around both break strict increase.
        if gaps.size > 1 and not np.all(indices[1:] > indices[:-1]):
            raise WireDecodeError("unique mismatch: outcome indices are not strictly increasing")
        if width < 64 and int(indices[-1]) >> width:
            raise WireDecodeError(f"decoded index exceeds n_bits ({width})")
        return indices
    gap_list = list(gaps)
    if any(g == 0 for g in gap_list[1:]):
        raise WireDecodeError("unique mismatch: outcome indices are not strictly increasing")
    indices_list = list(itertools.accumulate(gap_list))
    if indices_list and indices_list[-1] >> width:
        raise WireDecodeError(f"decoded index exceeds n_bits ({width})")
    return indices_list


def _keys(indices: np.ndarray | list[int], width: int) -> list[str]:
    """Binary keys, MSB first, exactly ``width`` characters (§4.4 'Index to key')."""
    if width == 0:
        return [""] * len(indices)
    if width > 64 or len(indices) < 64:
        return [format(int(i), f"0{width}b") for i in indices]
    be = np.asarray(indices, dtype=">u8").view(np.uint8).reshape(-1, 8)
    bits = np.unpackbits(be, axis=1)[:, 64 - width :] + np.uint8(ord("0"))
    return np.ascontiguousarray(bits).view(f"S{width}").ravel().astype(f"U{width}").tolist()


def decode_histogram_arrays(envelope: Mapping[str, Any]) -> tuple[int, np.ndarray, np.ndarray]:
    """Decode a QH1/QH2 envelope to arrays (the fast path, §4.4).

    Args:
        envelope (Mapping): ``{"encoding": "qh1"|"qh2", "n_bits": n, "payload": "<b64>"}``.

    Returns:
        tuple: ``(n_bits, indices, counts)``; indices strictly increasing, ``uint64`` for
        ``n_bits <= 64`` else an object array of Python ints; counts ``int64``.

    Raises:
        WireDecodeError: not an envelope, unsupported encoding, or any corruption.
    """
    if not isinstance(envelope, Mapping) or "payload" not in envelope:
        raise WireDecodeError("not a histogram envelope (no 'payload' key)")
    encoding = envelope.get("encoding")
    if encoding not in ("qh1", "qh2"):
        raise WireDecodeError(f"Unsupported encoding: {encoding!r}")
    n_bits = envelope.get("n_bits")
    blob = _b64_blob(envelope["payload"])
    if not blob:
        width = n_bits if isinstance(n_bits, int) and not isinstance(n_bits, bool) else 0
        if not 0 <= width <= MAX_QH2_BITS:
            raise WireDecodeError(f"n_bits {width} is out of range [0, {MAX_QH2_BITS}]")
        dtype: Any = np.uint64 if width <= 64 else object
        return width, np.empty(0, dtype=dtype), np.empty(0, dtype=np.int64)
    width, indices, counts = _read_qh_blob(blob, encoding=encoding, n_bits=n_bits)
    if isinstance(indices, np.ndarray):
        return width, indices, counts.astype(np.int64)
    idx = np.empty(len(indices), dtype=object)  # >64 bits: Python ints, never coerced
    idx[:] = indices
    return width, idx, counts.astype(np.int64)


def decode_histogram(results: Any) -> Any:
    """Interpret a result row's ``results`` field as the reference client does (§4.3).

    ``None``, falsy values and objects without a truthy ``payload`` (expectation values, plain
    count dicts) are returned unchanged; QH envelopes become ``{bitstring: count}`` in
    ascending index order, keys in Qiskit order (``c[0]`` rightmost).

    Args:
        results: the ``results`` value of one resultsV2 row.

    Returns:
        The decoded histogram, or ``results`` itself when it is not an envelope.

    Raises:
        WireDecodeError: an envelope with an unsupported encoding or a corrupt payload.

    >>> decode_histogram({"encoding": "qh1", "n_bits": 2, "payload": "UUgxAgMFAwACAQQCAQIBAQE="})
    {'00': 1, '10': 1, '11': 3}
    """
    if not results or not isinstance(results, Mapping) or not results.get("payload"):
        return results
    encoding = results.get("encoding")
    if encoding not in ("qh1", "qh2"):
        raise WireDecodeError(f"Unsupported encoding: {encoding!r}")
    blob = _b64_blob(results["payload"])
    if not blob:
        return {}
    width, indices, counts = _read_qh_blob(blob, encoding=encoding, n_bits=results.get("n_bits"))
    return dict(zip(_keys(indices, width), np.asarray(counts).tolist(), strict=True))
