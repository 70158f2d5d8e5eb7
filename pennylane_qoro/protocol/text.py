"""Text and request bodies on the wire: gzip + base64 text, JSON bodies, body gzip.

* :func:`compress_text` / :func:`decompress_text`: ``base64(gzip(utf8(text)))`` (§3.1), the
  form of circuits, templates and ``@gzs`` observable groups;
* :func:`json_body`: a request body serialized exactly as the reference client does (§1.4);
* :func:`gzip_body` / :func:`inflate_body`: ``Content-Encoding: gzip`` request bodies (a
  local extension the client uses once the service advertises it), compressed by the client
  and inflated, bounded, by the local service.

Every inflate here is bounded (no gzip bombs) and shares one core, :func:`_inflate_member`.

Imports the standard library and ``protocol.errors``/``vocabulary`` only.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import zlib
from collections.abc import Mapping
from typing import Any

from .errors import BodyTooLargeError, PayloadError, WireDecodeError
from .vocabulary import BODY_GZIP_LEVEL, TEXT_GZIP_LEVEL

__all__ = [
    "compress_text",
    "decompress_text",
    "gzip_body",
    "inflate_body",
    "json_body",
]

_GZIP_WBITS = 16 + zlib.MAX_WBITS  # 31: a gzip wrapper (header, CRC) around raw deflate
DEFAULT_TEXT_LIMIT = 64 << 20
"""Largest decompressed text :func:`decompress_text` accepts unless told otherwise."""


def _inflate_member(raw: bytes, limit: int) -> tuple[bytes, bool, bytes]:
    """Inflate the first gzip member of ``raw``, producing at most ``limit + 1`` bytes.

    Returns:
        tuple: ``(output, member complete, bytes after the member)``; an output longer than
        ``limit`` means the member inflates past the limit.

    Raises:
        zlib.error: ``raw`` does not start with a valid gzip stream.
    """
    inflater = zlib.decompressobj(_GZIP_WBITS)
    out = inflater.decompress(raw, limit + 1)
    return out, inflater.eof, inflater.unused_data


def compress_text(text: str) -> str:
    """``base64(gzip(utf8(text)))``, standard alphabet with padding (§3.1).

    The gzip header's mtime is 0, so equal inputs give equal outputs.

    >>> decompress_text(compress_text("h q[0];"))
    'h q[0];'
    """
    compressor = zlib.compressobj(TEXT_GZIP_LEVEL, zlib.DEFLATED, _GZIP_WBITS)  # mtime 0
    data = compressor.compress(text.encode("utf-8")) + compressor.flush()
    return base64.b64encode(data).decode("ascii")


def decompress_text(data: str, *, max_bytes: int = DEFAULT_TEXT_LIMIT) -> str:
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
        try:
            piece, complete, raw = _inflate_member(raw, max_bytes - len(out))
        except zlib.error as exc:
            raise WireDecodeError(f"compressed text is not a valid gzip stream: {exc}") from None
        out += piece
        if len(out) > max_bytes:
            raise WireDecodeError(f"decompressed text exceeds {max_bytes} bytes")
        if not complete:
            raise WireDecodeError("compressed text is a truncated gzip stream")
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WireDecodeError(f"decompressed text is not UTF-8: {exc}") from None


def json_body(body: Mapping[str, Any]) -> bytes:
    """Serialize a request body exactly as the reference client does (§1.4).

    ``json.dumps`` default separators, ``ensure_ascii=True``, ``allow_nan=False``; the result
    is ASCII, so its length in characters is its length in bytes.

    Raises:
        PayloadError: the body holds NaN/Inf or a value JSON cannot represent.

    >>> json_body({"shots": 10, "finalized": "true"})
    b'{"shots": 10, "finalized": "true"}'
    """
    try:
        return json.dumps(body, ensure_ascii=True, allow_nan=False).encode("ascii")
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"request body cannot be serialized as JSON: {exc}") from None


def gzip_body(data: bytes) -> bytes:
    """A request body as sent with ``Content-Encoding: gzip`` (level :data:`BODY_GZIP_LEVEL`).

    >>> inflate_body(gzip_body(b'{"a": 1}'), limit=100)
    b'{"a": 1}'
    """
    return gzip.compress(data, BODY_GZIP_LEVEL, mtime=0)


def inflate_body(data: bytes, limit: int) -> bytes:
    """The body of a ``Content-Encoding: gzip`` request: one complete gzip stream, bounded.

    Args:
        data (bytes): the body as received.
        limit (int): the largest decompressed size accepted (the service's body cap).

    Returns:
        bytes: the decompressed body.

    Raises:
        BodyTooLargeError: the body inflates past ``limit`` (a 413).
        WireDecodeError: not gzip, a truncated stream, or bytes after it (a 400).
    """
    try:
        out, complete, rest = _inflate_member(data, limit)
    except zlib.error as exc:
        raise WireDecodeError(str(exc)) from None
    if len(out) > limit:
        raise BodyTooLargeError(None, limit)
    if not complete or rest:
        raise WireDecodeError("truncated stream or trailing data")
    return out
