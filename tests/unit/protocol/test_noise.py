"""The shared noise-model wire form (``protocol/noise.py``): the setter table and validation."""

from __future__ import annotations

import pytest

from pennylane_qoro.protocol.noise import (
    SETTERS,
    NoiseModelError,
    decode_value,
    encode_value,
    exact_channels_required,
    max_qubit_index,
    readout_setters,
    sampled_setters,
    validate_noise_model,
    validate_noise_options,
)


def _split(sig: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in sig:
        depth += ch in "[("
        depth -= ch in "])"
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return [*parts, cur.strip()]


def _maestro_signatures() -> dict[str, list[tuple[str, bool]]]:
    maestro = pytest.importorskip("maestro")
    out = {}
    for name in dir(maestro.NoiseModel):
        if not name.startswith("set_"):
            continue
        doc = (getattr(maestro._raw_maestro.NoiseModel, name).__doc__ or "").splitlines()[0]
        inner = doc[doc.index("(") + 1:doc.rindex(") ->")]
        params = [p for p in _split(inner) if not p.startswith("self")]
        out[name] = [(p.split(":")[0].strip(), " = " in p) for p in params]
    return out


def test_table_is_maestros_setter_list():
    """Every installed Maestro setter, each with its parameter names and defaults."""
    signatures = _maestro_signatures()
    assert sorted(signatures) == sorted(SETTERS)
    assert len(SETTERS) == 43
    for name, params in SETTERS.items():
        assert [(p[0], len(p) == 3) for p in params] == signatures[name], name


def call(method, *args, **kwargs):
    return {"method": method, "args": list(args), "kwargs": kwargs}


@pytest.mark.parametrize(("calls", "message"), [
    ([call("set_nonsense", 0, 0.1)], r"\[0\]: unknown noise setter 'set_nonsense'"),
    ([call("delete_all")], "every method starts with set_"),
    ([call("set_depolarizing", 0)], r"missing p \(takes qubit, p\)"),
    ([call("set_depolarizing", 0, 0.1, 3)], "takes at most 2 arguments"),
    ([call("set_depolarizing", 0, 0.1, q=3)], "unknown keyword 'q'"),
    ([call("set_depolarizing", 0, 0.1, p=0.2)], "'p' given twice"),
    ([call("set_depolarizing", 0, 1.2)], "p is a probability and must be in"),
    ([call("set_depolarizing", 0, float("nan"))], "must be a finite number"),
    ([call("set_depolarizing", "0", 0.1)], "qubit must be an integer"),
    ([call("set_depolarizing", True, 0.1)], "qubit must be an integer"),
    ([call("set_depolarizing", -1, 0.1)], "qubit must be >= 0"),
    ([call("set_t1_from_time", 0, 1e-8, 0.0)], "t1_time_s is a time and must be positive"),
    ([call("set_thermal_relaxation", 0, -1.0, 1e-5, 1e-5)], "gate_time_s must be >= 0"),
    ([call("set_2q_depolarizing", 1, 1, 0.1)], "q1 and q2 must be distinct"),
    ([call("set_kraus_channel", [0, 0], [[[1, 0], [0, 1]]])], "distinct qubits"),
    ([call("set_kraus_channel", [0], [[[1, 0, 0]]])], "square 2x2 or 4x4"),
    ([call("set_kraus_channel", [0], [[[1, "x"], [0, 1]]])], "__complex__"),
    ([call("set_all_depolarizing", 0, 0.1)], "num_qubits must be >= 1"),
    ([call("set_correlated_ou", 0, 1.0, 0.5, 1e-7, after_1q=1)], "after_1q must be true"),
    ([{"method": "set_depolarizing", "args": [0, 0.1], "extra": 1}], "must be"),
    ({"method": "set_depolarizing"}, "must be a list"),
])
def test_refusals_name_the_field(calls, message):
    with pytest.raises(NoiseModelError, match=message) as info:
        validate_noise_model(calls, where="maestro_config['noise_model']")
    assert "noise_model" in str(info.value)


def test_width_checks_qubits_and_counts():
    validate_noise_model([call("set_depolarizing", 2, 0.1)], width=3)
    with pytest.raises(NoiseModelError, match="not a qubit of the 3-qubit circuit"):
        validate_noise_model([call("set_depolarizing", 3, 0.1)], width=3)
    with pytest.raises(NoiseModelError, match="exceeds the circuit's 3 qubits"):
        validate_noise_model([call("set_all_depolarizing", 4, 0.1)], width=3)


def test_defaults_and_keywords_accepted():
    out = validate_noise_model([call("set_thermal_relaxation", 0, 1e-8, 5e-5, 3e-5,
                                     excited_population=0.1),
                                {"method": "set_bit_flip", "args": [1, 0.1]}])
    assert out[1]["kwargs"] == {}


def test_model_queries():
    calls = [call("set_kraus_channel", [2, 4], [[[1] * 4] * 4]), call("set_all_readout_error",
                                                                       3, 0.1),
             call("set_coherent_rotation", 1, 0.1, 0.0, 0.0)]
    assert max_qubit_index(calls) == 5
    assert exact_channels_required(calls) == ["set_kraus_channel"]
    assert readout_setters(calls) == ["set_all_readout_error"]
    assert sampled_setters(calls) == ["set_coherent_rotation"]
    assert max_qubit_index([]) == 0


def test_complex_codec_round_trip():
    value = [[1 + 2j, 0.5], [{"k": -1j}]]
    wire = encode_value(value)
    assert wire[0][0] == {"__complex__": [1.0, 2.0]}
    assert decode_value(wire) == value


def test_noise_options():
    validate_noise_options(0, 1, where="m")
    validate_noise_options(None, None, where="m")
    with pytest.raises(NoiseModelError, match=r"m\['noise_seed'\]"):
        validate_noise_options(1.5, None, where="m")
    with pytest.raises(NoiseModelError, match=r"m\['noise_realizations'\] must be an integer >= 1"):
        validate_noise_options(None, 0, where="m")

