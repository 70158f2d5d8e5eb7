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
    MidMeasureMP,
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
    check_decomposable,
)

__all__ = [
    "MEASUREMENT_FUNCTIONS",
    "accepts",
    "measurement_name",
    "reject_postselection",
    "reject_unsupported_measurements",
    "validate_qoro_measurements",
]

#: PennyLane's user-facing function per measurement class, for error messages (a user wrote
#: ``qml.counts()``, not ``CountsMP(wires=[], all_outcomes=False)``).
MEASUREMENT_FUNCTIONS: dict[str, str] = {
    "StateMP": "state",
    "DensityMatrixMP": "density_matrix",
    "VnEntropyMP": "vn_entropy",
    "PurityMP": "purity",
    "MutualInfoMP": "mutual_info",
    "CountsMP": "counts",
    "SampleMP": "sample",
    "ExpectationMP": "expval",
    "VarianceMP": "var",
    "ProbabilityMP": "probs",
    "ClassicalShadowMP": "classical_shadow",
    "ShadowExpvalMP": "shadow_expval",
}


def measurement_name(mp: MeasurementProcess) -> str:
    """How PennyLane spells ``mp`` for a user: ``qml.counts()``; other classes by name.

    >>> import pennylane as qml
    >>> measurement_name(qml.counts()), measurement_name(qml.density_matrix(wires=[0]))
    ('qml.counts()', 'qml.density_matrix()')
    """
    function = MEASUREMENT_FUNCTIONS.get(type(mp).__name__)
    return f"qml.{function}()" if function else type(mp).__name__


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
    custom state measurements, sample/counts without shots (the error says how to add shots).
    A Qoro service returns histograms and expectation values only. Measurements are named as
    the user wrote them (``qml.counts()``); the message says "not supported", which PennyLane's
    device test suite (``pl-device-test --skip-ops``) matches to tell unsupported features
    from bugs.

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
        what = measurement_name(mp)
        if not tape.shots and accepts(caps.filter(finite_shots=True), mp, True):
            raise DeviceError(
                f"{what} needs shots: it is not supported for analytic simulation (shots=None) "
                f"on {name}. Give the QNode shots with qml.set_shots(qnode, shots=1000) (or "
                "the decorator @qml.set_shots(1000)), or build the device with shots=1000."
            )
        where = "with finite shots" if tape.shots else "for analytic simulation"
        raise DeviceError(
            f"{what} is not accepted {where} on {name}: it is not supported by a Qoro "
            "service, which returns measurement histograms and expectation values, never the "
            "quantum state. Measure "
            "qml.expval(), qml.var(), qml.probs() or, with shots, qml.sample() / qml.counts()."
        )
    return (tape,), null_postprocessing


@transform
def reject_postselection(tape: QuantumScript, name: str = DEVICE_NAME):
    """DeviceError for a mid-circuit measurement with ``postselect``: a Qoro job has no way
    to discard shots on the service, and PennyLane's deferred fallback would ask for a
    ``Projector`` gate (its message confuses on a device that accepts ``Projector``
    observables).

    Args:
        tape (QuantumScript): the circuit.
        name (str): the device named in the error.

    Raises:
        DeviceError: a ``qml.measure(..., postselect=...)`` in ``tape``.
    """
    for op in tape.operations:
        if isinstance(op, MidMeasureMP) and op.postselect is not None:
            raise DeviceError(
                f"Postselection (qml.measure(wires={op.wires.tolist()}, "
                f"postselect={op.postselect})) is not supported on {name}: a Qoro job cannot "
                "discard shots. Measure without postselect, return qml.sample() of the "
                "measured value (qml.sample(m)) with shots, and keep the shots you want."
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
            check_decomposable(mp.obs, name)  # decomposes nothing
    return (tape,), null_postprocessing
