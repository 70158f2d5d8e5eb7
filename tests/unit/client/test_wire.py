"""Tests for pennylane_qoro.client.wire: QH1/QH2, gzip+base64, @gzs, payload sizing."""

from __future__ import annotations

import base64
import contextlib
import gzip
import json
import pickle
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qoro.client import wire
from pennylane_qoro.client.errors import PayloadError, WireDecodeError
from pennylane_qoro.client.wire import (
    MAX_PAYLOAD_BYTES,
    compress_text,
    decode_histogram,
    decode_histogram_arrays,
    decode_observables,
    decompress_text,
    encode_counts,
    encode_histogram,
    encode_observables,
    json_body,
    plan_bound_requests,
    plan_template_requests,
    validate_pauli_terms,
)

WIDTHS = [0, 1, 8, 63, 64, 255, 256, 1000]


def _blob(envelope: dict) -> bytes:
    return base64.b64decode(envelope["payload"])


def _env(blob: bytes, encoding: str = "qh1", n_bits: int | None = None) -> dict:
    env = {"encoding": encoding, "payload": base64.b64encode(blob).decode()}
    if n_bits is not None:
        env["n_bits"] = n_bits
    return env


def _random_histogram(n_bits: int, dense: bool, rng: random.Random) -> dict[int, int]:
    """Sparse: indices spread over the whole range. Dense: a block of consecutive indices."""
    if n_bits == 0:
        return {0: rng.randint(1, 1000)}
    size = min(1 << n_bits, 3000 if dense else 200)
    if dense:
        start = rng.randrange(0, (1 << n_bits) - size + 1)
        indices = range(start, start + size)
    else:
        indices = {rng.getrandbits(n_bits) for _ in range(size)}
        indices |= {0, (1 << n_bits) - 1}  # both ends of the range
    return {i: rng.choice([1, 1, 1, 2, 3, 127, 128, 100_000]) for i in indices}


class TestWorkedExamples:
    """Byte-for-byte examples of qoro-api.md §4.4."""

    def test_qh1_example(self):
        env = encode_counts({"00": 1, "10": 1, "11": 3}, 2)
        assert env == {"encoding": "qh1", "n_bits": 2, "payload": "UUgxAgMFAwACAQQCAQIBAQE="}
        assert _blob(env).hex(" ") == "51 48 31 02 03 05 03 00 02 01 04 02 01 02 01 01 01"

    def test_qh2_example_differs_only_in_magic(self):
        blob = base64.b64decode("UUgyAgMFAwACAQQCAQIBAQE=")
        assert decode_histogram(_env(blob, "qh2", 2)) == {"00": 1, "10": 1, "11": 3}
        assert blob[3:] == _blob(encode_counts({"00": 1, "10": 1, "11": 3}, 2))[3:]

    def test_single_outcome_example(self):
        env = encode_counts({"001": 1000}, 3)
        assert _blob(env).hex(" ") == "51 48 31 03 01 e8 07 01 01 03 01 00 01 01 e6 07"
        assert decode_histogram(env) == {"001": 1000}

    def test_qh2_width_300_is_a_varint(self):
        env = encode_histogram([5], [2], 300)
        assert env["encoding"] == "qh2"
        assert _blob(env)[:5] == b"QH2\xac\x02"

    def test_encoding_switches_above_255_bits(self):
        assert encode_histogram([1], [1], 255)["encoding"] == "qh1"
        assert encode_histogram([1], [1], 256)["encoding"] == "qh2"

    def test_decode_example_envelope(self):
        env = {"encoding": "qh1", "n_bits": 2, "payload": "UUgxAgMFAwACAQQCAQIBAQE="}
        assert decode_histogram(env) == {"00": 1, "10": 1, "11": 3}
        n, idx, cnt = decode_histogram_arrays(env)
        assert n == 2 and idx.tolist() == [0, 2, 3] and cnt.tolist() == [1, 1, 3]
        assert idx.dtype == np.uint64


