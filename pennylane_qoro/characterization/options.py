"""Characterization options in the current vocabulary (characterization.md §1.7, divi 0.13+).

Owns :func:`build_options`: checks a plain options mapping before any request with the schema
the local service also validates with (:mod:`pennylane_qoro.protocol.characterization_options`;
an :class:`~.errors.OptionsError` names the bad key) and returns the ``options`` object of the
``submit_qubo`` body, with the preset at its top level, ``n_qubits`` attached when the payload
hides or under-states the width, and ``cost_qubo``/``penalty_qubo`` converted to the problem's
wire indices. The client's own rules stay here: the preset is an argument, not an option;
``n_qubits`` must agree with the problem; the penalty parts go only with penalty tuning;
settings a preset overrides draw divi's warnings.

Imports the standard library, ``protocol`` and this package's problem/errors modules.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from ..protocol.characterization_options import COMPONENT_KEYS, validate_options
from ..protocol.errors import WireFieldError
from ..protocol.qubo import FACTORED_FORMAT
from .convert import canonicalize
from .encoding import WireQubo
from .errors import OptionsError, ProblemError
from .problem import Problem


def _message(exc: WireFieldError) -> str:
    """The schema's located error as the client says it: ``options analysis.gamma: ...``."""
    where = exc.field.removeprefix("options").lstrip(".")
    return f"options {where}: {exc.detail}" if where else f"options: {exc.detail}"


def _checked(preset: str | None, options: Any, n: int) -> dict[str, Any]:
    """The schema's normalised copy of ``preset`` + ``options``, or an OptionsError."""
    if isinstance(options, Mapping):
        if "preset" in options:
            raise OptionsError("pass the preset as characterize(..., preset=...), not in options")
        # the schema checks that the penalty parts are given; build_options converts their form
        options = {**options, **{k: {} for k in COMPONENT_KEYS if options.get(k) is not None}}
    if preset is not None and (options is None or isinstance(options, Mapping)):
        options = {"preset": preset, **(options or {})}
    try:
        return validate_options(options, n=n)
    except WireFieldError as exc:
        raise OptionsError(_message(exc)) from None


def _preset_warnings(preset: str | None, analysis: Mapping[str, Any]) -> None:
    """divi's warnings: a sweeping preset also sweeps, and its defaults give way to False."""
    if preset not in ("standard", "deep"):
        return
    if "gamma" in analysis or "beta" in analysis:
        warnings.warn(f"preset={preset!r} also sweeps the grid; fixed gamma/beta are "
                      "evaluated in addition (use preset='fast' for fixed angles only)",
                      UserWarning, stacklevel=4)
    for k in ("parameter_sweep", "structural_sensitivity"):
        if analysis.get(k) is False:
            warnings.warn(f"preset={preset!r} enables {k} by default; the explicit "
                          f"{k}=False is sent and honoured", UserWarning, stacklevel=4)


def _wire_constraint(c: Mapping[str, Any]) -> dict:
    """A checked descriptor as sent: weights keyed by the index's string (JSON keys)."""
    out = dict(c)
    if "weights" in out:
        out["weights"] = {str(k): v for k, v in out["weights"].items()}
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
    n = problem.n
    checked = _checked(preset, options, n)
    out: dict[str, Any] = {}
    if preset is not None:
        out["preset"] = preset
    if "analysis" in checked:
        out["analysis"] = checked["analysis"]
        _preset_warnings(preset, checked["analysis"])
    for k in ("ansatz", "subspace"):
        if k in checked:
            out[k] = checked[k]
    if "constraints" in checked:
        out["constraints"] = [_wire_constraint(c) for c in checked["constraints"]]
    if "n_qubits" in checked and checked["n_qubits"] != n:
        raise OptionsError(f"options n_qubits={checked['n_qubits']} but the problem has {n} "
                           "variables (use characterize(..., n_variables=...) to pin it)")
    tuning = out.get("analysis", {}).get("penalty_tuning") is True
    if not tuning and any(k in (options or {}) for k in COMPONENT_KEYS):
        raise OptionsError("cost_qubo/penalty_qubo are sent only with "
                           "analysis.penalty_tuning=True")
    if tuning:
        for k in COMPONENT_KEYS:
            out[k] = _component(options[k], k, problem)
    inferred = 1 + max(max(k) for k in problem.terms)
    if wire.encoding == FACTORED_FORMAT or inferred < n:
        # the server infers n from the keys; factored_v1 hides it in byte arrays (§1.5)
        out["n_qubits"] = n
    return out or None
