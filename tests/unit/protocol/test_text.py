"""Tests for pennylane_qoro.protocol.text: gzip+base64 text (§3.1), JSON bodies, body gzip."""

from __future__ import annotations

import base64
import gzip

import pytest

from pennylane_qoro.protocol.errors import BodyTooLargeError, PayloadError, WireDecodeError
from pennylane_qoro.protocol.text import (
    compress_text,
    decompress_text,
    gzip_body,
    inflate_body,
    json_body,
)

REF_QASM = (
    'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\n'
    "measure q[0] -> c[0];\nmeasure q[1] -> c[1];\n"
)
REF_GZ = (
    "H4sIAAAAAAACA/MPcPULdAz2VTDSM7DmysxLzilNSVVQKkzNyUwy1APylay5CotS0xUKo41irbmSQcxkMDMDKGQA"
    "EqoAM3QKow2BvNzUxOLSolSwkIKuHVCtAYqoIVQUpBYAMKIkW3wAAAA="
)


class TestText:
    def test_reference_example_byte_for_byte(self):
        assert compress_text(REF_QASM) == REF_GZ
        assert decompress_text(REF_GZ) == REF_QASM

    def test_deterministic_and_plain_gzip(self):
        text = "qreg q[3]; // β γ\n" * 50
        assert compress_text(text) == compress_text(text)
        assert gzip.decompress(base64.b64decode(compress_text(text))).decode() == text
        assert decompress_text(compress_text(text)) == text

    def test_multi_member(self):
        data = gzip.compress(b"ab", mtime=0) + gzip.compress(b"cd", mtime=0)
        assert decompress_text(base64.b64encode(data).decode()) == "abcd"

    @pytest.mark.parametrize(
        "data, match",
        [
            ("***", "base64"),
            ("", "empty"),
            (base64.b64encode(b"plain text").decode(), "gzip"),
            (base64.b64encode(gzip.compress(b"x" * 100)[:-12]).decode(), "truncated"),
            (base64.b64encode(gzip.compress(b"\xff\xfe")).decode(), "UTF-8"),
            (None, "base64 string"),
        ],
    )
    def test_errors(self, data, match):
        with pytest.raises(WireDecodeError, match=match):
            decompress_text(data)

    def test_size_limit(self):
        bomb = compress_text("0" * 100_000)
        assert len(decompress_text(bomb, max_bytes=100_000)) == 100_000
        with pytest.raises(WireDecodeError, match="exceeds 99999 bytes"):
            decompress_text(bomb, max_bytes=99_999)


class TestJsonBody:
    def test_reference_serialization(self):
        body = {"label": "é", "values": [0.1, -2.0, 1e-20], "finalized": "true"}
        data = json_body(body)
        assert data == b'{"label": "\\u00e9", "values": [0.1, -2.0, 1e-20], "finalized": "true"}'

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), object()])
    def test_unserializable(self, bad):
        with pytest.raises(PayloadError, match="cannot be serialized"):
            json_body({"x": bad})


class TestBodyGzip:
    """Request bodies sent with ``Content-Encoding: gzip`` (the client compresses, the local
    service inflates, bounded)."""

    def test_round_trip_and_deterministic(self):
        data = b'{"circuits": {"a": "' + b"x" * 10_000 + b'"}}'
        assert gzip_body(data) == gzip_body(data)  # mtime 0
        assert len(gzip_body(data)) < len(data) // 10
        assert inflate_body(gzip_body(data), limit=len(data)) == data
        assert gzip.decompress(gzip_body(data)) == data

    def test_over_the_limit_is_too_large(self):
        with pytest.raises(BodyTooLargeError, match="exceeds the limit of 99 bytes") as err:
            inflate_body(gzip_body(b"x" * 100), limit=99)
        assert err.value.limit == 99 and err.value.size is None
        assert isinstance(err.value, PayloadError)

    @pytest.mark.parametrize(
        "data, match",
        [
            (b"plain text", "header"),
            (gzip.compress(b"x" * 100)[:-12], "truncated"),
            (gzip.compress(b"ab") + b"junk", "trailing"),
            (gzip.compress(b"ab") + gzip.compress(b"cd"), "trailing"),  # one stream only
        ],
    )
    def test_malformed_streams(self, data, match):
        with pytest.raises(WireDecodeError, match=match):
            inflate_body(data, limit=1000)