class TestRoundTrip:
    @pytest.mark.parametrize("n_bits", WIDTHS)
    @pytest.mark.parametrize("dense", [False, True], ids=["sparse", "dense"])
    def test_round_trip(self, n_bits, dense):
        rng = random.Random(n_bits * 2 + dense)
        hist = _random_histogram(n_bits, dense, rng)
        items = list(hist.items())
        rng.shuffle(items)  # the encoder sorts
        indices = [i for i, _ in items]
        counts = [c for _, c in items]
        idx_arg = np.array(indices, dtype=np.uint64) if n_bits <= 64 else indices
        env = encode_histogram(idx_arg, counts, n_bits)
        assert env["encoding"] == ("qh1" if n_bits <= 255 else "qh2")
        assert env["n_bits"] == n_bits

        decoded = decode_histogram(env)
        expected = {format(i, f"0{n_bits}b") if n_bits else "": hist[i] for i in sorted(hist)}
        assert decoded == expected
        assert list(decoded) == list(expected)  # ascending index order

        n, idx, cnt = decode_histogram_arrays(env)
        assert n == n_bits
        assert [int(i) for i in idx] == sorted(hist)
        assert cnt.tolist() == [hist[i] for i in sorted(hist)]
        assert idx.dtype == (np.uint64 if n_bits <= 64 else object)
        assert encode_counts(decoded, n_bits) == env

    def test_full_2_16_histogram(self):
        rng = np.random.default_rng(7)
        counts = rng.integers(1, 40, size=1 << 16)
        env = encode_histogram(np.arange(1 << 16), counts, 16)
        _n, idx, cnt = decode_histogram_arrays(env)
        assert np.array_equal(idx, np.arange(1 << 16)) and np.array_equal(cnt, counts)

    def test_empty_histogram(self):
        env = encode_histogram([], [], 5)
        assert decode_histogram(env) == {}
        n, idx, cnt = decode_histogram_arrays(env)
        assert n == 5 and idx.size == 0 and cnt.size == 0

    def test_empty_rle_block_also_decodes(self):
        # §4.4: an empty histogram may carry rb_len=0 instead of the block "00".
        blob = b"QH1\x05" + bytes([0, 0, 0, 0, 0])
        assert decode_histogram(_env(blob, n_bits=5)) == {}

    def test_duplicates_are_summed(self):
        env = encode_histogram(np.array([3, 1, 3]), [2, 1, 5], 2)
        assert decode_histogram(env) == {"01": 1, "11": 7}
        wide = encode_histogram([1 << 300, 5, 1 << 300], [1, 1, 1], 400)
        assert decode_histogram_arrays(wide)[2].tolist() == [1, 2]

    def test_huge_counts(self):
        env = encode_histogram([0, 1], [2**40, 2**50], 1)
        assert decode_histogram(env) == {"0": 2**40, "1": 2**50}

    def test_max_index_at_64_bits(self):
        top = (1 << 64) - 1
        env = encode_histogram(np.array([0, top], dtype=np.uint64), [1, 9], 64)
        assert decode_histogram_arrays(env)[1].tolist() == [0, top]

    @pytest.mark.parametrize(
        "indices, counts, n_bits, match",
        [
            ([4], [1], 2, "2\\*\\*2"),
            ([-1], [1], 2, "non-negative"),
            ([1], [0], 2, "counts must be > 0"),
            ([1], [-3], 2, "non-negative"),
            ([1 << 70], [1], 64, "64 bits"),
            ([1 << 300], [1], 300, "2\\*\\*300"),
            ([1.5], [1], 2, "integers"),
            ([1, 2], [1], 2, "2 indices but 1 counts"),
            ([0], [1], -1, "n_bits"),
            ([0], [1], (1 << 20) + 1, "QH2 limit"),
        ],
    )
    def test_encoder_rejects_bad_input(self, indices, counts, n_bits, match):
        with pytest.raises(ValueError, match=match):
            encode_histogram(indices, counts, n_bits)

    @pytest.mark.parametrize("key", ["0", "012", "abc", 3])
    def test_encode_counts_rejects_bad_keys(self, key):
        with pytest.raises(ValueError, match="binary string"):
            encode_counts({key: 1}, 2 if key != "012" else 3)

    @settings(max_examples=60, deadline=None)
    @given(
        n_bits=st.sampled_from([1, 3, 7, 8, 20, 64, 65, 128, 300]),
        data=st.data(),
    )
    def test_property_round_trip(self, n_bits, data):
        hist = data.draw(
            st.dictionaries(st.integers(0, (1 << n_bits) - 1), st.integers(1, 2**40), max_size=40)
        )
        idx = list(hist)
        env = encode_histogram(
            np.array(idx, dtype=np.uint64) if n_bits <= 64 else idx, list(hist.values()), n_bits
        )
        decoded = decode_histogram(env)
        assert {int(k, 2): v for k, v in decoded.items()} == hist


class TestPassThrough:
    """§4.3 rules 1-2: only envelopes with a truthy payload are decoded."""

    @pytest.mark.parametrize(
        "value",
        [
            None,
            {},
            [],
            {"ZZ": 0.5, "XI": -1.0},
            {"01": 10, "10": 3},
            {"encoding": "qh1", "n_bits": 2, "payload": ""},
        ],
    )
    def test_returned_unchanged(self, value):
        assert decode_histogram(value) is value

    @pytest.mark.parametrize("encoding", ["QH1", "qh3", None, "gzip"])
    def test_unsupported_encoding(self, encoding):
        with pytest.raises(WireDecodeError, match="Unsupported encoding"):
            decode_histogram({"encoding": encoding, "payload": "UUgx"})
        with pytest.raises(WireDecodeError, match="Unsupported encoding"):
            decode_histogram_arrays({"encoding": encoding, "payload": "UUgx"})

    def test_arrays_requires_envelope(self):
        with pytest.raises(WireDecodeError, match="not a histogram envelope"):
            decode_histogram_arrays({"01": 3})


def _qh(
    *,
    magic=b"QH1",
    width=b"\x02",
    unique=3,
    total=5,
    num_gaps=3,
    gaps=b"\x00\x02\x01",
    rb_len=4,
    rle=b"\x02\x01\x02\x01",
    extras_len=1,
    extras=b"\x01",
    tail=b"",
) -> bytes:
    """The §4.4 worked example with any field replaced."""
    u = wire._uleb_scalar
    return (
        magic
        + width
        + u(unique)
        + u(total)
        + u(num_gaps)
        + gaps
        + u(rb_len)
        + rle
        + u(extras_len)
        + extras
        + tail
    )


