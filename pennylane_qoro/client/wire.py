"""Wire codecs of the Qoro protocol, shared by the client and the local service.

This module owns every byte-level format of ``qoro-api.md``:

* QH1 / QH2 histogram envelopes (§4.3, §4.4): :func:`encode_histogram`, :func:`encode_counts`,
  :func:`decode_histogram`, :func:`decode_histogram_arrays`;
* gzip + base64 text (§3.1): :func:`compress_text`, :func:`decompress_text`;
* ``@gzs`` observables (§3.4): :func:`encode_observables`, :func:`decode_observables`,
  :func:`validate_pauli_terms`;
* request sizing and chunking against the per-request cap (§3.2, §3.3): :func:`json_body`,
  :func:`plan_bound_requests`, :func:`plan_template_requests`;
* characterization QUBO payloads (characterization.md §1.4, §1.5): the legacy comma-key dict,
  :func:`encode_legacy_qubo`, :func:`decode_legacy_qubo`, :func:`decode_legacy_key`, and the
  ``factored_v1`` envelope, :func:`encode_factored_qubo`, :func:`decode_factored_qubo` (which
  encoding to send is the characterization helper's choice, not this module's).

The hot loops (ULEB128 varints, run-length flags, key formatting) are vectorised with numpy;
widths up to 64 bits use ``uint64`` arrays, wider histograms use Python integers.

It imports only the standard library, numpy and ``client.errors``: never requests, PennyLane or
anything else from the package, because the local service imports it too.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import operator
import re
import zlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .errors import PayloadError, WireDecodeError, WireFieldError

__all__ = [
    "FACTORED_FORMAT",
    "MAX_PAYLOAD_BYTES",
    "MAX_QH2_BITS",
    "compress_text",
    "decode_factored_qubo",
    "decode_histogram",
    "decode_histogram_arrays",
    "decode_json_number",
    "decode_legacy_key",
    "decode_legacy_qubo",
    "decode_observables",
    "decompress_text",
    "encode_counts",
    "encode_factored_qubo",
    "encode_histogram",
    "encode_legacy_qubo",
    "encode_observables",
    "json_body",
    "plan_bound_requests",
    "plan_template_requests",
    "validate_pauli_terms",
]

MAX_PAYLOAD_BYTES = 996_147
"""Per-request body cap: 0.95 MiB, integer form (qoro-api.md §3.2)."""

MAX_QH2_BITS = 1 << 20
"""Largest histogram width a QH2 blob may declare (§4.4, the client's limit)."""

GZIP_LEVEL = 9
"""The reference client's level (§3.1): reproduces its bytes exactly when mtime is 0."""

_MAGIC = {b"QH1": "qh1", b"QH2": "qh2"}
_U64_BYTES = 10  # ceil(64 / 7): the longest ULEB128 varint that fits an uint64
_WIDE_BLOCK = 4096  # rows per block when converting >64-bit varints (bounds temp memory)
_PAULI = frozenset("IXYZ")
_SPARSE_TERM = re.compile(r"(?:[IXYZ][0-9]+)+")  # ASCII digits: \d would accept other scripts
_SPARSE_PAIR = re.compile(r"([IXYZ])([0-9]+)")
_GZS_HEAD = re.compile(r"@gzs([0-9]+):")
MAX_OBSERVABLE_QUBITS = MAX_QH2_BITS
"""Widest observable group ``decode_observables`` accepts."""
MAX_DENSE_CHARS = 64 << 20
"""Largest total size of the dense terms ``decode_observables`` builds (a hostile ``@gzs`` of
a few bytes could otherwise ask for gigabytes)."""

FACTORED_FORMAT = "factored_v1"
"""The ``_format`` marker of the factored QUBO envelope (characterization.md §1.5)."""

_FACTORED_KEYS = frozenset({"_format", "n", "k", "F", "signs", "diag"})
_LEGACY_KEY = re.compile(r"[0-9]+(?:,[0-9]+)*")  # ASCII digits: \d would accept other scripts
_HEX = re.compile(r"[0-9a-fA-F]*")


# --------------------------------------------------------------------------------------------
# ULEB128 varints
# --------------------------------------------------------------------------------------------


def _uleb_scalar(value: int) -> bytes:
    """One unsigned LEB128 varint (§4.4): 7-bit groups, little-endian, high bit = more."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _uleb_u64(values: np.ndarray) -> np.ndarray:
    """Vectorised ULEB128 encoding of an ``uint64`` array, concatenated."""
    v = np.ascontiguousarray(values, dtype=np.uint64)
    if v.size == 0:
        return np.empty(0, dtype=np.uint8)
    if int(v.max()) < 0x80:  # the dense-histogram case: every varint is one byte
        return v.astype(np.uint8)
    nbytes = np.ones(v.shape, dtype=np.int64)
    for k in range(1, _U64_BYTES):
        nbytes += v >= np.uint64(1 << (7 * k))
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(_U64_BYTES):
        sel = nbytes > k
        if not sel.any():
            break
        group = ((v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[sel] > k + 1).astype(np.uint8) << 7
        out[starts[sel] + k] = group | more
    return out


def _uleb_wide(values: Sequence[int]) -> np.ndarray:
    """Vectorised ULEB128 encoding of arbitrary-width non-negative Python ints."""
    m = len(values)
    if m == 0:
        return np.empty(0, dtype=np.uint8)
    bitlen = np.fromiter((int(x).bit_length() for x in values), dtype=np.int64, count=m)
    nbytes = np.maximum(1, (bitlen + 6) // 7)
    width = max(1, (int(bitlen.max()) + 7) // 8)
    groups = -(-8 * width // 7)
    raw = b"".join(int(x).to_bytes(width, "little") for x in values)
    bits = np.unpackbits(
        np.frombuffer(raw, dtype=np.uint8).reshape(m, width), axis=1, bitorder="little"
    )
    bits = np.pad(bits, ((0, 0), (0, 7 * groups - 8 * width))).reshape(m, groups, 7)
    more = np.arange(groups)[None, :] < (nbytes - 1)[:, None]
    full = np.concatenate([bits, more[..., None].astype(np.uint8)], axis=2)
    packed = np.packbits(full, axis=2, bitorder="little")[..., 0]
    return packed[np.arange(groups)[None, :] < nbytes[:, None]]


class _Reader:
    """Cursor over a QH blob; every failure is a :class:`WireDecodeError` naming the field."""

    def __init__(self, blob: bytes):
        self.buf = np.frombuffer(blob, dtype=np.uint8)
        self.blob = blob
        self.pos = 0

    def remaining(self) -> int:
        return len(self.blob) - self.pos

    def raw(self, n: int, what: str) -> bytes:
        if self.remaining() < n:
            raise WireDecodeError(f"truncated QH blob: {what} runs past the end of the buffer")
        out = self.blob[self.pos : self.pos + n]
        self.pos += n
        return out

    def scalar(self, what: str, *, max_bits: int = 64) -> int:
        """One ULEB128 varint as a Python int, at most ``max_bits`` wide."""
        value = shift = 0
        limit = -(-max_bits // 7)
        for _ in range(limit):
            if self.pos >= len(self.blob):
                raise WireDecodeError(f"truncated ULEB128 varint in {what}")
            byte = self.blob[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                if value >> max_bits:
                    raise WireDecodeError(f"{what} exceeds destination width ({max_bits} bits)")
                return value
        raise WireDecodeError(f"{what} exceeds destination width ({max_bits} bits)")

    def varints(self, count: int, what: str, *, max_bits: int = 64) -> np.ndarray | list[int]:
        """``count`` consecutive varints, vectorised; uint64 array if ``max_bits <= 64``."""
        if count == 0:
            return np.empty(0, dtype=np.uint64) if max_bits <= 64 else []
        if count > self.remaining():
            raise WireDecodeError(
                f"truncated ULEB128 varint in {what}: {count} values declared, "
                f"{self.remaining()} bytes left"
            )
        max_len = -(-max(max_bits, 1) // 7)
        window = self.buf[self.pos : self.pos + count * max_len]
        ends = np.flatnonzero(window < 0x80)[:count]
        if ends.size < count:
            if self.pos + window.size >= len(self.blob):
                raise WireDecodeError(f"truncated ULEB128 varint in {what}")
            raise WireDecodeError(f"{what} exceeds destination width ({max_bits} bits)")
        self.pos += int(ends[-1]) + 1
        if int(ends[-1]) == count - 1:  # every varint is a single byte
            values = window[:count].astype(np.uint64)
            return values if max_bits <= 64 else values.tolist()
        starts = np.empty(count, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lengths = ends - starts + 1
        longest = int(lengths.max())
        if longest > max_len:
            raise WireDecodeError(f"{what} exceeds destination width ({max_bits} bits)")
        seg = window[: int(ends[-1]) + 1]
        if longest < _U64_BYTES or (max_bits <= 64 and self._fits_u64(seg, ends, lengths)):
            values = _combine_u64(seg, starts, lengths)
            if max_bits < 64 and int(values.max()) >> max_bits:
                raise WireDecodeError(f"{what} exceeds destination width ({max_bits} bits)")
            return values if max_bits <= 64 else values.tolist()
        if max_bits <= 64:
            raise WireDecodeError(f"{what} exceeds destination width (64 bits)")
        return _combine_wide(seg, starts, lengths, longest)

    @staticmethod
    def _fits_u64(seg: np.ndarray, ends: np.ndarray, lengths: np.ndarray) -> bool:
        # A 10-byte varint carries 63 + 7 bits; only the lowest bit of byte 10 fits an uint64.
        tenth = ends[lengths == _U64_BYTES]
        return bool(np.all(seg[tenth] <= 1))


def _combine_u64(seg: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Combine the 7-bit groups of varints of at most 10 bytes into uint64 values."""
    # Byte position within its varint, as one cumsum: +1 per byte, reset at each varint start.
    # Positions stay in 0..9, so int8 partial sums are exact.
    step = np.ones(seg.size, dtype=np.int8)
    step[0] = 0
    step[starts[1:]] = (1 - lengths[:-1]).astype(np.int8)
    shift = np.cumsum(step, dtype=np.int8).astype(np.uint64) * np.uint64(7)
    parts = (seg & 0x7F).astype(np.uint64) << shift
    return np.bitwise_or.reduceat(parts, starts)


def _combine_wide(
    seg: np.ndarray, starts: np.ndarray, lengths: np.ndarray, longest: int
) -> list[int]:
    """Combine varints of any length into Python ints (block-wise bit repacking)."""
    count = starts.size
    out: list[int] = []
    for lo in range(0, count, _WIDE_BLOCK):
        hi = min(count, lo + _WIDE_BLOCK)
        b_start, b_len = starts[lo:hi], lengths[lo:hi]
        first = int(b_start[0])
        piece = seg[first : int(b_start[-1] + b_len[-1])]
        rows = np.repeat(np.arange(hi - lo), b_len)
        cols = np.arange(piece.size) - np.repeat(b_start - first, b_len)
        mat = np.zeros((hi - lo, longest), dtype=np.uint8)
        mat[rows, cols] = piece & 0x7F
        bits = np.unpackbits(mat[..., None], axis=2, bitorder="little")[..., :7]
        bits = bits.reshape(hi - lo, 7 * longest)
        nbytes = -(-7 * longest // 8)
        bits = np.pad(bits, ((0, 0), (0, 8 * nbytes - 7 * longest)))
        raw = np.packbits(bits, axis=1, bitorder="little").tobytes()
        out.extend(
            int.from_bytes(raw[i : i + nbytes], "little") for i in range(0, len(raw), nbytes)
        )
    return out


# --------------------------------------------------------------------------------------------
# QH1 / QH2 histograms
# --------------------------------------------------------------------------------------------


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
    return _uleb_scalar(runs.size) + bytes([1 if flags[0] else 0]) + _uleb_u64(runs).tobytes()


def _qh_blob(idx: np.ndarray | list[int], cnt: np.ndarray | list[int], n_bits: int) -> bytes:
    wide = n_bits > 64
    if wide:
        gaps_list = [idx[0]] + [b - a for a, b in itertools.pairwise(idx)] if idx else []
        gaps = _uleb_wide(gaps_list).tobytes()
        cnt_arr = np.array(cnt, dtype=object)
        flags = np.array([c == 1 for c in cnt], dtype=bool)
        extras_list = [c - 2 for c in cnt if c != 1]
        extras = (
            _uleb_u64(np.array(extras_list, dtype=np.uint64)).tobytes()
            if all(e < (1 << 64) for e in extras_list)
            else _uleb_wide(extras_list).tobytes()
        )
        total = sum(int(c) for c in cnt_arr)
    else:
        gap_arr = np.diff(idx, prepend=np.uint64(0)) if idx.size else idx
        gaps = _uleb_u64(gap_arr).tobytes()
        flags = cnt == 1
        extras_list = cnt[~flags] - np.uint64(2)
        extras = _uleb_u64(extras_list).tobytes()
        total = _exact_sum(cnt)
    unique = len(idx)
    rle = _rle_flags(flags)
    magic = b"QH1" if n_bits <= 255 else b"QH2"
    width = bytes([n_bits]) if n_bits <= 255 else _uleb_scalar(n_bits)
    return b"".join(
        [
            magic,
            width,
            _uleb_scalar(unique),
            _uleb_scalar(total),
            _uleb_scalar(unique),
            gaps,
            _uleb_scalar(len(rle)),
            rle,
            _uleb_scalar(len(extras_list)),
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
    r = _Reader(blob)
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


def _read_rle(r: _Reader, num_gaps: int) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------
# gzip + base64 text (§3.1)
# --------------------------------------------------------------------------------------------


def compress_text(text: str) -> str:
    """``base64(gzip(utf8(text)))``, standard alphabet with padding (§3.1).

    The gzip header's mtime is 0, so equal inputs give equal outputs.

    >>> decompress_text(compress_text("h q[0];"))
    'h q[0];'
    """
    compressor = zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)  # wbits 31: gzip, mtime 0
    data = compressor.compress(text.encode("utf-8")) + compressor.flush()
    return base64.b64encode(data).decode("ascii")


def decompress_text(data: str, *, max_bytes: int = 64 << 20) -> str:
    """Inverse of :func:`compress_text`, bounded to ``max_bytes`` of output.

    Args:
        data (str): base64 of a gzip stream (several members are concatenated).
        max_bytes (int): the largest decompressed size accepted (guards against gzip bombs).

    Returns:
        str: the UTF-8 text.

    Raises:
        WireDecodeError: bad base64, not gzip, truncated, too large, or not UTF-8.
    """
    if not isinstance(data, str):
        raise WireDecodeError(f"compressed text must be a base64 string, got {type(data)}")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WireDecodeError(f"compressed text is not valid base64: {exc}") from None
    if not raw:
        raise WireDecodeError("compressed text is empty")
    out = bytearray()
    while raw:
        inflater = zlib.decompressobj(31)
        try:
            out += inflater.decompress(raw, max_bytes + 1 - len(out))
        except zlib.error as exc:
            raise WireDecodeError(f"compressed text is not a valid gzip stream: {exc}") from None
        if len(out) > max_bytes:
            raise WireDecodeError(f"decompressed text exceeds {max_bytes} bytes")
        if not inflater.eof:
            raise WireDecodeError("compressed text is a truncated gzip stream")
        raw = inflater.unused_data
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireDecodeError(f"decompressed text is not UTF-8: {exc}") from None


# --------------------------------------------------------------------------------------------
# Pauli terms and '@gzs' observables (§3.4)
# --------------------------------------------------------------------------------------------


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
            n = validate_pauli_terms(terms)
        except PayloadError as exc:
            raise PayloadError(f"observable group {g}: {exc}") from None
        sparse = _sparse_group(list(terms), n).decode("ascii")
        encoded.append(f"@gzs{n}:{compress_text(sparse)}")
    return "|".join(encoded)


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
        raise WireDecodeError(
            f"observable group {group}: malformed sparse term {sparse[:80]!r}"
        )
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


# --------------------------------------------------------------------------------------------
# Request sizing and chunking (§3.2, §3.3)
# --------------------------------------------------------------------------------------------


def json_body(body: Mapping[str, Any]) -> bytes:
    """Serialize a request body exactly as the reference client does (§1.4).

    ``json.dumps`` default separators, ``ensure_ascii=True``, ``allow_nan=False``; the result
    is ASCII, so its length in characters is its length in bytes.

    Raises:
        PayloadError: the body holds NaN/Inf or a value JSON cannot represent.
    """
    try:
        return json.dumps(body, ensure_ascii=True, allow_nan=False).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"request body cannot be serialized as JSON: {exc}") from None


def _jlen(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=True, allow_nan=False))


def _check_shot_groups(shot_groups: Sequence[Sequence[int]], n: int) -> list[tuple[int, int, int]]:
    """The triples must exactly tile ``[0, n)`` with ``start < end`` and ``shots > 0`` (§3.3)."""
    out = []
    expect = 0
    for k, triple in enumerate(shot_groups):
        if len(triple) != 3 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in triple
        ):
            raise PayloadError(f"shot_groups[{k}] = {triple!r} is not three integers")
        s, e, shots = (int(v) for v in triple)
        if s != expect or e <= s or shots <= 0:
            raise PayloadError(
                f"shot_groups[{k}] = {[s, e, shots]} breaks the exact tiling of [0, {n}) "
                f"(expected start {expect}, start < end, shots > 0)"
            )
        out.append((s, e, shots))
        expect = e
    if expect != n:
        raise PayloadError(f"shot_groups cover [0, {expect}) but there are {n} circuits")
    return out


