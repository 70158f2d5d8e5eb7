"""ULEB128 varints (qoro-api.md §4.4), vectorised with numpy; private to ``protocol``.

Encoders (:func:`uleb_scalar`, :func:`uleb_u64`, :func:`uleb_wide`) and a strict cursor,
:class:`Reader`, whose every failure is a :class:`WireDecodeError` naming the field. Widths up
to 64 bits use ``uint64`` arrays, wider values Python integers.

Imports numpy and ``protocol.errors`` only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import WireDecodeError

__all__ = ["U64_BYTES", "Reader", "uleb_scalar", "uleb_u64", "uleb_wide"]

U64_BYTES = 10  # ceil(64 / 7): the longest ULEB128 varint that fits an uint64
_WIDE_BLOCK = 4096  # rows per block when converting >64-bit varints (bounds temp memory)


def uleb_scalar(value: int) -> bytes:
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


def uleb_u64(values: np.ndarray) -> np.ndarray:
    """Vectorised ULEB128 encoding of an ``uint64`` array, concatenated."""
    v = np.ascontiguousarray(values, dtype=np.uint64)
    if v.size == 0:
        return np.empty(0, dtype=np.uint8)
    if int(v.max()) < 0x80:  # the dense-histogram case: every varint is one byte
        return v.astype(np.uint8)
    nbytes = np.ones(v.shape, dtype=np.int64)
    for k in range(1, U64_BYTES):
        nbytes += v >= np.uint64(1 << (7 * k))
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for k in range(U64_BYTES):
        sel = nbytes > k
        if not sel.any():
            break
        group = ((v[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)).astype(np.uint8)
        more = (nbytes[sel] > k + 1).astype(np.uint8) << 7
        out[starts[sel] + k] = group | more
    return out


def uleb_wide(values: Sequence[int]) -> np.ndarray:
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


class Reader:
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
        if longest < U64_BYTES or (max_bits <= 64 and self._fits_u64(seg, ends, lengths)):
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
        tenth = ends[lengths == U64_BYTES]
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