class TestCorruption:
    def test_reference_blob_is_valid(self):
        assert decode_histogram(_env(_qh(), n_bits=2)) == {"00": 1, "10": 1, "11": 3}

    @pytest.mark.parametrize(
        "blob, env_kw, match",
        [
            (_qh(magic=b"QX1"), {}, "bad magic"),
            (b"QH", {}, "truncated QH blob: magic"),
            (_qh(), {"encoding": "qh2"}, "version mismatch"),
            (_qh(magic=b"QH2"), {"encoding": "qh1"}, "version mismatch"),
            (_qh(), {"n_bits": 3}, "n_bits mismatch"),
            (_qh(), {"n_bits": True}, "n_bits mismatch"),
            (b"QH1", {}, "truncated QH blob: width"),
            (
                _qh(magic=b"QH2", width=wire._uleb_scalar((1 << 20) + 1)),
                {"encoding": "qh2"},
                "exceeds the limit",
            ),
            (_qh(num_gaps=2), {}, "unique mismatch: num_gaps=2"),
            (_qh(unique=4, num_gaps=4, gaps=b"\x00\x02\x01\x01"), {}, "run-sum mismatch"),
            (_qh()[:-1], {}, "truncated ULEB128"),
            (_qh(gaps=b"\x00\x02\x81"), {}, "truncated|mismatch"),
            (b"QH1\x02\x83", {}, "truncated ULEB128 varint in unique"),
            (_qh(tail=b"\x00"), {}, "trailing bytes"),
            (_qh(rb_len=5), {}, "rb_len mismatch"),
            (_qh(rb_len=3), {}, "rb_len mismatch"),
            (_qh(rb_len=200), {}, "rb_len=200 overruns"),
            (_qh(rle=b"\x02\x01\x02\x02", rb_len=4), {}, "run-sum mismatch"),
            (_qh(rle=b"\x02\x01\x01\x01", rb_len=4), {}, "run-sum mismatch"),
            (_qh(extras_len=2, extras=b"\x01\x01"), {}, "extras mismatch"),
            (_qh(rle=b"\x01\x01\x03", rb_len=3), {}, "extras mismatch"),
            (_qh(gaps=b"\x00\x02\x02"), {}, "exceeds n_bits"),
            (_qh(width=b"\x01", gaps=b"\x00\x01\x01"), {}, "exceeds n_bits"),
            (_qh(total=6), {}, "shot sum mismatch"),
            (_qh(gaps=b"\x00\x02\x00"), {}, "unique mismatch"),
            (_qh(unique=1 << 70), {}, "exceeds destination width"),
            (_qh(gaps=b"\x00\x02" + b"\xff" * 10 + b"\x01"), {}, "exceeds destination width"),
            (_qh(extras=b"\xff" * 9 + b"\x7f"), {}, "exceeds destination width"),
        ],
    )
    def test_raises(self, blob, env_kw, match):
        env = _env(blob, env_kw.get("encoding", blob[:3].decode("ascii", "replace").lower()))
        if env["encoding"] not in ("qh1", "qh2"):
            env["encoding"] = "qh1"
        if "n_bits" in env_kw:
            env["n_bits"] = env_kw["n_bits"]
        with pytest.raises(WireDecodeError, match=match):
            decode_histogram(env)
        with pytest.raises(WireDecodeError, match=match):
            decode_histogram_arrays(env)

    def test_uint64_wraparound_is_detected(self):
        gaps = wire._uleb_scalar((1 << 64) - 1) + wire._uleb_scalar(2)
        blob = _qh(
            width=b"\x40",
            unique=2,
            total=2,
            num_gaps=2,
            gaps=gaps,
            rle=b"\x01\x01\x02",
            rb_len=3,
            extras_len=0,
            extras=b"",
        )
        with pytest.raises(WireDecodeError, match="not strictly increasing"):
            decode_histogram(_env(blob))

    def test_wide_gap_over_width(self):
        # 300-bit register: a 320-bit gap fits the limbs but the index exceeds n_bits.
        gap = wire._uleb_scalar(1 << 310)
        blob = _qh(
            magic=b"QH2",
            width=wire._uleb_scalar(300),
            unique=1,
            total=1,
            num_gaps=1,
            gaps=gap,
            rle=b"\x01\x01\x01",
            rb_len=3,
            extras_len=0,
            extras=b"",
        )
        with pytest.raises(WireDecodeError, match="exceeds n_bits"):
            decode_histogram(_env(blob, "qh2"))
        too_wide = wire._uleb_scalar(1 << 400)
        blob = _qh(
            magic=b"QH2",
            width=wire._uleb_scalar(300),
            unique=1,
            total=1,
            num_gaps=1,
            gaps=too_wide,
            rle=b"\x01\x01\x01",
            rb_len=3,
            extras_len=0,
            extras=b"",
        )
        with pytest.raises(WireDecodeError, match="exceeds destination width"):
            decode_histogram(_env(blob, "qh2"))

    @pytest.mark.parametrize("payload", ["not base64!", "UUgx=A", 12])
    def test_bad_base64(self, payload):
        with pytest.raises(WireDecodeError, match="base64"):
            decode_histogram({"encoding": "qh1", "payload": payload})

    @settings(max_examples=200, deadline=None)
    @given(st.data())
    def test_random_corruption_never_crashes_otherwise(self, data):
        """Flipping or truncating bytes either decodes or raises WireDecodeError, nothing else."""
        blob = bytearray(_blob(encode_histogram([0, 5, 9, 200], [1, 7, 1, 300], 9)))
        pos = data.draw(st.integers(0, len(blob) - 1))
        blob[pos] = data.draw(st.integers(0, 255))
        cut = data.draw(st.integers(1, len(blob)))
        env = _env(bytes(blob[:cut]), "qh1")
        with contextlib.suppress(WireDecodeError):
            decode_histogram(env)


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