def _local_shot_groups(groups: Sequence[tuple[int, int, int]], lo: int, hi: int) -> list[list[int]]:
    """Intersect global ranges with ``[lo, hi)`` and rebase to the chunk (§3.3)."""
    out = []
    for s, e, shots in groups:
        a, b = max(s, lo), min(e, hi)
        if a < b:
            out.append([a - lo, b - lo, shots])
    return out


def plan_bound_requests(
    circuits: Sequence[tuple[str, str]],
    envelope: Mapping[str, Any],
    *,
    shot_groups: Sequence[Sequence[int]] | None = None,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> list[bytes]:
    """Split bound circuits into ``add_circuits`` bodies of at most ``max_bytes`` each.

    Greedy (§3.2): walk the circuits in order and close a chunk when the next circuit would
    push the exact serialized body over the cap. Sizes are exact: the envelope (``shots`` /
    ``observables`` / ``circuit_ham_map``, ``mode``, ``finalized``) and the chunk-local
    ``shot_groups`` are counted, and the last body's shorter ``"true"`` is accounted for.

    Args:
        circuits (Sequence[tuple[str, str]]): ``(label, compressed qasm)`` in job order.
        envelope (Mapping): the keys every chunk repeats unchanged (``shots`` or
            ``observables`` and ``circuit_ham_map``, which stays job-global).
        shot_groups (Sequence[Sequence[int]] | None): global ``[start, end, shots]`` triples;
            each chunk carries them intersected with its span and rebased to 0 (§3.3).
        max_bytes (int): the per-request cap.

    Returns:
        list[bytes]: the serialized bodies in order; only the last has ``"finalized": "true"``.

    Raises:
        PayloadError: no circuits, a duplicate label, bad ``shot_groups``, or one circuit
            whose body alone exceeds the cap.
    """
    n = len(circuits)
    if n == 0:
        raise PayloadError("a job needs at least one circuit")
    labels = [label for label, _ in circuits]
    for label, compressed in circuits:
        if not isinstance(label, str) or not isinstance(compressed, str):
            raise PayloadError(f"circuit {label!r}: label and compressed qasm must be strings")
    if len(set(labels)) != n:
        dup = next(lab for lab, c in _count(labels).items() if c > 1)
        raise PayloadError(f"duplicate circuit label {dup!r}: labels route results (§4.7)")
    groups = _check_shot_groups(shot_groups, n) if shot_groups is not None else None
    fixed = {k: v for k, v in envelope.items() if k not in ("circuits", "shot_groups")}
    head: dict[str, Any] = {"circuits": {}, "mode": "append", "finalized": "false", **fixed}
    if groups is not None:
        head["shot_groups"] = []
    base = _jlen(head)
    starts_range = {s: shots for s, _, shots in groups} if groups else {}
    shots_of = _expand_shots(groups, n) if groups else None

    bounds: list[tuple[int, int]] = []
    lo = 0
    size = base
    for i, (label, compressed) in enumerate(circuits):
        limit = max_bytes + (1 if i == n - 1 else 0)  # the last body says "true", 1 byte less
        j = i - lo
        add = _jlen(label) + 2 + _jlen(compressed) + (2 if j else 0)
        add += _shot_delta(j, i, starts_range, shots_of)
        if j and size + add > limit:
            bounds.append((lo, i))
            lo, j, size = i, 0, base
            add = _jlen(label) + 2 + _jlen(compressed)
            add += _shot_delta(0, i, starts_range, shots_of)
        if size + add > limit:
            real = size + add - (limit - max_bytes)  # the "true" body is one byte shorter
            raise PayloadError(
                f"circuit {label!r} needs a {real}-byte request on its own, over the "
                f"{max_bytes}-byte cap (§3.2); split or simplify it"
            )
        size += add
    bounds.append((lo, n))
    return [
        _bound_body(circuits, lo, hi, fixed, groups, final=k == len(bounds) - 1, cap=max_bytes)
        for k, (lo, hi) in enumerate(bounds)
    ]


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


def _expand_shots(groups: Sequence[tuple[int, int, int]], n: int) -> list[int]:
    shots = [0] * n
    for s, e, value in groups:
        shots[s:e] = [value] * (e - s)
    return shots


def _shot_delta(j: int, i: int, starts: Mapping[int, int], shots_of: list[int] | None) -> int:
    """Bytes the chunk-local ``shot_groups`` grows by when circuit ``i`` joins at position ``j``."""
    if shots_of is None:
        return 0
    if j == 0 or i in starts:  # a new triple [j, j+1, shots]
        return _jlen([j, j + 1, shots_of[i]]) + (2 if j else 0)
    return len(str(j + 1)) - len(str(j))  # the last triple's end goes from j to j+1


def _bound_body(
    circuits: Sequence[tuple[str, str]],
    lo: int,
    hi: int,
    fixed: Mapping[str, Any],
    groups: Sequence[tuple[int, int, int]] | None,
    *,
    final: bool,
    cap: int,
) -> bytes:
    body: dict[str, Any] = {
        "circuits": dict(circuits[lo:hi]),
        "mode": "append",
        "finalized": "true" if final else "false",  # a string, not a bool (§2.8)
        **fixed,
    }
    if groups is not None:
        body["shot_groups"] = _local_shot_groups(groups, lo, hi)
    data = json_body(body)
    if len(data) > cap:  # the planner's arithmetic is exact; this guards against regressions
        raise PayloadError(f"internal sizing error: planned body is {len(data)} > {cap} bytes")
    return data


def plan_template_requests(
    templates: Sequence[tuple[str, Sequence[str], Sequence[tuple[str, Sequence[float]]]]],
    envelope: Mapping[str, Any],
    *,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> list[bytes]:
    """Split template rows into ``add_circuits`` bodies of at most ``max_bytes`` each (§3.2).

    Every body re-sends its template and ``parameter_names``; rows are packed greedily on the
    exact serialized size. Only the very last body (across all templates) is finalized.

    Args:
        templates: ``(compressed template, parameter_names, rows)`` per template, where each
            row is ``(label, values)`` with ``len(values) == len(parameter_names)``.
        envelope (Mapping): ``shots`` or ``observables`` (one group), repeated in every body.
        max_bytes (int): the per-request cap.

    Returns:
        list[bytes]: serialized bodies in order.

    Raises:
        PayloadError: no rows, a duplicate label, a row of the wrong length or with a
            non-finite value, a template whose fixed overhead reaches the cap, or a row that
            cannot fit a request alone.
    """
    if not templates:
        raise PayloadError("a job needs at least one template")
    fixed = {
        k: v
        for k, v in envelope.items()
        if k not in ("circuit_template", "parameter_names", "parameter_sets")
    }
    seen: set[str] = set()
    bodies: list[bytes] = []
    for t, (compressed, names, rows) in enumerate(templates):
        names = [str(nm) for nm in names]
        if not rows:
            raise PayloadError(f"template {t} has no parameter rows")
        head = {
            "circuit_template": compressed,
            "parameter_names": names,
            "parameter_sets": [],
            "mode": "append",
            "finalized": "false",
            **fixed,
        }
        base = _jlen(head)
        if base >= max_bytes:
            raise PayloadError(
                f"template {t}: its fixed overhead alone is {base} bytes, reaching the "
                f"{max_bytes}-byte cap (§3.2)"
            )
        wire_rows = [_wire_row(t, label, values, len(names), seen) for label, values in rows]
        last_template = t == len(templates) - 1
        chunks: list[list[dict[str, Any]]] = [[]]
        size = base
        for r, row in enumerate(wire_rows):
            limit = max_bytes + (1 if last_template and r == len(wire_rows) - 1 else 0)
            row_len = _jlen(row)
            add = row_len + (2 if chunks[-1] else 0)
            if chunks[-1] and size + add > limit:
                chunks.append([])
                size, add = base, row_len
            if size + add > limit:
                real = size + add - (limit - max_bytes)
                raise PayloadError(
                    f"template {t} row {row['label']!r} needs a {real}-byte request on "
                    f"its own, over the {max_bytes}-byte cap (§3.2)"
                )
            chunks[-1].append(row)
            size += add
        for c, chunk in enumerate(chunks):
            final = last_template and c == len(chunks) - 1
            body = {**head, "parameter_sets": chunk, "finalized": "true" if final else "false"}
            data = json_body(body)
            if len(data) > max_bytes:
                raise PayloadError(f"internal sizing error: planned body is {len(data)} bytes")
            bodies.append(data)
    return bodies


def _wire_row(t: int, label: Any, values: Sequence[float], n_names: int, seen: set[str]) -> dict:
    if not isinstance(label, str):
        raise PayloadError(f"template {t}: row label {label!r} is not a string")
    if label in seen:
        raise PayloadError(f"duplicate circuit label {label!r}: labels route results (§4.7)")
    seen.add(label)
    vals = [float(v) for v in values]  # values are always JSON floats on the wire (§2.8)
    if len(vals) != n_names:
        raise PayloadError(
            f"template {t} row {label!r} has {len(vals)} values for {n_names} parameter names"
        )
    if not all(np.isfinite(vals)):
        raise PayloadError(f"template {t} row {label!r} has a non-finite value: {vals}")
    return {"label": label, "values": vals}


# --------------------------------------------------------------------------------------------
# Characterization QUBO payloads (characterization.md §1.4, §1.5)
# --------------------------------------------------------------------------------------------


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
    if any(isinstance(s, bool) or not isinstance(s, (int, float)) or s not in (1, -1)
           for s in signs):
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
