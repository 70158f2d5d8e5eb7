"""Preprocessing transforms that refuse, before any job, what a Qoro service cannot compute.

Each is a PennyLane ``@transform`` with the contract ``tape -> (batch, postprocessing)``; it
returns the tape unchanged or raises ``DeviceError`` naming the device (``name=``, as
PennyLane's own ``validate_*`` transforms do).

Imports PennyLane and ``compile.observables`` (the analytic limits); never the client, the
local service or the device.
"""

from __future__ import annotations

from pennylane.devices.capabilities import DeviceCapabilities
from pennylane.devices.preprocess import null_postprocessing
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    ExpectationMP,
    MeasurementProcess,
    ProbabilityMP,
    SampleMeasurement,
    VarianceMP,
)
from pennylane.tape import QuantumScript
from pennylane.transforms.core import transform

from ..compile.observables import (
    DEVICE_NAME,
    MAX_ANALYTIC_PROBS_WIRES,
    basis_letters,
    pauli_sentence,
)

__all__ = ["accepts", "reject_unsupported_measurements", "validate_qoro_measurements"]


def accepts(caps: DeviceCapabilities, mp: MeasurementProcess, shots: bool) -> bool:
    """Whether ``mp`` is listed in the TOML for this mode (``caps`` already filtered); with
    shots also any custom ``SampleMeasurement``, built from the shot record by its own
    ``process_samples``. PennyLane matches measurements by class name, so do we."""
    if type(mp).__name__ in caps.measurement_processes:
        return True
    return shots and isinstance(mp, SampleMeasurement)


@transform
def reject_unsupported_measurements(
    tape: QuantumScript, caps: DeviceCapabilities | None = None, name: str = DEVICE_NAME
):
    """DeviceError for measurements a Qoro job cannot give: state vectors, density matrices,
    custom state measurements, sample/counts without shots. A Qoro service returns histograms
    and expectation values only. (The wording keeps PennyLane's "not accepted ..." phrases.)

    Args:
        tape (QuantumScript): the circuit.
        caps (DeviceCapabilities): the device's capabilities (both modes).
        name (str): the device named in the error.

    Raises:
        DeviceError: a measurement the mode of ``tape`` (analytic or with shots) cannot give.
    """
    for mp in tape.measurements:
        mode = caps.filter(finite_shots=bool(tape.shots))
        if accepts(mode, mp, bool(tape.shots)):
            continue
        where = "with finite shots" if tape.shots else "for analytic simulation"
        raise DeviceError(
            f"Measurement {mp} not accepted {where} on {name}: it is not supported by a Qoro "
            "service, which returns histograms and expectation values only."
        )
    return (tape,), null_postprocessing


@transform
def validate_qoro_measurements(
    tape: QuantumScript, n_wires: int | None = None, name: str = DEVICE_NAME
):
    """Reject, before any job, what the service cannot compute for this tape analytically.

    Probabilities on more than ``MAX_ANALYTIC_PROBS_WIRES`` wires (each outcome is one
    expectation value), ``probs(op=...)`` of anything but a Pauli word, and ``expval``/``var``
    of observables without a Pauli decomposition. Tapes with shots pass unchanged. (State /
    density-matrix measurements are rejected by ``validate_measurements``.)

    Args:
        tape (QuantumScript): the circuit.
        n_wires (int | None): the device's wire count (``probs()`` without wires means all).
        name (str): the device named in the error.

    Raises:
        DeviceError: one of the cases above.
    """
    if tape.shots:
        return (tape,), null_postprocessing
    for mp in tape.measurements:
        if isinstance(mp, ProbabilityMP) and mp.mv is None:
            k = len(mp.wires) or n_wires or len(tape.wires)
            if k > MAX_ANALYTIC_PROBS_WIRES:
                raise DeviceError(
                    f"Analytic probs on {k} wires is not supported on {name}: it needs 2^{k} "
                    f"expectation values (limit {MAX_ANALYTIC_PROBS_WIRES} wires). Use shots."
                )
            if mp.obs is not None:
                basis_letters(mp.obs, mp.wires, name)  # raises unless a Pauli word
        if isinstance(mp, ExpectationMP | VarianceMP) and mp.obs is not None:
            pauli_sentence(mp.obs, name)  # raises when there is no decomposition
    return (tape,), null_postprocessing