class TestObservables:
    def test_reference_example(self):
        wire_str = encode_observables([["ZZII", "IZIZ", "IIII"], ["XI", "IY"]])
        g0, g1 = wire_str.split("|")
        assert g0.startswith("@gzs4:") and g1.startswith("@gzs2:")
        assert decompress_text(g0[6:]) == "Z0Z1;Z1Z3;I"
        assert decompress_text(g1[6:]) == "X0;Y1"
        assert decode_observables(wire_str) == [["ZZII", "IZIZ", "IIII"], ["XI", "IY"]]

    def test_sparse_form_with_multi_digit_indices(self):
        term = "I" * 10 + "X" + "I" * 89 + "Z"
        wire_str = encode_observables([[term, "Y" + "I" * 100]])
        assert decompress_text(wire_str.split(":", 1)[1]) == "X10Z100;Y0"
        assert decode_observables(wire_str) == [[term, "Y" + "I" * 100]]

    def test_round_trip_large(self):
        rng = random.Random(3)
        groups = [
            ["".join(rng.choice("IIXYZ") for _ in range(n)) for _ in range(m)]
            for n, m in [(1, 4), (12, 300), (100, 1000)]
        ]
        assert decode_observables(encode_observables(groups)) == groups

    def test_server_side_decode_accepts_identity_pairs(self):
        text = "@gzs3:" + compress_text("I0Z2;X1")
        assert decode_observables(text) == [["IIZ", "IXI"]]

    @pytest.mark.parametrize(
        "wire_str, match",
        [
            ("ZZ;XI", "does not start with '@gzs<n>:'"),
            ("@gzs2:" + compress_text("Z0") + "|gzs2:abc", "group 1"),
            ("@gzs2:" + compress_text("Z2"), "qubit 2 >= 2"),
            ("@gzs2:" + compress_text("Z0Z0"), "twice"),
            ("@gzs2:" + compress_text("Q0"), "malformed"),
            ("@gzs2:" + compress_text("Z0;;X1"), "malformed"),
            ("@gzs0:" + compress_text("I"), "0 qubits"),
            ("@gzs2:%%%", "base64"),
            ("", "non-empty"),
        ],
    )
    def test_decode_errors(self, wire_str, match):
        with pytest.raises(WireDecodeError, match=match):
            decode_observables(wire_str)

    def test_validate(self):
        assert validate_pauli_terms(["XYZI", "IIII"]) == 4
        assert validate_pauli_terms(("Z",)) == 1

    @pytest.mark.parametrize(
        "terms, match",
        [
            ([], "at least one term"),
            ("ZZ", "at least one term"),
            (["ZZ", "Z"], "term 1 'Z' has length 1"),
            (["ZZ", ""], "term 1 ''"),
            (["ZA"], "term 0 'ZA'"),
            (["zz"], "term 0 'zz'"),
            (["ZZ", 3], "term 1 3"),
        ],
    )
    def test_validate_errors(self, terms, match):
        with pytest.raises(PayloadError, match=match):
            validate_pauli_terms(terms)
        with pytest.raises(ValueError):
            encode_observables([terms])

    def test_encode_needs_groups(self):
        with pytest.raises(PayloadError, match="at least one group"):
            encode_observables([])
        with pytest.raises(PayloadError, match="group 1"):
            encode_observables([["Z"], ["X", "XX"]])


def _bodies(data: list[bytes]) -> list[dict]:
    return [json.loads(d) for d in data]


class TestJsonBody:
    def test_reference_serialization(self):
        body = {"label": "é", "values": [0.1, -2.0, 1e-20], "finalized": "true"}
        data = json_body(body)
        assert data == b'{"label": "\\u00e9", "values": [0.1, -2.0, 1e-20], "finalized": "true"}'

    @pytest.mark.parametrize("bad", [float("nan"), float("inf"), object()])
    def test_unserializable(self, bad):
        with pytest.raises(PayloadError, match="cannot be serialized"):
            json_body({"x": bad})


