"""Tests for pennylane_qoro.protocol.histogram: QH1/QH2 envelopes (qoro-api.md §4.3, §4.4)."""

from __future__ import annotations

import base64
import contextlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qoro.protocol._varint import uleb_scalar
from pennylane_qoro.protocol.errors import WireDecodeError
from pennylane_qoro.protocol.histogram import (
    decode_histogram,
    decode_histogram_arrays,
    encode_counts,
    encode_histogram,
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
    u = uleb_scalar
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
                _qh(magic=b"QH2", width=uleb_scalar((1 << 20) + 1)),
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
        gaps = uleb_scalar((1 << 64) - 1) + uleb_scalar(2)
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
        gap = uleb_scalar(1 << 310)
        blob = _qh(
            magic=b"QH2",
            width=uleb_scalar(300),
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
        too_wide = uleb_scalar(1 << 400)
        blob = _qh(
            magic=b"QH2",
            width=uleb_scalar(300),
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


# Regressions the fuzz suite (tests/fuzz) found: hostile input answered with WireDecodeError,
# quickly and in bounded memory (the service runs these decoders on what any token sends).


def test_64_bit_outcomes_on_both_sides_of_2_63_round_trip():
    # numpy reads [0, 2**63] as float64; the encoder must keep every bit
    envelope = encode_histogram([0, 2**63, 2**64 - 1], [1, 2, 3], 64)
    assert decode_histogram(envelope) == {"0" * 64: 1, "1" + "0" * 63: 2, "1" * 64: 3}
    with pytest.raises(ValueError, match="integers"):
        encode_histogram([0, 1.5], [1, 1], 4)


@pytest.mark.parametrize("n_bits", [-1, 1 << 21])
def test_empty_payload_with_an_impossible_width(n_bits):
    with pytest.raises(WireDecodeError, match="out of range"):
        decode_histogram_arrays({"encoding": "qh1", "n_bits": n_bits, "payload": ""})
