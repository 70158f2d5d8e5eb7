"""Noisy simulation of one circuit with Maestro's noise API (qoro-api.md §2.13).

Owns the replay of a validated wire-form model (``protocol.noise``) into a
``maestro.NoiseModel`` -- Maestro's own value checks (T2 <= 2*T1, trace-preserving Kraus
operators, ``set_t1`` with ``set_thermal_relaxation``) surface here as :class:`ConfigError`
naming the call -- and the two calls that run one circuit: ``full_noise_execute`` (EXECUTE)
and ``full_noise_estimate`` (EXPECTATION). Both take a parsed circuit, not QASM text.

``noise_realizations`` unset: 1 on a density-matrix or MPO simulation whose model has no
sampled layers (every channel is exact there, repeats would redo the same work), Maestro's
default otherwise. Circuit ``i`` of a job with ``noise_seed`` runs with ``noise_seed + i``.

Imports Maestro, the standard library and ``protocol`` only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import maestro

from ..protocol.noise import (
    EXACT_CHANNEL_METHODS,
    decode_value,
    exact_channels_required,
    sampled_setters,
)

__all__ = ["NoiseConfigError", "NoisyRun", "build_noise_model", "check_noise_method"]

_SEED_MODULUS = 1 << 63


class NoiseConfigError(ValueError):
    """Maestro refused a setter call of the model (the app answers 400)."""


def build_noise_model(calls: Sequence[Mapping[str, Any]], *,
                      where: str = "maestro_config['noise_model']") -> Any:
    """Replay validated setter calls into a ``maestro.NoiseModel``.

    Raises:
        NoiseConfigError: Maestro rejected a call (``where[i] method: Maestro's reason``).
    """
    model = maestro.NoiseModel()
    for i, call in enumerate(calls):
        method = call["method"]
        try:
            getattr(model, method)(*decode_value(call["args"]),
                                   **decode_value(dict(call.get("kwargs") or {})))
        except (TypeError, ValueError, RuntimeError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise NoiseConfigError(f"{where}[{i}] {method}: {reason}") from None
    return model


def check_noise_method(calls: Sequence[Mapping[str, Any]], simulation_type: int | None,
                       *, where: str = "maestro_config") -> None:
    """Refuse a model whose channels the chosen simulation cannot run (Maestro would fail
    every circuit at run time).

    Raises:
        NoiseConfigError: a GAD / Kraus / correlated-phase-flip setter without
            ``simulation_type`` 7 (DensityMatrix) or 8 (MatrixProductOperator).
    """
    exact = exact_channels_required(calls)
    if exact and simulation_type not in EXACT_CHANNEL_METHODS:
        raise NoiseConfigError(
            f"{where}['noise_model'] uses {', '.join(exact)}, which Maestro runs only on a "
            f"density-matrix (simulation_type 7) or MPO (8) simulation; "
            f"{where}['simulation_type'] is {simulation_type}")


class NoisyRun:
    """A job's noise: the Maestro model (built once), realizations and seed.

    Args:
        options (Mapping): the job's normalized options (``noise_model`` and friends).
    """

    def __init__(self, options: Mapping[str, Any]):
        calls = options["noise_model"]
        self.model = build_noise_model(calls)
        self.seed = options.get("noise_seed")
        realizations = options.get("noise_realizations")
        if realizations is None and options.get("simulation_type") in EXACT_CHANNEL_METHODS \
                and not sampled_setters(calls):
            realizations = 1
        self.kwargs: dict[str, Any] = {}
        if realizations is not None:
            self.kwargs["noise_realizations"] = realizations

    def _kwargs(self, idx: int) -> dict[str, Any]:
        if self.seed is None:
            return self.kwargs
        return self.kwargs | {"noise_seed": (self.seed + idx) % _SEED_MODULUS}

    def execute(self, qasm: str, config: Any, shots: int, idx: int) -> dict[str, int]:
        """Counts of one circuit (Maestro's keys, ``c[0]`` first)."""
        circuit = maestro.QasmToCirc().parse_and_translate(qasm)
        out = maestro.full_noise_execute(circuit, self.model, config, shots=shots,
                                         **self._kwargs(idx))
        return out["counts"]

    def estimate(self, qasm: str, terms: Sequence[str], config: Any, idx: int) -> list[float]:
        """Expectation values of dense Pauli terms (character i = qubit i)."""
        circuit = maestro.QasmToCirc().parse_and_translate(qasm)
        out = maestro.full_noise_estimate(circuit, list(terms), self.model, config=config,
                                          **self._kwargs(idx))
        return [float(v) for v in out["expectation_values"]]