class TestBoundChunking:
    def test_envelope_and_finalized(self):
        circuits = [(f"c{i}", "x" * 10) for i in range(3)]
        (only,) = _bodies(plan_bound_requests(circuits, {"shots": 100}))
        assert only == {
            "circuits": dict(circuits),
            "mode": "append",
            "finalized": "true",
            "shots": 100,
        }
        assert list(only["circuits"]) == ["c0", "c1", "c2"]

    def _two_circuit_fill(self, extra: int) -> list[tuple[str, str]]:
        """Two circuits whose single finalized body is exactly MAX_PAYLOAD_BYTES + extra."""
        circuits = [("a", "A" * 1000), ("b", "")]
        size = len(
            json_body(
                {"circuits": dict(circuits), "mode": "append", "finalized": "true", "shots": 10}
            )
        )
        circuits[1] = ("b", "B" * (MAX_PAYLOAD_BYTES - size + extra))
        return circuits

    def test_final_body_exactly_at_cap_is_one_request(self):
        circuits = self._two_circuit_fill(0)
        data = plan_bound_requests(circuits, {"shots": 10})
        assert len(data) == 1 and len(data[0]) == MAX_PAYLOAD_BYTES

    def test_final_body_one_byte_over_splits(self):
        circuits = self._two_circuit_fill(1)
        data = plan_bound_requests(circuits, {"shots": 10})
        assert [list(b["circuits"]) for b in _bodies(data)] == [["a"], ["b"]]
        assert [b["finalized"] for b in _bodies(data)] == ["false", "true"]
        assert all(len(d) <= MAX_PAYLOAD_BYTES for d in data)

    @pytest.mark.parametrize(
        "extra, expected", [(0, [["a", "b"], ["c"]]), (1, [["a"], ["b", "c"]])]
    )
    def test_non_final_body_at_cap(self, extra, expected):
        circuits = [("a", "A" * 5000), ("b", ""), ("c", "C" * 100)]
        head = {
            "circuits": {"a": circuits[0][1], "b": ""},
            "mode": "append",
            "finalized": "false",
            "shots": 7,
        }
        circuits[1] = ("b", "B" * (MAX_PAYLOAD_BYTES - len(json_body(head)) + extra))
        data = plan_bound_requests(circuits, {"shots": 7})
        bodies = _bodies(data)
        assert [list(b["circuits"]) for b in bodies] == expected
        if extra == 0:
            assert len(data[0]) == MAX_PAYLOAD_BYTES
        assert all(len(d) <= MAX_PAYLOAD_BYTES for d in data)

    def test_single_circuit_over_cap_raises(self):
        base = len(
            json_body({"circuits": {"a": ""}, "mode": "append", "finalized": "true", "shots": 1})
        )
        fits = [("a", "x" * (MAX_PAYLOAD_BYTES - base))]
        assert len(plan_bound_requests(fits, {"shots": 1})[0]) == MAX_PAYLOAD_BYTES
        with pytest.raises(
            PayloadError, match="circuit 'a' needs a 996148-byte request on its own"
        ):
            plan_bound_requests([("a", "x" * (MAX_PAYLOAD_BYTES - base + 1))], {"shots": 1})

    def test_shot_groups_example_exact(self):
        # §3.3: global [[0,3,100],[3,5,200]] with chunk sizes 2 and 3.
        circuits = [(f"c{i}", "q" * (100 if i < 2 else 20)) for i in range(5)]
        sg = [[0, 3, 100], [3, 5, 200]]
        second = {
            "circuits": dict(circuits[2:]),
            "mode": "append",
            "finalized": "true",
            "shot_groups": [[0, 1, 100], [1, 3, 200]],
        }
        first = {
            "circuits": dict(circuits[:2]),
            "mode": "append",
            "finalized": "false",
            "shot_groups": [[0, 2, 100]],
        }
        cap = len(json_body(first))
        assert len(json_body(second)) < cap
        bodies = _bodies(plan_bound_requests(circuits, {}, shot_groups=sg, max_bytes=cap))
        assert bodies == [first, second]

    def test_circuit_ham_map_unchanged_in_every_chunk(self):
        circuits = [(f"c{i}", "q" * 400) for i in range(6)]
        env = {
            "observables": encode_observables([["ZZ"], ["XX", "YY"]]),
            "circuit_ham_map": [[0, 4], [4, 6]],
        }
        data = plan_bound_requests(circuits, env, max_bytes=1400)
        bodies = _bodies(data)
        assert len(bodies) > 1
        assert all(b["circuit_ham_map"] == [[0, 4], [4, 6]] for b in bodies)
        assert all(b["observables"] == env["observables"] for b in bodies)
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]
        assert [k for b in bodies for k in b["circuits"]] == [c for c, _ in circuits]

    @pytest.mark.parametrize(
        "sg, match",
        [
            ([[0, 2, 10]], "cover \\[0, 2\\) but there are 3"),
            ([[0, 2, 10], [1, 3, 5]], "expected start 2"),
            ([[0, 3, 0]], "shots > 0"),
            ([[0, 0, 1], [0, 3, 1]], "start < end"),
            ([[0, 3]], "three integers"),
            ([[0, 3, True]], "three integers"),
        ],
    )
    def test_bad_shot_groups(self, sg, match):
        with pytest.raises(PayloadError, match=match):
            plan_bound_requests([("a", "x"), ("b", "y"), ("c", "z")], {}, shot_groups=sg)

    def test_rejects_empty_and_duplicates(self):
        with pytest.raises(PayloadError, match="at least one circuit"):
            plan_bound_requests([], {"shots": 1})
        with pytest.raises(PayloadError, match="duplicate circuit label 'a'"):
            plan_bound_requests([("a", "x"), ("a", "y")], {"shots": 1})

    @settings(max_examples=80, deadline=None)
    @given(
        sizes=st.lists(st.integers(0, 300), min_size=1, max_size=30),
        shot_runs=st.lists(st.integers(1, 4), min_size=1, max_size=30),
        cap=st.integers(350, 2500),
        use_groups=st.booleans(),
    )
    def test_property_exact_greedy(self, sizes, shot_runs, cap, use_groups):
        circuits = [(f"lbl{i}", "z" * s) for i, s in enumerate(sizes)]
        n = len(circuits)
        sg = None
        if use_groups:
            sg, start = [], 0
            for k, run in enumerate(shot_runs):
                end = min(n, start + run)
                sg.append([start, end, 10 ** (k % 5) + k])
                start = end
                if start == n:
                    break
            if start < n:
                sg.append([start, n, 3])
        try:
            data = plan_bound_requests(
                circuits, {"shots": 5} if sg is None else {}, shot_groups=sg, max_bytes=cap
            )
        except PayloadError as exc:
            assert "on its own" in str(exc)
            return
        bodies = _bodies(data)
        assert all(len(d) <= cap for d in data)
        assert [k for b in bodies for k in b["circuits"]] == [c for c, _ in circuits]
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]
        offset = 0
        for k, b in enumerate(bodies):
            size = len(b["circuits"])
            if sg is not None:
                assert b["shot_groups"] == wire._local_shot_groups(
                    [tuple(t) for t in sg], offset, offset + size
                )
            if k + 1 < len(bodies):  # greedy: the next circuit would not have fitted
                nxt = circuits[offset + size]
                grown = dict(b, circuits={**b["circuits"], nxt[0]: nxt[1]})
                last = k + 1 == len(bodies) - 1 and len(bodies[k + 1]["circuits"]) == 1
                grown["finalized"] = "true" if last else "false"
                if sg is not None:
                    grown["shot_groups"] = wire._local_shot_groups(
                        [tuple(t) for t in sg], offset, offset + size + 1
                    )
                assert len(json_body(grown)) > cap
            offset += size


