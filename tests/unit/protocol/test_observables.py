"""Tests for pennylane_qoro.protocol.observables: '@gzs' observables (qoro-api.md §3.4)."""

from __future__ import annotations

import random

import pytest

from pennylane_qoro.protocol.errors import PayloadError, WireDecodeError
from pennylane_qoro.protocol.observables import (
    MAX_DENSE_CHARS,
    decode_observables,
    encode_observables,
    validate_pauli_terms,
)
from pennylane_qoro.protocol.text import compress_text, decompress_text


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


# Regressions the fuzz suite (tests/fuzz) found: a hostile '@gzs' is refused, not expanded.


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
