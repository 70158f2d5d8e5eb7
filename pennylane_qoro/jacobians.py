"""Device-computed parameter-shift Jacobians: which tapes qualify, and their assembly.

Owns what ``diff_method="device"`` can differentiate (:func:`device_differentiable`,
:func:`check_derivative_tapes`) and the assembly of the Jacobians from a job's forward and
shifted rows (:func:`assemble_jacobians`), nested like PennyLane's ``param_shift``: shot bin ->
measurement -> parameter -> broadcast -> array.

Pure: no I/O, clock or device state; randomness only from the ``numpy.random.Generator`` passed
in. Imports numpy, PennyLane, ``compile`` (plans, recipes) and ``results`` (bit order, bins,
statistics); never the client or the local service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
import pennylane as qml
from pennylane.exceptions import DeviceError
from pennylane.measurements import ExpectationMP, ProbabilityMP, Shots, VarianceMP
from pennylane.tape import QuantumScript

from .compile.batching import AnalyticSlot, SampledSlot
from .compile.observables import DEVICE_NAME, Recipe, finish_derivative
from .results import (
    empirical_probs,
    histogram_to_bits,
    merge_job_results,
    outcome_values,
    split_shot_bins,
    stack_broadcast,
    term_vector,
)

__all__ = [
    "assemble_jacobians",
    "check_derivative_tapes",
    "device_differentiable",
    "sampled_statistic",
]

#: Measurements the device differentiates (their results are linear in, or the variance of,
#: expectation values, so shift rules apply).
DIFFERENTIABLE_MPS = (ExpectationMP, VarianceMP, ProbabilityMP)


def device_differentiable(circuit: QuantumScript) -> bool:
    """Whether ``diff_method="device"`` can differentiate ``circuit``: only expval, var and
    probs, and no observable with trainable coefficients (a coefficient's derivative is no
    parameter shift).

    >>> device_differentiable(qml.tape.QuantumScript([qml.RX(0.1, 0)], [qml.expval(qml.Z(0))]))
    True
    """
    for mp in circuit.measurements:
        if not isinstance(mp, DIFFERENTIABLE_MPS):
            return False
        if mp.obs is not None and any(qml.math.requires_grad(d) for d in mp.obs.data):
            return False
    return True


def check_derivative_tapes(circuits: Sequence[QuantumScript], name: str = DEVICE_NAME) -> None:
    """Reject broadcast trainable parameters: their Jacobian is per element, which PennyLane's
    derivative interface cannot express (with device derivatives the device's preprocessing
    expands exactly those tapes, so this only guards direct calls).

    Raises:
        DeviceError: a tape has a broadcast trainable parameter.
    """
    for tape in circuits:
        if not tape.batch_size:
            continue
        params = tape.get_parameters(trainable_only=True)
        if any(np.ndim(p) for p in params):
            raise DeviceError(
                f"{name} cannot differentiate a broadcast trainable parameter directly; "
                "run the tape through the device's preprocessing (which splits the broadcast, "
                "one parameter row per element) or qml.transforms.broadcast_expand first."
            )


def assemble_jacobians(
    plan, raw: Sequence[Mapping[str, object]], rng: np.random.Generator
) -> tuple:
    """Device-computed parameter-shift Jacobians, one per tape of a batch planned with
    ``plan_batch(..., derivatives=True)``.

    Each measurement's linear statistic (Pauli-term combination, probabilities, or the first two
    moments of a sampled observable) is combined over the shifted rows by the tape's shift rule;
    variances are finished by the chain rule (``observables.finish_derivative``).

    Args:
        plan (BatchPlan): planned with ``derivatives=True``.
        raw (Sequence[Mapping[str, object]]): per job, the decoded results by label.
        rng (np.random.Generator): splits shifted histograms into shot-vector bins.

    Returns:
        tuple: per tape, the Jacobian nested as PennyLane's ``param_shift`` nests it: shot bin
        (only with a shot vector) -> measurement (if several) -> trainable parameter (if
        several) -> broadcast -> measurement shape. A tape without trainable parameters gets
        empty arrays.

    Raises:
        KeyError: a label the plan expects is missing from the service's results.
        DeviceError: a sampled measurement has no derivative (samples, counts).
    """
    merged = merge_job_results(plan, raw)
    out = []
    for slot in plan.slots:
        if slot.shift is None or not slot.shift.n_params:
            shots = slot.shots if isinstance(slot, SampledSlot) else Shots(None)
            n_mps = len(slot.measurements if isinstance(slot, SampledSlot) else slot.recipes)
            out.append(_empty_jacobian(n_mps, shots))
        elif isinstance(slot, AnalyticSlot):
            out.append(_analytic_jacobian(slot, merged, plan.identity))
        else:
            out.append(_sampled_jacobian(slot, merged, plan.wire_order, rng))
    return tuple(out)


def _empty_jacobian(n_mps: int, shots: Shots):
    """What ``param_shift`` returns for a tape without trainable parameters."""
    one = np.zeros(0) if n_mps == 1 else tuple(np.zeros(0) for _ in range(n_mps))
    return tuple(one for _ in range(shots.num_copies)) if shots.has_partitioned_shots else one


def _nest(per_mp: list[list]):
    """``[measurement][parameter]`` with PennyLane's squeezing of size-one levels."""
    if len(per_mp) == 1:
        return per_mp[0][0] if len(per_mp[0]) == 1 else tuple(per_mp[0])
    if len(per_mp[0]) == 1:
        return tuple(p[0] for p in per_mp)
    return tuple(tuple(p) for p in per_mp)