class TestTemplateChunking:
    def _template(self, rows, names=("theta_0", "theta_1")):
        return (compress_text("rx(theta_0) q[0];"), list(names), rows)

    def test_every_request_resends_template(self):
        rows = [(f"r{i}", [i * 0.1, -1.0]) for i in range(40)]
        data = plan_template_requests([self._template(rows)], {"shots": 50}, max_bytes=1200)
        bodies = _bodies(data)
        assert len(bodies) > 1
        for b in bodies:
            assert b["circuit_template"] == self._template(rows)[0]
            assert b["parameter_names"] == ["theta_0", "theta_1"]
            assert b["mode"] == "append" and b["shots"] == 50
            assert all(len(r["values"]) == 2 for r in b["parameter_sets"])
        labels = [r["label"] for b in bodies for r in b["parameter_sets"]]
        assert labels == [r for r, _ in rows]
        assert [b["finalized"] for b in bodies] == ["false"] * (len(bodies) - 1) + ["true"]

    def test_finalized_only_on_last_template(self):
        t1 = self._template([("a", [1, 2])])
        t2 = self._template([("b", [3, 4])])
        bodies = _bodies(plan_template_requests([t1, t2], {"shots": 5}))
        assert [b["finalized"] for b in bodies] == ["false", "true"]
        assert bodies[0]["parameter_sets"] == [{"label": "a", "values": [1.0, 2.0]}]

    @pytest.mark.parametrize("extra, n_requests", [(0, 1), (1, 2)])
    def test_exact_cap(self, extra, n_requests):
        t = self._template([("a", [0.5, 0.25]), ("b", [1.0, 2.0])])
        full = {
            "circuit_template": t[0],
            "parameter_names": t[1],
            "parameter_sets": [
                {"label": "a", "values": [0.5, 0.25]},
                {"label": "b", "values": [1.0, 2.0]},
            ],
            "mode": "append",
            "finalized": "true",
            "shots": 3,
        }
        cap = len(json_body(full)) - extra
        data = plan_template_requests([t], {"shots": 3}, max_bytes=cap)
        assert len(data) == n_requests
        assert all(len(d) <= cap for d in data)

    def test_fixed_overhead_reaching_cap(self):
        t = self._template([("a", [0.0, 0.0])])
        head = {
            "circuit_template": t[0],
            "parameter_names": t[1],
            "parameter_sets": [],
            "mode": "append",
            "finalized": "false",
            "shots": 1,
        }
        with pytest.raises(PayloadError, match="fixed overhead"):
            plan_template_requests([t], {"shots": 1}, max_bytes=len(json_body(head)))

    def test_row_too_large(self):
        t = self._template([("a" * 2000, [0.0, 0.0])])
        with pytest.raises(PayloadError, match="on its own"):
            plan_template_requests([t], {"shots": 1}, max_bytes=1000)

    @pytest.mark.parametrize(
        "rows, match",
        [
            ([], "no parameter rows"),
            ([("a", [1.0])], "1 values for 2 parameter names"),
            ([("a", [1.0, float("nan")])], "non-finite"),
            ([("a", [1.0, 2.0]), ("a", [1.0, 2.0])], "duplicate circuit label 'a'"),
            ([(3, [1.0, 2.0])], "not a string"),
        ],
    )
    def test_bad_rows(self, rows, match):
        with pytest.raises(PayloadError, match=match):
            plan_template_requests([self._template(rows)], {"shots": 1})

    def test_integer_values_sent_as_floats(self):
        (body,) = _bodies(plan_template_requests([self._template([("a", [1, 2])])], {}))
        assert body["parameter_sets"][0]["values"] == [1.0, 2.0]
        assert b"[1.0, 2.0]" in plan_template_requests([self._template([("a", [1, 2])])], {})[0]

    def test_empty_parameter_names(self):
        t = (compress_text("x q[0];"), [], [("only", [])])
        (body,) = _bodies(plan_template_requests([t], {"shots": 2}))
        assert body["parameter_names"] == [] and body["parameter_sets"] == [
            {"label": "only", "values": []}
        ]


# §1.4's example and §1.5's worked example (Q = [[1, .5], [.5, 2]]), byte for byte.
SPEC_LEGACY = {"0": -2.5, "1": -3.0, "2": -3.5, "3": -2.5, "4": -2.5,
               "0,1": 2.0, "0,2": 1.0, "0,4": 2.0, "1,2": 4.0, "2,3": 2.0, "3,4": 3.0}
SPEC_FACTORED = {"_format": "factored_v1", "n": 2, "k": 2,
                 "F": "000000000000e0bf000000000000e03f000000000000e03f000000000000e03f",
                 "signs": [-1.0, 1.0], "diag": "000000000000f03f0000000000000040"}

_QUBO_TERMS = st.dictionaries(
    st.lists(st.integers(0, 300), min_size=0, max_size=4, unique=True).map(
        lambda idx: tuple(sorted(idx))),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    max_size=30,
)


