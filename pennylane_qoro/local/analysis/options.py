"""What the engine will do for a submission's ``options`` (characterization.md §1.7, §3.13).

Owns :class:`Options` and :func:`parse_options`: the options are checked by the shared schema
(:mod:`pennylane_qoro.protocol.characterization_options`, strict on the current vocabulary),
then the preset is resolved into the engine's flags and grid. Service-only rules live here:
the seed's (divi 0.12) analysis keys behind the compatibility switch, and the local limit on
``n_qubits``.

Imports ``protocol`` and this package's errors and limits only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...protocol.characterization_options import validate_options
from .errors import ProblemTooLargeError, located
from .limits import MAX_VARIABLES

_PRESET_FLAGS = {  # preset -> (parameter_sweep, structural_sensitivity, hardness, grid)
    "fast": (False, False, False, (0, 0)),
    "standard": (True, True, False, (32, 16)),
    "deep": (True, True, True, (64, 32)),
}


@dataclass(frozen=True)
class Options:
    """Validated options with the preset resolved (what the engine will do)."""

    preset: str = "standard"
    parameter_sweep: bool = True
    structural_sensitivity: bool = True
    penalty_tuning: bool = False
    hardness: bool = False
    gamma: float | None = None
    beta: float | None = None
    mixer: str = "x"
    layers: int = 1
    subspace: dict | None = None
    constraints: tuple[dict, ...] = ()
    n_qubits: int | None = None
    cost_qubo: dict | None = None
    penalty_qubo: dict | None = None
    grid: tuple[int, int] = (32, 16)
    notes: tuple[str, ...] = ()


def _seed_names(options: Any) -> tuple[Any, bool]:
    """Map the seed's analysis keys onto the current ones; return (options, hardness_only).

    ``sensitivity`` -> ``structural_sensitivity``, ``auto_tune`` -> ``penalty_tuning``;
    ``hardness_only=true`` means preset deep without sweep and sensitivity.
    """
    if not isinstance(options, dict) or not isinstance(options.get("analysis"), dict):
        return options, False
    analysis = dict(options["analysis"])
    if "sensitivity" in analysis:
        analysis.setdefault("structural_sensitivity", analysis.pop("sensitivity"))
    if "auto_tune" in analysis:
        analysis.setdefault("penalty_tuning", analysis.pop("auto_tune"))
    hardness_only = analysis.pop("hardness_only", False) is True
    if hardness_only:
        analysis.setdefault("parameter_sweep", False)
        analysis.setdefault("structural_sensitivity", False)
    return {**options, "analysis": analysis}, hardness_only


def _constraint(c: dict) -> dict:
    """The engine's copy of a checked descriptor: float bound and weights."""
    out: dict[str, Any] = {"type": c["type"], "bound": float(c["bound"])}
    if "qubits" in c:
        out["qubits"] = c["qubits"]
    if "weights" in c:
        out["weights"] = {k: float(v) for k, v in c["weights"].items()}
    return out


def parse_options(options: Any, *, compat_seed: bool = False) -> Options:
    """Validate the options object; strict on the current vocabulary (§1.7, §3.13).

    With ``compat_seed`` the seed's analysis keys are mapped: ``sensitivity`` ->
    ``structural_sensitivity``, ``auto_tune`` -> ``penalty_tuning``, ``hardness_only`` ->
    preset deep without sweep and sensitivity.
    """
    hardness_only = False
    if compat_seed:
        options, hardness_only = _seed_names(options)
    with located():
        checked = validate_options(options)
    preset = checked.get("preset", "standard")
    sweep, sens, hardness, grid = _PRESET_FLAGS[preset]
    notes: list[str] = []
    if hardness_only:
        preset, hardness, grid = "deep", True, _PRESET_FLAGS["deep"][3]
        notes.append("seed option hardness_only mapped to preset deep without sweep")
    analysis = checked.get("analysis", {})
    gamma = float(analysis["gamma"]) if "gamma" in analysis else None
    beta = float(analysis["beta"]) if "beta" in analysis else None
    sweep = analysis.get("parameter_sweep", sweep)
    sens = analysis.get("structural_sensitivity", sens)
    ansatz = checked.get("ansatz", {})
    n_qubits = checked.get("n_qubits")
    if n_qubits is not None and n_qubits > MAX_VARIABLES:
        raise ProblemTooLargeError("options.n_qubits", f"exceeds the limit {MAX_VARIABLES}")
    return Options(
        preset=preset, parameter_sweep=sweep, structural_sensitivity=sens,
        penalty_tuning=analysis.get("penalty_tuning", False), hardness=hardness, gamma=gamma,
        beta=beta, mixer=ansatz.get("mixer", "x"), layers=ansatz.get("layers", 1),
        subspace=checked.get("subspace"),
        constraints=tuple(_constraint(c) for c in checked.get("constraints", ())),
        n_qubits=n_qubits, cost_qubo=checked.get("cost_qubo"),
        penalty_qubo=checked.get("penalty_qubo"), grid=grid, notes=tuple(notes),
    )

