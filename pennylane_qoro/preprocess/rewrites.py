"""Preprocessing transforms that rewrite a tape without changing its results.

Each is a PennyLane ``@transform`` (``tape -> (batch, postprocessing)``) and never raises on
its own: snapshots dropped, implicit measurement wires made explicit, parameters unboxed only
where the device cannot read them, trainable broadcasts expanded. Also the decomposition hooks
the pipeline hands to PennyLane's ``decompose``.

Imports PennyLane only; never the client, the local service or the device.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pennylane as qml
from pennylane.devices.capabilities import DeviceCapabilities
from pennylane.devices.preprocess import null_postprocessing
from pennylane.operation import Operator
from pennylane.tape import QuantumScript
from pennylane.transforms import broadcast_expand
from pennylane.transforms.convert_to_numpy_parameters import convert_to_numpy_parameters
from pennylane.transforms.core import transform

__all__ = [
    "decomposition",
    "drop_snapshots",
    "expand_trainable_broadcasts",
    "explicit_measurement_wires",
    "numpy_unless_scalar_boxes",
    "stopping_condition",
]


@transform
def drop_snapshots(tape: QuantumScript):
    """Remove ``qml.Snapshot`` ops: a Qoro job has no intermediate states to report, and
    devices without snapshot support ignore them (``qml.snapshots`` still works by splitting
    the circuit into one tape per snapshot)."""
    if not any(isinstance(op, qml.Snapshot) for op in tape.operations):
        return (tape,), null_postprocessing
    ops = [op for op in tape.operations if not isinstance(op, qml.Snapshot)]
    return (tape.copy(operations=ops),), null_postprocessing


@transform
def explicit_measurement_wires(tape: QuantumScript):
    """For a device without fixed wires: ``probs()``/``sample()``/``counts()`` without wires
    mean the tape's wires (as on default.qubit), not the batch's wire union the jobs use."""

    def explicit(mp):
        if mp.obs is not None or mp.mv is not None or len(mp.wires):
            return mp
        return type(mp)(wires=tape.wires)

    measurements = [explicit(mp) for mp in tape.measurements]
    if all(a is b for a, b in zip(measurements, tape.measurements, strict=True)):
        return (tape,), null_postprocessing
    return (tape.copy(measurements=measurements),), null_postprocessing


def _unboxed(value):
    """The value inside autograd's tracing boxes (``ArrayBox``), matched by name so that
    autograd is not imported."""
    while type(value).__name__ == "ArrayBox":
        value = value._value
    return value


def _only_scalar_boxes(tape: QuantumScript) -> bool:
    """Whether every autograd box of the tape is a scalar gate argument."""
    for op in tape.operations:
        for datum in op.data:
            if type(datum).__name__ == "ArrayBox" and np.ndim(_unboxed(datum)):
                return False
    for mp in tape.measurements:
        if mp.obs is not None and any(type(d).__name__ == "ArrayBox" for d in mp.obs.data):
            return False
    return True


@transform
def numpy_unless_scalar_boxes(tape: QuantumScript):
    """With autograd the device takes tapes as they are (``convert_to_numpy=False``, see
    ``QoroDevice.setup_execution_config``): gate arguments that are scalar autograd boxes are
    read straight into parameter rows (``compile.qasm.parameter_rows`` unboxes them), which
    spares PennyLane's ``convert_to_numpy_parameters`` rebuilding every operator of every tape
    (0.47 s of a 193-tape gradient step at 16 qubits). Any other boxed data (broadcast or
    matrix arguments, observable coefficients) gets PennyLane's conversion, as before."""
    if _only_scalar_boxes(tape):
        return (tape,), null_postprocessing
    return convert_to_numpy_parameters(tape)


def _has_trainable_broadcast(tape: QuantumScript) -> bool:
    """Whether a broadcast gate argument of ``tape`` is trainable (after decomposition every
    gate argument is a scalar, so a non-scalar one is broadcast). Trainability is read from
    the values themselves, as the ML boundary will (``qml.math.requires_grad``): the tape's
    ``trainable_params`` are reset by the transforms that copy it."""
    if not tape.batch_size:
        return False
    return any(
        qml.math.ndim(d) and qml.math.requires_grad(d) for op in tape.operations for d in op.data
    )


@transform
def expand_trainable_broadcasts(tape: QuantumScript):
    """``broadcast_expand`` only for tapes with a trainable broadcast argument.

    Device derivatives are per tape parameter, so a trainable broadcast argument (a batch
    behind a trainable layer, PennyLane #4462) becomes one parameter per element; its
    elements keep sharing one template, i.e. stay rows of the same job, and the stacking of
    the split results runs outside the ML boundary, where the framework differentiates it.
    A broadcast over constants (a 1600-point landscape) stays one tape: the planner already
    makes one row per element and, for derivatives, one Jacobian per element.
    """
    if not _has_trainable_broadcast(tape):
        return (tape,), null_postprocessing
    return broadcast_expand(tape)


def decomposition(op: Operator) -> list:
    """An op's own decomposition, else its matrix as a QubitUnitary (which PennyLane
    decomposes into rotations and CNOTs) for ops that only define a matrix."""
    if op.has_decomposition:
        return op.decomposition()
    if op.has_matrix:
        return [qml.QubitUnitary(op.matrix(), wires=op.wires)]
    return op.decomposition()  # raises DecompositionUndefinedError with PennyLane's message


def stopping_condition(capabilities: DeviceCapabilities) -> Callable[[Operator], bool]:
    """``decompose``'s stopping condition: the op is in the TOML gate set (the only gate list,
    style.md rule 3)."""

    def supported(op: Operator) -> bool:
        return capabilities.supports_operation(op.name)

    return supported