class TestQuboPayloads:
    """The characterization QUBO codecs (characterization.md §1.4, §1.5)."""

    @settings(max_examples=200, deadline=None)
    @given(_QUBO_TERMS)
    def test_legacy_round_trip_through_json(self, terms):
        """Test that decode(json(encode(terms))) gives the same terms, bit for bit."""
        wire_dict = wire.encode_legacy_qubo(terms)
        back = wire.decode_legacy_qubo(json.loads(json.dumps(wire_dict, allow_nan=False)))
        assert back == terms
        assert list(wire_dict) == [",".join(map(str, k)) for k in sorted(terms)]

    def test_legacy_spec_example(self):
        """Test §1.4's example both ways: "i" for linear terms, whole pair coefficients."""
        terms = wire.decode_legacy_qubo(SPEC_LEGACY)
        assert terms[(3,)] == -2.5 and terms[(1, 2)] == 4.0 and len(terms) == 11
        assert wire.encode_legacy_qubo(terms) == SPEC_LEGACY

    def test_legacy_decoder_reads_every_server_form(self):
        """Test that "i,i" is linear, unordered keys add up and "" is the seed's constant."""
        terms = wire.decode_legacy_qubo({"0,0": -1.0, "0": 0.25, "1,0": 2.0, "0,1": 1.0,
                                         "2,1,2": 3, "": 0.5})
        assert terms == {(0,): -0.75, (0, 1): 3.0, (1, 2): 3.0, (): 0.5}
        assert all(type(v) is float for v in terms.values())
        assert wire.decode_legacy_key("7,3,7") == (3, 7) and wire.decode_legacy_key("") == ()

    @pytest.mark.parametrize(
        ("qubo", "field", "match"),
        [
            ({"0,x": 1.0}, "qubo['0,x']", "malformed key"),
            ({"-1": 1.0}, "qubo['-1']", "malformed key"),
            ({"0,": 1.0}, "qubo['0,']", "malformed key"),
            ({" 1": 1.0}, "qubo[' 1']", "malformed key"),
            ({"\u0663": 1.0}, "qubo['\u0663']", "malformed key"),  # a non-ASCII digit
            ({3: 1.0}, "qubo[3]", "strings of comma-joined"),
            ({"0": True}, "qubo['0']", "got bool"),
            ({"0": "1.5"}, "qubo['0']", "got str"),
            ({"0": float("nan")}, "qubo['0']", "finite"),
            ({"0": float("-inf")}, "qubo['0']", "finite"),
            ([["0", 1.0]], "qubo", "JSON object"),
        ],
    )
    def test_legacy_decode_errors_name_the_entry(self, qubo, field, match):
        """Test that each bad entry raises WireDecodeError whose field locates it."""
        with pytest.raises(WireDecodeError, match=match) as err:
            wire.decode_legacy_qubo(qubo)
        assert err.value.field == field and str(err.value).startswith(field + ": ")

    def test_decode_legacy_key_error(self):
        with pytest.raises(WireDecodeError, match=r"malformed QUBO key '1;2'"):
            wire.decode_legacy_key("1;2")

    @pytest.mark.parametrize(
        ("terms", "match"),
        [
            ({(1, 0): 1.0}, "strictly ascending"),
            ({(0, 0): 1.0}, "strictly ascending"),
            ({(-1,): 1.0}, "strictly ascending"),
            ({(True,): 1.0}, "strictly ascending"),
            ({(1.0,): 1.0}, "strictly ascending"),
            ({"0": 1.0}, "strictly ascending"),
            ({(0,): float("nan")}, "not finite"),
        ],
    )
    def test_legacy_encode_errors(self, terms, match):
        with pytest.raises(ValueError, match=match):
            wire.encode_legacy_qubo(terms)

    def test_factored_spec_example_both_ways(self):
        """Test §1.5's worked example: the exact hex strings, and Q decoded from them."""
        F = np.array([[-0.5, 0.5], [0.5, 0.5]])
        assert wire.encode_factored_qubo(F, [-1.0, 1.0], [1.0, 2.0]) == SPEC_FACTORED
        Q = wire.decode_factored_qubo(SPEC_FACTORED)
        assert Q.tolist() == [[1.0, 0.5], [0.5, 2.0]]

    @settings(max_examples=100, deadline=None)
    @given(st.data())
    def test_factored_round_trip_through_json(self, data):
        """Test the exact bytes of F and d survive JSON, and Q = F S F^T + diag(d)."""
        n = data.draw(st.integers(1, 7))
        k = data.draw(st.integers(0, n))
        value = st.floats(-1e3, 1e3, allow_nan=False, width=64)
        F = np.array(data.draw(st.lists(value, min_size=n * k, max_size=n * k))).reshape(n, k)
        signs = data.draw(st.lists(st.sampled_from([1.0, -1.0]), min_size=k, max_size=k))
        d = np.array(data.draw(st.lists(value, min_size=n, max_size=n)))
        env = json.loads(json.dumps(wire.encode_factored_qubo(F, signs, d)))
        assert (env["n"], env["k"], env["signs"]) == (n, k, signs)
        assert env["F"] == env["F"].lower() and len(env["F"]) == 16 * n * k
        assert np.array_equal(np.frombuffer(bytes.fromhex(env["F"]), "<f8"), F.ravel())
        assert np.array_equal(np.frombuffer(bytes.fromhex(env["diag"]), "<f8"), d)
        expected = (F * np.array(signs)) @ F.T + np.diag(d)
        Q = wire.decode_factored_qubo(env)
        assert np.array_equal(Q, Q.T)
        np.testing.assert_allclose(Q, expected, rtol=1e-12, atol=1e-9)

    def test_diagonal_problem_has_k_zero(self):
        """Test k = 0: F is the empty string and Q is diag(d)."""
        env = wire.encode_factored_qubo(np.zeros((3, 0)), [], [1.0, -2.0, 0.5])
        assert env["k"] == 0 and env["F"] == "" and env["signs"] == []
        assert wire.decode_factored_qubo(env).tolist() == np.diag([1.0, -2.0, 0.5]).tolist()
        assert wire.encode_factored_qubo([], [], [1.0, -2.0, 0.5]) == env

    @pytest.mark.parametrize(
        ("change", "field", "match"),
        [
            ({"_format": "factored_v2"}, "qubo._format", "unknown format 'factored_v2'"),
            ({"extra": 1}, "qubo", r"unknown factored_v1 keys: \['extra'\]"),
            ({"diag": None}, "qubo.diag", "hex string"),
            ({"n": True}, "qubo.n", "integer"),
            ({"n": 2.0}, "qubo.n", "integer"),
            ({"k": "2"}, "qubo.k", "integer"),
            ({"n": 0, "k": 0}, "qubo.n", ">= 1"),
            ({"k": 3}, "qubo.k", r"\[0, n=2\], got 3"),
            ({"k": -1}, "qubo.k", r"\[0, n=2\], got -1"),
            ({"signs": [1.0]}, "qubo.signs", "list of k=2"),
            ({"signs": "1,1"}, "qubo.signs", "list of k=2"),
            ({"signs": [1.0, 0.5]}, "qubo.signs", "1.0 or -1.0"),
            ({"signs": [1.0, True]}, "qubo.signs", "1.0 or -1.0"),
            ({"F": "00"}, "qubo.F", r"hex length 2 != 16 \* 4"),
            ({"F": "zz" * 32}, "qubo.F", "not valid hex"),
            ({"F": "00 " * 16 + "0" * 16}, "qubo.F", "not valid hex"),  # fromhex skips " "
            ({"diag": "000000000000f07f" + "00" * 8}, "qubo.diag", "non-finite"),
            ({"diag": "000000000000f87f" + "00" * 8}, "qubo.diag", "non-finite"),
        ],
    )
    def test_factored_decode_errors_name_the_member(self, change, field, match):
        """Test strict validation: each defect raises WireDecodeError naming its member."""
        env = {**SPEC_FACTORED, **change}
        with pytest.raises(WireDecodeError, match=match) as err:
            wire.decode_factored_qubo(env)
        assert err.value.field == field

    def test_factored_missing_key_and_custom_name(self):
        env = {k: v for k, v in SPEC_FACTORED.items() if k != "signs"}
        with pytest.raises(WireDecodeError, match=r"missing \['signs'\]") as err:
            wire.decode_factored_qubo(env, name="options.cost_qubo")
        assert err.value.field == "options.cost_qubo"

    def test_factored_decoder_accepts_upper_case_hex(self):
        env = {**SPEC_FACTORED, "F": SPEC_FACTORED["F"].upper()}
        assert wire.decode_factored_qubo(env).tolist() == [[1.0, 0.5], [0.5, 2.0]]

    @pytest.mark.parametrize(
        ("F", "signs", "diag", "match"),
        [
            (np.ones((2, 1)), [1.0], [], "non-empty vector"),
            (np.ones((3, 1)), [1.0], [0.0, 0.0], r"shape \(n=2, k <= n\)"),
            (np.ones((2, 3)), [1.0] * 3, [0.0, 0.0], r"shape \(n=2, k <= n\)"),
            (np.ones(2), [1.0], [0.0, 0.0], r"shape \(n=2, k <= n\)"),
            (np.ones((2, 1)), [0.0], [0.0, 0.0], "1.0 or -1.0"),
            (np.ones((2, 1)), [1.0, 1.0], [0.0, 0.0], "1 values"),
            (np.full((2, 1), np.inf), [1.0], [0.0, 0.0], "finite"),
            (np.ones((2, 1)), [1.0], [0.0, np.nan], "finite"),
        ],
    )
    def test_factored_encode_errors(self, F, signs, diag, match):
        with pytest.raises(ValueError, match=match):
            wire.encode_factored_qubo(F, signs, diag)

    @settings(max_examples=200, deadline=None)
    @given(st.data())
    def test_random_hex_corruption_never_crashes_otherwise(self, data):
        """Test that damaged hex either decodes or raises WireDecodeError, nothing else."""
        member = data.draw(st.sampled_from(["F", "diag"]))
        text = list(SPEC_FACTORED[member])
        pos = data.draw(st.integers(0, len(text) - 1))
        text[pos] = data.draw(st.sampled_from("0123456789abcdefg ;"))
        cut = data.draw(st.integers(0, len(text)))
        env = {**SPEC_FACTORED, member: "".join(text[:cut])}
        with contextlib.suppress(WireDecodeError):
            Q = wire.decode_factored_qubo(env)
            assert Q.shape == (2, 2) and np.all(np.isfinite(Q))

    def test_json_number_and_field_error_pickle(self):
        """Test the shared coefficient rule and that WireFieldError keeps its field."""
        assert wire.decode_json_number(3, name="x") == 3.0
        with pytest.raises(WireDecodeError) as err:
            wire.decode_json_number(float("inf"), name="options.analysis.gamma")
        again = pickle.loads(pickle.dumps(err.value))
        assert (again.field, str(again)) == (err.value.field, str(err.value))
        assert again.field == "options.analysis.gamma"