def _shift_blocks(slot, batch: int) -> list[tuple[str, ...]]:
    """The shifted row labels per shifted evaluation (``batch`` labels each)."""
    labels = slot.shift_labels
    return [labels[j * batch : (j + 1) * batch] for j in range(slot.shift.n_shifts)]


def _derivatives(slot, y0: np.ndarray, ys: list[np.ndarray], finish) -> list:
    """Per trainable parameter, the finished derivative (stacked over broadcast elements).

    ``y0``: the statistic at the forward rows, shape ``(B, dim)``; ``ys[j]``: the same at
    shifted evaluation ``j``; ``finish(dy, y0)`` turns one element's statistic derivative into
    the measurement's derivative.
    """
    per_param = []
    for dy in slot.shift.combine(y0, ys):
        values = [finish(dy[b], y0[b]) for b in range(len(y0))]
        per_param.append(stack_broadcast(values) if slot.broadcast else values[0])
    return per_param


def _analytic_jacobian(slot: AnalyticSlot, merged: Mapping, identity: str):
    batch = len(slot.labels)
    blocks = _shift_blocks(slot, batch)

    def statistic(rec: Recipe, labels) -> np.ndarray:
        return np.stack(
            [rec.linear(term_vector(rec, merged.get(lb, {}), identity)) for lb in labels]
        )

    per_mp = []
    for rec in slot.recipes:
        y0 = statistic(rec, slot.labels)
        ys = [statistic(rec, block) for block in blocks]
        per_mp.append(_derivatives(slot, y0, ys, rec.derivative))
    return _nest(per_mp)


def _sampled_jacobian(slot: SampledSlot, merged: Mapping, wire_order, rng: np.random.Generator):
    n = len(wire_order)
    sizes = list(slot.shots)

    def split(label: str):
        bits, counts = histogram_to_bits(merged[label], n)
        return bits, split_shot_bins(counts, sizes, rng)

    forward = [split(lb) for lb in slot.labels]
    shifted = [[split(lb) for lb in block] for block in _shift_blocks(slot, len(slot.labels))]
    per_bin = [
        _nest(
            [
                _sampled_derivatives(slot, mp, forward, shifted, b, wire_order)
                for mp in slot.measurements
            ]
        )
        for b in range(len(sizes))
    ]
    return tuple(per_bin) if slot.shots.has_partitioned_shots else per_bin[0]


def _sampled_derivatives(slot: SampledSlot, mp, forward, shifted, b: int, wire_order) -> list:
    """One measurement's derivatives in shot bin ``b`` (rows are ``(bits, bin counts)``)."""
    kind = _sampled_kind(mp)

    def statistic(rows) -> np.ndarray:
        return np.stack([sampled_statistic(mp, bits, bins[b], wire_order) for bits, bins in rows])

    ys = [statistic(rows) for rows in shifted]
    return _derivatives(slot, statistic(forward), ys, partial(finish_derivative, kind))


def _sampled_kind(mp) -> str:
    if isinstance(mp, ProbabilityMP):
        return "probs"
    if isinstance(mp, VarianceMP):
        return "var"
    if isinstance(mp, ExpectationMP):
        return "expval"
    raise DeviceError(
        f"{type(mp).__name__} has no derivative: diff_method='device' differentiates expval, "
        "var and probs."
    )


def sampled_statistic(mp, bits: np.ndarray, counts: np.ndarray, wire_order) -> np.ndarray:
    """The linear statistic of one diagonal sampled measurement, from one histogram.

    ``probs``: the empirical probabilities; ``expval``/``var``: the first two empirical moments
    of the measured quantity, ``[E[x], E[x^2]]`` (see ``observables.finish_derivative``).

    >>> import pennylane as qml
    >>> bits = np.array([[0], [1]], dtype=np.uint8)
    >>> sampled_statistic(qml.expval(qml.Z(0)), bits, np.array([3, 1]), [0]).tolist()
    [0.5, 1.0]
    """
    index = {w: i for i, w in enumerate(wire_order)}
    wires = mp.wires if len(mp.wires) else wire_order
    cols = np.array([index[w] for w in wires], dtype=np.int64)
    if isinstance(mp, ProbabilityMP):
        return empirical_probs(bits, counts, cols)
    _sampled_kind(mp)
    probs = counts / counts.sum()
    values = outcome_values(mp, wires, bits[:, cols])
    return np.array([probs @ values, probs @ values**2])
