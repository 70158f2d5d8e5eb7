"""Decoded service results -> PennyLane results (bit order, shot vectors, result shapes).

Owns THE one bit-order conversion of the plugin (:func:`histogram_to_bits`), the split of one
histogram into independent shot-vector bins, the assembly of analytic and sampled results
into PennyLane's nesting (shot bin -> measurement -> broadcast -> array), and of device-computed
parameter-shift Jacobians (:func:`assemble_jacobians`: shot bin -> measurement -> parameter ->
broadcast -> array, the nesting of PennyLane's ``param_shift``).

Pure: no I/O, clock or device state; randomness only from the ``numpy.random.Generator`` passed
in. Imports numpy, PennyLane and ``compile.observables`` (for recipes); never the client or the
local service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

import numpy as np
from pennylane.exceptions import DeviceError
from pennylane.measurements import (
    CountsMP,
    ExpectationMP,
    ProbabilityMP,
    SampleMeasurement,
    SampleMP,
    Shots,
    VarianceMP,
)

from .compile.batching import AnalyticSlot, SampledSlot
from .compile.observables import Recipe, finish_derivative


def histogram_to_bits(histogram: Mapping[str, int], n_qubits: int) -> tuple[np.ndarray, np.ndarray]:
    """Convert a service histogram to PennyLane-ordered outcome bits.

    The two conventions (qoro-api.md §4.5):

    * **Service (Qiskit order):** key character ``j`` counted from the left is classical bit
      ``c[n-1-j]``; the rightmost character is ``c[0]``; the index is Σ c[k]·2^k. The device
      measures ``q[i] -> c[i]`` and ``q[i]`` is ``wire_order[i]``.
    * **PennyLane:** ``wire_order[0]`` is the leftmost / most significant bit of samples and
      probabilities.

    So column ``i`` of the result (wire ``wire_order[i]``) is key character ``n-1-i``: the key is
    reversed. This is the only place in the plugin that converts bit order.

    Args:
        histogram (Mapping[str, int]): ``{bitstring: count}`` in Qiskit order, keys of length
            ``n_qubits`` (unmeasured bits read 0).
        n_qubits (int): the register width.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``bits`` (uint8, shape ``(unique, n_qubits)``, column i ↔
        ``wire_order[i]``) and ``counts`` (int64, shape ``(unique,)``).

    Raises:
        ValueError: a key does not have ``n_qubits`` characters.

    >>> bits, counts = histogram_to_bits({"001": 7}, 3)   # x on q[0] -> c[0] rightmost
    >>> bits.tolist(), counts.tolist()
    ([[1, 0, 0]], [7])
    """
    keys = list(histogram)
    counts = np.fromiter((histogram[k] for k in keys), dtype=np.int64, count=len(keys))
    if not keys:
        return np.zeros((0, n_qubits), dtype=np.uint8), counts
    joined = "".join(keys).encode("ascii")
    if len(joined) != n_qubits * len(keys):
        raise ValueError(f"histogram keys must all have {n_qubits} bits, got {keys[:3]}...")
    bits = np.frombuffer(joined, dtype=np.uint8).reshape(len(keys), n_qubits) - ord("0")
    return np.ascontiguousarray(bits[:, ::-1]), counts


def split_shot_bins(
    counts: np.ndarray, bin_sizes: Sequence[int], rng: np.random.Generator
) -> list[np.ndarray]:
    """Split one histogram of ``sum(bin_sizes)`` shots into independent histograms.

    Draws each bin without replacement from what is left (multivariate hypergeometric). For
    i.i.d. shots this is exactly a random partition of the shot record, so the bins are
    independent samples of their sizes, as separate executions would be.

    Args:
        counts (np.ndarray): counts per outcome, summing to ``sum(bin_sizes)``.
        bin_sizes (Sequence[int]): shots per bin (``list(Shots)``).
        rng (np.random.Generator): the source of randomness.

    Returns:
        list[np.ndarray]: one count vector per bin, aligned with ``counts``.

    >>> [b.tolist() for b in split_shot_bins(np.array([4, 0]), [1, 3], np.random.default_rng(0))]
    [[1, 0], [3, 0]]
    """
    left = np.asarray(counts, dtype=np.int64).copy()
    if int(left.sum()) != int(sum(bin_sizes)):
        raise ValueError(f"histogram has {left.sum()} shots, bins need {sum(bin_sizes)}")
    bins = []
    for size in bin_sizes[:-1]:
        draw = rng.multivariate_hypergeometric(left, size) if size else np.zeros_like(left)
        bins.append(draw)
        left = left - draw
    bins.append(left)
    return bins


def _probs(bits: np.ndarray, counts: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Empirical probabilities of the columns ``cols`` (first column most significant)."""
    k = len(cols)
    weights = 1 << np.arange(k - 1, -1, -1, dtype=np.int64)
    index = bits[:, cols].astype(np.int64) @ weights if k else np.zeros(len(counts), np.int64)
    hist = np.bincount(index, weights=counts, minlength=2**k)
    return hist / counts.sum()


