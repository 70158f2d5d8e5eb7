"""Characterization options in the current vocabulary (characterization.md §1.7, divi 0.13+).

Owns :func:`build_options`: checks a plain options mapping against §1.7's rules before any
request (an :class:`~.errors.OptionsError` names the bad key) and returns the ``options`` object
of the ``submit_qubo`` body, with the preset at its top level, ``n_qubits`` attached when the
payload hides or under-states the width, and ``cost_qubo``/``penalty_qubo`` converted to the
problem's wire indices.

Imports numpy, the standard library and this package's problem/errors modules.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from .errors import OptionsError, ProblemError
from .problem import Problem, WireQubo, canonicalize

PRESETS = ("fast", "standard", "deep")
_TOP = {"analysis", "ansatz", "subspace", "constraints", "n_qubits", "cost_qubo", "penalty_qubo"}
_ANALYSIS_BOOL = ("structural_sensitivity", "parameter_sweep", "penalty_tuning")
_SEED_KEYS = {"sensitivity": "structural_sensitivity", "auto_tune": "penalty_tuning",
              "hardness_only": "preset='deep' with parameter_sweep=False"}
_CONSTRAINT_TYPES = ("max_cardinality", "min_cardinality", "eq_cardinality", "inequality",
                     "equality")


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise OptionsError(f"options {where} must be True or False, got {v!r}")
    return v


def _int(v: Any, where: str, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < minimum:
        raise OptionsError(f"options {where} must be an integer >= {minimum}, got {v!r}")
    return v


def _num(v: Any, where: str) -> float | int:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise OptionsError(f"options {where} must be a finite number, got {v!r}")
    return v


def _only(d: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(d, Mapping):
        raise OptionsError(f"options {where} must be a mapping, got {type(d).__name__}")
    extra = set(d) - allowed
    if extra:
        hint = [f"{k!r} is now {_SEED_KEYS[k]}" for k in sorted(extra) if k in _SEED_KEYS]
        raise OptionsError(f"options {where}: unknown key(s) {sorted(extra)}"
                           + (f" ({'; '.join(hint)})" if hint else ""))
    return dict(d)


def _analysis(a: Any, preset: str | None) -> dict:
    a = _only(a, {"gamma", "beta", *_ANALYSIS_BOOL}, "analysis")
    for k in _ANALYSIS_BOOL:
        if k in a:
            _bool(a[k], f"analysis.{k}")
    for k in ("gamma", "beta"):
        if k in a:
            _num(a[k], f"analysis.{k}")
    fixed = "gamma" in a or "beta" in a
    if a.get("parameter_sweep") is True and fixed:
        raise OptionsError("options analysis: parameter_sweep=True excludes fixed gamma/beta")
    if preset in ("standard", "deep"):
        if fixed:
            warnings.warn(f"preset={preset!r} also sweeps the grid; fixed gamma/beta are "
                          "evaluated in addition (use preset='fast' for fixed angles only)",
                          UserWarning, stacklevel=4)
        for k in ("parameter_sweep", "structural_sensitivity"):
            if a.get(k) is False:
                warnings.warn(f"preset={preset!r} enables {k} by default; the explicit "
                              f"{k}=False is sent and honoured", UserWarning, stacklevel=4)
    return a


def _ansatz(a: Any) -> dict:
    a = _only(a, {"mixer", "layers"}, "ansatz")
    if "mixer" in a and a["mixer"] not in ("x", "xy", "I"):
        raise OptionsError(f"options ansatz.mixer must be 'x', 'xy' or 'I', got {a['mixer']!r}")
    if "layers" in a:
        _int(a["layers"], "ansatz.layers", 1)
    return a


def _indices(v: Any, where: str, n: int) -> list[int]:
    if not isinstance(v, (list, tuple)):
        raise OptionsError(f"options {where} must be a list of indices")
    out = [_int(q, where, 0) for q in v]
    bad = [q for q in out if q >= n]
    if bad:
        raise OptionsError(f"options {where}: index {bad[0]} is out of range for n={n}")
    return out


def _subspace(s: Any, n: int) -> dict:
    s = _only(s, {"auto_warmstart", "solver", "max_variable_qubits", "restarts",
                  "base_bitstring", "variable_qubits"}, "subspace")
    if "auto_warmstart" in s:
        _bool(s["auto_warmstart"], "subspace.auto_warmstart")
    if "solver" in s and not isinstance(s["solver"], str):
        raise OptionsError("options subspace.solver must be a string")
    for k in ("max_variable_qubits", "restarts"):
        if k in s:
            _int(s[k], f"subspace.{k}", 1)
    if "base_bitstring" in s:
        b = s["base_bitstring"]
        if not isinstance(b, str) or not b or set(b) - {"0", "1"} or len(b) != n:
            raise OptionsError(f"options subspace.base_bitstring must be {n} characters 0/1")
    if "variable_qubits" in s:
        vq = _indices(s["variable_qubits"], "subspace.variable_qubits", n)
        if len(set(vq)) != len(vq):
            raise OptionsError("options subspace.variable_qubits has duplicates")
        s["variable_qubits"] = vq
    manual = s.get("auto_warmstart") is False
    if not manual and ("base_bitstring" in s or "variable_qubits" in s):
        raise OptionsError("options subspace: base_bitstring/variable_qubits need "
                           "auto_warmstart=False")
    if manual and any(k in s for k in ("solver", "max_variable_qubits", "restarts")):
        raise OptionsError("options subspace: solver/max_variable_qubits/restarts apply to "
                           "automatic selection only")
    if ("base_bitstring" in s) != ("variable_qubits" in s):
        raise OptionsError("options subspace: base_bitstring and variable_qubits go together")
    return s


def _constraints(cs: Any, n: int) -> list[dict]:
    if not isinstance(cs, (list, tuple)):
        raise OptionsError("options constraints must be a list of descriptors")
    out = []
    for i, c in enumerate(cs):
        where = f"constraints[{i}]"
        c = _only(c, {"type", "bound", "qubits", "weights"}, where)
        if c.get("type") not in _CONSTRAINT_TYPES:
            raise OptionsError(f"options {where}.type must be one of {list(_CONSTRAINT_TYPES)}")
        if "bound" not in c:
            raise OptionsError(f"options {where}.bound is required")
        _num(c["bound"], f"{where}.bound")
        if "qubits" in c:
            c["qubits"] = _indices(c["qubits"], f"{where}.qubits", n)
        if "weights" in c:
            w = c["weights"]
            if not isinstance(w, Mapping):
                raise OptionsError(f"options {where}.weights must be a mapping index -> weight")
            keys = [int(k) if isinstance(k, str) and k.isdigit() else k for k in w]
            _indices(keys, f"{where}.weights", n)
            c["weights"] = {str(k): _num(v, f"{where}.weights") for k, v in
                            zip(keys, w.values(), strict=True)}
        if c["type"] in ("inequality", "equality") and not c.get("weights"):
            raise OptionsError(f"options {where}: {c['type']!r} needs non-empty weights")
        out.append(c)
    return out


def _component(value: Any, name: str, problem: Problem) -> dict[str, float]:
    try:
        comp = canonicalize(value, wire_order=problem.variables)
    except ProblemError as exc:
        raise OptionsError(f"options {name}: {exc}") from None
    return comp.to_legacy()


def build_options(preset: str | None, options: Mapping[str, Any] | None, problem: Problem,
                  wire: WireQubo) -> dict | None:
    """The ``options`` object of a submission (None when empty, so it is omitted, §2.14).

    Args:
        preset (str | None): ``"fast"``, ``"standard"`` or ``"deep"`` (None: server default).
        options (Mapping | None): ``analysis``, ``ansatz``, ``subspace``, ``constraints``,
            ``n_qubits``, ``cost_qubo``/``penalty_qubo`` (any problem form, mapped to the
            problem's wire indices; sent only with ``analysis.penalty_tuning=True``).
        problem (Problem): the canonical problem.
        wire (WireQubo): its chosen encoding.

    Raises:
        OptionsError: unknown keys (including the seed's names, with the current one), wrong
            types or values, out-of-range indices, or contradictory settings.
    """
    if preset is not None and preset not in PRESETS:
        raise OptionsError(f"preset must be one of {list(PRESETS)} or None, got {preset!r}")
    opts = {} if options is None else _only(options, _TOP | {"preset"}, "")
    if "preset" in opts:
        raise OptionsError("pass the preset as characterize(..., preset=...), not in options")
    n = problem.n
    out: dict[str, Any] = {}
    if preset is not None:
        out["preset"] = preset
    if "analysis" in opts:
        out["analysis"] = _analysis(opts["analysis"], preset)
    if "ansatz" in opts:
        out["ansatz"] = _ansatz(opts["ansatz"])
    if "subspace" in opts:
        out["subspace"] = _subspace(opts["subspace"], n)
    if "constraints" in opts:
        out["constraints"] = _constraints(opts["constraints"], n)
    if "n_qubits" in opts and _int(opts["n_qubits"], "n_qubits", 1) != n:
        raise OptionsError(f"options n_qubits={opts['n_qubits']} but the problem has {n} "
                           "variables (use characterize(..., n_variables=...) to pin it)")
    tuning = out.get("analysis", {}).get("penalty_tuning") is True
    has_parts = "cost_qubo" in opts or "penalty_qubo" in opts
    if tuning and not ("cost_qubo" in opts and "penalty_qubo" in opts):
        raise OptionsError("analysis.penalty_tuning=True needs options cost_qubo and "
                           "penalty_qubo")
    if has_parts and not tuning:
        raise OptionsError("cost_qubo/penalty_qubo are sent only with "
                           "analysis.penalty_tuning=True")
    if tuning:
        out["cost_qubo"] = _component(opts["cost_qubo"], "cost_qubo", problem)
        out["penalty_qubo"] = _component(opts["penalty_qubo"], "penalty_qubo", problem)
    inferred = 1 + max(max(k) for k in problem.terms)
    if wire.encoding == "factored_v1" or inferred < n:
        # the server infers n from the keys; factored_v1 hides it in byte arrays (§1.5)
        out["n_qubits"] = n
    return out or None
