"""The device's ``noise_model`` / ``noise_realizations`` / ``noise_seed`` options.

``noise_model`` is one of

* a ``qml.NoiseModel``: translated per batch on the gates the device emits (``translate.py``);
  exact or a ``DeviceError`` before any job;
* a :class:`~.builder.NoiseBuilder`: Maestro's families in PennyLane wire labels;
* the wire form itself: a list of ``{"method", "args", "kwargs"}`` setter calls on qubit
  indices (qubit i = the device's i-th wire), checked with the service's table.

:meth:`DeviceNoise.job_options` gives the ``maestro_config`` noise keys of each job type of a
batch (qoro-api.md §2.13). The transforms :func:`reject_noise_channels` (always) and
:func:`reject_rotated_samples` (``qml.NoiseModel`` only) run first in the device's pipeline.

Imports PennyLane and the sibling modules; never the client or the local service.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.tape import QuantumScript
from pennylane.transforms import transform
from pennylane.typing import PostprocessingFn

from ..protocol.noise import (
    NoiseModelError,
    readout_setters,
    validate_noise_model,
    validate_noise_options,
)
from .builder import NoiseBuilder
from .channels import NotExpressible
from .translate import Translator, readout_calls

__all__ = ["DeviceNoise", "reject_noise_channels", "reject_rotated_samples"]

_HOW = ("Ask for noise with the device's noise_model option: a qml.NoiseModel, a "
        "pennylane_qoro.noise.NoiseBuilder or Maestro setter calls, e.g. "
        "qml.device('qoro.maestro', wires=2, noise_model=qml.NoiseModel("
        "{qml.noise.op_in(['RX', 'CNOT']): qml.noise.partial_wires(qml.DepolarizingChannel, "
        "0.01)}))")


def _null(results):
    return results[0]


@transform
def reject_noise_channels(tape: QuantumScript, name: str = "qoro.maestro"
                          ) -> tuple[Sequence[QuantumScript], PostprocessingFn]:
    """DeviceError for a noise channel written into the circuit (``qml.DepolarizingChannel``
    and the like, also those ``qml.add_noise`` inserts): Maestro applies noise as a model
    attached to the job, not as operations of the circuit."""
    for op in tape.operations:
        if isinstance(op, qml.operation.Channel):
            raise DeviceError(
                f"The noise channel {op.name} on wires {op.wires.tolist()} is written into the "
                f"circuit; {name} cannot run channels as operations (Maestro applies noise as "
                "a model after the gates of a job). Remove it from the circuit (also "
                f"qml.add_noise on the QNode). {_HOW}.")
    return (tape,), _null


def _diagonal(obs) -> bool:
    if obs is None:
        return True
    rep = obs.pauli_rep
    if rep is not None:
        return all(set(word.values()) <= {"Z"} for word in rep)
    try:
        return not obs.diagonalizing_gates()
    except Exception:
        return False


@transform
def reject_rotated_samples(tape: QuantumScript, name: str = "qoro.maestro"
                           ) -> tuple[Sequence[QuantumScript], PostprocessingFn]:
    """With a ``qml.NoiseModel``, a sampled measurement outside the computational basis
    needs basis-rotation gates, and Maestro's noise would follow them too, unlike
    ``qml.add_noise`` (which adds nothing after the measurement rotations)."""
    if tape.shots:
        for mp in tape.measurements:
            if not _diagonal(getattr(mp, "obs", None)):
                raise DeviceError(
                    f"noise_model: the sampled measurement {mp} needs basis-rotation gates "
                    f"on {name}, and Maestro's noise would follow them (qml.add_noise adds "
                    "none there), so the result would not be the model's. Measure in the "
                    "computational basis (Z, probs, counts, samples) with shots, or run "
                    "analytically (shots=None, exact on method='density_matrix').")
    return (tape,), _null


class DeviceNoise:
    """A device's noise options, validated when the device is built.

    Args:
        noise_model: ``None``, a ``qml.NoiseModel``, a ``NoiseBuilder`` or the wire form.
        realizations (int | None): ``noise_realizations`` (trajectories per circuit).
        seed (int | None): ``noise_seed``.
        wires: the device wires (``None``: each batch's wires).

    Raises:
        ValueError: a malformed wire form, a bad value, a builder wire not on the device.
        TypeError: ``noise_model`` of another type.
    """

    def __init__(self, noise_model: Any, realizations: Any, seed: Any, wires) -> None:
        try:
            validate_noise_options(seed, realizations, where="device")
        except NoiseModelError as exc:
            raise ValueError(str(exc).replace("device['", "").replace("']", "")) from None
        self.seed, self.realizations = seed, realizations
        self.model = noise_model
        self.translator = None
        if isinstance(noise_model, qml.NoiseModel):
            self.translator = Translator(noise_model)
        elif isinstance(noise_model, NoiseBuilder):
            if wires is not None:
                noise_model.calls(list(wires))  # wires on the device, now
        elif isinstance(noise_model, list | tuple):
            width = len(wires) if wires is not None else None
            try:
                self.model = validate_noise_model(list(noise_model), width=width)
            except NoiseModelError as exc:
                raise ValueError(str(exc)) from None
        elif noise_model is not None:
            raise TypeError("noise_model must be a qml.NoiseModel, a "
                            "pennylane_qoro.noise.NoiseBuilder or a list of "
                            f"{{'method', 'args', 'kwargs'}} setter calls, got "
                            f"{type(noise_model).__name__}")

    @property
    def active(self) -> bool:
        return self.model is not None

    @property
    def is_pennylane(self) -> bool:
        return self.translator is not None

    def job_options(self, circuits: Sequence[QuantumScript], wire_order) -> dict[str, dict]:
        """The noise keys of ``maestro_config`` per job type (``"EXECUTE"``,
        ``"EXPECTATION"``) for one batch; empty dicts without noise.

        Raises:
            DeviceError: the model cannot run exactly on these circuits (names the gate,
                channel or condition, and why), or readout noise on analytic tapes.
        """
        wire_order = list(wire_order)
        sampled = [c for c in circuits if c.shots]
        analytic = [c for c in circuits if not c.shots]
        if self.model is None:
            return {"EXECUTE": {}, "EXPECTATION": {}}
        if self.translator is not None:
            index = {w: i for i, w in enumerate(wire_order)}
            try:
                gates = self.translator.gate_calls(circuits, index)
                readout = readout_calls(self.model, sampled, analytic, wire_order)
            except NotExpressible as exc:
                raise DeviceError(
                    f"noise_model cannot be simulated exactly by Maestro: {exc}. Change the "
                    "model, or describe Maestro's own noise with a "
                    "pennylane_qoro.noise.NoiseBuilder (Maestro's semantics) as noise_model."
                ) from None
            wire = [{"method": m, "args": a, "kwargs": k} for m, a, k in gates]
            read = [{"method": m, "args": a, "kwargs": k} for m, a, k in readout]
            execute, expectation = wire + read, wire
        else:
            calls = (self.model.calls(wire_order) if isinstance(self.model, NoiseBuilder)
                     else validate_noise_model(self.model, width=len(wire_order)))
            if analytic and readout_setters(calls):
                raise DeviceError(
                    f"noise_model has readout error ({', '.join(readout_setters(calls))}), "
                    "which acts on samples only; analytic (shots=None) results would ignore "
                    "it. Run with shots (qml.set_shots), or leave readout out of the model.")
            execute = expectation = calls
        return {"EXECUTE": self._keys(execute), "EXPECTATION": self._keys(expectation)}

    def _keys(self, calls: list[dict]) -> dict[str, Any]:
        if not calls:  # no noise on these gates: a plain job (Maestro refuses empty models)
            return {}
        keys: dict[str, Any] = {"noise_model": _plain(calls)}
        if self.seed is not None:
            keys["noise_seed"] = int(self.seed)
        if self.realizations is not None:
            keys["noise_realizations"] = int(self.realizations)
        return keys


def _plain(value: Any) -> Any:
    """JSON-safe: complex as ``{"__complex__": [re, im]}``, numpy scalars as Python ones."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, complex) or type(value).__name__.startswith("complex"):
        value = complex(value)
        return {"__complex__": [value.real, value.imag]}
    if hasattr(value, "item") and not isinstance(value, bool | int | float | str):
        return _plain(value.item())
    return value
