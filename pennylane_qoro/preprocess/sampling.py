"""Preprocessing transforms for tapes with shots: commuting groups, then the measurement basis.

With shots a Qoro job returns histograms, so every measurement must be diagonal in the
computational basis of one circuit: :func:`split_sampled_groups` splits a tape into qubit-wise
commuting groups, :func:`diagonalize_sampled` appends the basis rotations. Analytic tapes pass
both unchanged (an EXPECTATION job evaluates any set of Pauli words on one circuit).

Both are PennyLane ``@transform``\\ s (``tape -> (batch, postprocessing)``) taking ``name=``
for their errors and an optional :class:`~.reuse.MeasurementReuse` owned by the device (no
module-global state). Imports PennyLane and ``compile.observables``; never the client, the
local service or the device.
"""

from __future__ import annotations

import numpy as np
import pennylane as qml
from pennylane.devices.preprocess import null_postprocessing
from pennylane.exceptions import DeviceError
from pennylane.measurements import CountsMP, MeasurementProcess, ProbabilityMP, VarianceMP
from pennylane.tape import QuantumScript
from pennylane.transforms import diagonalize_measurements, split_non_commuting
from pennylane.transforms.core import transform

from ..compile.observables import DEVICE_NAME, is_z_diagonal
from .reuse import MeasurementReuse

__all__ = ["diagonalize_sampled", "split_sampled_groups"]

_PAULI = {"X": qml.X, "Y": qml.Y, "Z": qml.Z}


@transform
def split_sampled_groups(
    tape: QuantumScript, reuse: MeasurementReuse | None = None, name: str = DEVICE_NAME
):
    """With shots, split into qubit-wise-commuting groups; analytic tapes stay whole.

    Analytic jobs evaluate any set of Pauli words on one circuit, so splitting them would only
    multiply rows. ``split_non_commuting`` refuses ``var`` of a multi-term sum; when the terms
    are qubit-wise commuting the sum is still diagonal in one rotated basis, so such a variance
    gets its own tape measuring the rotated (all-Z) sum; otherwise it is a ``DeviceError``.

    Args:
        tape (QuantumScript): the circuit.
        reuse (MeasurementReuse | None): the device's table of groupings already made for
            the same measurement objects (a parameter-shift batch shares them).
        name (str): the device named in the error.

    Raises:
        DeviceError: ``var`` of a sum whose terms are not qubit-wise commuting.
    """
    if not tape.shots:
        return (tape,), null_postprocessing

    def compute(t: QuantumScript):
        return _split_sampled(t, name)

    return reuse.apply(tape, compute) if reuse is not None else compute(tape)


def _split_sampled(tape: QuantumScript, name: str):
    special = [i for i, mp in enumerate(tape.measurements) if _is_variance_of_sum(mp)]
    if not special:
        return split_non_commuting(tape, grouping_strategy="qwc")
    rest = [mp for i, mp in enumerate(tape.measurements) if i not in special]
    rest_tapes, rest_fn = (), None
    if rest:
        rest_tapes, rest_fn = split_non_commuting(
            tape.copy(measurements=rest), grouping_strategy="qwc"
        )
    var_tapes = [_rotated_variance_tape(tape, tape.measurements[i], name) for i in special]
    n_mps, n_rest = len(tape.measurements), len(rest_tapes)
    partitioned = tape.shots.has_partitioned_shots

    def postprocess(results):
        per_bin_rest = _bins(rest_fn(results[:n_rest]), len(rest), partitioned) if rest else None
        per_bin_var = [_bins(r, 1, partitioned) for r in results[n_rest:]]
        out = []
        for b in range(len(per_bin_var[0])):
            rest_iter = iter(per_bin_rest[b]) if rest else iter(())
            values = [
                per_bin_var[special.index(i)][b][0] if i in special else next(rest_iter)
                for i in range(n_mps)
            ]
            out.append(tuple(values) if n_mps > 1 else values[0])
        return tuple(out) if partitioned else out[0]

    return (*rest_tapes, *var_tapes), postprocess


def _bins(result, n_mps: int, partitioned: bool) -> list[list]:
    """A tape result as ``[bin][measurement]``."""
    bins = result if partitioned else (result,)
    return [list(b) if n_mps > 1 else [b] for b in bins]


def _is_variance_of_sum(mp: MeasurementProcess) -> bool:
    if not isinstance(mp, VarianceMP) or mp.obs is None:
        return False
    rep = mp.obs.pauli_rep
    return rep is not None and len([w for w in rep if len(w)]) > 1


def _rotated_variance_tape(tape: QuantumScript, mp: VarianceMP, name: str) -> QuantumScript:
    """``var(H)`` for qubit-wise commuting Pauli terms: rotate every wire into the basis of its
    Pauli letter and measure the variance of the same sum with Z in place of each letter."""
    rep = mp.obs.pauli_rep
    letters: dict = {}
    for word in rep:
        for wire, letter in word.items():
            if letters.setdefault(wire, letter) != letter:
                raise DeviceError(
                    f"Cannot run var({mp.obs}) with shots on {name}: its terms are not "
                    "qubit-wise commuting, so no single-qubit measurement basis gives the "
                    "variance. Run it analytically (shots=None) or measure the terms separately."
                )
    rotations = [g for w, p in letters.items() for g in _PAULI[p](w).diagonalizing_gates()]
    z_sum = qml.dot(
        [float(np.real(c)) for c in rep.values()],
        [
            qml.prod(*[qml.Z(w) for w in word]) if len(word) else qml.Identity(tape.wires[0])
            for word in rep
        ],
    )
    return tape.copy(operations=tape.operations + rotations, measurements=[qml.var(z_sum)])


@transform
def diagonalize_sampled(tape: QuantumScript, reuse: MeasurementReuse | None = None):
    """With shots, rotate every measurement into the computational basis.

    Pauli observables go through ``diagonalize_measurements``; other observables (Hermitian,
    Projector) get their own diagonalizing gates and become eigenvalue measurements.

    Args:
        tape (QuantumScript): the circuit.
        reuse (MeasurementReuse | None): the device's table of rotations already made for
            the same measurement objects.
    """
    if not tape.shots:
        return (tape,), null_postprocessing
    return reuse.apply(tape, _diagonalize) if reuse is not None else _diagonalize(tape)


def _diagonalize(tape: QuantumScript):
    (tape,), _ = diagonalize_measurements(tape, supported_base_obs={qml.Z})
    extra_ops, measurements = [], []
    for mp in tape.measurements:
        obs = mp.obs
        if obs is None or is_z_diagonal(obs.pauli_rep):
            measurements.append(mp)
            continue
        extra_ops.extend(obs.diagonalizing_gates())
        if isinstance(mp, ProbabilityMP):
            measurements.append(ProbabilityMP(wires=obs.wires))
            continue
        eig = np.asarray(obs.eigvals())
        if isinstance(mp, CountsMP):
            measurements.append(
                CountsMP(eigvals=eig, wires=obs.wires, all_outcomes=mp.all_outcomes)
            )
        else:
            measurements.append(type(mp)(eigvals=eig, wires=obs.wires))
    if not extra_ops:
        return (tape,), null_postprocessing
    new = tape.copy(operations=tape.operations + extra_ops, measurements=measurements)
    return (new,), null_postprocessing