def _diagonal(mp, wires) -> np.ndarray:
    """The measured quantity's value on each basis state of ``wires`` (MSB = ``wires[0]``).

    Z-only Pauli sentences are evaluated term by term, because ``Sum.eigvals()`` may come back
    sorted rather than in basis-state order; anything else uses ``mp.eigvals()`` (Prod,
    diagonalised Hermitian, mid-circuit measurement values).
    """
    rep = mp.obs.pauli_rep if mp.obs is not None else None
    if rep is None or any(set(word.values()) - {"Z"} for word in rep):
        return np.asarray(mp.eigvals(), dtype=float)
    k = len(wires)
    index = {w: i for i, w in enumerate(wires)}
    basis = (np.arange(2**k)[:, None] >> np.arange(k - 1, -1, -1)) & 1
    diag = np.zeros(2**k)
    for word, coeff in rep.items():
        parity = basis[:, [index[w] for w in word]].sum(axis=1) & 1
        diag += float(np.real(coeff)) * (1.0 - 2.0 * parity)
    return diag


def _samples(bits: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Expand a histogram into shot rows, in a random (seeded) order like a real shot record."""
    rows = np.repeat(bits.astype(np.int64), counts, axis=0)
    return rows[rng.permutation(len(rows))]


def _plain_counts(mp, k: int) -> bool:
    """``counts()`` of computational-basis bitstrings on at most 62 wires (int64 outcomes)."""
    return (type(mp) is CountsMP and mp.obs is None and mp.mv is None
            and mp._eigvals is None and k <= 62)


def _counts(mp: CountsMP, bits: np.ndarray, counts: np.ndarray, wire_order) -> dict:
    """``counts(wires)`` straight from the histogram: what ``mp.process_samples`` returns for
    the expanded shot record (keys ``np.str_`` sorted, values ``np.int64``; with
    ``all_outcomes`` every key in binary order, as ``str``), without expanding and recounting
    the shots (3.5 of 22 ms of a 1000-shot 4-qubit QNode call)."""
    index = {w: i for i, w in enumerate(wire_order)}
    wires = mp.wires if len(mp.wires) else wire_order
    k = len(wires)
    cols = np.array([index[w] for w in wires], dtype=np.int64)
    weights = 1 << np.arange(k - 1, -1, -1, dtype=np.int64)
    outcome = bits[:, cols].astype(np.int64) @ weights if k else np.zeros(len(counts), np.int64)
    if mp.all_outcomes:
        totals = np.bincount(outcome, weights=counts, minlength=2**k).astype(np.int64)
        return {f"{x:0{k}b}": totals[x] for x in range(2**k)}
    seen, inverse = np.unique(outcome, return_inverse=True)
    totals = np.bincount(inverse, weights=counts).astype(np.int64)
    return {np.str_(f"{x:0{k}b}"): total for x, total in zip(seen, totals, strict=True)}


def sampled_measurement(mp, bits, counts, wire_order, rng: np.random.Generator):
    """One diagonal measurement from one histogram (already in the measurement basis).

    Expectation values, variances and probabilities come straight from the histogram;
    samples and counts expand it and use PennyLane's own ``process_samples`` so shapes and
    dtypes match default.qubit.
    """
    if isinstance(mp, ExpectationMP | VarianceMP | ProbabilityMP):
        index = {w: i for i, w in enumerate(wire_order)}
        wires = mp.wires if len(mp.wires) else wire_order
        probs = _probs(bits, counts, np.array([index[w] for w in wires], dtype=np.int64))
        if isinstance(mp, ProbabilityMP):
            return probs
        eig = _diagonal(mp, wires)
        mean = probs @ eig
        if isinstance(mp, ExpectationMP):
            return np.float64(mean)
        return np.float64(max(probs @ eig**2 - mean**2, 0.0))
    if _plain_counts(mp, len(mp.wires) or len(wire_order)):
        return _counts(mp, bits, counts, wire_order)
    if isinstance(mp, SampleMP | CountsMP | SampleMeasurement):  # incl. custom measurements
        return mp.process_samples(_samples(bits, counts, rng), wire_order)
    raise TypeError(f"cannot build {type(mp).__name__} from samples")


def sampled_tape_result(
    measurements: Sequence,
    histograms: Sequence[Mapping[str, int]],
    shots: Shots,
    wire_order: Sequence,
    broadcast: bool,
    rng: np.random.Generator,
):
    """All results of one sampled tape in PennyLane's nesting.

    Args:
        measurements (Sequence[MeasurementProcess]): the tape's (diagonal) measurements.
        histograms (Sequence[Mapping[str, int]]): one service histogram per broadcast element,
            each of ``shots.total_shots`` shots.
        shots (Shots): the tape's shots; a shot vector is split with :func:`split_shot_bins`.
        wire_order (Sequence): device wire order (``q[i]`` ↔ ``wire_order[i]``).
        broadcast (bool): whether the tape has a batch dimension.
        rng (np.random.Generator): randomness for bin splitting and sample order.

    Returns:
        The tape's result: shot bins -> measurements -> broadcast, size-one levels dropped.
    """
    n = len(wire_order)
    decoded = [histogram_to_bits(h, n) for h in histograms]
    sizes = list(shots)
    per_element = [split_shot_bins(c, sizes, rng) for _, c in decoded]
    per_bin = []
    for b in range(len(sizes)):
        per_mp = []
        for mp in measurements:
            values = [
                sampled_measurement(mp, bits, per_element[e][b], wire_order, rng)
                for e, (bits, _) in enumerate(decoded)
            ]
            per_mp.append(_stack(values) if broadcast else values[0])
        per_bin.append(per_mp[0] if len(per_mp) == 1 else tuple(per_mp))
    return tuple(per_bin) if shots.has_partitioned_shots else per_bin[0]


def analytic_tape_result(
    recipes: Sequence[Recipe],
    term_values: Sequence[Mapping[str, float]],
    identity: str,
    broadcast: bool,
):
    """All results of one analytic tape from the service's per-row ``{term: value}`` maps.

    Args:
        recipes (Sequence[Recipe]): one per measurement.
        term_values (Sequence[Mapping[str, float]]): one map per broadcast element (§4.6).
        identity (str): the all-identity term, whose value is 1 without asking the service.
        broadcast (bool): whether the tape has a batch dimension.

    Returns:
        The tape's result: measurements -> broadcast, size-one levels dropped.
    """
    per_mp = []
    for rec in recipes:
        values = [rec.evaluate(_term_vector(rec, tv, identity)) for tv in term_values]
        per_mp.append(_stack(values) if broadcast else values[0])
    return per_mp[0] if len(per_mp) == 1 else tuple(per_mp)


def _term_vector(rec: Recipe, term_values: Mapping[str, float], identity: str) -> np.ndarray:
    return np.array([1.0 if t == identity else term_values[t] for t in rec.terms])


def _stack(values: list):
    """Stack broadcast elements; counts dicts stay a tuple of dicts."""
    if isinstance(values[0], dict):
        return tuple(values)
    return np.stack(values)


def assemble_results(plan, raw: Sequence[Mapping[str, object]], rng: np.random.Generator) -> tuple:
    """One result per tape of a planned batch, in batch order.

    Args:
        plan (BatchPlan): from :func:`pennylane_qoro.compile.plan_batch`.
        raw (Sequence[Mapping[str, object]]): per job of ``plan.jobs``, the decoded results by
            label (``JobResult.results``): histograms ``{bitstring: count}`` in Qiskit order for
            EXECUTE jobs, ``{dense term: value}`` for EXPECTATION jobs (§4.6).
        rng (np.random.Generator): randomness for shot-vector bins and sample order.

    Returns:
        tuple: the batch's results.

    Raises:
        KeyError: a label the plan expects is missing from the service's results.
    """
    merged = _merge(plan, raw)
    out = []
    for slot in plan.slots:
        if isinstance(slot, AnalyticSlot):
            values = [merged.get(label, {}) for label in slot.labels]
            out.append(analytic_tape_result(slot.recipes, values, plan.identity, slot.broadcast))
        else:
            histograms = [merged[label] for label in slot.labels]
            out.append(
                sampled_tape_result(
                    slot.measurements, histograms, slot.shots, plan.wire_order, slot.broadcast, rng
                )
            )
    return tuple(out)


def _merge(plan, raw: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """All jobs' results by label; term chunks of one row may span several EXPECTATION jobs."""
    merged: dict[str, object] = {}
    for job, results in zip(plan.jobs, raw, strict=True):
        if job.job_type == "EXPECTATION":
            for label, values in results.items():
                merged.setdefault(label, {}).update(values)
        else:
            merged.update(results)
    return merged


# --------------------------------------------------------------------------- derivatives


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
    merged = _merge(plan, raw)
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
        per_param.append(_stack(values) if slot.broadcast else values[0])
    return per_param


def _analytic_jacobian(slot: AnalyticSlot, merged: Mapping, identity: str):
    batch = len(slot.labels)
    blocks = _shift_blocks(slot, batch)

    def statistic(rec: Recipe, labels) -> np.ndarray:
        return np.stack(
            [rec.linear(_term_vector(rec, merged.get(lb, {}), identity)) for lb in labels]
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
        return _probs(bits, counts, cols)
    _sampled_kind(mp)
    probs = counts / counts.sum()
    values = _outcome_values(mp, wires, bits[:, cols])
    return np.array([probs @ values, probs @ values**2])


def _outcome_values(mp, wires, bits: np.ndarray) -> np.ndarray:
    """The measured quantity on each observed outcome (``bits`` columns <-> ``wires``).

    Z-only Pauli sentences are evaluated word by word on the outcomes seen (no 2^k table);
    anything else indexes the diagonal of :func:`_diagonal`.
    """
    rep = mp.obs.pauli_rep if mp.obs is not None else None
    if rep is not None and not any(set(word.values()) - {"Z"} for word in rep):
        position = {w: i for i, w in enumerate(wires)}
        values = np.zeros(len(bits))
        for word, coeff in rep.items():
            parity = bits[:, [position[w] for w in word]].sum(axis=1) & 1
            values += float(np.real(coeff)) * (1.0 - 2.0 * parity)
        return values
    k = len(wires)
    weights = 1 << np.arange(k - 1, -1, -1, dtype=np.int64)
    return _diagonal(mp, wires)[bits.astype(np.int64) @ weights]
