"""The ``options`` object of a ``submit_qubo`` body: one schema, for the client and the service.

characterization.md §1.7 in its current (divi 0.13+) vocabulary: the top-level ``preset``, the
``analysis``, ``ansatz`` and ``subspace`` groups (unknown keys refused, as Composer does),
``constraints`` descriptors, ``n_qubits`` and the ``cost_qubo``/``penalty_qubo`` parts of a
penalty split. :func:`validate_options` checks shape, types and the rules between keys and
returns a normalised copy; :func:`check_width` adds the checks that need the problem's width n
(the client knows n at once; the service only after reading the ``qubo``).

Each failure is a :class:`~.errors.WireFieldError` whose ``field`` is the JSON path
(``options.analysis.gamma``): the service answers 400 with it, the client turns it into its
``OptionsError``. What only one side does stays there: the service's size limit and seed-name
switch, the client's preset argument, warnings and conversion of ``cost_qubo``.

A JSON ``null`` ``analysis``, ``ansatz``, ``constraints`` or penalty part counts as absent.
Imports the standard library and ``protocol`` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .errors import WireFieldError
from .polynomial import BITSTRING

__all__ = [
    "ANALYSIS_FLAGS",
    "ANALYSIS_KEYS",
    "COMPONENT_KEYS",
    "CONSTRAINT_TYPES",
    "MIXERS",
    "PRESETS",
    "SEED_ANALYSIS_NAMES",
    "TOP_KEYS",
    "check_width",
    "validate_options",
]

PRESETS = ("fast", "standard", "deep")
ANALYSIS_FLAGS = ("structural_sensitivity", "parameter_sweep", "penalty_tuning")
ANALYSIS_KEYS = frozenset({"gamma", "beta", *ANALYSIS_FLAGS})
SEED_ANALYSIS_NAMES = {  # the seed's (divi 0.12) analysis keys -> what replaced them (§0)
    "sensitivity": "structural_sensitivity",
    "auto_tune": "penalty_tuning",
    "hardness_only": "preset='deep' with parameter_sweep=False",
}
MIXERS = ("x", "xy", "I")
SUBSPACE_AUTO = ("solver", "max_variable_qubits", "restarts")
SUBSPACE_MANUAL = ("base_bitstring", "variable_qubits")
SUBSPACE_KEYS = frozenset({"auto_warmstart", *SUBSPACE_AUTO, *SUBSPACE_MANUAL})
CONSTRAINT_TYPES = ("max_cardinality", "min_cardinality", "eq_cardinality", "inequality",
                    "equality")
CONSTRAINT_KEYS = frozenset({"type", "bound", "qubits", "weights"})
COMPONENT_KEYS = ("cost_qubo", "penalty_qubo")
TOP_KEYS = frozenset({"preset", "analysis", "ansatz", "subspace", "constraints", "n_qubits",
                      *COMPONENT_KEYS})


def _mapping(value: Any, where: str) -> Mapping:
    if not isinstance(value, Mapping):
        raise WireFieldError(where, f"must be an object, got {type(value).__name__}")
    return value


def _known(group: Mapping, allowed: frozenset, where: str, hint: str = "") -> None:
    extra = set(group) - allowed
    if extra:
        raise WireFieldError(where, f"unknown keys {sorted(extra, key=str)}{hint}")


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise WireFieldError(where, f"must be True or False, got {value!r}")
    return value


def _int(value: Any, where: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise WireFieldError(where, f"must be an integer >= {minimum}, got {value!r}")
    return value


def _number(value: Any, where: str) -> float | int:
    if (isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value)):
        raise WireFieldError(where, f"must be a finite number, got {value!r}")
    return value


def _indices(value: Any, where: str, n: int | None) -> list[int]:
    """A list of variable indices (each >= 0, and < n when n is known)."""
    if not isinstance(value, (list, tuple)):
        raise WireFieldError(where, "must be a list of indices")
    out = [_int(q, f"{where}[{i}]", 0) for i, q in enumerate(value)]
    _in_range(out, where, n)
    return out


def _in_range(indices: list[int], where: str, n: int | None) -> None:
    bad = [q for q in indices if n is not None and q >= n]
    if bad:
        raise WireFieldError(where, f"index {bad[0]} is out of range for n={n}")


def _bitstring(value: Any, where: str, n: int | None) -> str:
    if (not isinstance(value, str) or not BITSTRING.fullmatch(value)
            or (n is not None and len(value) != n)):
        raise WireFieldError(where, "must be a string of 0 and 1" if n is None
                             else f"must be {n} characters 0/1")
    return value


def _group(options: Mapping, name: str) -> Mapping | None:
    value = options.get(name)
    return None if value is None else _mapping(value, f"options.{name}")


def _analysis(group: Mapping) -> dict:
    where = "options.analysis"
    seed = [f"{k!r} is now {SEED_ANALYSIS_NAMES[k]}"
            for k in sorted(set(group) - ANALYSIS_KEYS, key=str)
            if k in SEED_ANALYSIS_NAMES]
    _known(group, ANALYSIS_KEYS, where, f" (seed names: {'; '.join(seed)})" if seed else "")
    for k in ("gamma", "beta"):
        if k in group:
            _number(group[k], f"{where}.{k}")
    if "parameter_sweep" in group:
        sweep = _bool(group["parameter_sweep"], f"{where}.parameter_sweep")
        if sweep and ("gamma" in group or "beta" in group):
            raise WireFieldError(where, "parameter_sweep=True excludes fixed gamma/beta")
    for k in ("structural_sensitivity", "penalty_tuning"):
        if k in group:
            _bool(group[k], f"{where}.{k}")
    return dict(group)


def _ansatz(group: Mapping) -> dict:
    where = "options.ansatz"
    _known(group, frozenset({"mixer", "layers"}), where)
    if "mixer" in group and group["mixer"] not in MIXERS:
        raise WireFieldError(f"{where}.mixer",
                             f"must be 'x', 'xy' or 'I', got {group['mixer']!r}")
    if "layers" in group:
        _int(group["layers"], f"{where}.layers", 1)
    return dict(group)


def _subspace(group: Mapping, n: int | None) -> dict:
    where = "options.subspace"
    _known(group, SUBSPACE_KEYS, where)
    out = dict(group)
    if "auto_warmstart" in group:
        _bool(group["auto_warmstart"], f"{where}.auto_warmstart")
    if "solver" in group and not isinstance(group["solver"], str):
        raise WireFieldError(f"{where}.solver", "must be a string")
    for k in ("max_variable_qubits", "restarts"):
        if k in group:
            _int(group[k], f"{where}.{k}", 1)
    if "base_bitstring" in group:
        _bitstring(group["base_bitstring"], f"{where}.base_bitstring", n)
    if "variable_qubits" in group:
        vq = out["variable_qubits"] = _indices(group["variable_qubits"],
                                               f"{where}.variable_qubits", n)
        if len(set(vq)) != len(vq):
            raise WireFieldError(f"{where}.variable_qubits", "must not contain duplicates")
    manual = group.get("auto_warmstart") is False
    if not manual and any(k in group for k in SUBSPACE_MANUAL):
        raise WireFieldError(where, "base_bitstring/variable_qubits need auto_warmstart=False")
    if manual and any(k in group for k in SUBSPACE_AUTO):
        raise WireFieldError(where, "solver/max_variable_qubits/restarts apply to automatic "
                                    "selection only (auto_warmstart)")
    if ("base_bitstring" in group) != ("variable_qubits" in group):
        raise WireFieldError(where, "base_bitstring and variable_qubits go together")
    return out


def _weights(value: Any, where: str) -> dict[int, float | int]:
    """``{index: weight}``; an index may be an int or a string of digits (JSON keys)."""
    if not isinstance(value, Mapping):
        raise WireFieldError(where, "must be an object {index: weight}")
    out: dict[int, float | int] = {}
    for k, v in value.items():
        if isinstance(k, str) and k.isdigit():
            key = int(k)
        elif isinstance(k, int) and not isinstance(k, bool) and k >= 0:
            key = k
        else:
            raise WireFieldError(where, f"key {k!r} is not an index")
        out[key] = _number(v, f"{where}[{k!r}]")
    return out


def _constraint(c: Any, i: int, n: int | None) -> dict:
    where = f"options.constraints[{i}]"
    _known(_mapping(c, where), CONSTRAINT_KEYS, where)
    if c.get("type") not in CONSTRAINT_TYPES:
        raise WireFieldError(f"{where}.type", f"must be one of {list(CONSTRAINT_TYPES)}")
    if "bound" not in c:
        raise WireFieldError(f"{where}.bound", "is required")
    out: dict[str, Any] = {"type": c["type"], "bound": _number(c["bound"], f"{where}.bound")}
    if "qubits" in c:
        out["qubits"] = _indices(c["qubits"], f"{where}.qubits", None)
    if "weights" in c:
        out["weights"] = _weights(c["weights"], f"{where}.weights")
    if c["type"] in ("inequality", "equality") and not out.get("weights"):
        raise WireFieldError(f"{where}.weights", f"{c['type']!r} requires non-empty weights")
    _constraint_width(out, i, n)
    return out


def _constraint_width(c: Mapping[str, Any], i: int, n: int | None) -> None:
    """Every index a descriptor names (``qubits``, then ``weights``) is below n."""
    _in_range([*c.get("qubits", ()), *c.get("weights", {})], f"options.constraints[{i}]", n)


def validate_options(options: Any, *, n: int | None = None) -> dict[str, Any]:
    """Check an ``options`` object against §1.7; return it normalised.

    Args:
        options: the ``options`` value (None: no options).
        n (int | None): the problem's width when known; indices and ``base_bitstring`` are
            then checked against it (else call :func:`check_width` later).

    Returns:
        dict: the keys given (null groups dropped), ``analysis``/``ansatz``/``subspace`` as
        plain dicts, each constraint as ``{"type", "bound"[, "qubits"][, "weights"]}`` with
        ``weights`` keyed by int, index lists as lists.

    Raises:
        WireFieldError: ``field`` is the JSON path of the first bad value.
    """
    if options is None:
        return {}
    _known(_mapping(options, "options"), TOP_KEYS, "options")
    out: dict[str, Any] = {}
    if "preset" in options:
        if options["preset"] not in PRESETS:
            raise WireFieldError("options.preset", f"must be one of {list(PRESETS)}, got "
                                                   f"{options['preset']!r}")
        out["preset"] = options["preset"]
    for name, check in (("analysis", _analysis), ("ansatz", _ansatz)):
        group = _group(options, name)
        if group is not None:
            out[name] = check(group)
    if "subspace" in options:  # unlike the other groups, a null subspace is refused
        out["subspace"] = _subspace(_mapping(options["subspace"], "options.subspace"), n)
    constraints = options.get("constraints")
    if constraints is not None:
        if not isinstance(constraints, (list, tuple)):
            raise WireFieldError("options.constraints", "must be a list of descriptors")
        out["constraints"] = [_constraint(c, i, n) for i, c in enumerate(constraints)]
    if "n_qubits" in options:
        out["n_qubits"] = _int(options["n_qubits"], "options.n_qubits", 1)
    for name in COMPONENT_KEYS:
        if options.get(name) is not None:
            if not isinstance(options[name], Mapping):
                raise WireFieldError(f"options.{name}", "must be a legacy comma-key object")
            out[name] = options[name]
    if (out.get("analysis", {}).get("penalty_tuning") is True
            and not all(name in out for name in COMPONENT_KEYS)):
        raise WireFieldError("options.analysis.penalty_tuning",
                             "needs options.cost_qubo and options.penalty_qubo")
    return out


def check_width(options: Mapping[str, Any], n: int) -> None:
    """The checks of :func:`validate_options` that need the width n, on its normalised output.

    Raises:
        WireFieldError: an index at or above n, or a ``base_bitstring`` not n characters wide.
    """
    for i, c in enumerate(options.get("constraints", ())):
        _constraint_width(c, i, n)
    sub = options.get("subspace") or {}
    if "base_bitstring" in sub:
        _bitstring(sub["base_bitstring"], "options.subspace.base_bitstring", n)
        _in_range(sub["variable_qubits"], "options.subspace.variable_qubits", n)
