"""Tests for pennylane_qoro.protocol.qubo: QUBO payloads (characterization.md §1.4, §1.5)."""

from __future__ import annotations

import contextlib
import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pennylane_qoro.protocol.errors import WireDecodeError
from pennylane_qoro.protocol.qubo import (
    decode_factored_qubo,
    decode_json_number,
    decode_legacy_key,
    decode_legacy_qubo,
    encode_factored_qubo,
    encode_legacy_qubo,
)

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
        wire_dict = encode_legacy_qubo(terms)
        back = decode_legacy_qubo(json.loads(json.dumps(wire_dict, allow_nan=False)))
        assert back == terms
        assert list(wire_dict) == [",".join(map(str, k)) for k in sorted(terms)]

    def test_legacy_spec_example(self):
        """Test §1.4's example both ways: "i" for linear terms, whole pair coefficients."""
        terms = decode_legacy_qubo(SPEC_LEGACY)
        assert terms[(3,)] == -2.5 and terms[(1, 2)] == 4.0 and len(terms) == 11
        assert encode_legacy_qubo(terms) == SPEC_LEGACY

    def test_legacy_decoder_reads_every_server_form(self):
        """Test that "i,i" is linear, unordered keys add up and "" is the seed's constant."""
        terms = decode_legacy_qubo({"0,0": -1.0, "0": 0.25, "1,0": 2.0, "0,1": 1.0,
                                         "2,1,2": 3, "": 0.5})
        assert terms == {(0,): -0.75, (0, 1): 3.0, (1, 2): 3.0, (): 0.5}
        assert all(type(v) is float for v in terms.values())
        assert decode_legacy_key("7,3,7") == (3, 7) and decode_legacy_key("") == ()

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
            decode_legacy_qubo(qubo)
        assert err.value.field == field and str(err.value).startswith(field + ": ")

    def test_decode_legacy_key_error(self):
        with pytest.raises(WireDecodeError, match=r"malformed QUBO key '1;2'"):
            decode_legacy_key("1;2")

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
            encode_legacy_qubo(terms)

    def test_factored_spec_example_both_ways(self):
        """Test §1.5's worked example: the exact hex strings, and Q decoded from them."""
        F = np.array([[-0.5, 0.5], [0.5, 0.5]])
        assert encode_factored_qubo(F, [-1.0, 1.0], [1.0, 2.0]) == SPEC_FACTORED
        Q = decode_factored_qubo(SPEC_FACTORED)
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
        env = json.loads(json.dumps(encode_factored_qubo(F, signs, d)))
        assert (env["n"], env["k"], env["signs"]) == (n, k, signs)
        assert env["F"] == env["F"].lower() and len(env["F"]) == 16 * n * k
        assert np.array_equal(np.frombuffer(bytes.fromhex(env["F"]), "<f8"), F.ravel())
        assert np.array_equal(np.frombuffer(bytes.fromhex(env["diag"]), "<f8"), d)
        expected = (F * np.array(signs)) @ F.T + np.diag(d)
        Q = decode_factored_qubo(env)
        assert np.array_equal(Q, Q.T)
        np.testing.assert_allclose(Q, expected, rtol=1e-12, atol=1e-9)

    def test_diagonal_problem_has_k_zero(self):
        """Test k = 0: F is the empty string and Q is diag(d)."""
        env = encode_factored_qubo(np.zeros((3, 0)), [], [1.0, -2.0, 0.5])
        assert env["k"] == 0 and env["F"] == "" and env["signs"] == []
        assert decode_factored_qubo(env).tolist() == np.diag([1.0, -2.0, 0.5]).tolist()
        assert encode_factored_qubo([], [], [1.0, -2.0, 0.5]) == env

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
            decode_factored_qubo(env)
        assert err.value.field == field

    def test_factored_missing_key_and_custom_name(self):
        env = {k: v for k, v in SPEC_FACTORED.items() if k != "signs"}
        with pytest.raises(WireDecodeError, match=r"missing \['signs'\]") as err:
            decode_factored_qubo(env, name="options.cost_qubo")
        assert err.value.field == "options.cost_qubo"

    def test_factored_decoder_accepts_upper_case_hex(self):
        env = {**SPEC_FACTORED, "F": SPEC_FACTORED["F"].upper()}
        assert decode_factored_qubo(env).tolist() == [[1.0, 0.5], [0.5, 2.0]]

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
            encode_factored_qubo(F, signs, diag)

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
            Q = decode_factored_qubo(env)
            assert Q.shape == (2, 2) and np.all(np.isfinite(Q))

    def test_json_number_and_field_error_pickle(self):
        """Test the shared coefficient rule and that WireFieldError keeps its field."""
        assert decode_json_number(3, name="x") == 3.0
        with pytest.raises(WireDecodeError) as err:
            decode_json_number(float("inf"), name="options.analysis.gamma")
        again = pickle.loads(pickle.dumps(err.value))
        assert (again.field, str(again)) == (err.value.field, str(err.value))
        assert again.field == "options.analysis.gamma"
