"""Regression tests for what the fuzz suite (tests/fuzz) found in ``client/wire.py``.

Each decoder must answer hostile input with :class:`WireDecodeError`, quickly and in bounded
memory: the service runs these decoders on what any token holder sends.
"""

from __future__ import annotations

import pytest

from pennylane_qoro.client.errors import WireDecodeError
from pennylane_qoro.client.wire import (
    MAX_DENSE_CHARS,
    compress_text,
    decode_histogram,
    decode_histogram_arrays,
    decode_observables,
    encode_histogram,
)


def test_64_bit_outcomes_on_both_sides_of_2_63_round_trip():
    # numpy reads [0, 2**63] as float64; the encoder must keep every bit
    envelope = encode_histogram([0, 2**63, 2**64 - 1], [1, 2, 3], 64)
    assert decode_histogram(envelope) == {"0" * 64: 1, "1" + "0" * 63: 2, "1" * 64: 3}
    with pytest.raises(ValueError, match="integers"):
        encode_histogram([0, 1.5], [1, 1], 4)


@pytest.mark.parametrize(
    "wire, match",
    [
        (f"@gzs3380644793:{compress_text('I')}", "limit"),  # was a MemoryError
        (f"@gzs{'9' * 5000}:{compress_text('I')}", "limit"),  # int() digit limit
        (f"@gzs5:{compress_text('Z' + '0' * 5000 + '1')}", ">= 5"),
        (f"@gzs1048576:{compress_text(';'.join(['I'] * 100))}", str(MAX_DENSE_CHARS)),
        (f"@gzs\u0663:{compress_text('I')}", "@gzs<n>:"),  # non-ASCII digit
    ],
)
def test_observables_that_would_exhaust_memory_are_refused(wire, match):
    with pytest.raises(WireDecodeError, match=match):
        decode_observables(wire)


@pytest.mark.parametrize("n_bits", [-1, 1 << 21])
def test_empty_payload_with_an_impossible_width(n_bits):
    with pytest.raises(WireDecodeError, match="out of range"):
        decode_histogram_arrays({"encoding": "qh1", "n_bits": n_bits, "payload": ""})
