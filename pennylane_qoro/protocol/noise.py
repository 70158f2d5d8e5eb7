"""The noise-model wire form of ``maestro_config`` (qoro-api.md §2.13), checked on both sides.

A noise model travels as the list of recorded ``maestro.NoiseModel`` setter calls::

    [{"method": "set_depolarizing", "args": [0, 0.01], "kwargs": {}}, ...]

Complex numbers appear as ``{"__complex__": [re, im]}``, arrays as nested lists. This module owns
the table of Maestro 0.3.8's 43 setters (:data:`SETTERS`: each parameter's name, kind and
default) and the one validation both the device and the local service run on that form: a known
``set_*`` name, the arity, keyword names, every value's type and range, qubit indices against a
width. It also says which setters need an exact-channel simulation (density matrix or MPO) and
which stay sampled even there (coherent and correlated noise).

Standard library only (shared by the device and the service).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "EXACT_CHANNEL_METHODS",
    "NOISE_KEYS",
    "SETTERS",
    "NoiseModelError",
    "decode_value",
    "encode_value",
    "exact_channels_required",
    "max_qubit_index",
    "readout_setters",
    "sampled_setters",
    "validate_noise_model",
    "validate_noise_options",
]

#: The ``maestro_config`` keys that carry noise (§2.13); not ``SimulatorConfig`` fields.
NOISE_KEYS = ("noise_model", "noise_seed", "noise_realizations")

#: ``simulation_type`` codes on which every channel is applied exactly (DensityMatrix 7,
#: MatrixProductOperator 8).
EXACT_CHANNEL_METHODS = frozenset({7, 8})

# Parameter kinds:
#   qubit  int >= 0 (< width when known)        count  int >= 1 (num_qubits: <= width)
#   prob   finite float in [0, 1]               time   finite float > 0 (T1, T2, T_phi, f)
#   dur    finite float >= 0 (a gate duration)  real   finite float
#   nonneg finite float >= 0                    int    int >= 1 (num_bands)
#   bool   true / false                         pairs  [[sigma, alpha], ...], finite floats
#   targets  [q] or [q1, q2], distinct          kraus  list of square 2x2 / 4x4 complex matrices
_Q, _P = ("qubit", "qubit"), ("p", "prob")
_N = ("num_qubits", "count")
_FLAGS = (("after_1q", "bool", True), ("after_2q", "bool", True))
_STATIONARY = (("stationary_init", "bool", True),)

#: setter -> ((name, kind[, default]), ...): Maestro 0.3.8's signatures (help(NoiseModel)).
SETTERS: dict[str, tuple[tuple[Any, ...], ...]] = {
    "set_depolarizing": (_Q, _P),
    "set_bit_flip": (_Q, _P),
    "set_dephasing": (_Q, _P),
    "set_qubit_noise": (_Q, ("px", "prob"), ("py", "prob"), ("pz", "prob")),
    "set_all_depolarizing": (_N, _P),
    "set_all_dephasing": (_N, _P),
    "set_1q_gate_depolarizing": (_Q, _P),
    "set_all_1q_gate_depolarizing": (_N, _P),
    "set_2q_gate_depolarizing": (_Q, _P),
    "set_all_2q_gate_depolarizing": (_N, _P),
    "set_2q_depolarizing": (("q1", "qubit"), ("q2", "qubit"), _P),
    "set_t1": (_Q, ("gamma", "prob")),
    "set_all_t1": (_N, ("gamma", "prob")),
    "set_t1_from_time": (_Q, ("gate_time_s", "dur"), ("t1_time_s", "time")),
    "set_t1_2q": (_Q, ("gamma", "prob")),
    "set_t1_2q_from_time": (_Q, ("gate_time_s", "dur"), ("t1_time_s", "time")),
    "set_phase_damping": (_Q, ("gamma", "prob")),
    "set_phase_damping_from_time": (_Q, ("gate_time_s", "dur"), ("t_phi_s", "time")),
    "set_thermal_relaxation": (_Q, ("gate_time_s", "dur"), ("t1_s", "time"), ("t2_s", "time"),
                               ("excited_population", "prob", 0.0)),
    "set_thermal_relaxation_2q": (_Q, ("gate_time_s", "dur"), ("t1_s", "time"),
                                  ("t2_s", "time"), ("excited_population", "prob", 0.0)),
    "set_generalized_amplitude_damping": (_Q, ("gamma", "prob"),
                                          ("excited_population", "prob")),
    "set_kraus_channel": (("targets", "targets"), ("kraus_operators", "kraus")),
    "set_correlated_phase_flip": (("q1", "qubit"), ("q2", "qubit"), ("probability", "prob"),
                                  ("correlation", "prob", 1.0)),
    "set_readout_error": (_Q, ("p_meas1_prep0", "prob"), ("p_meas0_prep1", "prob")),
    "set_readout_error_symmetric": (_Q, ("p_error", "prob")),
    "set_all_readout_error": (_N, ("p_error", "prob")),
    "set_idle_noise": (_Q, ("t1", "time"), ("t2", "time"), ("excited_population", "prob", 0.0),
                       ("detuning_hz", "real", 0.0)),
    "set_coherent_rotation": (_Q, ("rx", "real"), ("ry", "real"), ("rz", "real")),
    "set_coherent_bit_flip": (_Q, _P),
    "set_coherent_dephasing": (_Q, _P),
    "set_coherent_depolarizing": (_Q, _P),
    "set_all_coherent_dephasing": (_N, _P),
    "set_all_coherent_depolarizing": (_N, _P),
    "set_coherent_strength": (_N, _P),
    "set_crosstalk": (("q1", "qubit"), ("q2", "qubit"), ("strength", "real")),
    "set_correlated_ou": (_Q, ("sigma", "nonneg"), ("alpha", "nonneg"), ("gate_time", "dur"),
                          *_FLAGS, *_STATIONARY),
    "set_correlated_ou_band": (_Q, ("sigma", "nonneg"), ("alpha", "nonneg"),
                               ("gate_time", "dur"), *_FLAGS, *_STATIONARY),
    "set_all_correlated_ou": (_N, ("sigma", "nonneg"), ("alpha", "nonneg"),
                              ("gate_time", "dur"), *_FLAGS, *_STATIONARY),
    "set_correlated_ar1": (_Q, ("phi", "real"), ("sigma_eta", "nonneg"), *_FLAGS, *_STATIONARY),
    "set_multi_correlated_ou": (_Q, ("bands", "pairs"), ("gate_time", "dur"), *_FLAGS,
                                *_STATIONARY),
    "set_all_multi_correlated_ou": (_N, ("bands", "pairs"), ("gate_time", "dur"), *_FLAGS,
                                    *_STATIONARY),
    "set_all_correlated_from_power": (_N, ("power", "nonneg"), ("alpha", "nonneg"),
                                      ("gate_time", "dur"), *_FLAGS),
    "set_1_over_f_noise": (_Q, ("total_power", "nonneg"), ("f_min", "time"), ("f_max", "time"),
                           ("num_bands", "int"), ("gate_time", "dur"), *_FLAGS, *_STATIONARY),
}

_EXACT_ONLY = frozenset({"set_generalized_amplitude_damping", "set_kraus_channel",
                         "set_correlated_phase_flip"})
_SAMPLED_PREFIXES = ("set_coherent", "set_all_coherent", "set_crosstalk", "set_correlated_ou",
                     "set_all_correlated", "set_correlated_ar1", "set_multi_correlated",
                     "set_all_multi_correlated", "set_1_over_f")
_READOUT = frozenset({"set_readout_error", "set_readout_error_symmetric",
                      "set_all_readout_error"})


class NoiseModelError(ValueError):
    """A noise model (or a noise option) is malformed; the message names the field."""


def encode_value(value: Any) -> Any:
    """A Python value -> its JSON wire form (complex -> ``{"__complex__": [re, im]}``).

    >>> encode_value([1, 0.5j, (2.0, 3)])
    [1, {'__complex__': [0.0, 0.5]}, [2.0, 3]]
    """
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, list | tuple):
        return [encode_value(v) for v in value]
    if isinstance(value, dict):
        return {k: encode_value(v) for k, v in value.items()}
    return value


def decode_value(value: Any) -> Any:
    """The wire form -> Python values (``{"__complex__": [re, im]}`` -> complex).

    >>> decode_value([{"__complex__": [1, -2]}, {"a": [0.5]}])
    [(1-2j), {'a': [0.5]}]
    """
    if isinstance(value, dict):
        if set(value) == {"__complex__"}:
            re, im = value["__complex__"]
            return complex(re, im)
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_real(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check(where: str, kind: str, v: Any, width: int | None) -> None:
    if kind in ("qubit", "count", "int"):
        if not _is_int(v):
            raise NoiseModelError(f"{where} must be an integer, got {type(v).__name__}")
        low = 0 if kind == "qubit" else 1
        if v < low:
            raise NoiseModelError(f"{where} must be >= {low}, got {v}")
        if width is not None and kind == "qubit" and v >= width:
            raise NoiseModelError(f"{where} = {v} is not a qubit of the {width}-qubit circuit")
        if width is not None and kind == "count" and v > width:
            raise NoiseModelError(f"{where} = {v} exceeds the circuit's {width} qubits")
        return
    if kind == "bool":
        if not isinstance(v, bool):
            raise NoiseModelError(f"{where} must be true or false, got {type(v).__name__}")
        return
    if kind == "targets":
        if not isinstance(v, list) or len(v) not in (1, 2) or len(set(map(repr, v))) != len(v):
            raise NoiseModelError(f"{where} must be a list of 1 or 2 distinct qubits, got {v!r}")
        for i, q in enumerate(v):
            _check(f"{where}[{i}]", "qubit", q, width)
        return
    if kind == "pairs":
        if not isinstance(v, list) or not v:
            raise NoiseModelError(f"{where} must be a non-empty list of [sigma, alpha] pairs")
        for i, pair in enumerate(v):
            if not isinstance(pair, list) or len(pair) != 2 or not all(map(_is_real, pair)):
                raise NoiseModelError(f"{where}[{i}] must be [sigma, alpha] (two numbers)")
        return
    if kind == "kraus":
        _check_kraus(where, v)
        return
    if not _is_real(v):
        raise NoiseModelError(f"{where} must be a finite number, got {v!r}")
    if kind == "prob" and not 0.0 <= v <= 1.0:
        raise NoiseModelError(f"{where} is a probability and must be in [0, 1], got {v}")
    if kind == "time" and v <= 0:
        raise NoiseModelError(f"{where} is a time and must be positive, got {v}")
    if kind in ("dur", "nonneg") and v < 0:
        raise NoiseModelError(f"{where} must be >= 0, got {v}")


def _check_kraus(where: str, ops: Any) -> None:
    if not isinstance(ops, list) or not ops:
        raise NoiseModelError(f"{where} must be a non-empty list of matrices")
    for k, m in enumerate(ops):
        ok = isinstance(m, list) and len(m) in (2, 4) and all(
            isinstance(row, list) and len(row) == len(m) for row in m)
        if not ok:
            raise NoiseModelError(f"{where}[{k}] must be a square 2x2 or 4x4 matrix")
        for row in m:
            for x in row:
                good = _is_real(x) or (isinstance(x, complex) and math.isfinite(abs(x))) or (
                    isinstance(x, dict) and set(x) == {"__complex__"}
                    and isinstance(x["__complex__"], list) and len(x["__complex__"]) == 2
                    and all(map(_is_real, x["__complex__"])))
                if not good:
                    raise NoiseModelError(
                        f"{where}[{k}] has an entry {x!r}: use numbers or "
                        '{"__complex__": [re, im]}')


def validate_noise_model(calls: Any, *, where: str = "noise_model",
                         width: int | None = None) -> list[dict[str, Any]]:
    """Check a noise model in the wire form; returns it with ``kwargs`` defaulted to ``{}``.

    Args:
        calls: the list of ``{"method", "args", "kwargs"}`` objects.
        where (str): the field name used in messages (e.g. ``maestro_config['noise_model']``).
        width (int | None): the circuit width; qubit indices must be below it.

    Raises:
        NoiseModelError: an unknown setter, a wrong arity, an unknown keyword, a value of the
            wrong type or out of range; the message names ``where[i]`` and the parameter.

    >>> validate_noise_model([{"method": "set_depolarizing", "args": [0, 0.1]}])
    [{'method': 'set_depolarizing', 'args': [0, 0.1], 'kwargs': {}}]
    >>> try:
    ...     validate_noise_model([{"method": "set_depolarizing", "args": [0, 1.5]}], where="m")
    ... except NoiseModelError as exc:
    ...     print(exc)
    m[0] set_depolarizing: p is a probability and must be in [0, 1], got 1.5
    """
    if not isinstance(calls, list):
        raise NoiseModelError(f"{where} must be a list of setter calls")
    out = []
    for i, call in enumerate(calls):
        here = f"{where}[{i}]"
        if not isinstance(call, Mapping) or not set(call) <= {"method", "args", "kwargs"}:
            raise NoiseModelError(f'{here} must be {{"method", "args", "kwargs"}}')
        method, args, kwargs = call.get("method"), call.get("args", []), call.get("kwargs") or {}
        if method not in SETTERS:
            hint = "every method starts with set_" if not str(method).startswith("set_") else \
                "see maestro.NoiseModel"
            raise NoiseModelError(f"{here}: unknown noise setter {method!r} ({hint})")
        if not isinstance(args, list) or not isinstance(kwargs, Mapping):
            raise NoiseModelError(f"{here} {method}: args must be a list, kwargs an object")
        params = SETTERS[method]
        required = sum(1 for p in params if len(p) == 2)
        names = [p[0] for p in params]
        if len(args) > len(params):
            raise NoiseModelError(
                f"{here} {method} takes at most {len(params)} arguments "
                f"({', '.join(names)}), got {len(args)}")
        for key in kwargs:
            if key not in names:
                raise NoiseModelError(f"{here} {method}: unknown keyword {key!r}")
            if names.index(key) < len(args):
                raise NoiseModelError(f"{here} {method}: {key!r} given twice")
        given = dict(zip(names, args, strict=False)) | dict(kwargs)
        missing = [n for n, *rest in params[:required] if n not in given]
        if missing:
            raise NoiseModelError(f"{here} {method}: missing {', '.join(missing)} "
                                  f"(takes {', '.join(names)})")
        for name, kind, *_ in params:
            if name in given:
                _check(f"{here} {method}: {name}", kind, given[name], width)
        if method in ("set_2q_depolarizing", "set_correlated_phase_flip", "set_crosstalk") \
                and given["q1"] == given["q2"]:
            raise NoiseModelError(f"{here} {method}: q1 and q2 must be distinct")
        out.append({"method": method, "args": list(args), "kwargs": dict(kwargs)})
    return out


def validate_noise_options(seed: Any, realizations: Any, *, where: str) -> None:
    """``noise_seed`` (int >= 0) and ``noise_realizations`` (int >= 1), or absent (None).

    Raises:
        NoiseModelError: naming ``where[key]``.
    """
    if seed is not None and (not _is_int(seed) or seed < 0):
        raise NoiseModelError(f"{where}['noise_seed'] must be an integer >= 0, got {seed!r}")
    if realizations is not None and (not _is_int(realizations) or realizations < 1):
        raise NoiseModelError(
            f"{where}['noise_realizations'] must be an integer >= 1, got {realizations!r}")


def _bound(call: Mapping[str, Any]) -> dict[str, Any]:
    names = [p[0] for p in SETTERS[call["method"]]]
    return dict(zip(names, call["args"], strict=False)) | dict(call.get("kwargs") or {})


def max_qubit_index(calls: Sequence[Mapping[str, Any]]) -> int:
    """The width a validated model needs: 1 + its largest qubit index or ``num_qubits``
    (0 for an empty model)."""
    need = 0
    for call in calls:
        for (name, kind, *_) in SETTERS[call["method"]]:
            value = _bound(call).get(name)
            if kind == "qubit":
                need = max(need, value + 1)
            elif kind == "count":
                need = max(need, value)
            elif kind == "targets":
                need = max(need, *(q + 1 for q in value))
    return need


def exact_channels_required(calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """Setters of the model that only a density-matrix or MPO simulation runs."""
    return sorted({c["method"] for c in calls if c["method"] in _EXACT_ONLY})


def sampled_setters(calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """Setters whose noise Maestro samples even on a density matrix (coherent, correlated)."""
    return sorted({c["method"] for c in calls if c["method"].startswith(_SAMPLED_PREFIXES)})


def readout_setters(calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """Readout-error setters (they act on samples only; expectation jobs ignore them)."""
    return sorted({c["method"] for c in calls if c["method"] in _READOUT})
